// Site learning of the hard-hat check (issue 8, item 3): a logistic regression on the PPE feature
// vectors that safety staff labelled, a held-out split that does not move, the numbers of the
// current model and the candidate measured through the same `classifyPpe` the gate and the
// monitor call, one promotion rule, and the model's bytes for the blob store. Pure: no DOM, no
// Yjs, tested in Node.
//
// What is learnt: worn (hard hat) against not worn (bare head, cap, hair…). Labels saying "not a
// person" are counted but never trained on or measured: they are failures of the person/head
// detector upstream, not of the hard-hat classifier, and a two-class model cannot answer them.
import * as v from 'valibot';
import { ppeVerdict } from '../domain/entry';
import { classifyPpe, PPE_FEATURE_NAMES } from './ppe';
import type { PpeSiteModel, PpeWorn } from './types';

export type PpeLabelValue = 'hardhat' | 'none' | 'not_person';

/** One labelled reading, as training sees it. */
export interface LabelledFeatures {
	/** The label's id: decides, by its hash, whether the label is held out. */
	id: string;
	label: PpeLabelValue;
	features: number[];
	featureNames: string[];
}

/** Share of each class held out for measuring, never trained on. */
export const HOLD_OUT_SHARE = 0.3;
/**
 * A candidate is only judged with at least this many held-out labels of each class (hard hat and
 * bare head): below that, one lucky label moves accuracy by more than 10 points.
 */
export const MIN_HELD_OUT_PER_CLASS = 10;
/** Training needs at least this many training labels of each class. */
export const MIN_TRAIN_PER_CLASS = 5;
/** L2 penalty on the weights (not the bias), in units of one (class-weighted) example. */
export const L2 = 1;
/**
 * Costs used to choose the threshold on the training labels: a bare head read as worn is what the
 * check exists to prevent (5); a hard hat read as bare makes a worker look again (1); 'unknown'
 * sends the person to be looked at by someone (0.5).
 */
export const THRESHOLD_COSTS = { falseWorn: 5, falseBare: 1, unknown: 0.5 } as const;
/** Thresholds tried (above 0.5: `classifyPpe` ignores a site model whose threshold is not). */
/** From the domain's confidence floor (ppeMinConfidence 0.6) up: a lower one would never count. */
export const THRESHOLD_GRID = [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9] as const;

/* ------------------------------------------------------------------------------------------------
 * The split.
 * --------------------------------------------------------------------------------------------- */

/**
 * FNV-1a with MurmurHash3's final mix, 32 bits: a stable hash of a label id (same id → same side,
 * on every device). The mix matters: plain FNV-1a barely moves its top bits for ids that differ
 * only in their last character (ULIDs made in one millisecond, numbered ids).
 */
