// Pure measurements the vision worker makes on each face: crop sharpness and brightness, eye
// aspect ratio from mesh landmarks, box overlap, embedding normalisation. Plain arrays in and out,
// so they are tested in Node.
import type { Box } from '../types';

/** Longer side of the grey face crop that sharpness is measured on. */
export const CROP_SIZE = 112;

/**
 * Sharpness (variance of the 4-neighbour Laplacian) and brightness (mean BT.601 luma) of the
 * face crop, after area-averaging it to CROP_SIZE on its longer side so that a large face and a
 * small one are judged at the same scale.
 */
export function cropStats(
	rgba: ArrayLike<number>,
	width: number,
	height: number,
	box: Box
): { sharpness: number; brightness: number } {
	const x0 = Math.max(0, Math.floor(box.x));
	const y0 = Math.max(0, Math.floor(box.y));
	const x1 = Math.min(width, Math.ceil(box.x + box.width));
	const y1 = Math.min(height, Math.ceil(box.y + box.height));
	const cw = x1 - x0;
	const ch = y1 - y0;
	if (cw < 3 || ch < 3) return { sharpness: 0, brightness: 0 };
	const scale = Math.min(1, CROP_SIZE / Math.max(cw, ch));
	const gw = Math.max(3, Math.round(cw * scale));
	const gh = Math.max(3, Math.round(ch * scale));
	const grey = new Float64Array(gw * gh);
	const count = new Float64Array(gw * gh);
	for (let y = y0; y < y1; y++) {
		const gy = Math.min(gh - 1, Math.floor(((y - y0) * gh) / ch));
		for (let x = x0; x < x1; x++) {
			const gx = Math.min(gw - 1, Math.floor(((x - x0) * gw) / cw));
			const i = (y * width + x) * 4;
			grey[gy * gw + gx]! += 0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!;
			count[gy * gw + gx]! += 1;
		}
	}
	let sum = 0;
	for (let i = 0; i < grey.length; i++) {
		grey[i] = grey[i]! / count[i]!;
		sum += grey[i]!;
	}
	const brightness = sum / grey.length;
	let n = 0;
	let mean = 0;
	let m2 = 0;
	for (let y = 1; y < gh - 1; y++) {
		for (let x = 1; x < gw - 1; x++) {
			const c = y * gw + x;
			const lap = grey[c - 1]! + grey[c + 1]! + grey[c - gw]! + grey[c + gw]! - 4 * grey[c]!;
			n++;
			const d = lap - mean;
			mean += d / n;
			m2 += d * (lap - mean);
		}
	}
	return { sharpness: n > 0 ? m2 / n : 0, brightness };
}

/** Face-mesh (468-point MediaPipe topology) indices of the six eye points of each eye. */
const EYE_POINTS = {
	// The subject's right eye (image left when the camera is not mirrored): corners 33 / 133.
	right: [33, 160, 158, 133, 153, 144],
	// The subject's left eye: corners 362 / 263.
	left: [362, 385, 387, 263, 373, 380]
} as const;

type Point = readonly (number | undefined)[];
const dist = (a: Point, b: Point) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);

/** Eye aspect ratio: mean of the two lid gaps over the corner-to-corner width. */
export function eyeAspectRatio(mesh: readonly Point[], eye: 'left' | 'right'): number | null {
	const [p1, p2, p3, p4, p5, p6] = EYE_POINTS[eye].map((i) => mesh[i]);
	if (!p1 || !p2 || !p3 || !p4 || !p5 || !p6) return null;
	const width = dist(p1, p4);
	if (width <= 0) return null;
	return (dist(p2, p6) + dist(p3, p5)) / (2 * width);
}

export function iou(a: Box, b: Box): number {
	const x0 = Math.max(a.x, b.x);
	const y0 = Math.max(a.y, b.y);
	const x1 = Math.min(a.x + a.width, b.x + b.width);
	const y1 = Math.min(a.y + a.height, b.y + b.height);
	const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
	const union = a.width * a.height + b.width * b.height - inter;
	return union > 0 ? inter / union : 0;
}

/**
 * Pairs each detected face with the mesh result that overlaps it most (IoU at least `min`), one
 * mesh result per face at most. Returns, per detected face, the index into `others` or -1.
 */
export function matchBoxes(faces: Box[], others: Box[], min = 0.2): number[] {
	const pairs: { f: number; o: number; v: number }[] = [];
	faces.forEach((f, fi) => others.forEach((o, oi) => pairs.push({ f: fi, o: oi, v: iou(f, o) })));
	pairs.sort((a, b) => b.v - a.v || a.f - b.f || a.o - b.o);
	const result = faces.map(() => -1);
	const used = new Set<number>();
	for (const p of pairs) {
		if (p.v < min) break;
		if (result[p.f] !== -1 || used.has(p.o)) continue;
		result[p.f] = p.o;
		used.add(p.o);
	}
	return result;
}

/** Scales a vector to unit length (a zero vector stays zero). */
export function l2normalise(v: ArrayLike<number>): number[] {
	let s = 0;
	for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
	const norm = Math.sqrt(s);
	return Array.from(v, (x) => (norm > 0 ? x / norm : 0));
}

export const degrees = (radians: number) => (radians * 180) / Math.PI;

/** Median of a list of numbers (NaN for none). */
export function median(values: number[]): number {
	if (values.length === 0) return NaN;
	const s = [...values].sort((a, b) => a - b);
	const mid = s.length >> 1;
	return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
