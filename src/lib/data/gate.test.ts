// The gate's view of one worker, from the documents it holds: admitted once the whole chain has
// signed; not before; never with a forged approval.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decideEntry } from '../domain';
import { DEFAULT_ENTRY_CHAIN, signDecision } from './approvals';
import { entryInputFor, gateDecision, gateRequiresPpe, gateRules, type GateContext } from './gate';
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
		await approveAll(control, people);
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

async function approveAll(control: Y.Doc, people: ReturnType<typeof setup>['people']) {
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
			at: new Date(Date.parse(T0) + (step + 1) * 600_000).toISOString()
		});
		control.getMap('decisions').set(hash, record);
	}
}

describe('gateDecision', () => {
	const at = new Date('2026-11-29T01:00:00Z');
	function context(docs: ReturnType<typeof setup>, onSite = false): GateContext {
		return {
			orgId: 'org1',
			org: docs.org,
			control: docs.control,
			blacklist: null,
			contractor: (id) => (id === 'C1' ? docs.contractor : null),
			site: { id: 'S1', kind: 'construction', timeZone: 'Asia/Shanghai' },
			deviceId: 'gate-1',
			onSite: () => onSite
		};
	}
	const face = {
		method: 'face' as const,
		worker: { contractorId: 'C1', workerId: 'w1' },
		confirmed: true,
		liveness: 'passed' as const,
		score: 0.81
	};

	it('admits an approved worker whose face matched live, and describes the event to journal', async () => {
		const docs = setup();
		await approveAll(docs.control, docs.people);
		const out = gateDecision(context(docs), face, 'in', at, {
			position: { lat: 30.2, lng: 120.1, accuracy: 12 }
		});
		// The site has not asked for the hard-hat check: it is not held against anyone.
		expect(out.decision.reasons).toEqual([]);
		expect(out.decision.allow).toBe(true);
		expect(out.worker?.name).toBe('张伟');
		expect(out.event).toMatchObject({
			siteId: 'S1',
			workerId: 'w1',
			contractorId: 'C1',
			direction: 'in',
			at: at.toISOString(),
			method: 'face',
			matchScore: 0.81,
			liveness: 'passed',
			allow: true,
			position: { lat: 30.2, lng: 120.1, accuracy: 12 }
		});
	});

	it('refuses a failed liveness check, a second entry without exit, and an unknown face', async () => {
		const docs = setup();
		await approveAll(docs.control, docs.people);
		const codes = (o: ReturnType<typeof gateDecision>) => o.decision.reasons.map((r) => r.code);
		const spoof = gateDecision(context(docs), { ...face, liveness: 'failed' }, 'in', at);
		expect(spoof.decision.allow).toBe(false);
		expect(codes(spoof)).toEqual(['LIVENESS_FAILED']);
		const twice = gateDecision(context(docs, true), face, 'in', at);
		expect(codes(twice)).toEqual(['ANTI_PASSBACK']);
		// The exit is recorded whatever happens.
		expect(gateDecision(context(docs, true), face, 'out', at).decision.allow).toBe(true);
		const unknown = gateDecision(
			context(docs),
			{ method: 'face', worker: null, confirmed: false, score: 0.31 },
			'in',
			at
		);
		expect(codes(unknown)).toEqual(['IDENTITY_UNCONFIRMED']);
		expect(unknown.event).toMatchObject({ workerId: null, allow: false, matchScore: 0.31 });
	});

	it('a wrong PIN names the worker but confirms nobody; site settings switch anti-passback off', async () => {
		const docs = setup();
		await approveAll(docs.control, docs.people);
		const wrongPin = gateDecision(
			context(docs),
			{ method: 'id_pin', worker: { contractorId: 'C1', workerId: 'w1' }, confirmed: false },
			'in',
			at
		);
		expect(wrongPin.decision.allow).toBe(false);
		expect(wrongPin.event.workerId).toBeNull();
		docs.control.getMap('settings').set('gate', {
			schema: 1,
			antiPassback: false,
			updatedAt: T0,
			updatedBy: 'p1'
		});
		expect(gateRules(docs.control, 'Asia/Shanghai')).toMatchObject({
			antiPassback: false,
			requirePpe: false
		});
		const again = gateDecision(context(docs, true), face, 'in', at);
		expect(again.decision.allow).toBe(true);
	});

	it('a site that requires hard hats: the reading decides, and the event records it', async () => {
		const docs = setup();
		await approveAll(docs.control, docs.people);
		expect(gateRequiresPpe(docs.control)).toBe(false);
		docs.control.getMap('settings').set('gate', {
			schema: 1,
			requirePpe: true,
			updatedAt: T0,
			updatedBy: 'p1'
		});
		expect(gateRequiresPpe(docs.control)).toBe(true);
		const codes = (o: ReturnType<typeof gateDecision>) => o.decision.reasons.map((r) => r.code);
		const reading = (worn: boolean | 'unknown', confidence: number) => ({
			worn,
			confidence,
			reason: worn === 'unknown' ? 'too_small' : null,
			model: 'builtin-1',
			features: [0.1, 0.2],
			crop: null
		});
		const hat = gateDecision(context(docs), face, 'in', at, { ppe: reading(true, 0.9) });
		expect(hat.decision.allow).toBe(true);
		expect(hat.event.ppe).toMatchObject({ worn: true, confidence: 0.9, model: 'builtin-1' });
		const bare = gateDecision(context(docs), face, 'in', at, { ppe: reading(false, 0.85) });
		expect(codes(bare)).toEqual(['PPE_MISSING']);
		// Unsure either way proves nothing: not admitted, but not called "missing" either.
		const unsure = gateDecision(context(docs), face, 'in', at, { ppe: reading(true, 0.4) });
		expect(codes(unsure)).toEqual(['PPE_UNCONFIRMED']);
		const small = gateDecision(context(docs), face, 'in', at, { ppe: reading('unknown', 0) });
		expect(codes(small)).toEqual(['PPE_UNCONFIRMED']);
		// No camera reading at all (a QR pass at a gate without a working camera).
		const none = gateDecision(
			context(docs),
			{ ...face, method: 'qr', liveness: undefined },
			'in',
			at
		);
		expect(codes(none)).toEqual(['PPE_UNCONFIRMED']);
		expect(none.event.ppe).toBeNull();
		// Leaving is never held up by a hard hat.
		expect(gateDecision(context(docs, true), face, 'out', at).decision.allow).toBe(true);
	});
});
