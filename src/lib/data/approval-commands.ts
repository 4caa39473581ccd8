// Writing the approval flow: a contractor drafts and submits an entry application (its own
// document); staff sign decisions into the site's control document. Decisions are checked here
// exactly as the relay will check them, so a device never keeps a decision the relay refuses.
import type * as Y from 'yjs';
import { AccessError, putRecord, type Actor } from './commands';
import { EntryApplication } from './contractor';
import { contractorDoc, controlDoc } from './documents';
import { newId } from './org-commands';
import { readRecord } from './records';
import { keyBindings, type KeyBinding, type Signer } from './signing';
import {
	ApprovalChain,
	chainOf,
	checkDecision,
	decisionRefusal,
	signDecision,
	SignedDecision,
	type Decision,
	type WorkerApproval
} from './approvals';

export interface ApplicationInput {
	siteId: string;
	workers: { workerId: string; workType: string }[];
	validFrom: string;
	validUntil: string;
	note?: string;
}

/** Creates (draft) or replaces an application; `submit` sends it into the chain (a new round). */
export function saveApplication(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	input: ApplicationInput & { id?: string; submit: boolean },
	at = new Date()
): EntryApplication {
	const name = contractorDoc(contractorId);
	const id = input.id ?? newId('app');
	const before = readRecord(EntryApplication, doc.getMap('applications').get(id));
	const now = at.toISOString();
	if (input.validUntil < input.validFrom) throw new RangeError('validUntil before validFrom');
	if (input.workers.length === 0) throw new RangeError('an application names at least one worker');
	return putRecord(doc, name, actor, 'applications', id, EntryApplication, {
		schema: 1,
		id,
		contractorId,
		siteId: input.siteId,
		workers: input.workers,
		validFrom: input.validFrom,
		validUntil: input.validUntil,
		...(input.note?.trim() ? { note: input.note.trim() } : {}),
		status: input.submit ? 'submitted' : 'draft',
		// Each submission is a new round: decisions about an earlier one no longer count.
		...(input.submit ? { submittedAt: now, submittedBy: actor.claims.sub } : {}),
		createdAt: before.ok ? before.record.createdAt : now,
		updatedAt: now
	});
}

export function withdrawApplication(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	id: string,
	at = new Date()
): EntryApplication {
	const read = readRecord(EntryApplication, doc.getMap('applications').get(id));
	if (!read.ok) throw new RangeError(`no application ${id}`);
	return putRecord(doc, contractorDoc(contractorId), actor, 'applications', id, EntryApplication, {
		...read.record,
		status: 'withdrawn',
		updatedAt: at.toISOString()
	});
}

/**
 * The hash of this signer's latest decision in `control` (the `prev` of their next one). Only
 * records that check out count: a forged record in their name never becomes part of their chain.
 */
export function lastDecisionOf(
	control: Y.Doc,
	signer: string,
	keys: ReadonlyMap<string, KeyBinding>
): string | null {
	let best: { hash: string; at: string } | null = null;
	const referenced = new Set<string>();
	const mine: { hash: string; at: string }[] = [];
	for (const [hash, raw] of control.getMap('decisions').entries()) {
		if ((raw as { signer?: unknown } | null)?.signer !== signer) continue;
		const checked = checkDecision(hash, raw, keys);
		if (!checked.ok) continue;
		mine.push({ hash, at: checked.record.at });
		if (checked.record.prev) referenced.add(checked.record.prev);
	}
	// The head of the chain: not referenced by another of theirs (latest if several heads).
	for (const m of mine) {
		if (referenced.has(m.hash)) continue;
		if (!best || m.at > best.at || (m.at === best.at && m.hash > best.hash)) best = m;
	}
	return best?.hash ?? null;
}

export interface StepTimes {
	deadlineHours: number;
	remindBeforeHours: number;
	nextMayDecide: boolean;
}

/**
 * The director sets each step's deadline, reminder and escalation for the site. The steps
 * themselves (who, in which order) stay as they are: applications already in the chain are judged
 * step by step, and changing the steps under them would make their decisions count differently.
 */
export function setChainTimes(
	control: Y.Doc,
	controlName: string,
	actor: Actor,
	times: readonly StepTimes[],
	at = new Date()
): ApprovalChain {
	const chain = chainOf(control.getMap('settings'));
	if (times.length !== chain.steps.length) throw new RangeError('one setting per step');
	const steps = chain.steps.map((step, i) => {
		const t = times[i]!;
		if (!(t.deadlineHours >= 1 && t.deadlineHours <= 720))
			throw new RangeError('deadline must be 1 to 720 hours');
		if (!(t.remindBeforeHours >= 0 && t.remindBeforeHours < t.deadlineHours))
			throw new RangeError('the reminder comes before the deadline');
		// Escalation needs a next level to escalate to.
		return { ...step, ...t, nextMayDecide: t.nextMayDecide && i < chain.steps.length - 1 };
	});
	return putRecord(control, controlName, actor, 'settings', 'chain:entry', ApprovalChain, {
		...chain,
		steps,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

export interface DecideInput {
	approval: WorkerApproval;
	decision: Decision;
	comment?: string;
	conditions?: string[];
	/** Token id of this device, kept in the record for the audit trail. */
	device?: string;
	at?: Date;
}

/**
 * Signs and stores one decision on the approval's current step (one signature per worker).
 * Throws AccessError when the relay would refuse it.
 */
export async function decide(
	control: Y.Doc,
	siteId: string,
	org: Y.Doc,
	actor: Actor,
	signer: Signer,
	input: DecideInput
): Promise<{ hash: string; record: SignedDecision }> {
	const a = input.approval;
	if (a.status !== 'pending' || a.current === null || a.round === null)
		throw new RangeError('this application is not waiting for a decision');
	const step = a.steps[a.current]!;
	const keys = keyBindings(org.getMap('keys'));
	const { hash, record } = await signDecision(signer, {
		site: siteId,
		application: a.application,
		worker: a.worker,
		round: a.round,
		step: a.current,
		stepId: step.step.id,
		decision: input.decision,
		comment: input.comment?.trim() ?? '',
		conditions: (input.conditions ?? []).map((c) => c.trim()).filter(Boolean),
		signer: actor.claims.sub,
		prev: lastDecisionOf(control, actor.claims.sub, keys),
		at: (input.at ?? new Date()).toISOString(),
		...(input.device ? { device: input.device } : {})
	});
	const name = controlDoc(siteId);
	const refusal = decisionRefusal(
		actor.claims,
		siteId,
		{ map: 'decisions', key: hash, action: 'add', value: record },
		keys
	);
	if (refusal) throw new AccessError(refusal);
	putRecord(control, name, actor, 'decisions', hash, SignedDecision, record);
	return { hash, record };
}
