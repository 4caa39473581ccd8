// Multi-level approval of entry applications (issue 6). An application (contractor document) walks
// the site's chain — by default 项目负责人 review → 安全部门 re-check → 负责人 (director) approval —
// one worker at a time. Each step's decision is a signed record in `site:<S>:control.decisions`,
// kept under its hash and chained to the signer's previous decision. Everything here is a pure
// function of the records, so every device (and the relay) derives the same state:
// - a record whose signature, key, signer's role at the time, or turn does not check out counts as
//   absent and is reported as forged;
// - two valid decisions on the same step (made offline at once): the earliest wins (ties: lower
//   hash) on every device; the other is kept and shown as superseded.
import * as v from 'valibot';
import type { ApprovalState, IsoDate } from '../domain';
import {
	STAFF_ROLES,
	type Claims,
	type RecordChange,
	type Refusal,
	type StaffRole
} from './access';
import { EntryApplication as EntryApplicationRecord, type EntryApplication } from './contractor';
import { defineRecord, id, isoTime, readRecord, text } from './records';
import { recordHash, signedBytes, verifySignature, type KeyBinding, type Signer } from './signing';

export const DECISIONS = ['approve', 'reject', 'return'] as const;
export type Decision = (typeof DECISIONS)[number];

export const SignedDecision = defineRecord({
	name: 'SignedDecision',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		site: id,
		/** `<contractorId>/<applicationId>`. */
		application: text(130),
		worker: id,
		/** The application's submission this decision is about (its submittedAt). */
		round: isoTime,
		/** Index into the chain's steps, and the step's id (so a changed chain cannot reinterpret it). */
		step: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(20)),
		stepId: text(40),
		decision: v.picklist(DECISIONS),
		comment: text(1000),
		conditions: v.array(text(200)),
		signer: id,
		key: text(64),
		/** Hash of the signer's previous decision, or null for their first. */
		prev: v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))),
		at: isoTime,
		/** Which device (token id) signed, for the audit trail. */
		device: v.optional(text(64)),
		sig: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{86}$/, 'not an Ed25519 signature'))
	})
});
export type SignedDecision = v.InferOutput<typeof SignedDecision.validate>;
export type UnsignedDecision = Omit<SignedDecision, 'sig' | 'schema'>;

export interface ChainStep {
	id: string;
	/** The staff sub-role that decides this step. */
	role: StaffRole;
	/** Hours from the step becoming current to its deadline. */
	deadlineHours: number;
	/** Hours before the deadline when the approver is reminded. */
	remindBeforeHours: number;
	/** After the deadline the next step's role may decide this step too. */
	nextMayDecide: boolean;
}

