// The approval chain from signed records: the whole default chain; forged records (unregistered
// key, wrong role, altered after signing, revoked key, out of turn, broken chain) count as absent
// and are reported; concurrent offline decisions converge identically on three devices; returns
// and resubmissions; escalation past a deadline.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	checkDecision,
	decisionRefusal,
	approvalForGate,
	approvalMetrics,
	approvalQueue,
	DEFAULT_ENTRY_CHAIN,
	signDecision,
	siteApprovals,
	workerApproval,
	type UnsignedDecision
} from './approvals';
import type { Claims } from './access';
import type { EntryApplication } from './contractor';
import { newSecretKey, recordHash, softwareSigner, type KeyBinding, type Signer } from './signing';

const T0 = '2026-11-28T01:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function person(principal: string, staffRole: KeyBinding['staffRole'], sites = ['S1']) {
	const signer = softwareSigner(newSecretKey());
	const binding: KeyBinding = {
		schema: 1,
		id: signer.keyId,
		principal,
		publicKey: signer.publicKey,
		role: 'staff',
		...(staffRole ? { staffRole } : {}),
		sites,
		validFrom: '2026-01-01T00:00:00.000Z',
		registeredBy: 'admin'
	};
	return { principal, signer, binding };
}

const lead = person('lead1', 'project_lead');
const lead2 = person('lead2', 'project_lead');
const safety = person('safe1', 'safety');
const director = person('dir1', 'director');
const otherSite = person('lead9', 'project_lead', ['S2']);
const keys = new Map(
	[lead, lead2, safety, director, otherSite].map((p) => [p.binding.id, p.binding])
);

const application: EntryApplication = {
	schema: 1,
	id: 'A1',
	contractorId: 'C1',
	siteId: 'S1',
	workers: [
		{ workerId: 'w1', workType: 'hv_electrical' },
		{ workerId: 'w2', workType: 'hot_work' }
	],
	validFrom: '2026-11-28',
	validUntil: '2026-12-31',
	status: 'submitted',
	submittedAt: T0,
	submittedBy: 'c1admin',
	createdAt: T0,
	updatedAt: T0
};

const STEP_IDS = DEFAULT_ENTRY_CHAIN.steps.map((s) => s.id);

async function decision(
	who: { principal: string; signer: Signer },
	step: number,
	minutes: number,
	extra: Partial<UnsignedDecision> = {},
	prev: string | null = null
) {
	return signDecision(who.signer, {
		site: 'S1',
		application: 'C1/A1',
		worker: 'w1',
		round: T0,
		step,
		stepId: STEP_IDS[step]!,
		decision: 'approve',
		comment: '',
		conditions: [],
		signer: who.principal,
		prev,
		at: at(minutes),
		...extra
	});
}

const state = (records: { hash: string; record: unknown }[], app = application, worker = 'w1') =>
	workerApproval(
		app,
		worker,
		DEFAULT_ENTRY_CHAIN,
		new Map(records.map((r) => [r.hash, r.record])),
		keys
	);

describe('the default chain', () => {
	it('lead → safety → director: approved, and the gate sees it', async () => {
		const a = await decision(lead, 0, 30);
		expect(state([a])).toMatchObject({ status: 'pending', current: 1 });
		const b = await decision(safety, 1, 90);
		const c = await decision(director, 2, 200);
		const s = state([a, b, c]);
		expect(s.status).toBe('approved');
		expect(s.forged).toEqual([]);
		expect(s.steps.map((x) => x.decided?.record.signer)).toEqual(['lead1', 'safe1', 'dir1']);
		// Deadlines run from when each step became current.
		expect(s.steps[1]!.since).toBe(at(30));
		expect(s.steps[1]!.deadline).toBe(at(30 + 24 * 60));
		const gate = approvalForGate('S1', 'w1', [application], () => s, '2026-12-01');
		expect(gate).toEqual({
			status: 'approved',
			siteId: 'S1',
			validFrom: '2026-11-28',
			validUntil: '2026-12-31'
		});
		// w2 has no decisions yet.
		expect(state([a, b, c], application, 'w2')).toMatchObject({ status: 'pending', current: 0 });
	});

	it('reject ends it; return sends it back, and a resubmission starts a new round', async () => {
		const a = await decision(lead, 0, 30);
		const r = await decision(safety, 1, 60, { decision: 'return', comment: '体检报告过期' });
		expect(state([a, r]).status).toBe('returned');
		const again = { ...application, submittedAt: at(120), updatedAt: at(120) };
		const s = state([a, r], again);
		expect(s).toMatchObject({ status: 'pending', current: 0 });
		expect(s.earlier.map((e) => e.hash).sort()).toEqual([a.hash, r.hash].sort());
		const x = await decision(lead, 0, 30, { decision: 'reject', comment: '证书不符' });
		expect(state([x]).status).toBe('rejected');
	});
});

