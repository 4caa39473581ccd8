import { describe, expect, it } from 'vitest';
import {
	assessPpe,
	BUILTIN_PPE_MODEL,
	classifyPpe,
	headTopRegion,
	isHatColour,
	measurePpe,
	PPE_BUILTIN_MODEL,
	PPE_FEATURE_NAMES,
	PPE_MIN_FACE_BOX,
	ppeProbability,
	siteModelApplies,
	type PpeHead
} from './ppe';
import type { PpeSiteModel } from './types';

const W = 480;
const H = 360;
/** The schematic head's scale (face box 128 px wide: above PPE_MIN_FACE_BOX). */
const K = 1.6;

/** Deterministic noise 0..1. */
function noise(seed: number): () => number {
	let s = seed >>> 0 || 1;
	return () => {
		s ^= s << 13;
		s ^= s >>> 17;
		s ^= s << 5;
		return (s >>> 0) / 0xffffffff;
	};
}

type Rgb = [number, number, number];

/**
 * A schematic head: grey background, a skin face (box 80×100 at (120, 110)), eyes, and above it
 * either dark textured hair or a smooth shell of `hat` colour with a highlight.
 */
function scene(
	top: { hair: Rgb; texture: number } | { hat: Rgb },
	light = 1
): { rgba: Uint8ClampedArray; head: PpeHead } {
	const rgba = new Uint8ClampedArray(W * H * 4);
	const rand = noise(42);
	const face = { x: 240 - 40 * K, y: 150, width: 80 * K, height: 100 * K };
	const eyeY = face.y + 35 * K;
	const cx = face.x + face.width / 2;
	const put = (x: number, y: number, c: Rgb) => {
		const i = (y * W + x) * 4;
		rgba[i] = c[0] * light;
		rgba[i + 1] = c[1] * light;
		rgba[i + 2] = c[2] * light;
		rgba[i + 3] = 255;
	};
	for (let y = 0; y < H; y++) {
		for (let x = 0; x < W; x++) {
			let c: Rgb = [190, 191, 187];
			const inFace =
				((x - cx) / (face.width / 2)) ** 2 + ((y - (face.y + 50 * K)) / (60 * K)) ** 2 <= 1 &&
				y > eyeY - 35 * K;
			if (inFace) c = [214, 170, 140];
			// Skull/dome: a half-ellipse above the eye line.
			const dx = (x - cx) / (48 * K);
			const dy = (y - (eyeY - 30 * K)) / (58 * K);
			if (y < eyeY - 30 * K && dx * dx + dy * dy <= 1) {
				if ('hat' in top) {
					const shade = 0.8 + 0.2 * (1 - Math.abs(dx));
					const hl = Math.hypot(x - (cx - 15 * K), y - (eyeY - 70 * K)) < 6 * K ? 1.25 : 1;
					c = top.hat.map((v) => Math.min(255, v * shade * hl)) as Rgb;
				} else {
					const t = 1 + top.texture * (rand() - 0.5) * 2;
					c = top.hair.map((v) => Math.max(0, Math.min(255, v * t))) as Rgb;
				}
			}
			put(x, y, c);
		}
	}
	for (const ex of [cx - 18 * K, cx + 18 * K]) {
		for (let y = Math.round(eyeY - 3 * K); y <= eyeY + 3 * K; y++) {
			for (let x = Math.round(ex - 6 * K); x <= ex + 6 * K; x++) put(x, y, [40, 30, 30]);
		}
	}
	return {
		rgba,
		head: {
			box: face,
			eyes: [
				{ x: cx - 18 * K, y: eyeY },
				{ x: cx + 18 * K, y: eyeY }
			]
		}
	};
}

describe('hard-hat colours', () => {
	it('takes saturated hard-hat colours and bright white, not hair or skin', () => {
		expect(isHatColour(250, 210, 20)).toBe(true); // yellow
		expect(isHatColour(245, 120, 20)).toBe(true); // orange
		expect(isHatColour(210, 30, 30)).toBe(true); // red
		expect(isHatColour(30, 80, 200)).toBe(true); // blue
		expect(isHatColour(240, 240, 236)).toBe(true); // white
		expect(isHatColour(40, 30, 25)).toBe(false); // dark hair
		expect(isHatColour(120, 80, 50)).toBe(false); // brown hair
		expect(isHatColour(200, 170, 110)).toBe(false); // blond
		expect(isHatColour(150, 150, 150)).toBe(false); // grey hair
		expect(isHatColour(214, 170, 140)).toBe(false); // skin
	});
});

