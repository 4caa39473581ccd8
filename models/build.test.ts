import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SOURCE_FILES } from '../src/lib/vision/engine/files';
import type { ModelFile } from '../src/lib/vision/types';
import { buildModels, NORMALISATION } from './build';
import { readModelMetadata } from './tflite';
import { unzipStored } from './zip';

function listFiles(dir: string): string[] {
	return readdirSync(dir, { recursive: true, encoding: 'utf8' })
		.filter((p) => statSync(join(dir, p)).isFile())
		.map((p) => relative(dir, join(dir, p)))
		.sort();
}

describe('npm run models', () => {
	const a = mkdtempSync(join(tmpdir(), 'sitepass-models-a-'));
	const b = mkdtempSync(join(tmpdir(), 'sitepass-models-b-'));
	const manifest = buildModels({ outDir: a });
	buildModels({ outDir: b });
	const read = (p: string) => new Uint8Array(readFileSync(join(a, p)));
	afterAll(() => {
		for (const dir of [a, b]) rmSync(dir, { recursive: true, force: true });
	});

	it('writes a manifest that matches the files on disk exactly', () => {
		const onDisk = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')) as ModelFile[];
		expect(onDisk).toEqual(manifest);
		expect(manifest.map((f) => f.url)).toEqual(SOURCE_FILES.map((f) => f.url));
		expect(listFiles(a)).toEqual(
			[...manifest.map((f) => f.url.slice('/models/'.length)), 'manifest.json'].sort()
		);
		for (const f of manifest) {
			const data = read(f.url.slice('/models/'.length));
			expect(data.length, f.url).toBe(f.bytes);
			expect(createHash('sha256').update(data).digest('hex'), f.url).toBe(f.sha256);
			expect(f.source.package).toMatch(/^@(mediapipe|vladmandic|tensorflow)\//);
		}
	});

	it('is reproducible: a second run gives byte-identical files and manifest', () => {
		const files = listFiles(a);
		expect(listFiles(b)).toEqual(files);
		for (const p of files)
			expect(readFileSync(join(b, p)).equals(readFileSync(join(a, p))), p).toBe(true);
	});

	it('gives each converted model the normalisation of its original MediaPipe graph', () => {
		const path = (model: string) =>
			manifest
				.find((f) => SOURCE_FILES.find((s) => s.url === f.url)!.model === model)!
				.url.slice('/models/'.length);
		const norm = (model: Uint8Array) => readModelMetadata(model)!.inputs[0]!.normalization;
		expect(norm(read(path('face-detector')))).toEqual(NORMALISATION.faceDetection);
		expect(norm(read(path('selfie-segmenter')))).toEqual(NORMALISATION.selfieSegmentation);
		const bundle = unzipStored(read(path('pose-landmarker')));
		expect(bundle.map((e) => e.name)).toEqual([
			'pose_detector.tflite',
			'pose_landmarks_detector.tflite'
		]);
		expect(norm(bundle[0]!.data)).toEqual(NORMALISATION.poseDetection);
		expect(norm(bundle[1]!.data)).toEqual(NORMALISATION.poseLandmark);
	});

	it('takes the versions files.ts names (an upgrade must update the URLs)', () => {
		for (const f of SOURCE_FILES) {
			const pkg = JSON.parse(
				readFileSync(new URL(`../node_modules/${f.package}/package.json`, import.meta.url), 'utf8')
			) as { version: string };
			expect(pkg.version, f.package).toBe(f.version);
			expect(f.url).toContain(f.version);
		}
	});
});
