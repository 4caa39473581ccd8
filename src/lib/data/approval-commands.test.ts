// A signer's chain only links records that check out: a forged record in their name is never
// taken as the `prev` of their next decision.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Claims, OrgView } from './access';
import { chainOf, DEFAULT_ENTRY_CHAIN, signDecision } from './approvals';
import { lastDecisionOf, setChainTimes } from './approval-commands';
import { AccessError } from './commands';
import { newSecretKey, softwareSigner, type KeyBinding } from './signing';

describe('lastDecisionOf', () => {
	it('is the head of the signer’s own verified records', async () => {
		const lead = softwareSigner(newSecretKey());
		const forger = softwareSigner(newSecretKey());
		const keys = new Map<string, KeyBinding>([
			[
				lead.keyId,
				{
					schema: 1,
					id: lead.keyId,
					principal: 'lead1',
					publicKey: lead.publicKey,
					role: 'staff',
					staffRole: 'project_lead',
					sites: ['S1'],
					validFrom: '2026-01-01T00:00:00.000Z',
					registeredBy: 'admin'
				}
			]
		]);
		const fields = (at: string, prev: string | null) => ({
			site: 'S1',
			application: 'C1/A1',
			worker: 'w1',
			round: '2026-11-28T00:00:00.000Z',
			step: 0,
			stepId: 'lead_review',
			decision: 'approve' as const,
			comment: '',
			conditions: [],
			signer: 'lead1',
			prev,
			at
		});
		const control = new Y.Doc();
		const first = await signDecision(lead, fields('2026-11-28T01:00:00.000Z', null));
		const second = await signDecision(lead, fields('2026-11-28T02:00:00.000Z', first.hash));
		const forged = await signDecision(forger, fields('2026-11-28T03:00:00.000Z', second.hash));
		for (const d of [first, second, forged]) control.getMap('decisions').set(d.hash, d.record);
		expect(lastDecisionOf(control, 'lead1', keys)).toBe(second.hash);
		expect(lastDecisionOf(control, 'nobody', keys)).toBeNull();
	});
});

describe('setChainTimes', () => {
	const org: OrgView = { contractorSites: () => ['S1'] };
	const staff = (staffRole: Claims['staffRole']): Claims => ({
		iss: 'o',
		sub: `${staffRole}1`,
		role: 'staff',
		staffRole,
		sites: ['S1'],
		jti: 'j',
		iat: 0,
		exp: 4102444800
	});
	const times = DEFAULT_ENTRY_CHAIN.steps.map((s) => ({
		deadlineHours: s.deadlineHours,
		remindBeforeHours: s.remindBeforeHours,
		nextMayDecide: s.nextMayDecide
	}));

	it('the director sets deadlines, reminders and escalation; the steps stay', () => {
		const control = new Y.Doc();
		const changed = times.map((t, i) =>
			i === 0 ? { ...t, deadlineHours: 8, remindBeforeHours: 2, nextMayDecide: true } : t
		);
		setChainTimes(control, 'site:S1:control', { claims: staff('director'), org }, changed);
		const chain = chainOf(control.getMap('settings'));
		expect(chain.steps.map((s) => s.id)).toEqual(DEFAULT_ENTRY_CHAIN.steps.map((s) => s.id));
		expect(chain.steps[0]).toMatchObject({
			deadlineHours: 8,
			remindBeforeHours: 2,
			nextMayDecide: true
		});
		expect(chain.updatedBy).toBe('director1');
	});

	it('nobody else, and nothing unreasonable', () => {
		const control = new Y.Doc();
		expect(() =>
			setChainTimes(control, 'site:S1:control', { claims: staff('safety'), org }, times)
		).toThrow(AccessError);
		const bad = times.map((t) => ({ ...t, remindBeforeHours: t.deadlineHours }));
		expect(() =>
			setChainTimes(control, 'site:S1:control', { claims: staff('director'), org }, bad)
		).toThrow(RangeError);
		expect(chainOf(control.getMap('settings'))).toBe(DEFAULT_ENTRY_CHAIN);
	});
});
