// A signer's chain only links records that check out: a forged record in their name is never
// taken as the `prev` of their next decision.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { signDecision } from './approvals';
import { lastDecisionOf } from './approval-commands';
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