describe('forged records count as absent and are reported', () => {
	it('a valid signature by a key not registered for that role', async () => {
		// The safety officer signs the project lead's step.
		const f = await decision(safety, 0, 30, { stepId: 'lead_review' });
		const s = state([f]);
		expect(s).toMatchObject({ status: 'pending', current: 0 });
		expect(s.forged).toMatchObject([{ hash: f.hash, reason: 'ROLE_NOT_HELD' }]);
	});

	it('a key of another site, an unknown key, a key used by someone else', async () => {
		const other = await decision(otherSite, 0, 30);
		const stranger = person('lead1', 'project_lead');
		const unknown = await decision(stranger, 0, 31);
		const borrowed = await decision({ principal: 'lead2', signer: lead.signer }, 0, 32);
		const s = state([other, unknown, borrowed]);
		expect(s.current).toBe(0);
		expect(Object.fromEntries(s.forged.map((f) => [f.hash, f.reason]))).toEqual({
			[other.hash]: 'SITE_NOT_HELD',
			[unknown.hash]: 'UNKNOWN_KEY',
			[borrowed.hash]: 'KEY_NOT_SIGNERS'
		});
	});

	it('altered after signing: kept under the old hash or re-hashed, both caught', async () => {
		const good = await decision(lead, 0, 30);
		const altered = { ...good.record, decision: 'reject' as const };
		const s1 = state([{ hash: good.hash, record: altered }]);
		expect(s1.forged[0]!.reason).toBe('HASH_MISMATCH');
		const s2 = state([{ hash: recordHash(altered), record: altered }]);
		expect(s2.forged[0]!.reason).toBe('BAD_SIGNATURE');
		expect(s2.status).toBe('pending');
	});

	it('signed after the key was revoked', async () => {
		const revoked = new Map(keys);
		revoked.set(lead.binding.id, { ...lead.binding, revokedAt: at(10) });
		const d = await decision(lead, 0, 30);
		const s = workerApproval(
			application,
			'w1',
			DEFAULT_ENTRY_CHAIN,
			new Map([[d.hash, d.record]]),
			revoked
		);
		expect(s.forged[0]!.reason).toBe('KEY_NOT_VALID_THEN');
	});

	it('out of turn: the director cannot approve before the others', async () => {
		const d = await decision(director, 2, 30);
		const s = state([d]);
		expect(s.current).toBe(0);
		expect(s.forged[0]!.reason).toBe('NOT_CURRENT_STEP');
	});

	it('a broken personal chain (prev unknown) is flagged', async () => {
		const d = await decision(lead, 0, 30, {}, 'a'.repeat(64));
		expect(state([d]).forged[0]!.reason).toBe('BROKEN_CHAIN');
	});
});

const staffClaims = (sub: string): Claims => ({
	iss: 'org1',
	sub,
	role: 'staff',
	staffRole: 'project_lead',
	sites: ['S1'],
	jti: `j-${sub}`,
	iat: 0,
	exp: 9e9
});

describe('kept signature verdicts (a shared, persistent cache)', () => {
	it('a record planted under the hash of a verified one is still forged', async () => {
		const cache = new Map();
		const good = await decision(lead, 0, 10);
		expect(checkDecision(good.hash, good.record, keys, cache)).toMatchObject({ ok: true });
		expect(cache.get(good.hash)).toBe(true);
		// Another record — safety's step, approved, a junk signature — stored under that hash.
		const planted = {
			...good.record,
			step: 1,
			stepId: STEP_IDS[1]!,
			key: safety.binding.id,
			signer: safety.principal
		};
		expect(checkDecision(good.hash, planted, keys, cache)).toMatchObject({
			ok: false,
			reason: 'HASH_MISMATCH'
		});
		// The relay's intake says the same.
		const claims = { ...staffClaims('safe1'), staffRole: 'safety' as const };
		expect(
			decisionRefusal(
				claims,
				'S1',
				{ map: 'decisions', key: good.hash, action: 'add', value: planted },
				keys,
				cache
			)?.code
		).toBe('INVALID_SIGNATURE');
	});

	it('a kept verdict does not outlive the key: revoked later, records after it stop counting', async () => {
		const cache = new Map();
		const late = await decision(lead, 0, 120);
		expect(checkDecision(late.hash, late.record, keys, cache).ok).toBe(true);
		const revoked = new Map(keys);
		revoked.set(lead.binding.id, { ...lead.binding, revokedAt: at(60) });
		expect(checkDecision(late.hash, late.record, revoked, cache)).toMatchObject({
			ok: false,
			reason: 'KEY_NOT_VALID_THEN'
		});
	});

	it('the relay refuses a decision dated in the future (it would outlive a revocation)', async () => {
		const ahead = await decision(lead, 0, 60);
		const claims = staffClaims('lead1');
		const now = Date.parse(T0);
		const change = {
			map: 'decisions',
			key: ahead.hash,
			action: 'add' as const,
			value: ahead.record
		};
		expect(decisionRefusal(claims, 'S1', change, keys, undefined, now)?.code).toBe(
			'INVALID_RECORD'
		);
		expect(decisionRefusal(claims, 'S1', change, keys, undefined, now + 55 * 60_000)).toBeNull();
	});
});

