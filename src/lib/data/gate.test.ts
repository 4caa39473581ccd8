// The gate's view of one worker, from the documents it holds: admitted once the whole chain has
// signed; not before; never with a forged approval.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decideEntry } from '../domain';
import { DEFAULT_ENTRY_CHAIN, signDecision } from './approvals';
import { entryInputFor } from './gate';
import { certificateFingerprint } from './verification';
import { newSecretKey, softwareSigner } from './signing';

const T0 = '2026-11-28T01:00:00.000Z';
const worker = {
	schema: 2,
	id: 'w1',
	contractorId: 'C1',
	name: '张伟',
	docType: 'resident_id',
	docNumber: '110105194912310021',
	createdAt: T0,
	updatedAt: T0
} as const;
const cert = {
	schema: 1,
	id: 'c1',
	workerId: 'w1',
	regime: 'special_operation',
	catalogueVersion: 'order30',
	code: 'SO-ELEC-HV',
	number: 'T110105194912310021',
	issuedOn: '2024-03-01',
	expiresOn: '2030-03-01',
	nextReviewOn: '2027-06-01',
	createdAt: T0,
	updatedAt: T0
} as const;

function setup() {
	const org = new Y.Doc();
	const contractor = new Y.Doc();
	const control = new Y.Doc();
	const people = (['project_lead', 'safety', 'director'] as const).map((staffRole, i) => {
		const signer = softwareSigner(newSecretKey());
		org.getMap('keys').set(signer.keyId, {
			schema: 1,
			id: signer.keyId,
			principal: `p${i}`,
			publicKey: signer.publicKey,
			role: 'staff',
			staffRole,
			sites: ['S1'],
			validFrom: '2026-01-01T00:00:00.000Z',
			registeredBy: 'admin'
		});
		return { signer, principal: `p${i}` };
	});
	contractor.getMap('workers').set('w1', worker);
	contractor.getMap('certificates').set('c1', cert);
	contractor.getMap('training').set('t1', {
		schema: 1,
		id: 't1',
		workerId: 'w1',
		kind: 'site_induction',
		siteId: 'S1',
		date: '2026-11-20',
		hours: 8,
		createdAt: T0
	});
	contractor.getMap('medical').set('m1', {
		schema: 1,
		id: 'm1',
		workerId: 'w1',
		examDate: '2026-10-01',
		result: 'fit',
		validUntil: '2027-10-01',
		createdAt: T0
	});
	contractor.getMap('applications').set('A1', {
		schema: 1,
		id: 'A1',
		contractorId: 'C1',
		siteId: 'S1',
		workers: [{ workerId: 'w1', workType: 'hv_electrical' }],
		validFrom: '2026-11-28',
		validUntil: '2026-12-31',
		status: 'submitted',
		submittedAt: T0,
		createdAt: T0,
		updatedAt: T0
	});
	control.getMap('verifications').set('01JZZZZZZZZZZZZZZZZZZZZZZZ', {
		schema: 1,
		id: '01JZZZZZZZZZZZZZZZZZZZZZZZ',
		certificateId: 'c1',
		contractorId: 'C1',
		workerId: 'w1',
		fingerprint: certificateFingerprint(cert, worker),
		outcome: 'genuine',
		checkedAt: T0,
		source: 'http:sim',
		trigger: 'registration',
		evidence: { attempts: 1 },
		by: 'relay',
		recordedAt: T0
	});
	return { org, contractor, control, people };
}

const query = {
	site: { id: 'S1', kind: 'construction' as const },
	workerId: 'w1',
	at: new Date('2026-11-29T01:00:00Z'),
	direction: 'in' as const,
	identity: { method: 'qr' as const, confirmed: true },
	ppe: { worn: true as const, confidence: 0.9 }
};

describe('entryInputFor', () => {
	it('denies while the chain is incomplete and admits once all three have signed', async () => {
		const { org, contractor, control, people } = setup();
		const docs = { org, contractor, control, blacklist: null };
		const codes = () => decideEntry(entryInputFor(docs, query)!).reasons.map((r) => r.code);
		expect(codes()).toContain('NOT_APPROVED');
		let minutes = 10;
		for (const [step, p] of people.entries()) {
			const { hash, record } = await signDecision(p.signer, {
				site: 'S1',
				application: 'C1/A1',
				worker: 'w1',
				round: T0,
				step,
				stepId: DEFAULT_ENTRY_CHAIN.steps[step]!.id,
				decision: 'approve',
				comment: '',
				conditions: [],
				signer: p.principal,
				prev: null,
				at: new Date(Date.parse(T0) + (minutes += 10) * 60_000).toISOString()
			});
			control.getMap('decisions').set(hash, record);
		}
		const input = entryInputFor(docs, query)!;
		expect(input.workType).toBe('hv_electrical');
		expect(input.approval?.status).toBe('approved');
		const decision = decideEntry(input);
		expect(decision.reasons).toEqual([]);
		expect(decision.allow).toBe(true);
	});

	it('a forged approval does not open the gate', async () => {
		const { org, contractor, control } = setup();
		const forger = softwareSigner(newSecretKey());
		for (let step = 0; step < 3; step++) {
			const { hash, record } = await signDecision(forger, {
				site: 'S1',
				application: 'C1/A1',
				worker: 'w1',
				round: T0,
				step,
				stepId: DEFAULT_ENTRY_CHAIN.steps[step]!.id,
				decision: 'approve',
				comment: '',
				conditions: [],
				signer: 'p0',
				prev: null,
				at: new Date(Date.parse(T0) + (step + 1) * 600_000).toISOString()
			});
			control.getMap('decisions').set(hash, record);
		}
		const decision = decideEntry(
			entryInputFor({ org, contractor, control, blacklist: null }, query)!
		);
		expect(decision.allow).toBe(false);
		expect(decision.reasons.map((r) => r.code)).toContain('NOT_APPROVED');
	});
});
