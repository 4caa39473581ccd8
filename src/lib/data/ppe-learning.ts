// Site learning of the hard-hat check, in `site:<S>:control`: safety staff's labels of gate and
// alert pictures (`ppeLabels`), the versions of the site's model (`ppeModels`, the parameters in a
// JSON blob referenced by this document) and which one is active (`settings['ppe']`). Training,
// measuring and the promotion rule are vision/ppe-learn.ts; this file stores and reads them.
import * as v from 'valibot';
import type * as Y from 'yjs';
import {
	compare,
	decodeModel,
	encodeModel,
	MIN_HELD_OUT_PER_CLASS,
	PpeModelError,
	trainCandidate,
	type LabelledFeatures,
	type PpeMetrics,
	type PromotionVerdict,
	type TrainResult
} from '../vision/ppe-learn';
import type { PpeSiteModel } from '../vision/types';
import { authorizeChange, type Claims, type OrgView } from './access';
import { AccessError } from './commands';
import { parseDocName } from './documents';
import { newUlid } from './event-commands';
import { AttendanceEvent, PpeRecord, ulidSchema } from './events';
import {
	checkRecord,
	defineRecord,
	id,
	isoTime,
	readRecord,
	text,
	type RecordType
} from './records';

const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const features = v.pipe(v.array(v.pipe(v.number(), v.finite())), v.maxLength(256));
const featureNames = v.pipe(v.array(text(64)), v.maxLength(256));

export const PPE_LABEL_VALUES = ['hardhat', 'none', 'not_person'] as const;
export type PpeLabelValue = (typeof PPE_LABEL_VALUES)[number];

/** ppeLabels[<source>-<ref>]: one person's judgement of one picture (the latest one counts). */
export const PpeLabel = defineRecord({
	name: 'PpeLabel',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		source: v.picklist(['gate', 'alert']),
		/** The attendance event's or the alert's id. */
		ref: id,
		/** The picture labelled (the gate's head-top crop or the alert's snapshot). */
		snapshot: v.nullable(sha256Hex),
		features,
		featureNames,
		label: v.picklist(PPE_LABEL_VALUES),
		by: id,
		at: isoTime
	})
});
export type PpeLabel = v.InferOutput<typeof PpeLabel.validate>;

const metrics = v.object({
	model: text(64),
	n: v.object({ hardhat: v.number(), none: v.number() }),
	truePositive: v.number(),
	falsePositive: v.number(),
	trueNegative: v.number(),
	falseNegative: v.number(),
	unknown: v.object({ hardhat: v.number(), none: v.number() }),
	precision: v.nullable(v.number()),
	recall: v.nullable(v.number()),
	bareRecall: v.nullable(v.number()),
	accuracy: v.nullable(v.number())
});

/** ppeModels[version]: one trained model, its numbers, and whether it was ever promoted. */
export const PpeModelRecord = defineRecord({
	name: 'PpeModelRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		version: ulidSchema,
		/** The model's JSON (ppe-learn encodeModel) in the blob store, referenced by this document. */
		blob: sha256Hex,
		trainedAt: isoTime,
		by: id,
		featureNames,
		/** Labels when trained: all of them, and how they were split. */
		labels: v.object({
			hardhat: v.number(),
			none: v.number(),
			not_person: v.number(),
			stale: v.number(),
			train: v.object({ hardhat: v.number(), none: v.number() }),
			heldOut: v.object({ hardhat: v.number(), none: v.number() })
		}),
		/** Held-out numbers at training time: the model that was active then, and this one. */
		current: metrics,
		candidate: metrics,
		verdict: v.object({ promote: v.boolean(), reason: v.optional(text(40)) }),
		promoted: v.boolean(),
		promotedAt: v.optional(v.nullable(isoTime)),
		promotedBy: v.optional(v.nullable(id)),
		/** The model active when this one was promoted (null: builtin), where roll back returns. */
		previous: v.optional(v.nullable(ulidSchema))
	})
});
export type PpeModelRecord = v.InferOutput<typeof PpeModelRecord.validate>;

/** settings['ppe']: the site's active hard-hat model (null: the builtin classifier). */
export const PpeSettings = defineRecord({
	name: 'PpeSettings',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		activeModel: v.nullable(ulidSchema),
		updatedAt: isoTime,
		updatedBy: id,
		/** What happened last: a promotion or a roll back. */
		change: v.picklist(['promote', 'rollback_previous', 'rollback_builtin'])
	})
});
export type PpeSettings = v.InferOutput<typeof PpeSettings.validate>;

