import { describe, expect, it } from 'vitest';
import { classifyPpe, PPE_FEATURE_NAMES } from './ppe';
import {
	compare,
	decodeModel,
	encodeModel,
	evaluate,
	isHeldOut,
	MIN_HELD_OUT_PER_CLASS,
	PpeModelError,
	PpeTrainingError,
	shouldPromote,
	SITE_MODEL_IGNORES,
	splitLabels,
	trainCandidate,
	trainLogistic,
	type LabelledFeatures,
	type PpeMetrics
} from './ppe-learn';
import { mulberry32 } from '../testing/seeded';

const names = [...PPE_FEATURE_NAMES];
const V1 = '01JF0000000000000000000001';
const V2 = '01JF0000000000000000000002';

const rng = mulberry32;
const gauss = (r: () => number) =>
	Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
const clamp = (x: number) => Math.min(1.5, Math.max(0, x));

/**
 * Synthetic readings of a site whose hard hats are dark green (not one of the builtin's hard-hat
 * colours): a worn hat is smooth, uniform, has a highlight and a high dome; a bare head is
 * textured, dark (hair) with skin. `spread` widens both classes until they overlap.
 */
function reading(r: () => number, worn: boolean, spread: number): number[] {
	const c = (hat: number, bare: number) => clamp((worn ? hat : bare) + gauss(r) * spread);
	return [
		c(0.1, 0.05), // hat_colour: green is not a hard-hat colour
		c(0.8, 0.45), // uniformity
		c(0.45, 0.2), // saturation
		c(0.35, 0.25), // brightness
		c(0.08, 0.3), // texture
		c(0.3, 0.1), // specular
		c(0.55, 0.6), // dark: both dark
		c(0.05, 0.3), // skin
		c(1.1, 0.6), // dome_top
		c(1.2, 0.8), // brim_width
		0,
		0
	];
}

function labels(
	n: { hardhat: number; none: number; not_person?: number },
	spread = 0.05,
	seed = 1,
	flip = 0
): LabelledFeatures[] {
	const r = rng(seed);
	const out: LabelledFeatures[] = [];
	let i = 0;
	const add = (label: LabelledFeatures['label'], worn: boolean) => {
		const noisy = r() < flip ? !worn : worn;
		out.push({
			id: `gate-L${String(i++).padStart(5, '0')}`,
			label: label === 'not_person' ? label : noisy ? 'hardhat' : 'none',
			features: reading(r, worn, spread),
			featureNames: names
		});
	};
	for (let k = 0; k < n.hardhat; k++) add('hardhat', true);
	for (let k = 0; k < n.none; k++) add('none', false);
	for (let k = 0; k < (n.not_person ?? 0); k++) add('not_person', false);
	return out;
}

