// Alert snapshots: the analysed frame as a JPEG, heads pixelated unless the site chose otherwise.
// Pixelation (draw small, scale up without smoothing) rather than a blur filter: it works in every
// browser's canvas and cannot be undone by sharpening.
import { blurRegions } from '$lib/data/monitor';
import { pixelate } from '$lib/ui/pixelate';
import type { PersonObservation } from '$lib/vision/types';

/** A JPEG of `frame` (a canvas holding the analysed frame) with heads pixelated when `blur`. */
export async function alertSnapshot(
	frame: HTMLCanvasElement,
	people: readonly PersonObservation[],
	blur: boolean
): Promise<Blob | null> {
	const copy = document.createElement('canvas');
	copy.width = frame.width;
	copy.height = frame.height;
	const ctx = copy.getContext('2d');
	if (!ctx) return null;
	ctx.drawImage(frame, 0, 0);
	if (blur) pixelate(copy, blurRegions(people));
	return new Promise((done) => copy.toBlob((b) => done(b), 'image/jpeg', 0.8));
}
