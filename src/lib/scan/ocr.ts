// Reads the printed text of a certificate in the browser with tesseract.js and the simplified
// Chinese model, offline: worker, core and model come from our own origin (/vendor/, precached).
// Loaded only when the user asks: the engine is several megabytes and takes a moment to start.
import type { Worker as TesseractWorker } from 'tesseract.js';
import { drawShrunk, ScanError } from './image';
import { VENDOR_URLS } from './vendor';

export type OcrStage = 'loading' | 'recognizing';
export type OcrProgress = (stage: OcrStage, fraction: number) => void;

// 0,asm,1 + a function using a v128 instruction: validates only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([
	0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15,
	253, 98, 11
]);

/**
 * The core build for this browser. We choose it here rather than hand tesseract.js the folder:
 * its own choice would take the base64-in-JS builds (a third larger) and the relaxed-SIMD one,
 * and precaching every variant would cost 15 MB. SIMD is in every browser since 2023.
 */
export function corePath(): string {
	const simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
	const path = simd ? VENDOR_URLS.tesseractCoreSimd : VENDOR_URLS.tesseractCoreNoSimd;
	return new URL(path, location.href).href;
}

let progress: OcrProgress = () => {};
let engine: Promise<TesseractWorker> | null = null;

function loadEngine(): Promise<TesseractWorker> {
	engine ??= (async () => {
		const { createWorker, OEM } = await import('tesseract.js');
		const abs = (path: string) => new URL(path, location.href).href;
		return createWorker('chi_sim', OEM.LSTM_ONLY, {
			// A real URL, not a blob: the core finds its .wasm next to the worker script.
			workerBlobURL: false,
			workerPath: abs(VENDOR_URLS.tesseractWorker),
			corePath: corePath(),
			langPath: abs(VENDOR_URLS.tesseractLangPath),
			gzip: true,
			// The service worker already keeps the model; a second copy in IndexedDB is waste.
			cacheMethod: 'none',
			logger: (m) => {
				if (m.status === 'recognizing text') progress('recognizing', m.progress);
				else progress('loading', m.progress);
			},
			errorHandler: () => {}
		});
	})();
	engine.catch(() => (engine = null));
	return engine;
}

/** Largest edge passed to the engine: card text stays legible, recognition stays quick. */
const MAX_EDGE = 2000;

/** The photo as the engine gets it: upright (EXIF orientation applied) and at most MAX_EDGE. */
async function prepare(image: Blob): Promise<OffscreenCanvas | HTMLCanvasElement> {
	return (await drawShrunk(image, MAX_EDGE)).canvas;
}

/** The text on an image, line by line. Starts the engine on first use. */
export async function recognizeText(
	image: Blob,
	onProgress: OcrProgress = () => {}
): Promise<string> {
	const input = await prepare(image);
	progress = onProgress;
	let worker: TesseractWorker;
	try {
		onProgress('loading', 0);
		worker = await loadEngine();
	} catch (err) {
		throw new ScanError('ENGINE', err instanceof Error ? err.message : String(err));
	}
	try {
		const { data } = await worker.recognize(input);
		return data.text;
	} finally {
		progress = () => {};
	}
}

/** Frees the engine's memory (tens of megabytes) when the user leaves the screen. */
export async function releaseOcr(): Promise<void> {
	const current = engine;
	engine = null;
	if (current) await (await current.catch(() => null))?.terminate();
}
