// The hard-hat check (issue 8). No hard-hat model exists in anything this project can install, so
// this is a measured, explainable method on what the other models give: locate the head (face
// detector box and eye keypoints at the gate; pose landmarks 0–10 on the monitor), look at the
// crown above the eyes, and describe it with a few numbers — is it one of the hard-hat colours
// (yellow, orange, red, blue: saturated and bright; white: bright and grey-free), how uniform, how
// smooth (a shell is smooth; hair is textured), is there a specular highlight, how far above the
// eyes the same colour reaches (a dome rises higher than hair), and, when the selfie segmenter
// ran, how far up the person's outline goes. A classifier (the built-in one, or the site's own
// logistic regression trained on its safety staff's labels) turns them into worn / not worn /
// unknown. 'unknown' is a first-class answer: no head, a head too small, too dark or washed out,
// a crown leaving the frame, or a classifier that is not sure.
//
// Pure: RGBA pixels in, plain data out; tested in Node (ppe.test.ts).
import type { Box, PpeObservation, PpeSiteModel, PpeUnknownReason, PpeWorn, Point } from './types';

/** The feature vector's names, in order (PpeObservation.features, PpeSiteModel.features). */
export const PPE_FEATURE_NAMES: readonly string[] = [
	/** Fraction of crown samples in a hard-hat colour (saturated yellow/orange/red/blue, or white). */
	'hat_colour',
	/** Fraction of crown samples close to the crown's median colour. */
	'uniformity',
	/** Median HSV saturation of the crown, 0..1. */
	'saturation',
	/** Median HSV value of the crown, 0..1. */
	'brightness',
	/** Mean local luma gradient over the crown / (mean luma + 16): hair is textured, a shell smooth. */
	'texture',
	/** (98th percentile − median) luma of the crown / 255: a shell's specular highlight. */
	'specular',
	/** Fraction of crown samples darker than value 0.3 (dark hair). */
	'dark',
	/** Fraction of crown samples with a skin colour (forehead, bald head). */
	'skin',
	/** How far above the eye line the crown's colour continues up the middle, in face widths. */
	'dome_top',
	/** Width of the crown colour's run at brim height (0.45 face widths above the eyes) / face width. */
	'brim_width',
	/** How far above the eye line the person's segmentation mask reaches, in face widths (0: none). */
	'mask_top',
	/** 1 when a segmentation mask was used for mask_top, else 0. */
	'mask_present'
];

/** Where the classifier's answer comes from when no site model applies. */
export const PPE_BUILTIN_MODEL = 'builtin-1';

/**
 * Faces narrower than this (pixels; from the eyes when known) are 'unknown' / too_small: the crown
 * is then under ~50 × 30 pixels, too few for its texture and outline. (MediaPipe's short-range
 * face detector finds no face much smaller than this in a 640×480 frame anyway.)
 */
export const PPE_MIN_FACE_WIDTH = 64;
/**
 * Face-detector boxes narrower than this are too small too: MediaPipe's short-range detector does
 * not shrink its box (nor place its eye keypoints well) below about this size at 640×480 —
 * measured on the fixtures zoomed out: a face 59 px wide got a 94 px box, one 89 px wide a 112 px
 * box, and the crown was looked for in the wrong place.
 */
export const PPE_MIN_FACE_BOX = 120;
/** Face width ≈ this × the distance between the eye centres (cheek to cheek ≈ 2.2 × 63 mm). */
const FACE_PER_EYE_GAP = 2.2;

/** A head as the detectors give it. */
export interface PpeHead {
	/**
	 * The face box (face detector) or the head box from pose face landmarks: its width is the face
	 * width when the eyes are not known; the face's brightness is read inside it.
	 */
	box: Box;
	/**
	 * Eye centres (either order), frame pixels: fix the eye line, the head's roll and the face width
	 * (2.2 × their distance; detector boxes vary more).
	 */
	eyes?: readonly [Point, Point] | null;
	/** Where the head comes from: the face detector (default; its box must be PPE_MIN_FACE_BOX) or pose. */
	source?: 'face' | 'pose';
}