/* ------------------------------------------------------------------------------------------------
 * Writing.
 * --------------------------------------------------------------------------------------------- */

/** Who writes, checked against the access rules like every command (the relay would refuse). */
export interface Writer {
	claims: Claims;
	org: OrgView;
	/** The control document's name, `site:<S>:control`. */
	docName: string;
}

function write<T>(
	control: Y.Doc,
	map: string,
	key: string,
	type: RecordType<T>,
	value: T,
	actor?: Writer
): T {
	const record = checkRecord(type, value);
	if (actor) {
		const ref = parseDocName(actor.docName);
		if (!ref || ref.kind !== 'control') throw new Error(`not a control document: ${actor.docName}`);
		{
			const refusal = authorizeChange(
				actor.claims,
				ref,
				{
					map,
					key,
					action: control.getMap(map).has(key) ? 'update' : 'add',
					value: record
				},
				actor.org
			);
			if (refusal) throw new AccessError(refusal);
		}
	}
	control.transact(() => control.getMap(map).set(key, record));
	return record;
}

/** The key of a label: one per labelled picture, so labelling it again replaces the label. */
export const ppeLabelId = (source: 'gate' | 'alert', ref: string) => `${source}-${ref}`;

/**
 * Records a label of one gate or alert picture in the control document and returns its id.
 * Labelling the same ref again replaces the earlier label (same id, so it stays on the same side
 * of the held-out split). Throws RecordError for invalid input (nothing is written).
 */
export function putPpeLabel(
	control: Y.Doc,
	label: {
		source: 'gate' | 'alert';
		ref: string;
		snapshot: string | null;
		features: number[];
		featureNames: string[];
		label: PpeLabelValue;
		by: string;
		at: string;
	},
	actor?: Writer
): string {
	const key = ppeLabelId(label.source, label.ref);
	write(control, 'ppeLabels', key, PpeLabel, { schema: 1, id: key, ...label }, actor);
	return key;
}

/* ------------------------------------------------------------------------------------------------
 * Reading.
 * --------------------------------------------------------------------------------------------- */

function readAll<T>(map: Y.Map<unknown>, type: RecordType<T>): T[] {
	const out: T[] = [];
	for (const raw of map.values()) {
		const r = readRecord(type, raw);
		if (r.ok) out.push(r.record);
	}
	return out;
}

export const ppeLabels = (control: Y.Doc) => readAll(control.getMap('ppeLabels'), PpeLabel);

/** Every model version, newest first. */
export const ppeModels = (control: Y.Doc) =>
	readAll(control.getMap('ppeModels'), PpeModelRecord).sort((a, b) =>
		a.version < b.version ? 1 : a.version > b.version ? -1 : 0
	);

export function ppeSettings(control: Y.Doc): PpeSettings | null {
	const r = readRecord(PpeSettings, control.getMap('settings').get('ppe'));
	return r.ok ? r.record : null;
}

/** The active model's record (null: builtin). */
export function activePpeRecord(control: Y.Doc): PpeModelRecord | null {
	const version = ppeSettings(control)?.activeModel ?? null;
	if (!version) return null;
	const r = readRecord(PpeModelRecord, control.getMap('ppeModels').get(version));
	return r.ok ? r.record : null;
}

export const asLabelled = (labels: readonly PpeLabel[]): LabelledFeatures[] =>
	labels.map((l) => ({
		id: l.id,
		label: l.label,
		features: l.features,
		featureNames: l.featureNames
	}));

/** A blob by hash: bytes, a Blob, or null when neither this device nor the relay has it. */
export type LoadBlob = (hash: string) => Promise<Blob | Uint8Array | ArrayBuffer | null>;

async function loadModel(hash: string, version: string, loadBlob: LoadBlob): Promise<PpeSiteModel> {
	let got: Blob | Uint8Array | ArrayBuffer | null;
	try {
		got = await loadBlob(hash);
	} catch (err) {
		throw new PpeModelError(
			'OFFLINE',
			`the model blob could not be fetched: ${err instanceof Error ? err.message : String(err)}`
		);
	}
	if (!got) throw new PpeModelError('BLOB_MISSING', `the model blob ${hash} is not available`);
	const bytes =
		got instanceof Uint8Array
			? got
			: got instanceof ArrayBuffer
				? new Uint8Array(got)
				: new Uint8Array(await got.arrayBuffer());
	const model = decodeModel(bytes);
	if (model.version !== version) {
		throw new PpeModelError(
			'VERSION_MISMATCH',
			`the blob holds model ${model.version}, the record says ${version}`
		);
	}
	return model;
}