export function labelHash(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

/**
 * Whether a label is held out: by the hash of its id alone, so a label never changes side when
 * others are added or it is relabelled, and a model trained earlier never saw any label held out
 * now. Within each class about HOLD_OUT_SHARE of the labels are held out (stratified in
 * expectation; the promotion rule checks the actual counts).
 */
export function isHeldOut(id: string): boolean {
	return labelHash(id) / 2 ** 32 < HOLD_OUT_SHARE;
}

export interface LabelCounts {
	hardhat: number;
	none: number;
	not_person: number;
	/** Labelled with features from another feature version than this app's; not used. */
	stale: number;
}

export interface Split {
	train: LabelledFeatures[];
	heldOut: LabelledFeatures[];
	counts: LabelCounts;
}

const sameNames = (a: readonly string[], b: readonly string[]) =>
	a.length === b.length && a.every((n, i) => n === b[i]);

/** Usable labels (this app's features, worn or not) split into training and held-out. */
export function splitLabels(
	labels: readonly LabelledFeatures[],
	featureNames: readonly string[] = PPE_FEATURE_NAMES
): Split {
	const counts: LabelCounts = { hardhat: 0, none: 0, not_person: 0, stale: 0 };
	const train: LabelledFeatures[] = [];
	const heldOut: LabelledFeatures[] = [];
	// Sorted by id: the order of the document's map must not change the result.
	for (const l of [...labels].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
		if (l.label === 'not_person') {
			counts.not_person++;
			continue;
		}
		if (
			!sameNames(l.featureNames, featureNames) ||
			l.features.length !== featureNames.length ||
			!l.features.every(Number.isFinite)
		) {
			counts.stale++;
			continue;
		}
		counts[l.label]++;
		(isHeldOut(l.id) ? heldOut : train).push(l);
	}
	return { train, heldOut, counts };
}

const perClass = (list: readonly LabelledFeatures[]) => ({
	hardhat: list.filter((l) => l.label === 'hardhat').length,
	none: list.filter((l) => l.label === 'none').length
});

/* ------------------------------------------------------------------------------------------------
 * Training.
 * --------------------------------------------------------------------------------------------- */

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** p(worn) of a standardised-feature logistic model (what `classifyPpe` computes for a site model). */
export function probability(model: PpeSiteModel, features: readonly number[]): number {
	let z = model.bias;
	for (let j = 0; j < model.weights.length; j++) {
		z += model.weights[j]! * ((features[j]! - model.mean[j]!) / model.std[j]!);
	}
	return sigmoid(z);
}

/** Solves A x = b (A symmetric positive definite, small) by Gaussian elimination with pivoting. */
function solve(a: number[][], b: number[]): number[] {
	const n = b.length;
	const m = a.map((row, i) => [...row, b[i]!]);
	for (let c = 0; c < n; c++) {
		let p = c;
		for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
		[m[c], m[p]] = [m[p]!, m[c]!];
		const pivot = m[c]![c]!;
		if (Math.abs(pivot) < 1e-12) continue;
		for (let r = c + 1; r < n; r++) {
			const f = m[r]![c]! / pivot;
			if (f === 0) continue;
			for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
		}
	}
	const x = new Array<number>(n).fill(0);
	for (let r = n - 1; r >= 0; r--) {
		let s = m[r]![n]!;
		for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
		const pivot = m[r]![r]!;
		x[r] = Math.abs(pivot) < 1e-12 ? 0 : s / pivot;
	}
	return x;
}

export interface TrainOptions {
	version: string;
	featureNames?: readonly string[];
	/** Newton steps at most (default 50; it converges in about ten). */
	iterations?: number;
}

export class PpeTrainingError extends Error {
	constructor(
		readonly code: 'TOO_FEW_LABELS',
		readonly need: number,
		readonly have: { hardhat: number; none: number }
	) {
		super(
			`need at least ${need} training labels of each class, have ${have.hardhat} hard hat / ${have.none} bare`
		);
	}
}

/**
 * Logistic regression by Newton's method (IRLS) on standardised features, with an L2 penalty
 * (L2) so perfectly separable labels still give finite weights, and class weights n / (2 n_c) so a
 * site with ten hard hats for every bare head does not learn "always worn". Deterministic: same
 * examples (in any order) → same model.
 */
/**
 * Features a site model is trained without: the segmentation outline exists for gate readings
 * (face modes run the selfie segmenter) but not for the monitor's pose heads, so weights learned
 * on gate labels would push every monitor reading one way. The built-in model ignores them too.
 */
export const SITE_MODEL_IGNORES: readonly string[] = ['mask_top', 'mask_present'];

export function trainLogistic(
	examples: readonly LabelledFeatures[],
	options: TrainOptions
): PpeSiteModel {
	const names = [...(options.featureNames ?? PPE_FEATURE_NAMES)];
	const sorted = [...examples].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
	const have = perClass(sorted);
	if (have.hardhat < MIN_TRAIN_PER_CLASS || have.none < MIN_TRAIN_PER_CLASS) {
		throw new PpeTrainingError('TOO_FEW_LABELS', MIN_TRAIN_PER_CLASS, have);
	}
	const d = names.length;
	const n = sorted.length;
	const mean = new Array<number>(d).fill(0);
	for (const e of sorted) for (let j = 0; j < d; j++) mean[j]! += e.features[j]! / n;
	const std = new Array<number>(d).fill(0);
	for (const e of sorted)
		for (let j = 0; j < d; j++) std[j]! += (e.features[j]! - mean[j]!) ** 2 / n;
	for (let j = 0; j < d; j++) {
		const s = Math.sqrt(std[j]!);
		// A feature that never varies here carries nothing; 1 keeps it harmless.
		std[j] = s > 1e-9 ? s : 1;
	}
	// Features a site model must not use (see SITE_MODEL_IGNORES): a zero column keeps its weight 0.
	const ignored = names.map((nm) => SITE_MODEL_IGNORES.includes(nm));
	for (let j = 0; j < d; j++) {
		if (ignored[j]) {
			mean[j] = 0;
			std[j] = 1;
		}
	}
	const x = sorted.map((e) => [
		...e.features.map((f, j) => (ignored[j] ? 0 : (f - mean[j]!) / std[j]!)),
		1
	]);
	const y = sorted.map((e) => (e.label === 'hardhat' ? 1 : 0));
	const cw = { 1: n / (2 * have.hardhat), 0: n / (2 * have.none) };
	const w = sorted.map((_, i) => cw[y[i] as 0 | 1]);

	const theta = new Array<number>(d + 1).fill(0);
	const iterations = options.iterations ?? 50;
	for (let it = 0; it < iterations; it++) {
		const grad = new Array<number>(d + 1).fill(0);
		const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
		for (let i = 0; i < n; i++) {
			const xi = x[i]!;
			let z = 0;
			for (let j = 0; j <= d; j++) z += theta[j]! * xi[j]!;
			const p = sigmoid(z);
			const g = w[i]! * (p - y[i]!);
			const h = w[i]! * Math.max(p * (1 - p), 1e-10);
			for (let j = 0; j <= d; j++) {
				grad[j]! += g * xi[j]!;
				const hj = h * xi[j]!;
				for (let k = j; k <= d; k++) hess[j]![k]! += hj * xi[k]!;
			}
		}
		for (let j = 0; j < d; j++) {
			grad[j]! += L2 * theta[j]!;
			hess[j]![j]! += L2;
		}
		for (let j = 0; j <= d; j++) for (let k = 0; k < j; k++) hess[j]![k] = hess[k]![j]!;
		const step = solve(hess, grad);
		let moved = 0;
		for (let j = 0; j <= d; j++) {
			theta[j]! -= step[j]!;
			moved = Math.max(moved, Math.abs(step[j]!));
		}
		if (moved < 1e-9) break;
	}
	const model: PpeSiteModel = {
		version: options.version,
		kind: 'logistic',
		features: names,
		mean,
		std,
		weights: theta.slice(0, d),
		bias: theta[d]!,
		threshold: THRESHOLD_GRID[0]
	};
	return { ...model, threshold: chooseThreshold(model, sorted) };
}

/**
 * The threshold with the lowest mean cost (THRESHOLD_COSTS) on the training labels; ties go to
 * the lower threshold (fewer 'unknown'). p ≥ t → worn, p ≤ 1 − t → not worn, between → unknown.
 */
export function chooseThreshold(
	model: PpeSiteModel,
	examples: readonly LabelledFeatures[]
): number {
	const ps = examples.map((e) => ({
		p: probability(model, e.features),
		worn: e.label === 'hardhat'
	}));
	let best: number = THRESHOLD_GRID[0];
	let bestCost = Infinity;
	for (const t of THRESHOLD_GRID) {
		let cost = 0;
		for (const { p, worn } of ps) {
			if (p >= t) cost += worn ? 0 : THRESHOLD_COSTS.falseWorn;
			else if (p <= 1 - t) cost += worn ? THRESHOLD_COSTS.falseBare : 0;
			else cost += THRESHOLD_COSTS.unknown;
		}
		if (cost < bestCost - 1e-12) {
			bestCost = cost;
			best = t;
		}
	}
	return best;
}

/* ------------------------------------------------------------------------------------------------
 * Measuring.
 * --------------------------------------------------------------------------------------------- */

export interface PpeMetrics {
	/** Which classifier answered (`classifyPpe`'s `model`). */
	model: string;
	/** Held-out labels of each class. */
	n: { hardhat: number; none: number };
	/** Hard hats read as worn. */
	truePositive: number;
	/** Bare heads read as worn: the error that lets someone through. */
	falsePositive: number;
	/** Bare heads read as not worn. */
	trueNegative: number;
	/** Hard hats read as not worn. */
	falseNegative: number;
	unknown: { hardhat: number; none: number };
	/** Of the heads read as worn, the share that wore one; null when none was read as worn. */
	precision: number | null;
	/** Of the hard hats, the share read as worn ('unknown' counts as missed); null with none. */
	recall: number | null;
	/** Of the bare heads, the share read as not worn ('unknown' counts as missed). */
	bareRecall: number | null;
	/** Right answers over all held-out labels ('unknown' counts as wrong). */
	accuracy: number | null;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/**
 * Measures a model (null: the builtin classifier) on labelled examples through `classifyPpe`,
 * exactly as the gate and the monitor would read them.
 */
export function evaluate(
	model: PpeSiteModel | null,
	examples: readonly LabelledFeatures[]
): PpeMetrics {
	let tp = 0;
	let fp = 0;
	let tn = 0;
	let fn = 0;
	const unknown = { hardhat: 0, none: 0 };
	const n = { hardhat: 0, none: 0 };
	let name = model?.version ?? 'builtin';
	for (const e of examples) {
		if (e.label === 'not_person') continue;
		const r = classifyPpe(e.features, model);
		name = r.model;
		// As the gate and the monitor read it: below the domain's confidence floor is unknown.
		const verdict = ppeVerdict(r);
		const worn: PpeWorn = verdict === 'unsure' ? 'unknown' : verdict === 'worn';
		n[e.label]++;
		if (worn === 'unknown') unknown[e.label]++;
		else if (worn) {
			if (e.label === 'hardhat') tp++;
			else fp++;
		} else if (e.label === 'none') tn++;
		else fn++;
	}
	return {
		model: name,
		n,
		truePositive: tp,
		falsePositive: fp,
		trueNegative: tn,
		falseNegative: fn,
		unknown,
		precision: ratio(tp, tp + fp),
		recall: ratio(tp, n.hardhat),
		bareRecall: ratio(tn, n.none),
		accuracy: ratio(tp + tn, n.hardhat + n.none)
	};
}

/* ------------------------------------------------------------------------------------------------
 * The promotion rule.
 * --------------------------------------------------------------------------------------------- */

export type PromotionVerdict =
	| { promote: true }
	| {
			promote: false;
			reason:
				| 'FEATURES_DIFFER'
				| 'TOO_FEW_HELD_OUT'
				| 'NOT_MORE_ACCURATE'
				| 'MORE_BARE_HEADS_PASS'
				| 'NOT_MEASURED_ALIKE';
			need?: number;
	  };

/**
 * The one rule that makes a candidate the site's model. Both are measured on the same held-out
 * labels; the candidate is promoted only if
 *  1. its feature names are this app's (a model for other features would be ignored anyway);
 *  2. the held-out labels hold at least MIN_HELD_OUT_PER_CLASS hard hats and as many bare heads;
 *  3. its accuracy ('unknown' counting as wrong, so hedging is not rewarded) is strictly higher
 *     than the current model's; and
 *  4. it reads no more bare heads as worn than the current model does (the safety error).
 */
export function shouldPromote(
	current: PpeMetrics,
	candidate: PpeMetrics,
	candidateFeatures: readonly string[] = PPE_FEATURE_NAMES,
	featureNames: readonly string[] = PPE_FEATURE_NAMES
): PromotionVerdict {
	if (!sameNames(candidateFeatures, featureNames))
		return { promote: false, reason: 'FEATURES_DIFFER' };
	if (current.n.hardhat !== candidate.n.hardhat || current.n.none !== candidate.n.none) {
		return { promote: false, reason: 'NOT_MEASURED_ALIKE' };
	}
	if (candidate.n.hardhat < MIN_HELD_OUT_PER_CLASS || candidate.n.none < MIN_HELD_OUT_PER_CLASS) {
		return { promote: false, reason: 'TOO_FEW_HELD_OUT', need: MIN_HELD_OUT_PER_CLASS };
	}
	if ((candidate.accuracy ?? 0) <= (current.accuracy ?? 0)) {
		return { promote: false, reason: 'NOT_MORE_ACCURATE' };
	}
	if (candidate.falsePositive > current.falsePositive) {
		return { promote: false, reason: 'MORE_BARE_HEADS_PASS' };
	}
	return { promote: true };
}

export interface Comparison {
	split: Split;
	current: PpeMetrics;
	candidate: PpeMetrics;
	verdict: PromotionVerdict;
}

/** Measures the current model and a candidate on the held-out labels and applies the rule. */
export function compare(
	labels: readonly LabelledFeatures[],
	current: PpeSiteModel | null,
	candidate: PpeSiteModel
): Comparison {
	const split = splitLabels(labels);
	const cur = evaluate(current, split.heldOut);
	const cand = evaluate(candidate, split.heldOut);
	return {
		split,
		current: cur,
		candidate: cand,
		verdict: shouldPromote(cur, cand, candidate.features)
	};
}

export interface TrainResult extends Comparison {
	model: PpeSiteModel;
	train: { hardhat: number; none: number };
	heldOut: { hardhat: number; none: number };
}

/** Split, train on the training side, measure both on the held-out side. */
export function trainCandidate(
	labels: readonly LabelledFeatures[],
	current: PpeSiteModel | null,
	version: string
): TrainResult {
	const split = splitLabels(labels);
	const model = trainLogistic(split.train, { version });
	const cmp = compare(labels, current, model);
	return { ...cmp, model, train: perClass(split.train), heldOut: perClass(split.heldOut) };
}

/* ------------------------------------------------------------------------------------------------
 * Bytes for the blob store.
 * --------------------------------------------------------------------------------------------- */

export const MODEL_FORMAT = 'sitepass-ppe-model';
export const MODEL_FORMAT_VERSION = 1;
export const MODEL_CONTENT_TYPE = 'application/json';

const finite = v.pipe(v.number(), v.finite());
const ModelSchema = v.pipe(
	v.object({
		format: v.literal(MODEL_FORMAT),
		formatVersion: v.literal(MODEL_FORMAT_VERSION),
		model: v.object({
			version: v.pipe(v.string(), v.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'not a ULID')),
			kind: v.literal('logistic'),
			features: v.pipe(
				v.array(v.pipe(v.string(), v.maxLength(64))),
				v.minLength(1),
				v.maxLength(256)
			),
			mean: v.array(finite),
			std: v.array(v.pipe(finite, v.gtValue(0))),
			weights: v.array(finite),
			bias: finite,
			threshold: v.pipe(finite, v.gtValue(0.5), v.ltValue(1))
		})
	}),
	v.check(
		({ model: m }) =>
			m.mean.length === m.features.length &&
			m.std.length === m.features.length &&
			m.weights.length === m.features.length,
		'mean, std and weights must have one value per feature'
	)
);

export class PpeModelError extends Error {
	constructor(
		readonly code: 'NOT_JSON' | 'INVALID' | 'VERSION_MISMATCH' | 'BLOB_MISSING' | 'OFFLINE',
		message: string
	) {
		super(message);
	}
}

/** The model as the blob's bytes (UTF-8 JSON). */
export function encodeModel(model: PpeSiteModel): Uint8Array {
	const body = { format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, model };
	const parsed = v.safeParse(ModelSchema, body);
	if (!parsed.success)
		throw new PpeModelError('INVALID', `not a valid model: ${parsed.issues[0]!.message}`);
	return new TextEncoder().encode(JSON.stringify(body));
}

/** The model from a blob's bytes; throws PpeModelError (never anything else) when they are not one. */
export function decodeModel(bytes: Uint8Array | ArrayBuffer): PpeSiteModel {
	let json: unknown;
	try {
		json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
	} catch {
		throw new PpeModelError('NOT_JSON', 'the model blob is not JSON text');
	}
	const parsed = v.safeParse(ModelSchema, json);
	if (!parsed.success) {
		const issue = parsed.issues[0]!;
		throw new PpeModelError(
			'INVALID',
			`the model blob is not a valid model: ${v.getDotPath(issue) ?? '(model)'}: ${issue.message}`
		);
	}
	return parsed.output.model;
}
