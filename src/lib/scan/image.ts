// Pictures for the scan engines: a photo decoded (EXIF orientation applied) and shrunk onto a
// canvas — an OffscreenCanvas where there is one, a plain canvas on older Safari.

export class ScanError extends Error {
	constructor(
		/** ENGINE: a decoder could not load; IMAGE: the picture could not be read. */
		readonly code: 'ENGINE' | 'IMAGE',
		message: string
	) {
		super(message);
	}
}

type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

export interface Drawn {
	canvas: OffscreenCanvas | HTMLCanvasElement;
	ctx: Canvas2D;
	/** Whether the picture had to be made smaller. */
	shrunk: boolean;
}

/** Draws `file` on a white canvas whose longer edge is at most `maxEdge`. */
export async function drawShrunk(file: Blob, maxEdge: number): Promise<Drawn> {
	let bitmap: ImageBitmap;
	try {
		bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
	} catch (err) {
		throw new ScanError('IMAGE', err instanceof Error ? err.message : String(err));
	}
	try {
		const scale = Math.min(1, maxEdge / Math.max(bitmap.width, bitmap.height));
		const width = Math.max(1, Math.round(bitmap.width * scale));
		const height = Math.max(1, Math.round(bitmap.height * scale));
		let canvas: OffscreenCanvas | HTMLCanvasElement;
		if (typeof OffscreenCanvas !== 'undefined') canvas = new OffscreenCanvas(width, height);
		else {
			canvas = document.createElement('canvas');
			canvas.width = width;
			canvas.height = height;
		}
		const ctx = canvas.getContext('2d', { willReadFrequently: true }) as Canvas2D | null;
		if (!ctx) throw new ScanError('IMAGE', 'no 2D canvas');
		ctx.fillStyle = '#fff';
		ctx.fillRect(0, 0, width, height);
		ctx.drawImage(bitmap, 0, 0, width, height);
		return { canvas, ctx, shrunk: scale < 1 };
	} finally {
		bitmap.close();
	}
}
