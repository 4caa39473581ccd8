// What the audit trail and the queue say about approval records: each stored record gets exactly
// one mark (verified, superseded, earlier round, withdrawn, forged with why), oldest first; the
// live read model follows new decisions; deadlines read as people say them.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	DEFAULT_ENTRY_CHAIN,
	signDecision,
	workerApproval,
	type UnsignedDecision
} from '$lib/data/approvals';
import { LiveApprovals } from '$lib/data/approvals-live.svelte';
import type { EntryApplication } from '$lib/data/contractor';
import { newSecretKey, softwareSigner, type KeyBinding, type Signer } from '$lib/data/signing';
import { auditEntries, deadlineText } from './approval-view';

const T0 = '2026-11-28T01:00:00.000Z';
const T1 = '2026-11-28T09:00:00.000Z';
const at = (base: string, minutes: number) =>
	new Date(Date.parse(base) + minutes * 60_000).toISOString();

function person(principal: string, staffRole: KeyBinding['staffRole']) {
	const signer = softwareSigner(newSecretKey());
	const binding: KeyBinding = {
		schema: 1,
		id: signer.keyId,
		principal,
		publicKey: signer.publicKey,
		role: 'staff',
		staffRole,
		sites: ['S1'],
		validFrom: '2026-01-01T00:00:00.000Z',
		registeredBy: 'admin'
	};
	return { principal, signer, binding };
}
const lead = person('lead1', 'project_lead');
const lead2 = person('lead2', 'project_lead');
const safety = person('safe1', 'safety');
const keys = new Map([lead, lead2, safety].map((p) => [p.binding.id, p.binding]));

const app = (submittedAt: string, status: EntryApplication['status'] = 'submitted') =>
	({
		schema: 1,
		id: 'A1',
		contractorId: 'C1',
		siteId: 'S1',
		workers: [{ workerId: 'w1', workType: 'hv_electrical' }],
		validFrom: '2026-11-28',
		validUntil: '2026-12-31',
		status,
		submittedAt,
		submittedBy: 'c1',
		createdAt: T0,
		updatedAt: submittedAt
	}) satisfies EntryApplication;

async function sign(
	who: { principal: string; signer: Signer },
	round: string,
	step: number,
	when: string,
	extra: Partial<UnsignedDecision> = {}
) {
	return signDecision(who.signer, {
		site: 'S1',
		application: 'C1/A1',
		worker: 'w1',
		round,
		step,
		stepId: DEFAULT_ENTRY_CHAIN.steps[step]!.id,
		decision: 'approve',
		comment: '',
		conditions: [],
		signer: who.principal,
		prev: null,
		at: when,
		...extra
	});
}

describe('auditEntries', () => {
	it('marks every record once: earlier round, verified, superseded, forged', async () => {
		const r1Lead = await sign(lead, T0, 0, at(T0, 10));
		const r1Return = await sign(safety, T0, 1, at(T0, 30), {
			decision: 'return',
			comment: '体检过期'
		});
		const r2Lead = await sign(lead, T1, 0, at(T1, 10), { prev: r1Lead.hash });
		const r2Concurrent = await sign(lead2, T1, 0, at(T1, 11));
		const forged = await sign(
			{ principal: 'safe1', signer: softwareSigner(newSecretKey()) },
			T1,
			1,
			at(T1, 20)
		);
		const records = new Map<string, unknown>(
			[r1Lead, r1Return, r2Lead, r2Concurrent, forged].map((r) => [r.hash, r.record])
		);
		const approval = workerApproval(app(T1), 'w1', DEFAULT_ENTRY_CHAIN, records, keys);
		const entries = auditEntries(approval);
		expect(entries.map((e) => [e.hash, e.mark])).toEqual([
			[r1Lead.hash, 'earlier'],
			[r1Return.hash, 'earlier'],
			[r2Lead.hash, 'verified'],
			[r2Concurrent.hash, 'superseded'],
			[forged.hash, 'forged']
		]);
		expect(entries.find((e) => e.mark === 'forged')?.reason).toBe('UNKNOWN_KEY');
		expect(entries.map((e) => e.step)).toEqual([
			'项目负责人审核',
			'安全部门复核',
			'项目负责人审核',
			'项目负责人审核',
			'安全部门复核'
		]);
	});

	it('says a withdrawn submission was withdrawn, not that it was an earlier round', async () => {
		const r1 = await sign(lead, T0, 0, at(T0, 10));
		const r2 = await sign(lead, T1, 0, at(T1, 10), { prev: r1.hash });
		const records = new Map<string, unknown>([r1, r2].map((r) => [r.hash, r.record]));
		const approval = workerApproval(app(T1, 'withdrawn'), 'w1', DEFAULT_ENTRY_CHAIN, records, keys);
		expect(auditEntries(approval).map((e) => e.mark)).toEqual(['earlier', 'withdrawn']);
	});
});

describe('LiveApprovals', () => {
	it('follows applications and decisions as they arrive', async () => {
		const org = new Y.Doc();
		const control = new Y.Doc();
		const contractor = new Y.Doc();
		for (const [id, b] of keys) org.getMap('keys').set(id, b);
		const live = new LiveApprovals({
			org,
			controls: [{ siteId: 'S1', doc: control }],
			contractors: [contractor]
		});
		expect(live.items).toEqual([]);
		contractor.getMap('applications').set('A1', app(T0));
		await new Promise((r) => setTimeout(r, 5));
		expect(live.items[0]?.workers[0]).toMatchObject({ status: 'pending', current: 0 });
		const d = await sign(lead, T0, 0, at(T0, 10));
		control.getMap('decisions').set(d.hash, d.record);
		await new Promise((r) => setTimeout(r, 5));
		expect(live.items[0]?.workers[0]).toMatchObject({ status: 'pending', current: 1 });
		live.destroy();
	});
});

describe('deadlineText', () => {
	const now = new Date('2026-11-28T10:00:00.000Z');
	it('reads as people say it, ahead or overdue', () => {
		expect(deadlineText('2026-11-28T13:00:00.000Z', now)).toBe('3 小时后截止');
		expect(deadlineText('2026-11-28T05:00:00.000Z', now)).toBe('已逾期 5 小时');
		expect(deadlineText('2026-11-28T10:20:00.000Z', now)).toBe('20 分钟后截止');
		expect(deadlineText('2026-11-25T10:00:00.000Z', now)).toBe('已逾期 3 天');
	});
});
