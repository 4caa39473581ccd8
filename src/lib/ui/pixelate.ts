// Hiding faces in pictures kept for review (alert snapshots, the gate's hard-hat crops): pixelation
// (draw small, scale up without smoothing) rather than a blur filter — it works in every browser's
// canvas (WebKit has no canvas filter) and cannot be undone by sharpening.

/** Pixelates each region of the canvas in place (frame pixels). */
export function pixelate(
	canvas: HTMLCanvasElement,
	regions: readonly { x: number; y: number; width: number; height: number }[]
): void {
	const ctx = canvas.getContext('2d');
	if (!ctx) return;
	const small = document.createElement('canvas');
	const sctx = small.getContext('2d');
	if (!sctx) return;
	for (const r of regions) {
		const x = Math.max(0, Math.floor(r.x));
		const y = Math.max(0, Math.floor(r.y));
		const w = Math.min(canvas.width - x, Math.ceil(r.width + (r.x - x)));
		const h = Math.min(canvas.height - y, Math.ceil(r.height + (r.y - y)));
		if (w <= 0 || h <= 0) continue;
		// About six blocks across a head: nobody is recognisable, the hard hat's colour stays.
		const bw = Math.max(1, Math.round(w / 8));
		const bh = Math.max(1, Math.round(h / 8));
		small.width = bw;
		small.height = bh;
		sctx.imageSmoothingEnabled = true;
		sctx.drawImage(canvas, x, y, w, h, 0, 0, bw, bh);
		ctx.imageSmoothingEnabled = false;
		ctx.drawImage(small, 0, 0, bw, bh, x, y, w, h);
		ctx.imageSmoothingEnabled = true;
	}
}
