// Reads QR codes in the browser with zxing-wasm, offline: the wasm comes from our own origin
// (/vendor/, precached), from a photo or from frames of a live camera stream.
import type { ReadResult, ReaderOptions } from 'zxing-wasm/reader';
import { drawShrunk, ScanError } from './image';
import { VENDOR_URLS } from './vendor';

export { ScanError };

type Reader = typeof import('zxing-wasm/reader');

let reader: Promise<Reader> | null = null;

/** The reader module, loaded on first use and pointed at our wasm (never the default CDN). */
function loadReader(): Promise<Reader> {
	reader ??= import('zxing-wasm/reader').then(async (zxing) => {
		const wasm = new URL(VENDOR_URLS.zxingReaderWasm, location.href).href;
		await zxing.prepareZXingModule({
			overrides: {
				locateFile: (path: string, prefix: string) =>
					path.endsWith('.wasm') ? wasm : prefix + path
			},
			fireImmediately: true
		});
		return zxing;
	});
	// A failed load (offline before the app was cached) may succeed on a later try.
	reader.catch(() => (reader = null));
	return reader;
}

const OPTIONS: ReaderOptions = {
	formats: ['QRCode', 'MicroQRCode', 'DataMatrix'],
	tryHarder: true,
	maxNumberOfSymbols: 4
};

/** Largest edge we decode at: a phone photo's QR code stays legible, memory stays bounded. */
const MAX_EDGE = 2048;

async function read(image: ImageData, options: ReaderOptions = OPTIONS): Promise<string[]> {
	let zxing: Reader;
	try {
		zxing = await loadReader();
	} catch (err) {
		throw new ScanError('ENGINE', (err as Error).message);
	}
	const results: ReadResult[] = await zxing.readBarcodes(image, options);
	return results.filter((r) => r.isValid && r.text.trim()).map((r) => r.text);
}

/** Pixels of an image file, shrunk so the longer edge is at most `maxEdge`. */
export async function imageDataOf(file: Blob, maxEdge = MAX_EDGE): Promise<ImageData> {
	const { canvas, ctx } = await drawShrunk(file, maxEdge);
	return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/** Texts of the QR codes in a photo, the first being the most prominent; [] when there is none. */
export async function readQrCodes(file: Blob): Promise<string[]> {
	return read(await imageDataOf(file));
}

export interface CameraScan {
	/** Resolves with the first code's text and the frame it was read from, or null if stopped. */
	result: Promise<{ text: string; frame: Blob | null } | null>;
	/** Stops scanning and turns the camera off (safe to call twice). */
	stop(): void;
}

export function hasCamera(): boolean {
	return typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
}

/**
 * Shows the back camera in `video` and reads frames until a code is found, then turns the camera
 * off. Rejects when the camera cannot be opened (no permission, no camera).
 */
export async function scanCamera(video: HTMLVideoElement, intervalMs = 250): Promise<CameraScan> {
	await loadReader().catch((err: Error) => {
		throw new ScanError('ENGINE', err.message);
	});
	const stream = await navigator.mediaDevices.getUserMedia({
		video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
		audio: false
	});
	let stopped = false;
	let finish: (value: { text: string; frame: Blob | null } | null) => void = () => {};
	const result = new Promise<{ text: string; frame: Blob | null } | null>((r) => (finish = r));
	const stop = () => {
		if (stopped) return;
		stopped = true;
		for (const track of stream.getTracks()) track.stop();
		video.srcObject = null;
		finish(null);
	};
	video.srcObject = stream;
	video.muted = true;
	video.playsInline = true;
	await video.play().catch(() => {});

	const canvas = document.createElement('canvas');
	const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
	const tick = async () => {
		if (stopped) return;
		if (video.videoWidth && video.readyState >= 2) {
			canvas.width = video.videoWidth;
			canvas.height = video.videoHeight;
			ctx.drawImage(video, 0, 0);
			const frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
			// Frames come quickly: a faster, lighter pass than for a single photo.
			const texts = await read(frame, {
				...OPTIONS,
				tryHarder: false,
				maxNumberOfSymbols: 1
			}).catch(() => []);
			if (texts[0] && !stopped) {
				const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.9));
				const text = texts[0];
				finish({ text, frame: blob });
				stop();
				return;
			}
		}
		setTimeout(tick, intervalMs);
	};
	void tick();
	return { result, stop };
}

/** Codes in one frame of a camera that is already open (the gate's), with the fast settings. */
export function readQrFrame(image: ImageData): Promise<string[]> {
	return read(image, { ...OPTIONS, tryHarder: false, maxNumberOfSymbols: 1 });
}
