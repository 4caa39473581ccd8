import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractPacked, readPackageListing } from './emscripten';
import { inspectModel } from './tflite';

const POSE = new URL('../node_modules/@mediapipe/pose/', import.meta.url);

describe('emscripten file packager', () => {
	it('finds the pose detector inside @mediapipe/pose packed assets', () => {
		const listing = readPackageListing(
			readFileSync(new URL('pose_solution_packed_assets_loader.js', POSE), 'utf8')
		);
		expect(listing.dataFile).toBe('pose_solution_packed_assets.data');
		expect(listing.files.map((f) => f.filename)).toContain(
			'/third_party/mediapipe/modules/pose_detection/pose_detection.tflite'
		);
		const data = new Uint8Array(readFileSync(new URL(listing.dataFile, POSE)));
		const model = extractPacked(listing, data, '/pose_detection.tflite');
		expect(new TextDecoder().decode(model.subarray(4, 8))).toBe('TFL3');
		expect(inspectModel(model).inputs[0]!.shape).toEqual([1, 224, 224, 3]);
	});

	it('reads a listing with several files and refuses ambiguous or out-of-range ones', () => {
		const loader = `var REMOTE_PACKAGE_BASE = 'x.data'; loadPackage({"files": [
			{"filename": "/a/m.tflite", "start": 0, "end": 4},
			{"filename": "/b/m.tflite", "start": 4, "end": 10},
			{"filename": "/c/n.tflite", "start": 10, "end": 99}], "remote_package_size": 12});`;
		const listing = readPackageListing(loader);
		const data = new Uint8Array(12).map((_, i) => i);
		expect(extractPacked(listing, data, '/b/m.tflite')).toEqual(new Uint8Array([4, 5, 6, 7, 8, 9]));
		expect(() => extractPacked(listing, data, '/m.tflite')).toThrow(/found 2/);
		expect(() => extractPacked(listing, data, '/n.tflite')).toThrow(/past the end/);
		expect(() => readPackageListing('loadPackage({})')).toThrow(/REMOTE_PACKAGE_BASE/);
	});
});