describe('concurrent offline decisions', () => {
	it('converge identically on three devices, whatever order the records arrive in', async () => {
		// Two project leads decide the same step while both offline; one approves, one rejects.
		const early = await decision(lead2, 0, 20, { decision: 'reject', comment: '资料不全' });
		const late = await decision(lead, 0, 25);
		const devices = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
		const updates = [early, late].map(({ hash, record }) => {
			const d = new Y.Doc();
			d.getMap('decisions').set(hash, record);
			return Y.encodeStateAsUpdate(d);
		});
		Y.applyUpdate(devices[0]!, updates[0]!);
		Y.applyUpdate(devices[0]!, updates[1]!);
		Y.applyUpdate(devices[1]!, updates[1]!);
		Y.applyUpdate(devices[1]!, updates[0]!);
		Y.applyUpdate(devices[2]!, Y.mergeUpdates([updates[1]!, updates[0]!]));
		const states = devices.map((d) =>
			workerApproval(
				application,
				'w1',
				DEFAULT_ENTRY_CHAIN,
				new Map(d.getMap('decisions').entries()),
				keys
			)
		);
		for (const s of states) {
			expect(s.status).toBe('rejected');
			expect(s.steps[0]!.decided?.hash).toBe(early.hash);
			expect(s.steps[0]!.superseded.map((x) => x.hash)).toEqual([late.hash]);
		}
		expect(JSON.stringify(states[1])).toBe(JSON.stringify(states[0]));
		expect(JSON.stringify(states[2])).toBe(JSON.stringify(states[0]));
	});

	it('the same instant: the lower hash wins, everywhere', async () => {
		const a = await decision(lead, 0, 20);
		const b = await decision(lead2, 0, 20, { decision: 'return', comment: '补充材料' });
		const winner = a.hash < b.hash ? a.hash : b.hash;
		expect(state([a, b]).steps[0]!.decided?.hash).toBe(winner);
		expect(state([b, a]).steps[0]!.decided?.hash).toBe(winner);
	});
});

describe('deadlines and escalation', () => {
	it('past the safety deadline the director may decide the safety step (the chain allows it)', async () => {
		const a = await decision(lead, 0, 0);
		const early = await decision(director, 1, 60, { stepId: 'safety_check' });
		expect(state([a, early]).forged[0]!.reason).toBe('ROLE_NOT_HELD');
		const late = await decision(director, 1, 24 * 60 + 5, { stepId: 'safety_check' });
		const s = state([a, late]);
		expect(s.current).toBe(2);
		expect(s.steps[1]!.decided).toMatchObject({ hash: late.hash, escalated: true });
	});

	it('the queue: own steps by deadline, escalated ones after the deadline only', async () => {
		const a = await decision(lead, 0, 0);
		const items = [{ application, workers: [state([a]), state([], application, 'w2')] }];
		const claims = (staffRole: Claims['staffRole'], sub: string): Claims => ({
			iss: 'o',
			sub,
			role: 'staff',
			staffRole,
			sites: ['S1'],
			jti: 'j',
			iat: 0,
			exp: 4102444800
		});
		const now = new Date(at(60));
		expect(
			approvalQueue(claims('project_lead', 'lead1'), items, now).map((q) => q.approval.worker)
		).toEqual(['w2']);
		expect(
			approvalQueue(claims('safety', 'safe1'), items, now).map((q) => q.approval.worker)
		).toEqual(['w1']);
		expect(approvalQueue(claims('director', 'dir1'), items, now)).toEqual([]);
		const later = new Date(at(25 * 60));
		expect(approvalQueue(claims('director', 'dir1'), items, later)).toMatchObject([
			{ escalated: true, overdue: true }
		]);
		const metrics = approvalMetrics(items, later);
		expect(metrics.steps.find((m) => m.stepId === 'lead_review')).toMatchObject({
			decided: 1,
			medianHours: 0,
			overdueNow: 1
		});
		expect(metrics.overdueByApprover).toEqual({ 'role:project_lead': 1, 'role:safety': 1 });
	});
});

describe('siteApprovals', () => {
	it('reads applications from contractor documents and decisions from the control document', async () => {
		const contractor = new Y.Doc();
		contractor.getMap('applications').set('A1', application);
		contractor.getMap('applications').set('A2', { ...application, id: 'A2', siteId: 'S2' });
		const control = new Y.Doc();
		const a = await decision(lead, 0, 30);
		control.getMap('decisions').set(a.hash, a.record);
		const items = siteApprovals('S1', control, [contractor], keys);
		expect(items).toHaveLength(1);
		expect(items[0]!.workers.map((w) => [w.worker, w.current])).toEqual([
			['w1', 1],
			['w2', 0]
		]);
	});
});