describe('measurePpe', () => {
	it('names every feature it measures', () => {
		const { rgba, head } = scene({ hat: [250, 205, 20] });
		const m = measurePpe(rgba, W, H, head);
		expect(m.unknown).toBeNull();
		expect(m.features).toHaveLength(PPE_FEATURE_NAMES.length);
		for (const x of m.features!) expect(Number.isFinite(x)).toBe(true);
	});

	it('tells a smooth yellow shell from dark textured hair', () => {
		const hat = measurePpe(...args(scene({ hat: [250, 205, 20] })));
		const hair = measurePpe(...args(scene({ hair: [45, 35, 30], texture: 0.5 })));
		const f = (m: typeof hat, name: string) => m.features![PPE_FEATURE_NAMES.indexOf(name)]!;
		expect(f(hat, 'hat_colour')).toBeGreaterThan(0.8);
		expect(f(hair, 'hat_colour')).toBeLessThan(0.1);
		expect(f(hair, 'texture')).toBeGreaterThan(f(hat, 'texture'));
		expect(f(hair, 'dark')).toBeGreaterThan(0.5);
		expect(f(hat, 'uniformity')).toBeGreaterThan(0.8);
	});

	it('reads the segmentation mask when given', () => {
		const { rgba, head } = scene({ hat: [250, 205, 20] });
		const data = new Float32Array(W * H);
		// The person: everything below y = 40.
		for (let y = 40; y < H; y++) data.fill(1, y * W, (y + 1) * W);
		const m = measurePpe(rgba, W, H, head, { data, width: W, height: H });
		const top = m.features![PPE_FEATURE_NAMES.indexOf('mask_top')]!;
		// Eye line at y = 206, face width 2.2 × 57.6 px: y = 40 is 1.31 face widths up.
		expect(top).toBeGreaterThan(1.25);
		expect(top).toBeLessThan(1.36);
		expect(m.features![PPE_FEATURE_NAMES.indexOf('mask_present')]).toBe(1);
	});

	it('says why it cannot measure: no head, too small, too dark, out of frame', () => {
		const { rgba, head } = scene({ hat: [250, 205, 20] });
		expect(measurePpe(rgba, W, H, null)).toMatchObject({ unknown: 'no_head', region: null });
		const small = { box: { x: 150, y: 120, width: 30, height: 38 } };
		expect(measurePpe(rgba, W, H, small).unknown).toBe('too_small');
		// A face detector box under PPE_MIN_FACE_BOX is too small even with eyes far apart; a pose
		// head is judged by its eyes alone.
		const box = { ...head.box, width: PPE_MIN_FACE_BOX - 1 };
		expect(measurePpe(rgba, W, H, { ...head, box }).unknown).toBe('too_small');
		expect(measurePpe(rgba, W, H, { ...head, box, source: 'pose' }).unknown).toBeNull();
		const dark = scene({ hat: [250, 205, 20] }, 0.12);
		expect(measurePpe(dark.rgba, W, H, dark.head).unknown).toBe('too_dark');
		const high = { box: { ...head.box, y: 5 } };
		expect(measurePpe(rgba, W, H, high).unknown).toBe('out_of_frame');
	});

	it('follows the head’s roll', () => {
		const upright = headTopRegion(
			{
				box: { x: 100, y: 100, width: 80, height: 100 },
				eyes: [
					{ x: 120, y: 140 },
					{ x: 160, y: 140 }
				]
			},
			W,
			H
		);
		const rolled = headTopRegion(
			{
				box: { x: 100, y: 100, width: 80, height: 100 },
				eyes: [
					{ x: 120, y: 150 },
					{ x: 160, y: 130 }
				]
			},
			W,
			H
		);
		// The eye line rises to the image right: the head is turned anticlockwise on screen, so
		// its crown moves to the image left.
		expect(rolled.x + rolled.width / 2).toBeLessThan(upright.x + upright.width / 2 - 5);
		expect(upright.y + upright.height).toBeLessThanOrEqual(140);
	});
});