/**
 * The site's current hard-hat model for a device (gate, monitor): null when the site uses the
 * builtin classifier. Throws PpeModelError when a model is active but its blob cannot be had
 * (not synced yet, offline: 'BLOB_MISSING' / 'OFFLINE') or is corrupt ('NOT_JSON' / 'INVALID' /
 * 'VERSION_MISMATCH'); the device then keeps using the builtin classifier and should say so.
 */
export async function activePpeModel(
	control: Y.Doc,
	loadBlob: LoadBlob
): Promise<PpeSiteModel | null> {
	const settings = ppeSettings(control);
	if (!settings?.activeModel) return null;
	const record = activePpeRecord(control);
	if (!record) {
		throw new PpeModelError(
			'BLOB_MISSING',
			`the active model ${settings.activeModel} is not in this document (yet)`
		);
	}
	return loadModel(record.blob, record.version, loadBlob);
}

/* ------------------------------------------------------------------------------------------------
 * Commands: train, promote, roll back.
 * --------------------------------------------------------------------------------------------- */

/** Keeps bytes in the blob store as referenced by the control document; returns the hash. */
export type PutBlob = (bytes: Uint8Array, type: 'application/json') => Promise<string>;

export interface TrainOutcome {
	record: PpeModelRecord;
	result: TrainResult;
}

/**
 * Trains a candidate on the site's labels (in the browser), measures it and the current model on
 * the held-out labels, stores the model as a blob and records it as a version — not active.
 * Throws PpeTrainingError when there are too few labels to train.
 */
export async function trainPpeCandidate(
	control: Y.Doc,
	options: {
		by: string;
		putBlob: PutBlob;
		loadBlob: LoadBlob;
		now?: Date;
		actor?: Writer;
	}
): Promise<TrainOutcome> {
	const now = options.now ?? new Date();
	const current = await activePpeModel(control, options.loadBlob);
	const version = newUlid(now.getTime());
	const result = trainCandidate(asLabelled(ppeLabels(control)), current, version);
	const blob = await options.putBlob(encodeModel(result.model), 'application/json');
	const record = write(
		control,
		'ppeModels',
		version,
		PpeModelRecord,
		{
			schema: 1,
			version,
			blob,
			trainedAt: now.toISOString(),
			by: options.by,
			featureNames: result.model.features,
			labels: {
				...result.split.counts,
				train: result.train,
				heldOut: result.heldOut
			},
			current: result.current,
			candidate: result.candidate,
			verdict: result.verdict.promote
				? { promote: true }
				: { promote: false, reason: result.verdict.reason },
			promoted: false,
			promotedAt: null,
			promotedBy: null,
			previous: null
		},
		options.actor
	);
	return { record, result };
}

export interface PromotionCheck {
	current: PpeMetrics;
	candidate: PpeMetrics;
	verdict: PromotionVerdict;
	heldOut: { hardhat: number; none: number };
}

/**
 * Measures a stored candidate against the site's active model on today's held-out labels (labels
 * added since training count; the split never puts a label the candidate trained on there).
 */
export async function checkPromotion(
	control: Y.Doc,
	version: string,
	loadBlob: LoadBlob
): Promise<PromotionCheck> {
	const record = readRecord(PpeModelRecord, control.getMap('ppeModels').get(version));
	if (!record.ok) throw new PpeModelError('BLOB_MISSING', `no model version ${version} here`);
	const candidate = await loadModel(record.record.blob, version, loadBlob);
	const current = await activePpeModel(control, loadBlob);
	const cmp = compare(asLabelled(ppeLabels(control)), current, candidate);
	const heldOut = {
		hardhat: cmp.candidate.n.hardhat,
		none: cmp.candidate.n.none
	};
	if (current?.version === version) {
		return { ...cmp, heldOut, verdict: { promote: false, reason: 'NOT_MORE_ACCURATE' } };
	}
	return { current: cmp.current, candidate: cmp.candidate, verdict: cmp.verdict, heldOut };
}

export type PromoteOutcome =
	| { ok: true; check: PromotionCheck }
	| { ok: false; check: PromotionCheck; verdict: Exclude<PromotionVerdict, { promote: true }> };

/**
 * Makes a candidate the site's model, only when `shouldPromote` says so on today's held-out
 * labels; otherwise nothing changes and the reason is returned.
 */
