import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
	TESSERACT_CORE_VERSION,
	TESSERACT_VERSION,
	VENDOR_FILES,
	VENDOR_URLS,
	ZXING_WASM_VERSION
} from './vendor';

const modules = new URL('../../../node_modules/', import.meta.url);
const versionOf = (pkg: string) =>
	(JSON.parse(readFileSync(new URL(`${pkg}/package.json`, modules), 'utf8')) as { version: string })
		.version;

describe('vendored scan engine files', () => {
	it('name the versions that are installed (an upgrade must update the paths)', () => {
		expect(versionOf('zxing-wasm')).toBe(ZXING_WASM_VERSION);
		expect(versionOf('tesseract.js')).toBe(TESSERACT_VERSION);
		expect(versionOf('tesseract.js-core')).toBe(TESSERACT_CORE_VERSION);
	});

	it('all exist, and each precached one fits the service worker limit (4 MiB)', () => {
		for (const file of VENDOR_FILES) {
			const path = new URL(file.from, modules);
			expect(existsSync(path), file.from).toBe(true);
			if (file.precache) expect(statSync(path).size).toBeLessThan(4 * 1024 * 1024);
		}
	});

	it('put each OCR core next to its wasm and the worker (the core looks for it there)', () => {
		const dir = (url: string) => url.slice(0, url.lastIndexOf('/'));
		for (const core of [VENDOR_URLS.tesseractCoreSimd, VENDOR_URLS.tesseractCoreNoSimd]) {
			expect(dir(core)).toBe(dir(VENDOR_URLS.tesseractWorker));
			expect(VENDOR_FILES.map((f) => f.to)).toContain(core.replace(/\.js$/, '.wasm'));
		}
		expect(VENDOR_FILES.map((f) => f.to)).toContain(
			`${VENDOR_URLS.tesseractLangPath}/chi_sim.traineddata.gz`
		);
	});
});