function args(s: { rgba: Uint8ClampedArray; head: PpeHead }) {
	return [s.rgba, W, H, s.head] as const;
}

describe('classifyPpe and assessPpe', () => {
	it('worn on a yellow, white, red, blue or orange shell; not worn on dark hair', () => {
		for (const colour of [
			[250, 205, 20],
			[236, 236, 232],
			[205, 35, 30],
			[30, 85, 200],
			[245, 125, 25]
		] as Rgb[]) {
			const o = assessPpe(...args(scene({ hat: colour })));
			expect(o.worn, String(colour)).toBe(true);
			expect(o.confidence).toBeGreaterThanOrEqual(BUILTIN_PPE_MODEL.threshold);
			expect(o.model).toBe(PPE_BUILTIN_MODEL);
			expect(o.region).not.toBeNull();
		}
		const hair = assessPpe(...args(scene({ hair: [45, 35, 30], texture: 0.5 })));
		expect(hair.worn).toBe(false);
		expect(hair.reason).toBeNull();
		expect(hair.features).toHaveLength(PPE_FEATURE_NAMES.length);
	});

	it('unknown is never true or false, with its reason and zero confidence', () => {
		const dark = scene({ hat: [250, 205, 20] }, 0.12);
		const o = assessPpe(dark.rgba, W, H, dark.head);
		expect(o).toMatchObject({ worn: 'unknown', reason: 'too_dark', confidence: 0, features: null });
		expect(assessPpe(dark.rgba, W, H, null)).toMatchObject({
			worn: 'unknown',
			reason: 'no_head',
			region: null
		});
	});

	const site = (over: Partial<PpeSiteModel> = {}): PpeSiteModel => ({
		version: '01JSITEMODEL0000000000000',
		kind: 'logistic',
		features: [...PPE_FEATURE_NAMES],
		mean: PPE_FEATURE_NAMES.map(() => 0),
		std: PPE_FEATURE_NAMES.map(() => 1),
		weights: PPE_FEATURE_NAMES.map((_, i) => (i === 0 ? 10 : 0)),
		bias: -5,
		threshold: 0.8,
		...over
	});

	it('uses the site model: p = sigmoid(bias + Σ w (x − mean) / std) against its threshold', () => {
		const x = PPE_FEATURE_NAMES.map(() => 0.3);
		const m = site();
		expect(ppeProbability(x, m)).toBeCloseTo(1 / (1 + Math.exp(-(-5 + 10 * 0.3))), 10);
		expect(classifyPpe([0.9, ...x.slice(1)], m)).toMatchObject({
			worn: true,
			model: m.version,
			reason: null
		});
		expect(classifyPpe([0.1, ...x.slice(1)], m)).toMatchObject({ worn: false, model: m.version });
		const mid = classifyPpe([0.5, ...x.slice(1)], m);
		expect(mid).toMatchObject({ worn: 'unknown', reason: 'uncertain', confidence: 0.5 });
		// Standardisation: mean 0.5, std 0.1 → x = 0.6 is +1 sd.
		const s = site({
			mean: PPE_FEATURE_NAMES.map(() => 0.5),
			std: PPE_FEATURE_NAMES.map(() => 0.1)
		});
		expect(ppeProbability([0.6, ...x.slice(1)], s)).toBeCloseTo(1 / (1 + Math.exp(-(-5 + 10))), 10);
	});

	it('ignores a site model trained on other features, falling back to the built-in one', () => {
		const other = site({ features: ['a', ...PPE_FEATURE_NAMES.slice(1)] });
		expect(siteModelApplies(other)).toBe(false);
		expect(siteModelApplies(site({ weights: [1] }))).toBe(false);
		expect(siteModelApplies(null)).toBe(false);
		expect(siteModelApplies(site())).toBe(true);
		const x = PPE_FEATURE_NAMES.map(() => 0.3);
		expect(classifyPpe(x, other).model).toBe(PPE_BUILTIN_MODEL);
		const o = assessPpe(...args(scene({ hat: [250, 205, 20] })), { model: site() });
		expect(o.model).toBe(site().version);
	});
});