describe('site hard-hat learning', () => {
	it('splits by the label id alone: stable, about 30 % held out per class, not-a-person counted apart', () => {
		const ls = labels({ hardhat: 200, none: 200, not_person: 7 });
		const split = splitLabels(ls);
		expect(split.counts).toEqual({ hardhat: 200, none: 200, not_person: 7, stale: 0 });
		expect(split.train.length + split.heldOut.length).toBe(400);
		const held = split.heldOut.filter((l) => l.label === 'hardhat').length;
		expect(held).toBeGreaterThan(40);
		expect(held).toBeLessThan(80);
		// Adding labels or shuffling never moves a label to the other side.
		const more = splitLabels([...labels({ hardhat: 30, none: 0 }, 0.05, 9), ...ls].reverse());
		for (const l of split.heldOut) expect(more.heldOut.some((m) => m.id === l.id)).toBe(true);
		expect(isHeldOut('gate-L00001')).toBe(isHeldOut('gate-L00001'));
		// Labels with another feature version are neither trained on nor measured.
		const stale = { ...ls[0]!, id: 'gate-old', featureNames: ['hat_colour'], features: [1] };
		expect(splitLabels([...ls, stale]).counts.stale).toBe(1);
	});

	it('learns separable labels the builtin misreads, and beats it on held-out labels', () => {
		const ls = labels({ hardhat: 60, none: 60 });
		const result = trainCandidate(ls, null, V1);
		expect(result.model.features).toEqual(names);
		expect(result.model.weights.every(Number.isFinite)).toBe(true);
		expect(result.model.threshold).toBeGreaterThan(0.5);
		expect(result.candidate.accuracy).toBe(1);
		expect(result.candidate.falsePositive).toBe(0);
		expect(result.current.model).toBe('builtin-1');
		// The builtin does not know green hard hats.
		expect(result.current.accuracy!).toBeLessThan(0.8);
		expect(result.verdict).toEqual({ promote: true });
		// Measured through classifyPpe: the site model answers under its own version.
		expect(classifyPpe(ls[0]!.features, result.model).model).toBe(V1);
	});

	it('gives the segmentation features no weight (monitor heads have none), even when they separate the labels', () => {
		const ls = labels({ hardhat: 40, none: 40 }, 0.2, 5).map((l) => {
			const f = [...l.features];
			// Gate readings where the mask happens to follow the label perfectly.
			f[names.indexOf('mask_top')] = l.label === 'hardhat' ? 1.2 : 0.3;
			f[names.indexOf('mask_present')] = 1;
			return { ...l, features: f };
		});
		const model = trainLogistic(splitLabels(ls).train, { version: V1 });
		for (const ignored of SITE_MODEL_IGNORES) {
			expect(model.weights[names.indexOf(ignored)]).toBe(0);
		}
		expect(model.weights.some((w) => w !== 0)).toBe(true);
	});

	it('is deterministic: the same labels in any order give the same model', () => {
		const ls = labels({ hardhat: 50, none: 40 }, 0.15, 3);
		const a = trainLogistic(splitLabels(ls).train, { version: V1 });
		const b = trainLogistic(splitLabels([...ls].reverse()).train, { version: V1 });
		expect(b).toEqual(a);
	});

	it('does what it can with noisy, overlapping labels and imbalance', () => {
		// 10 % of the labels wrong, classes overlapping, four hard hats for every bare head. Unsure
		// readings become 'unknown' (counted as wrong by accuracy), not guesses.
		const ls = labels({ hardhat: 240, none: 60 }, 0.12, 5, 0.1);
		const result = trainCandidate(ls, null, V1);
		expect(result.model.weights.every(Number.isFinite)).toBe(true);
		expect(result.candidate.accuracy!).toBeGreaterThan(0.55);
		expect(result.candidate.precision!).toBeGreaterThan(0.85);
		// Class weighting: bare heads are still caught, not drowned by the hard hats.
		expect(result.candidate.bareRecall!).toBeGreaterThan(0.5);
		const metrics = evaluate(result.model, splitLabels(ls).heldOut);
		expect(metrics).toEqual(result.candidate);
	});

	it('refuses to train on too few labels', () => {
		expect(() => trainCandidate(labels({ hardhat: 4, none: 30 }), null, V1)).toThrow(
			PpeTrainingError
		);
	});

	it('promotes only a strictly better candidate, on enough held-out labels of each class', () => {
		const m = (over: Partial<PpeMetrics>): PpeMetrics => ({
			model: 'x',
			n: { hardhat: 12, none: 12 },
			truePositive: 10,
			falsePositive: 1,
			trueNegative: 10,
			falseNegative: 1,
			unknown: { hardhat: 1, none: 1 },
			precision: 10 / 11,
			recall: 10 / 12,
			bareRecall: 10 / 12,
			accuracy: 20 / 24,
			...over
		});
		const current = m({});
		expect(shouldPromote(current, m({ accuracy: 21 / 24 }))).toEqual({ promote: true });
		expect(shouldPromote(current, m({}))).toMatchObject({ reason: 'NOT_MORE_ACCURATE' });
		expect(shouldPromote(current, m({ accuracy: 22 / 24, falsePositive: 2 }))).toMatchObject({
			reason: 'MORE_BARE_HEADS_PASS'
		});
		const few = { n: { hardhat: MIN_HELD_OUT_PER_CLASS - 1, none: 30 } };
		expect(shouldPromote(m(few), m({ ...few, accuracy: 1 }))).toMatchObject({
			reason: 'TOO_FEW_HELD_OUT',
			need: MIN_HELD_OUT_PER_CLASS
		});
		expect(shouldPromote(current, m({ accuracy: 1 }), ['hat_colour'])).toMatchObject({
			reason: 'FEATURES_DIFFER'
		});
		expect(shouldPromote(current, m({ accuracy: 1, n: { hardhat: 13, none: 12 } }))).toMatchObject({
			reason: 'NOT_MEASURED_ALIKE'
		});
	});

	it('a second model is promoted over the first only when it is better than that one', () => {
		const ls = labels({ hardhat: 60, none: 60 });
		const first = trainCandidate(ls, null, V1).model;
		// Same labels again: equally good, so not strictly better.
		expect(compare(ls, first, { ...first, version: V2 }).verdict).toMatchObject({
			promote: false,
			reason: 'NOT_MORE_ACCURATE'
		});
		// Too few held-out labels: not judged at all.
		const small = labels({ hardhat: 20, none: 20 });
		const r = trainCandidate(small, null, V2);
		expect(r.verdict).toMatchObject({ promote: false, reason: 'TOO_FEW_HELD_OUT' });
	});

	it('round-trips the model through blob bytes, and a corrupt blob is a clear error', () => {
		const model = trainCandidate(labels({ hardhat: 40, none: 40 }), null, V1).model;
		expect(decodeModel(encodeModel(model))).toEqual(model);
		const bad: (Uint8Array | ArrayBuffer)[] = [
			new Uint8Array([0xff, 0xd8, 0xff, 0x00]),
			new TextEncoder().encode('{"format":"sitepass-ppe-model","formatVersion":1,"mod'),
			new TextEncoder().encode('[]'),
			new TextEncoder().encode('null'),
			new TextEncoder().encode(
				JSON.stringify({
					format: 'sitepass-ppe-model',
					formatVersion: 1,
					model: { ...model, weights: model.weights.slice(1) }
				})
			),
			new TextEncoder().encode(
				JSON.stringify({
					format: 'sitepass-ppe-model',
					formatVersion: 1,
					model: { ...model, std: model.std.map(() => 0) }
				})
			),
			new ArrayBuffer(0)
		];
		for (const bytes of bad) {
			let error: unknown = null;
			try {
				decodeModel(bytes);
			} catch (err) {
				error = err;
			}
			expect(error).toBeInstanceOf(PpeModelError);
			expect(['NOT_JSON', 'INVALID']).toContain((error as PpeModelError).code);
		}
		// A NaN never reaches the bytes.
		expect(() => encodeModel({ ...model, bias: Number.NaN })).toThrow(PpeModelError);
	});
});
