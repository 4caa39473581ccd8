import { describe, expect, it } from 'vitest';
import { cropStats, eyeAspectRatio, iou, l2normalise, matchBoxes, median } from './metrics';

function image(w: number, h: number, px: (x: number, y: number) => number): Uint8ClampedArray {
	const data = new Uint8ClampedArray(w * h * 4);
	for (let y = 0; y < h; y++) {
		for (let x = 0; x < w; x++) {
			const v = px(x, y);
			data.set([v, v, v, 255], (y * w + x) * 4);
		}
	}
	return data;
}

describe('face crop stats', () => {
	const box = { x: 20, y: 10, width: 200, height: 220 };

	it('a flat grey crop: brightness is its luma, sharpness zero', () => {
		const s = cropStats(
			image(320, 240, () => 90),
			320,
			240,
			box
		);
		expect(s.brightness).toBeCloseTo(90, 6);
		expect(s.sharpness).toBeCloseTo(0, 6);
	});

	it('fine detail scores sharper than the same detail blurred', () => {
		const sharp = image(320, 240, (x, y) => (((x >> 3) + (y >> 3)) % 2 ? 200 : 50));
		const soft = image(320, 240, (x, y) => 125 + 75 * Math.sin(x / 9) * Math.sin(y / 9));
		const a = cropStats(sharp, 320, 240, box);
		const b = cropStats(soft, 320, 240, box);
		expect(a.sharpness).toBeGreaterThan(b.sharpness * 5);
		expect(a.brightness).toBeCloseTo(125, 0);
	});

	it('clips boxes to the frame and survives degenerate ones', () => {
		const px = image(100, 100, () => 10);
		expect(
			cropStats(px, 100, 100, { x: -50, y: -50, width: 120, height: 120 }).brightness
		).toBeCloseTo(10);
		expect(cropStats(px, 100, 100, { x: 99, y: 99, width: 50, height: 50 })).toEqual({
			sharpness: 0,
			brightness: 0
		});
	});
});

describe('eye aspect ratio', () => {
	/** A mesh with one eye drawn: corners 30 apart, lids `gap` apart. */
	function mesh(gap: number): number[][] {
		const m: number[][] = Array.from({ length: 468 }, () => [0, 0, 0]);
		const eye = (i: number[], cx: number) => {
			const [p1, p2, p3, p4, p5, p6] = i as [number, number, number, number, number, number];
			m[p1] = [cx - 15, 100, 0];
			m[p4] = [cx + 15, 100, 0];
			m[p2] = [cx - 5, 100 - gap / 2, 0];
			m[p3] = [cx + 5, 100 - gap / 2, 0];
			m[p6] = [cx - 5, 100 + gap / 2, 0];
			m[p5] = [cx + 5, 100 + gap / 2, 0];
		};
		eye([33, 160, 158, 133, 153, 144], 60);
		eye([362, 385, 387, 263, 373, 380], 140);
		return m;
	}

	it('is the lid gap over the eye width, per eye', () => {
		expect(eyeAspectRatio(mesh(9), 'left')).toBeCloseTo(0.3, 6);
		expect(eyeAspectRatio(mesh(9), 'right')).toBeCloseTo(0.3, 6);
		expect(eyeAspectRatio(mesh(1.5), 'left')).toBeCloseTo(0.05, 6);
	});

	it('is null without the points', () => {
		expect(eyeAspectRatio([], 'left')).toBeNull();
	});
});

describe('boxes and vectors', () => {
	it('IoU of identical, disjoint and half-overlapping boxes', () => {
		const a = { x: 0, y: 0, width: 10, height: 10 };
		expect(iou(a, a)).toBe(1);
		expect(iou(a, { x: 20, y: 0, width: 10, height: 10 })).toBe(0);
		expect(iou(a, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150);
	});

	it('pairs each detection with its best-overlapping mesh result, once', () => {
		const faces = [
			{ x: 0, y: 0, width: 100, height: 100 },
			{ x: 300, y: 0, width: 80, height: 80 },
			{ x: 600, y: 0, width: 50, height: 50 }
		];
		const mesh = [
			{ x: 310, y: 5, width: 80, height: 80 },
			{ x: 5, y: 5, width: 100, height: 100 }
		];
		expect(matchBoxes(faces, mesh)).toEqual([1, 0, -1]);
		expect(matchBoxes(faces, [])).toEqual([-1, -1, -1]);
	});

	it('normalises to unit length; zero stays zero', () => {
		const v = l2normalise([3, 4]);
		expect(v).toEqual([0.6, 0.8]);
		expect(l2normalise([0, 0])).toEqual([0, 0]);
	});

	it('median', () => {
		expect(median([3, 1, 2])).toBe(2);
		expect(median([4, 1, 2, 3])).toBe(2.5);
		expect(median([])).toBeNaN();
	});
});
