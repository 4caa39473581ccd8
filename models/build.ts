// `npm run models` (also run after every install): takes the vision models out of their npm
// packages, converts what the MediaPipe Tasks API needs, and writes them with a manifest to
// static/models/, which the app serves from its own origin. Same packages in, same bytes out.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS_BASE, SOURCE_FILES, type SourceFile } from '../src/lib/vision/engine/files';
import type { ModelFile } from '../src/lib/vision/types';
import { extractPacked, readPackageListing } from './emscripten';
import { imageModelMetadata, withMetadata } from './tflite';
import { zipStored } from './zip';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(ROOT, 'static', 'models');

/**
 * Input normalisation of each legacy model, as its original MediaPipe graph configured it (the
 * ImageToTensorCalculator's output_tensor_float_range compiled into the solution's .wasm):
 * [-1, 1] is mean 127.5 / std 127.5, [0, 1] is mean 0 / std 255.
 */
export const NORMALISATION = {
	faceDetection: { mean: [127.5], std: [127.5] },
	selfieSegmentation: { mean: [0], std: [255] },
	poseDetection: { mean: [127.5], std: [127.5] },
	poseLandmark: { mean: [0], std: [255] }
} as const;

type Read = (pkg: string, path: string) => Uint8Array;

function readFrom(modules: string): Read {
	return (pkg, path) => new Uint8Array(readFileSync(join(modules, pkg, path)));
}

function addMetadata(
	model: Uint8Array,
	file: SourceFile,
	name: string,
	norm: { mean: readonly number[]; std: readonly number[] }
): Uint8Array {
	const meta = imageModelMetadata({
		name,
		description: `${name} from ${file.package}@${file.version}; metadata added by SitePass models/ (the Tasks API reads input normalisation from it)`,
		version: file.version,
		author: 'Google (MediaPipe)',
		license: 'Apache License. Version 2.0 http://www.apache.org/licenses/LICENSE-2.0.',
		inputName: 'image',
		mean: [...norm.mean],
		std: [...norm.std]
	});
	return withMetadata(model, meta);
}

/** The bytes of one output file. */
export function produce(file: SourceFile, read: Read): Uint8Array {
	switch (file.transform) {
		case 'copy':
			return read(file.package, file.path);
		case 'tflite-metadata': {
			const model = read(file.package, file.path);
			if (file.model === 'face-detector') {
				return addMetadata(model, file, 'face_detection_short_range', NORMALISATION.faceDetection);
			}
			if (file.model === 'selfie-segmenter') {
				return addMetadata(model, file, 'selfie_segmentation', NORMALISATION.selfieSegmentation);
			}
			throw new Error(`No metadata recipe for ${file.model}`);
		}
		case 'task-bundle': {
			if (file.model !== 'pose-landmarker') throw new Error(`No bundle recipe for ${file.model}`);
			const loader = new TextDecoder().decode(
				read(file.package, 'pose_solution_packed_assets_loader.js')
			);
			const listing = readPackageListing(loader);
			const detector = extractPacked(
				listing,
				read(file.package, listing.dataFile),
				'/pose_detection/pose_detection.tflite'
			);
			const landmarks = read(file.package, 'pose_landmark_lite.tflite');
			// Entry names are the ones the Tasks PoseLandmarker looks up inside a .task bundle.
			return zipStored([
				{
					name: 'pose_detector.tflite',
					data: addMetadata(detector, file, 'pose_detection', NORMALISATION.poseDetection)
				},
				{
					name: 'pose_landmarks_detector.tflite',
					data: addMetadata(landmarks, file, 'pose_landmark_lite', NORMALISATION.poseLandmark)
				}
			]);
		}
	}
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface BuildOptions {
	outDir?: string;
	/** node_modules to read from. */
	modules?: string;
	log?: (line: string) => void;
}

/** Writes every model file and manifest.json to `outDir` (replacing what was there). */
export function buildModels(options: BuildOptions = {}): ModelFile[] {
	const outDir = options.outDir ?? DEFAULT_OUT;
	const modules = options.modules ?? join(ROOT, 'node_modules');
	const log = options.log ?? (() => {});
	const read = readFrom(modules);

	for (const pkg of new Set(SOURCE_FILES.map((f) => `${f.package}@${f.version}`))) {
		const name = pkg.slice(0, pkg.lastIndexOf('@'));
		const want = pkg.slice(pkg.lastIndexOf('@') + 1);
		const got = (
			JSON.parse(new TextDecoder().decode(read(name, 'package.json'))) as {
				version: string;
			}
		).version;
		if (got !== want) {
			throw new Error(
				`${name} is ${got} in node_modules; src/lib/vision/engine/files.ts wants ${want}`
			);
		}
	}

	rmSync(outDir, { recursive: true, force: true });
	const manifest: ModelFile[] = [];
	for (const file of SOURCE_FILES) {
		const data = produce(file, read);
		if (!file.url.startsWith(`${MODELS_BASE}/`))
			throw new Error(`${file.url} is not under /models/`);
		const target = join(outDir, file.url.slice(MODELS_BASE.length + 1));
		mkdirSync(dirname(target), { recursive: true });
		writeFileSync(target, data);
		manifest.push({
			url: file.url,
			bytes: data.length,
			sha256: sha256(data),
			source: { package: file.package, version: file.version, path: file.path },
			transform: file.transform
		});
		log(`${file.url}  ${(data.length / 1024).toFixed(0)} KiB  ${file.transform}`);
	}
	writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, '\t') + '\n');
	const total = manifest.reduce((s, f) => s + f.bytes, 0);
	log(`${manifest.length} files, ${(total / 1024 / 1024).toFixed(1)} MiB in ${outDir}`);
	return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	try {
		buildModels({
			outDir: process.argv[2] ? resolve(process.argv[2]) : undefined,
			log: console.log
		});
	} catch (err) {
		console.error(`models: ${err instanceof Error ? err.message : String(err)}`);
		process.exit(1);
	}
}