export const ApprovalChain = defineRecord({
	name: 'ApprovalChain',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		kind: v.picklist(['entry', 'work_permit']),
		steps: v.pipe(
			v.array(
				v.object({
					id: text(40),
					role: v.picklist(STAFF_ROLES),
					deadlineHours: v.pipe(v.number(), v.minValue(1), v.maxValue(24 * 30)),
					remindBeforeHours: v.pipe(v.number(), v.minValue(0), v.maxValue(24 * 30)),
					nextMayDecide: v.boolean()
				})
			),
			v.minLength(1),
			v.maxLength(10)
		),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type ApprovalChain = v.InferOutput<typeof ApprovalChain.validate>;

/** The default chain (DESIGN.md): contractor submits → project lead → safety → director. */
export const DEFAULT_ENTRY_CHAIN: ApprovalChain = {
	schema: 1,
	kind: 'entry',
	steps: [
		{
			id: 'lead_review',
			role: 'project_lead',
			deadlineHours: 24,
			remindBeforeHours: 4,
			nextMayDecide: false
		},
		{
			id: 'safety_check',
			role: 'safety',
			deadlineHours: 24,
			remindBeforeHours: 4,
			nextMayDecide: true
		},
		{
			id: 'director_approval',
			role: 'director',
			deadlineHours: 24,
			remindBeforeHours: 4,
			nextMayDecide: false
		}
	],
	updatedAt: '2026-01-01T00:00:00.000Z',
	updatedBy: 'default'
};

/** settings['chain:entry'] of a site's control document, or the default. */
export function chainOf(settings: { get(key: string): unknown }, kind = 'entry'): ApprovalChain {
	const read = readRecord(ApprovalChain, settings.get(`chain:${kind}`));
	return read.ok ? read.record : DEFAULT_ENTRY_CHAIN;
}

/** Signs a decision (the caller stores it under its hash in the site's control document). */
export async function signDecision(signer: Signer, fields: Omit<UnsignedDecision, 'key'>) {
	const unsigned = { schema: 1 as const, ...fields, key: signer.keyId };
	const sig = await signer.sign(signedBytes(unsigned));
	const record: SignedDecision = { ...unsigned, sig };
	return { hash: recordHash(record), record };
}

/** How far ahead of the relay's clock a device's clock may run (signed records, actions). */
export const FUTURE_ALLOWANCE_MS = 10 * 60_000;

export type Forgery =
	| 'INVALID_RECORD'
	| 'HASH_MISMATCH'
	| 'UNKNOWN_KEY'
	| 'KEY_NOT_SIGNERS'
	| 'BAD_SIGNATURE'
	| 'KEY_NOT_VALID_THEN'
	| 'ROLE_NOT_HELD'
	| 'SITE_NOT_HELD'
	| 'NOT_CURRENT_STEP'
	| 'BROKEN_CHAIN';

// The hash of a stored record's value, by the value's identity: a document's records are immutable
// objects (a new value is a new object), so each is hashed once, yet a record planted under
// another's hash is a different object and is hashed (and caught) on its own.
const hashOfValue = new WeakMap<object, string>();

/** The verdict on one stored record, before anything about turns. */
export function checkDecision(
	hash: string,
	raw: unknown,
	keys: ReadonlyMap<string, KeyBinding>,
	cache?: Map<string, true | Forgery>
): { ok: true; record: SignedDecision } | { ok: false; reason: Forgery; record?: SignedDecision } {
	const read = readRecord(SignedDecision, raw);
	if (!read.ok) return { ok: false, reason: 'INVALID_RECORD' };
	const record = read.record;
	const verdict = ((): true | Forgery => {
		// Always: the record held under this hash is the one the hash names (cheap), so a verdict
		// kept for the hash is a verdict on these very bytes, never on a record planted under it.
		let actual = hashOfValue.get(raw as object);
		if (actual === undefined) {
			actual = recordHash(record);
			hashOfValue.set(raw as object, actual);
		}
		if (actual !== hash) return 'HASH_MISMATCH';
		const binding = keys.get(record.key);
		if (!binding) return 'UNKNOWN_KEY';
		if (binding.principal !== record.signer) return 'KEY_NOT_SIGNERS';
		// Only the signature's verdict is kept (immutable: the bytes and the key id, which names
		// one public key); whose key it is, when it counted and for which site are checked on every
		// read, since keys are revoked later.
		let signed = cache?.get(hash);
		if (signed !== true && signed !== 'BAD_SIGNATURE') {
			signed = verifySignature(binding.publicKey, signedBytes(record), record.sig)
				? true
				: 'BAD_SIGNATURE';
			cache?.set(hash, signed);
		}
		if (signed !== true) return 'BAD_SIGNATURE';
		if (record.at < binding.validFrom || (binding.revokedAt && record.at >= binding.revokedAt))
			return 'KEY_NOT_VALID_THEN';
		if (!binding.sites.includes(record.site)) return 'SITE_NOT_HELD';
		return true;
	})();
	return verdict === true ? { ok: true, record } : { ok: false, reason: verdict, record };
}

export interface StepState {
	step: ChainStep;
	index: number;
	/** When it became (or would become) current. */
	since: string | null;
	deadline: string | null;
	remindAt: string | null;
	/** The decision that counts for this step. */
	decided: { hash: string; record: SignedDecision; escalated: boolean } | null;
	/** Valid decisions made on this step at the same time as the winner: kept, shown. */
	superseded: { hash: string; record: SignedDecision }[];
}

export interface WorkerApproval {
	application: string;
	worker: string;
	round: string | null;
	status: 'draft' | 'pending' | 'approved' | 'rejected' | 'returned' | 'withdrawn';
	/** Index of the step waiting for a decision (pending only). */
	current: number | null;
	steps: StepState[];
	/** Records about this worker and application that count as absent, with why. */
	forged: { hash: string; reason: Forgery; record?: SignedDecision }[];
	/** Decisions about an earlier submission (before it was returned and resubmitted). */
	earlier: { hash: string; record: SignedDecision }[];
}

const HOUR = 3_600_000;
const plusHours = (iso: string, h: number) => new Date(Date.parse(iso) + h * HOUR).toISOString();

function mayDecide(
	binding: KeyBinding | undefined,
	chain: ApprovalChain,
	index: number,
	afterDeadline: boolean
): boolean {
	if (!binding || binding.role !== 'staff') return false;
	if (binding.staffRole === chain.steps[index]!.role) return true;
	const next = chain.steps[index + 1];
	return (
		afterDeadline && chain.steps[index]!.nextMayDecide && !!next && binding.staffRole === next.role
	);
}

/**
 * Decision records grouped by subject and by signer. Judging one subject reads only its own
 * records, so a caller judging many (every worker at a site, every permit) builds this once
 * instead of rescanning every decision for each: O(decisions + subjects), not their product.
 */
export class DecisionIndex {
	readonly #bySubject = new Map<string, [string, unknown][]>();
	/** Each signer's record hashes (a record's `prev` must be one of its signer's). */
	readonly bySigner = new Map<string, Set<string>>();

	constructor(decisions: Iterable<[string, unknown]>) {
		for (const [hash, raw] of decisions) {
			const peek = raw as { application?: unknown; worker?: unknown; signer?: unknown } | null;
			if (!peek || typeof peek !== 'object') continue;
			if (typeof peek.application === 'string' && typeof peek.worker === 'string') {
				const key = `${peek.application}\n${peek.worker}`;
				const list = this.#bySubject.get(key);
				if (list) list.push([hash, raw]);
				else this.#bySubject.set(key, [[hash, raw]]);
			}
			if (typeof peek.signer === 'string') {
				const set = this.bySigner.get(peek.signer);
				if (set) set.add(hash);
				else this.bySigner.set(peek.signer, new Set([hash]));
			}
		}
	}

	static of(decisions: ReadonlyMap<string, unknown> | DecisionIndex): DecisionIndex {
		return decisions instanceof DecisionIndex ? decisions : new DecisionIndex(decisions);
	}

	/** The records about one subject (`application` and `worker` as the records name them). */
	about(application: string, worker: string): readonly [string, unknown][] {
		return this.#bySubject.get(`${application}\n${worker}`) ?? [];
	}
}

/** What goes through a chain: an application's worker, or a work permit (issue 9). */
export interface ApprovalSubject {
	/** `<contractorId>/<applicationId>`, or `permit:<permitId>`. */
	application: string;
	/** The worker, or the permit id again for a permit. */
	worker: string;
	/** The submission being decided (its submittedAt); null before the first. */
	round: string | null;
	status: WorkerApproval['status'];
}

/**
 * One worker's way through the chain, from the application and every decision record held (any
 * number of control documents' `decisions`, by hash). Deterministic: the same records give the
 * same state on every device.
 */
export function workerApproval(
	application: EntryApplication,
	workerId: string,
	chain: ApprovalChain,
	decisions: ReadonlyMap<string, unknown> | DecisionIndex,
	keys: ReadonlyMap<string, KeyBinding>,
	cache?: Map<string, true | Forgery>
): WorkerApproval {
	return subjectApproval(
		{
			application: `${application.contractorId}/${application.id}`,
			worker: workerId,
			round: application.submittedAt ?? null,
			status: application.status === 'submitted' ? 'pending' : application.status
		},
		chain,
		decisions,
		keys,
		cache
	);
}

/** A subject's way through its chain (see workerApproval); permits use it directly. */
export function subjectApproval(
	subject: ApprovalSubject,
	chain: ApprovalChain,
	decisions: ReadonlyMap<string, unknown> | DecisionIndex,
	keys: ReadonlyMap<string, KeyBinding>,
	cache?: Map<string, true | Forgery>
): WorkerApproval {
	const app = subject.application;
	const workerId = subject.worker;
	const round = subject.round;
	const result: WorkerApproval = {
		application: app,
		worker: workerId,
		round,
		status: subject.status,
		current: null,
		steps: chain.steps.map((step, index) => ({
			step,
			index,
			since: null,
			deadline: null,
			remindAt: null,
			decided: null,
			superseded: []
		})),
		forged: [],
		earlier: []
	};

	// Every record about this worker in this application, checked.
	const mine: { hash: string; record: SignedDecision }[] = [];
	const index = DecisionIndex.of(decisions);
	for (const [hash, raw] of index.about(app, workerId)) {
		const checked = checkDecision(hash, raw, keys, cache);
		if (!checked.ok) {
			result.forged.push({ hash, reason: checked.reason, record: checked.record });
			continue;
		}
		if (checked.record.round !== round) {
			result.earlier.push({ hash, record: checked.record });
			continue;
		}
		mine.push({ hash, record: checked.record });
	}
	// A signer's chain: each record's `prev` must be one of theirs (or null for the first).
	const chained = mine.filter(({ hash, record }) => {
		if (record.prev === null || index.bySigner.get(record.signer)?.has(record.prev)) return true;
		result.forged.push({ hash, reason: 'BROKEN_CHAIN', record });
		return false;
	});
	if (result.status !== 'pending' || round === null) {
		result.earlier.push(...chained);
		return result;
	}

	let since = round;
	for (let i = 0; i < chain.steps.length; i++) {
		const s = result.steps[i]!;
		s.since = since;
		s.deadline = plusHours(since, s.step.deadlineHours);
		s.remindAt = plusHours(since, s.step.deadlineHours - s.step.remindBeforeHours);
		const candidates: { hash: string; record: SignedDecision; escalated: boolean }[] = [];
		for (const c of chained) {
			if (c.record.step !== i) continue;
			const late = c.record.at >= s.deadline;
			const binding = keys.get(c.record.key);
			const own = binding?.staffRole === s.step.role;
			if (
				c.record.stepId !== s.step.id ||
				c.record.at < since ||
				!mayDecide(binding, chain, i, late)
			) {
				result.forged.push({
					hash: c.hash,
					reason:
						c.record.at < since || c.record.stepId !== s.step.id
							? 'NOT_CURRENT_STEP'
							: 'ROLE_NOT_HELD',
					record: c.record
				});
				continue;
			}
			candidates.push({ ...c, escalated: !own });
		}
		candidates.sort((a, b) =>
			a.record.at !== b.record.at ? (a.record.at < b.record.at ? -1 : 1) : a.hash < b.hash ? -1 : 1
		);
		const [winner, ...rest] = candidates;
		if (!winner) {
			result.current = i;
			// Decisions on later steps cannot have been made in turn.
			for (const c of chained)
				if (c.record.step > i)
					result.forged.push({ hash: c.hash, reason: 'NOT_CURRENT_STEP', record: c.record });
			return result;
		}
		s.decided = winner;
		s.superseded = rest;
		if (winner.record.decision === 'reject') {
			result.status = 'rejected';
			return result;
		}
		if (winner.record.decision === 'return') {
			result.status = 'returned';
			return result;
		}
		since = winner.record.at;
	}
	result.status = 'approved';
	return result;
}

/**
 * The relay's (and every writer's) check of a decision entering `site:<S>:control.decisions`: kept
 * under its own hash, signed by the key registered to the signer, for this site, and sent by the
 * signer's own device. Whether it was the signer's turn is judged by everyone from the records.
 */
export function decisionRefusal(
	claims: Claims,
	siteId: string,
	change: RecordChange,
	keys: ReadonlyMap<string, KeyBinding>,
	cache?: Map<string, true | Forgery>,
	/** The receiver's clock (the relay's): a decision dated later than this is refused. */
	now?: number
): Refusal | null {
	if (change.map !== 'decisions' || change.action === 'delete') return null;
	const at = { map: change.map, key: change.key };
	const checked = checkDecision(change.key, change.value, keys, cache);
	if (!checked.ok)
		return { code: 'INVALID_SIGNATURE', message: `decision refused: ${checked.reason}`, ...at };
	// Dated in the future, a decision would outlive its key's revocation (checked against `at`).
	if (now !== undefined && Date.parse(checked.record.at) > now + FUTURE_ALLOWANCE_MS)
		return {
			code: 'INVALID_RECORD',
			message: 'a decision cannot be dated in the future; check this device’s clock',
			...at
		};
	if (checked.record.signer !== claims.sub || checked.record.site !== siteId)
		return {
			code: 'NOT_OWN_RECORD',
			message: 'a decision is sent by its signer, to its own site',
			...at
		};
	return null;
}

/** What the gate needs (decideEntry's ApprovalState) for one worker at one site. */
export function approvalForGate(
	siteId: string,
	workerId: string,
	applications: readonly EntryApplication[],
	approvalOf: (app: EntryApplication) => WorkerApproval,
	today: IsoDate
): ApprovalState {
	const relevant = applications.filter(
		(a) => a.siteId === siteId && a.workers.some((w) => w.workerId === workerId)
	);
	if (relevant.length === 0) return { status: 'none', siteId };
	const states = relevant.map((a) => ({ a, s: approvalOf(a) }));
	// An approval valid today wins; else the most recent application tells the story.
	const approved = states
		.filter(({ s }) => s.status === 'approved')
		.sort((x, y) => (x.a.validUntil < y.a.validUntil ? 1 : -1));
	const current = approved.find(({ a }) => a.validFrom <= today && today <= a.validUntil);
	const pick =
		current ??
		approved[0] ??
		[...states].sort((x, y) => (x.a.updatedAt < y.a.updatedAt ? 1 : -1))[0]!;
	const status = pick.s.status;
	return {
		status:
			status === 'approved' ||
			status === 'rejected' ||
			status === 'returned' ||
			status === 'pending'
				? status
				: 'none',
		siteId,
		validFrom: pick.a.validFrom,
		validUntil: pick.a.validUntil
	};
}

export interface ApplicationApprovals {
	application: EntryApplication;
	/** One per worker named in the application, in its order. */
	workers: WorkerApproval[];
}

/**
 * Every entry application for a site across the contractor documents held, with each worker's
 * state, judged against the site's chain and all decisions held (`decisions` maps of the site's
 * control document).
 */
export function siteApprovals(
	siteId: string,
	control: {
		getMap(name: string): { get(key: string): unknown; entries(): Iterable<[string, unknown]> };
	},
	contractors: Iterable<{ getMap(name: string): { values(): Iterable<unknown> } }>,
	keys: ReadonlyMap<string, KeyBinding>,
	cache?: Map<string, true | Forgery>
): ApplicationApprovals[] {
	const chain = chainOf(control.getMap('settings'));
	// Indexed once for every worker of every application (not rescanned per worker).
	const decisions = new DecisionIndex(control.getMap('decisions').entries());
	const out: ApplicationApprovals[] = [];
	for (const doc of contractors) {
		for (const raw of doc.getMap('applications').values()) {
			const read = readRecord(EntryApplicationRecord, raw);
			if (!read.ok || read.record.siteId !== siteId) continue;
			const application = read.record;
			out.push({
				application,
				workers: application.workers.map((w) =>
					workerApproval(application, w.workerId, chain, decisions, keys, cache)
				)
			});
		}
	}
	return out;
}

export interface QueueItem {
	application: EntryApplication;
	approval: WorkerApproval;
	step: StepState;
	/** Decided by this person as escalation (the step's own role missed its deadline). */
	escalated: boolean;
	overdue: boolean;
}

/**
 * What waits for this person's decision: pending steps of their staff role at their sites, and
 * overdue steps the chain lets the next level decide. Nearest deadline first.
 */
export function approvalQueue(
	claims: Claims,
	items: readonly ApplicationApprovals[],
	now: Date
): QueueItem[] {
	if (claims.role !== 'staff' || !claims.staffRole) return [];
	const at = now.toISOString();
	const out: QueueItem[] = [];
	for (const { application, workers } of items) {
		if (!(claims.sites ?? []).includes(application.siteId)) continue;
		for (const approval of workers) {
			if (approval.status !== 'pending' || approval.current === null) continue;
			const step = approval.steps[approval.current]!;
			const next = approval.steps[approval.current + 1];
			const overdue = step.deadline !== null && at >= step.deadline;
			const own = step.step.role === claims.staffRole;
			const escalated =
				!own && overdue && step.step.nextMayDecide && next?.step.role === claims.staffRole;
			if (own || escalated) out.push({ application, approval, step, escalated, overdue });
		}
	}
	return out.sort((a, b) =>
		(a.step.deadline ?? '') < (b.step.deadline ?? '')
			? -1
			: (a.step.deadline ?? '') > (b.step.deadline ?? '')
				? 1
				: a.approval.worker < b.approval.worker
					? -1
					: 1
	);
}

export interface StepMetric {
	stepId: string;
	decided: number;
	/** Hours from the step becoming current to its decision, median and mean. */
	medianHours: number | null;
	meanHours: number | null;
	/** Waiting past the deadline now. */
	overdueNow: number;
}

/** For the dashboards: time spent in each step, and overdue counts per approver role. */
export function approvalMetrics(
	items: readonly ApplicationApprovals[],
	now: Date
): { steps: StepMetric[]; overdueByApprover: Record<string, number> } {
	const at = now.toISOString();
	const byStep = new Map<string, { hours: number[]; overdueNow: number }>();
	const overdueByApprover: Record<string, number> = {};
	for (const { workers } of items) {
		for (const a of workers) {
			for (const s of a.steps) {
				const m =
					byStep.get(s.step.id) ??
					byStep.set(s.step.id, { hours: [], overdueNow: 0 }).get(s.step.id)!;
				if (s.decided && s.since) {
					m.hours.push((Date.parse(s.decided.record.at) - Date.parse(s.since)) / HOUR);
					if (s.deadline && s.decided.record.at > s.deadline)
						overdueByApprover[s.decided.record.signer] =
							(overdueByApprover[s.decided.record.signer] ?? 0) + 1;
				}
				if (a.status === 'pending' && a.current === s.index && s.deadline && at >= s.deadline) {
					m.overdueNow++;
					overdueByApprover[`role:${s.step.role}`] =
						(overdueByApprover[`role:${s.step.role}`] ?? 0) + 1;
				}
			}
		}
	}
	const steps = [...byStep].map(([stepId, m]) => {
		const sorted = [...m.hours].sort((x, y) => x - y);
		const mid = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : null;
		return {
			stepId,
			decided: sorted.length,
			medianHours: mid,
			meanHours: sorted.length ? sorted.reduce((x, y) => x + y, 0) / sorted.length : null,
			overdueNow: m.overdueNow
		};
	});
	return { steps, overdueByApprover };
}