/** A person/background confidence mask (selfie segmenter), any resolution covering the frame. */
export interface PpeMask {
	data: Float32Array;
	width: number;
	height: number;
}

export type PpeMeasurement =
	| { region: Box; features: number[]; unknown: null }
	| { region: Box | null; features: null; unknown: PpeUnknownReason };

/** Head geometry: eye-line centre, face width, unit vectors across (u) and up (v) the head. */
interface Frame {
	cx: number;
	cy: number;
	w: number;
	ux: number;
	uy: number;
}

function headFrame(head: PpeHead): Frame {
	const b = head.box;
	const w = b.width;
	const e = head.eyes;
	if (e) {
		const [a, c] = e[0].x <= e[1].x ? [e[0], e[1]] : [e[1], e[0]];
		const dx = c.x - a.x;
		const dy = c.y - a.y;
		const len = Math.hypot(dx, dy) || 1;
		return {
			cx: (a.x + c.x) / 2,
			cy: (a.y + c.y) / 2,
			w: FACE_PER_EYE_GAP * len,
			ux: dx / len,
			uy: dy / len
		};
	}
	// No eyes: the face detector's box has the eyes about a third of the way down.
	return { cx: b.x + w / 2, cy: b.y + 0.35 * b.height, w, ux: 1, uy: 0 };
}

/** Frame pixels of head coordinates (u across to the image right, v up, in face widths). */
function at(f: Frame, u: number, v: number): Point {
	// "Up" is perpendicular to the eye line: (uy, −ux) rotated from (1, 0)'s (0, −1).
	return {
		x: f.cx + f.w * (u * f.ux + v * f.uy),
		y: f.cy + f.w * (u * f.uy - v * f.ux)
	};
}

/** The crown zone, head coordinates (face widths from the eye-line centre). */
const CROWN = { u0: -0.4, u1: 0.4, v0: 0.5, v1: 0.95 };
/** The reported region: the crown with room for a brim and a dome. */
const REGION = { u0: -0.75, u1: 0.75, v0: 0.2, v1: 1.3 };