export async function promotePpeModel(
	control: Y.Doc,
	version: string,
	options: { by: string; loadBlob: LoadBlob; now?: Date; actor?: Writer }
): Promise<PromoteOutcome> {
	const check = await checkPromotion(control, version, options.loadBlob);
	if (!check.verdict.promote) return { ok: false, check, verdict: check.verdict };
	const at = (options.now ?? new Date()).toISOString();
	const record = readRecord(PpeModelRecord, control.getMap('ppeModels').get(version));
	if (!record.ok) throw new PpeModelError('BLOB_MISSING', `no model version ${version} here`);
	const previous = ppeSettings(control)?.activeModel ?? null;
	control.transact(() => {
		write(
			control,
			'ppeModels',
			version,
			PpeModelRecord,
			{ ...record.record, promoted: true, promotedAt: at, promotedBy: options.by, previous },
			options.actor
		);
		write(
			control,
			'settings',
			'ppe',
			PpeSettings,
			{ schema: 1, activeModel: version, updatedAt: at, updatedBy: options.by, change: 'promote' },
			options.actor
		);
	});
	return { ok: true, check };
}

/**
 * Goes back: to the model that was active before the current one ('previous', the builtin if there
 * was none) or straight to the builtin classifier. Needs no measuring: going back is always allowed.
 */
export function rollBackPpeModel(
	control: Y.Doc,
	to: 'previous' | 'builtin',
	options: { by: string; now?: Date; actor?: Writer }
): string | null {
	const active = activePpeRecord(control);
	let target: string | null = null;
	if (to === 'previous' && active?.previous) {
		const prev = readRecord(PpeModelRecord, control.getMap('ppeModels').get(active.previous));
		target = prev.ok ? prev.record.version : null;
	}
	write(
		control,
		'settings',
		'ppe',
		PpeSettings,
		{
			schema: 1,
			activeModel: target,
			updatedAt: (options.now ?? new Date()).toISOString(),
			updatedBy: options.by,
			change: target ? 'rollback_previous' : 'rollback_builtin'
		},
		options.actor
	);
	return target;
}

/* ------------------------------------------------------------------------------------------------
 * What there is to label.
 * --------------------------------------------------------------------------------------------- */

/** One picture with a hard-hat reading, from a gate decision or an alert. */
export interface PpeItem {
	/** The label's id it would get (ppeLabelId). */
	key: string;
	source: 'gate' | 'alert';
	ref: string;
	at: string;
	/** The picture's blob hash (the gate's head-top crop, the alert's snapshot). */
	picture: string;
	reading: PpeRecord;
	features: number[];
	workerId: string | null;
}

/** An alert as far as labelling needs it (the alert schema may carry more). */
const AlertWithPpe = v.looseObject({
	id: ulidSchema,
	at: isoTime,
	workerId: v.optional(v.nullable(id)),
	snapshot: v.optional(v.nullable(sha256Hex)),
	ppe: PpeRecord
});

/**
 * The pictures of one events document that can be labelled: gate decisions whose hard-hat reading
 * kept its features and a crop, alerts with a reading and a picture (its head crop, else its
 * snapshot). Newest first.
 */
export function ppeItems(events: Y.Doc): PpeItem[] {
	const items: PpeItem[] = [];
	for (const raw of events.getMap('attendance').values()) {
		const r = readRecord(AttendanceEvent, raw);
		if (!r.ok) continue;
		const e = r.record;
		if (!e.ppe?.features || !e.ppe.crop) continue;
		items.push({
			key: ppeLabelId('gate', e.id),
			source: 'gate',
			ref: e.id,
			at: e.at,
			picture: e.ppe.crop,
			reading: e.ppe,
			features: e.ppe.features,
			workerId: e.workerId
		});
	}
	for (const raw of events.getMap('alerts').values()) {
		const r = v.safeParse(AlertWithPpe, raw);
		if (!r.success || !r.output.ppe.features) continue;
		const a = r.output;
		// The head crop (face blurred) when the monitor kept one, else the alert's snapshot.
		const picture = a.ppe.crop ?? a.snapshot;
		if (!picture) continue;
		items.push({
			key: ppeLabelId('alert', a.id),
			source: 'alert',
			ref: a.id,
			at: a.at,
			picture,
			reading: a.ppe,
			features: a.ppe.features!,
			workerId: a.workerId ?? null
		});
	}
	return items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.ref < b.ref ? 1 : -1));
}

export { MIN_HELD_OUT_PER_CLASS };