function boundsOf(f: Frame, z: { u0: number; u1: number; v0: number; v1: number }): Box {
	const pts = [at(f, z.u0, z.v0), at(f, z.u1, z.v0), at(f, z.u0, z.v1), at(f, z.u1, z.v1)];
	const x0 = Math.min(...pts.map((p) => p.x));
	const y0 = Math.min(...pts.map((p) => p.y));
	const x1 = Math.max(...pts.map((p) => p.x));
	const y1 = Math.max(...pts.map((p) => p.y));
	return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The frame region the check looks at for this head (for drawing, snapshots). */
export function headTopRegion(head: PpeHead, width: number, height: number): Box {
	const b = boundsOf(headFrame(head), REGION);
	const x0 = Math.max(0, b.x);
	const y0 = Math.max(0, b.y);
	const x1 = Math.min(width, b.x + b.width);
	const y1 = Math.min(height, b.y + b.height);
	return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

interface Hsv {
	h: number;
	s: number;
	v: number;
}

function hsv(r: number, g: number, b: number): Hsv {
	const max = Math.max(r, g, b);
	const min = Math.min(r, g, b);
	const d = max - min;
	let h = 0;
	if (d > 0) {
		if (max === r) h = 60 * (((g - b) / d + 6) % 6);
		else if (max === g) h = 60 * ((b - r) / d + 2);
		else h = 60 * ((r - g) / d + 4);
	}
	return { h, s: max === 0 ? 0 : d / max, v: max / 255 };
}

/** A hard-hat colour: saturated bright yellow / orange / red / blue, or a bright white. */
export function isHatColour(r: number, g: number, b: number): boolean {
	const { h, s, v } = hsv(r, g, b);
	if (s < 0.16 && v >= 0.7) return true; // white (shaded parts of a white shell stay above 0.7)
	if (v < 0.42) return false;
	if (h >= 42 && h <= 70) return s >= 0.5; // yellow
	if (h >= 18 && h < 42) return s >= 0.62 && v >= 0.55; // orange (skin and blond hair: less saturated)
	if (h < 18 || h >= 335) return s >= 0.55; // red
	if (h >= 190 && h <= 255) return s >= 0.4; // blue
	return false;
}

function isSkin(r: number, g: number, b: number): boolean {
	const { h, s, v } = hsv(r, g, b);
	return (h <= 35 || h >= 345) && s >= 0.15 && s <= 0.62 && v >= 0.3 && r > g && r > b;
}

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

function quantile(sorted: number[], q: number): number {
	if (sorted.length === 0) return NaN;
	const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
	return sorted[i]!;
}

/**
 * Measures the crown above `head`: the region looked at and the feature vector (PPE_FEATURE_NAMES
 * order), or why it cannot be measured. `mask`, when given, is the selfie segmenter's person
 * confidence for the same frame (any resolution; scaled to the frame).
 */
export function measurePpe(
	rgba: Uint8ClampedArray | Uint8Array,
	width: number,
	height: number,
	head: PpeHead | null,
	mask?: PpeMask | null
): PpeMeasurement {
	if (!head || !(head.box.width > 0) || !(head.box.height > 0)) {
		return { region: null, features: null, unknown: 'no_head' };
	}
	const f = headFrame(head);
	const region = headTopRegion(head, width, height);
	const boxTooSmall = (head.source ?? 'face') === 'face' && head.box.width < PPE_MIN_FACE_BOX;
	if (f.w < PPE_MIN_FACE_WIDTH || boxTooSmall) {
		return { region, features: null, unknown: 'too_small' };
	}

	const pixel = (x: number, y: number): [number, number, number] | null => {
		const xi = Math.round(x);
		const yi = Math.round(y);
		if (xi < 0 || yi < 0 || xi >= width || yi >= height) return null;
		const i = (yi * width + xi) * 4;
		return [rgba[i]!, rgba[i + 1]!, rgba[i + 2]!];
	};

	// The crown on a fixed grid in head coordinates: the cost does not grow with the head's size.
	const NU = 20;
	const NV = 12;
	const step = Math.max(1, Math.round(f.w / 80));
	const rs: number[] = [];
	const gs: number[] = [];
	const bs: number[] = [];
	let outside = 0;
	let hat = 0;
	let skin = 0;
	let dark = 0;
	let grad = 0;
	const sats: number[] = [];
	const vals: number[] = [];
	const lumas: number[] = [];
	for (let j = 0; j < NV; j++) {
		const v = CROWN.v0 + ((j + 0.5) / NV) * (CROWN.v1 - CROWN.v0);
		for (let i = 0; i < NU; i++) {
			const u = CROWN.u0 + ((i + 0.5) / NU) * (CROWN.u1 - CROWN.u0);
			const p = at(f, u, v);
			const c = pixel(p.x, p.y);
			if (!c) {
				outside++;
				continue;
			}
			const [r, g, b] = c;
			rs.push(r);
			gs.push(g);
			bs.push(b);
			const q = hsv(r, g, b);
			sats.push(q.s);
			vals.push(q.v);
			const y = luma(r, g, b);
			lumas.push(y);
			if (isHatColour(r, g, b)) hat++;
			if (isSkin(r, g, b)) skin++;
			if (q.v < 0.3) dark++;
			const cr = pixel(p.x + step, p.y);
			const cl = pixel(p.x - step, p.y);
			const cd = pixel(p.x, p.y + step);
			const cu = pixel(p.x, p.y - step);
			if (cr && cl && cd && cu) {
				const gx = luma(...cr) - luma(...cl);
				const gy = luma(...cd) - luma(...cu);
				grad += Math.hypot(gx, gy) / 2;
			}
		}
	}
	const total = NU * NV;
	if (outside > 0.15 * total) return { region, features: null, unknown: 'out_of_frame' };
	const n = rs.length;

	// Light: the face itself (inside its box) must be lit, and the crown not burnt out or black.
	const b = head.box;
	let faceLuma = 0;
	let faceN = 0;
	for (let j = 1; j < 8; j++) {
		for (let i = 1; i < 8; i++) {
			const c = pixel(b.x + (b.width * i) / 8, b.y + (b.height * j) / 8);
			if (c) {
				faceLuma += luma(...c);
				faceN++;
			}
		}
	}
	faceLuma /= faceN || 1;
	const sortedL = [...lumas].sort((x, y) => x - y);
	const clipped = lumas.filter((y) => y >= 250).length / n;
	if (faceLuma < 40 || quantile(sortedL, 0.9) < 35 || clipped > 0.6) {
		return { region, features: null, unknown: 'too_dark' };
	}

	const med = (a: number[]) =>
		quantile(
			[...a].sort((x, y) => x - y),
			0.5
		);
	const mr = med(rs);
	const mg = med(gs);
	const mb = med(bs);
	const near = (r: number, g: number, bl: number, tol: number) =>
		Math.hypot(r - mr, g - mg, bl - mb) <= tol;
	// Tolerance grows with brightness (shading on a bright shell spans more levels).
	const tol = 28 + 0.15 * luma(mr, mg, mb);
	let uniform = 0;
	for (let k = 0; k < n; k++) if (near(rs[k]!, gs[k]!, bs[k]!, tol)) uniform++;

	// A small patch's median colour, for the dome and brim scans.
	const patch = (u: number, v: number): [number, number, number] | null => {
		const r: number[] = [];
		const g: number[] = [];
		const bl: number[] = [];
		for (let dj = -1; dj <= 1; dj++) {
			for (let di = -1; di <= 1; di++) {
				const p = at(f, u + di * 0.02, v + dj * 0.02);
				const c = pixel(p.x, p.y);
				if (c) {
					r.push(c[0]);
					g.push(c[1]);
					bl.push(c[2]);
				}
			}
		}
		return r.length ? [med(r), med(g), med(bl)] : null;
	};
	const matches = (c: [number, number, number] | null) => !!c && near(c[0], c[1], c[2], tol);
	let domeTop = CROWN.v0;
	for (let v = CROWN.v0; v <= 1.6; v += 0.05) {
		// Take the best of three columns: a logo or highlight on the centre line is not the top.
		if ([-0.12, 0, 0.12].some((u) => matches(patch(u, v)))) domeTop = v;
		else break;
	}
	const BRIM_V = 0.45;
	let left = 0;
	let right = 0;
	for (let u = 0; u <= 1; u += 0.04) {
		if (matches(patch(-u, BRIM_V))) left = u;
		else break;
	}
	for (let u = 0; u <= 1; u += 0.04) {
		if (matches(patch(u, BRIM_V))) right = u;
		else break;
	}

	let maskTop = 0;
	if (mask && mask.width > 0 && mask.height > 0) {
		const sx = mask.width / width;
		const sy = mask.height / height;
		const person = (p: Point) => {
			const x = Math.floor(p.x * sx);
			const y = Math.floor(p.y * sy);
			if (x < 0 || y < 0 || x >= mask.width || y >= mask.height) return false;
			return (mask.data[y * mask.width + x] ?? 0) >= 0.5;
		};
		for (let v = 0; v <= 1.8; v += 0.025) {
			if ([-0.15, 0, 0.15].some((u) => person(at(f, u, v)))) maskTop = v;
			else if (v > 0.3) break;
		}
	}

	const meanL = lumas.reduce((s, y) => s + y, 0) / n;
	const features = [
		hat / n,
		uniform / n,
		med(sats),
		med(vals),
		grad / n / (meanL + 16),
		(quantile(sortedL, 0.98) - quantile(sortedL, 0.5)) / 255,
		dark / n,
		skin / n,
		domeTop,
		left + right,
		maskTop,
		mask ? 1 : 0
	].map((x) => Math.round(x * 1e4) / 1e4);
	return { region, features, unknown: null };
}

/**
 * The built-in classifier: a logistic score set by hand from the measured fixtures (see
 * bench/ppe-eval.ts), in the same form as a site model so both read the same way.
 */
export const BUILTIN_PPE_MODEL: PpeSiteModel = {
	version: PPE_BUILTIN_MODEL,
	kind: 'logistic',
	features: [...PPE_FEATURE_NAMES],
	// Per feature: the pivot and scale the weight applies to (chosen by hand, not fitted
	// statistics). The hard-hat colour carries most of the decision; brightness, smoothness, a
	// crown that rises high and a wide brim add to it; dark, skin-coloured or textured crowns take
	// away. Segmentation (mask_*) is measured for site models but not used here: on the fixtures
	// the person mask rose as high over hair as over a hard hat.
	mean: [0.5, 0.6, 0.4, 0.6, 0.065, 0.2, 0.2, 0.25, 0.78, 0.5, 0, 0],
	std: [0.15, 0.2, 0.25, 0.15, 0.015, 0.1, 0.15, 0.1, 0.1, 0.3, 1, 1],
	weights: [3.5, 0, 0, 0.3, -1.2, 0, -0.8, -0.4, 0.6, 0.3, 0, 0],
	bias: -1,
	threshold: 0.7
};

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** p(worn) under a logistic model (standardised features). */
export function ppeProbability(features: readonly number[], model: PpeSiteModel): number {
	let z = model.bias;
	for (let i = 0; i < model.weights.length; i++) {
		const sd = model.std[i] || 1;
		z += (model.weights[i] ?? 0) * (((features[i] ?? 0) - (model.mean[i] ?? 0)) / sd);
	}
	return sigmoid(z);
}

/** Whether a site model can read this app's features (same names, same order, same lengths). */
export function siteModelApplies(model: PpeSiteModel | null | undefined): model is PpeSiteModel {
	if (!model || model.kind !== 'logistic') return false;
	const n = PPE_FEATURE_NAMES.length;
	return (
		model.features.length === n &&
		model.features.every((name, i) => name === PPE_FEATURE_NAMES[i]) &&
		model.mean.length === n &&
		model.std.length === n &&
		model.weights.length === n &&
		model.threshold > 0.5 &&
		model.threshold < 1
	);
}

export interface PpeClassification {
	worn: PpeWorn;
	confidence: number;
	reason: PpeUnknownReason | null;
	model: string;
}

/**
 * Worn / not worn / unknown from a feature vector: the site's model when it applies, else the
 * built-in one. p ≥ threshold → worn (confidence p); p ≤ 1 − threshold → not worn (confidence
 * 1 − p); between → 'unknown' (uncertain, confidence max(p, 1 − p)).
 */
export function classifyPpe(
	features: readonly number[],
	model: PpeSiteModel | null = null
): PpeClassification {
	const m = siteModelApplies(model) ? model : BUILTIN_PPE_MODEL;
	const p = ppeProbability(features, m);
	const round = (x: number) => Math.round(x * 1e4) / 1e4;
	if (p >= m.threshold) return { worn: true, confidence: round(p), reason: null, model: m.version };
	if (p <= 1 - m.threshold) {
		return { worn: false, confidence: round(1 - p), reason: null, model: m.version };
	}
	return {
		worn: 'unknown',
		confidence: round(Math.max(p, 1 - p)),
		reason: 'uncertain',
		model: m.version
	};
}

/** measurePpe + classifyPpe: the PpeObservation for one head. */
export function assessPpe(
	rgba: Uint8ClampedArray | Uint8Array,
	width: number,
	height: number,
	head: PpeHead | null,
	options: { mask?: PpeMask | null; model?: PpeSiteModel | null } = {}
): PpeObservation {
	const m = measurePpe(rgba, width, height, head, options.mask);
	if (m.features === null) {
		return {
			worn: 'unknown',
			confidence: 0,
			reason: m.unknown,
			region: m.region,
			features: null,
			model: siteModelApplies(options.model) ? options.model.version : PPE_BUILTIN_MODEL
		};
	}
	const c = classifyPpe(m.features, options.model ?? null);
	return { ...c, region: m.region, features: m.features };
}
