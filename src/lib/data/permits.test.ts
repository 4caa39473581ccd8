// Permits in the control document: submission blocked by a person whose card does not cover their
// role; the chain per kind and (raised) grade signed step by step; a permit that expires by itself
// and stops opening doors at its end; submitted content frozen; the signed QR; and the authorize
// rule for doors and interlocks with the DOMAIN.md scope examples.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Claims, OrgView } from './access';
import { decide } from './approval-commands';
import { DEFAULT_ENTRY_CHAIN, signDecision } from './approvals';
import { authorize, type AuthorizeQuery } from './authorize';
import { AccessError, type Actor } from './commands';
import { certificateFingerprint } from './verification';
import {
	actOnPermit,
	cancelPermit,
	checkPermitQr,
	onRecord,
	permitChainOf,
	PermitRefused,
	permitRefusal,
	savePermit,
	saveEquipment,
	saveZone,
	setPermitSettings,
	permitProblems,
	recordReading,
	signPermitQr,
	sitePermits,
	type PermitCheckSite,
	type PermitInput,
	type PermitView
} from './permits';
import { keyBindings, newSecretKey, softwareSigner } from './signing';
import { workerCertificates } from './verification';

const T0 = '2026-11-28T01:00:00.000Z';
// Wednesday 2026-12-02 09:00–15:00 in Shanghai.
const FROM = '2026-12-02T01:00:00.000Z';
const UNTIL = '2026-12-02T07:00:00.000Z';
const orgView: OrgView = { contractorSites: () => ['S1'] };

const claims = (sub: string, staffRole: Claims['staffRole']): Claims => ({
	iss: 'org1',
	sub,
	role: 'staff',
	staffRole,
	sites: ['S1'],
	jti: `j-${sub}`,
	iat: 0,
	exp: 9e9
});

function worker(id: string, name: string, docNumber: string) {
	return {
		schema: 2,
		id,
		contractorId: 'C1',
		name,
		docType: 'resident_id',
		docNumber,
		createdAt: T0,
		updatedAt: T0
	} as const;
}

const WORKERS = {
	hv: { w: worker('hv', '王电工', '110105194912310021'), code: 'SO-ELEC-HV' },
	welder: { w: worker('welder', '李焊工', '11010519491231002X'), code: 'SO-WELD-FUSION' },
	rigger: { w: worker('rigger', '赵司索', '110105195001010015'), code: 'SE-2019-Q1' },
	driver: { w: worker('driver', '钱司机', '110105195001010031'), code: 'SE-2019-Q2' },
	watch: { w: worker('watch', '孙监护', '110105195001010058'), code: null }
} as const;

function setup() {
	const org = new Y.Doc();
	const contractor = new Y.Doc();
	const control = new Y.Doc();
	const staff = (['project_lead', 'safety', 'director'] as const).map((staffRole, i) => {
		const signer = softwareSigner(newSecretKey());
		const principal = `p${i}`;
		org.getMap('keys').set(signer.keyId, {
			schema: 1,
			id: signer.keyId,
			principal,
			publicKey: signer.publicKey,
			role: 'staff',
			staffRole,
			sites: ['S1'],
			validFrom: '2026-01-01T00:00:00.000Z',
			registeredBy: 'admin'
		});
		const actor: Actor = { claims: claims(principal, staffRole), org: orgView };
		return { signer, principal, actor };
	});
	for (const { w, code } of Object.values(WORKERS)) {
		contractor.getMap('workers').set(w.id, w);
		contractor.getMap('training').set(`t-${w.id}`, {
			schema: 1,
			id: `t-${w.id}`,
			workerId: w.id,
			kind: 'site_induction',
			siteId: 'S1',
			date: '2026-11-20',
			hours: 8,
			createdAt: T0
		});
		contractor.getMap('medical').set(`m-${w.id}`, {
			schema: 1,
			id: `m-${w.id}`,
			workerId: w.id,
			examDate: '2026-10-01',
			result: 'fit',
			validUntil: '2027-10-01',
			createdAt: T0
		});
		if (!code) continue;
		const cert = {
			schema: 1,
			id: `c-${w.id}`,
			workerId: w.id,
			regime: code.startsWith('SO-') ? 'special_operation' : 'special_equipment',
			catalogueVersion: code.startsWith('SO-') ? 'order30' : '2019',
			code,
			number: `T${w.docNumber}`,
			issuedOn: '2024-03-01',
			expiresOn: '2030-03-01',
			...(code.startsWith('SO-') ? { nextReviewOn: '2027-03-01' } : {}),
			createdAt: T0,
			updatedAt: T0
		} as const;
		contractor.getMap('certificates').set(cert.id, cert);
		const vid = `01JZZZZZZZZZZZZZZZZZZZZZ${Object.keys(WORKERS).indexOf(w.id)}0`;
		control.getMap('verifications').set(vid, {
			schema: 1,
			id: vid,
			certificateId: cert.id,
			contractorId: 'C1',
			workerId: w.id,
			fingerprint: certificateFingerprint(cert, w),
			outcome: 'genuine',
			checkedAt: T0,
			source: 'http:sim',
			trigger: 'registration',
			evidence: { attempts: 1 },
			by: 'relay',
			recordedAt: T0
		});
	}
	// Everyone's entry to the site is approved (one application, signed by the entry chain).
	contractor.getMap('applications').set('A1', {
		schema: 1,
		id: 'A1',
		contractorId: 'C1',
		siteId: 'S1',
		workers: Object.values(WORKERS).map(({ w }) => ({
			workerId: w.id,
			workType: 'general_labour'
		})),
		validFrom: '2026-11-28',
		validUntil: '2026-12-31',
		status: 'submitted',
		submittedAt: T0,
		createdAt: T0,
		updatedAt: T0
	});
	const site: PermitCheckSite = {
		id: 'S1',
		kind: 'chemical',
		timeZone: 'Asia/Shanghai',
		certificatesOf: (p) =>
			contractor.getMap('workers').has(p.workerId)
				? workerCertificates(contractor, [control], p.workerId)
				: null
	};
	const lead = staff[0]!;
	saveZone(control, 'S1', lead.actor, {
		id: 'tank-1',
		name: '一号罐区',
		kind: 'work',
		requiresPermit: true,
		permitKinds: [],
		neighbours: ['tank-2']
	});
	saveZone(control, 'S1', lead.actor, {
		id: 'tank-2',
		name: '二号罐区',
		kind: 'work',
		requiresPermit: true,
		permitKinds: [],
		neighbours: []
	});
	saveZone(control, 'S1', lead.actor, {
		id: 'yard',
		name: '吊装场地',
		kind: 'work',
		requiresPermit: false,
		permitKinds: [],
		neighbours: []
	});
	return { org, contractor, control, staff, site };
}

/** The entry chain (lead → safety → director) signs every worker onto the site. */
async function approveEntry(s: ReturnType<typeof setup>) {
	for (const workerId of Object.keys(WORKERS))
		for (const [step, p] of s.staff.entries()) {
			const { hash, record } = await signDecision(p.signer, {
				site: 'S1',
				application: 'C1/A1',
				worker: workerId,
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
			s.control.getMap('decisions').set(hash, record);
		}
}

const hotWork = (change: Partial<PermitInput> = {}): PermitInput => ({
	kind: 'hot_work',
	grade: 'second',
	zone: 'tank-1',
	work: '更换进料管法兰',
	validFrom: FROM,
	validUntil: UNTIL,
	people: [
		{ workerId: 'welder', contractorId: 'C1', name: '李焊工', role: 'operator' },
		{ workerId: 'watch', contractorId: 'C1', name: '孙监护', role: 'guardian' }
	],
	hazards: ['火灾'],
	measures: ['清除可燃物'],
	gasTests: [{ at: '2026-12-02T00:50:00.000Z', o2Pct: 20.9, lelPct: 0, by: 'p0' }],
	isolations: [{ point: 'V-101', method: '上锁挂牌', confirmedBy: 'p0', confirmedAt: T0 }],
	...change
});

const views = (s: ReturnType<typeof setup>, at: string) =>
	sitePermits({ control: s.control, org: s.org, timeZone: 'Asia/Shanghai' }, new Date(at));

/** Signs every step of the permit's chain with the staff member of that step's role. */
async function approvePermit(s: ReturnType<typeof setup>, id: string, at = T0) {
	for (;;) {
		const view = views(s, at).find((v) => v.permit.id === id)!;
		if (view.approval.status !== 'pending') return view;
		const step = view.approval.steps[view.approval.current!]!;
		const who = s.staff.find((p) => p.actor.claims.staffRole === step.step.role)!;
		await decide(s.control, 'S1', s.org, who.actor, who.signer, {
			approval: view.approval,
			decision: 'approve',
			at: new Date(Date.parse(step.since!) + 60_000)
		});
	}
}

describe('submitting a permit', () => {
	it('a high-voltage electrician as the hot-work operator blocks submission with the reason', () => {
		const s = setup();
		const lead = s.staff[0]!.actor;
		let refused: PermitRefused | null = null;
		try {
			savePermit(
				s.control,
				s.site,
				lead,
				{
					...hotWork({
						people: [
							{ workerId: 'hv', contractorId: 'C1', name: '王电工', role: 'operator' },
							{ workerId: 'watch', contractorId: 'C1', name: '孙监护', role: 'guardian' }
						]
					}),
					submit: true
				},
				new Date(T0)
			);
		} catch (err) {
			refused = err as PermitRefused;
		}
		expect(refused).toBeInstanceOf(PermitRefused);
		const p = refused!.problems.find((x) => x.code === 'PERSON_NOT_QUALIFIED')!;
		expect(p.workerId).toBe('hv');
		expect(p.reasons!.map((r) => r.code)).toEqual(['SCOPE_MISMATCH']);
		// Nothing was stored.
		expect(s.control.getMap('permits').size).toBe(0);
		// As a draft it may be kept and fixed.
		const draft = savePermit(
			s.control,
			s.site,
			lead,
			{ ...hotWork(), submit: false },
			new Date(T0)
		);
		expect(draft.lifecycle).toBe('draft');
	});

	it('goes through the chain of its kind and grade, then is active in its window only', async () => {
		const s = setup();
		const p = savePermit(
			s.control,
			s.site,
			s.staff[0]!.actor,
			{ ...hotWork(), submit: true },
			new Date(T0)
		);
		expect(p.number).toMatch(/^DH-20261128-/);
		const pending = views(s, FROM)[0]!;
		expect(pending.timeline.status).toBe('pending');
		// Grade 2 by day: the default chain stops at safety.
		expect(pending.chain.steps.map((x) => x.role)).toEqual(['safety']);
		await approvePermit(s, p.id);
		expect(views(s, '2026-12-02T00:59:00.000Z')[0]!.timeline.status).toBe('scheduled');
		expect(views(s, FROM)[0]!.timeline.status).toBe('active');
		expect(views(s, UNTIL)[0]!.timeline.status).toBe('expired');
	});

	it('night work is raised a grade, and the raised grade picks the longer chain', () => {
		const s = setup();
		const p = savePermit(
			s.control,
			s.site,
			s.staff[0]!.actor,
			{
				...hotWork({
					validFrom: '2026-12-02T10:00:00.000Z',
					validUntil: '2026-12-02T14:00:00.000Z',
					gasTests: [{ at: '2026-12-02T09:45:00.000Z', o2Pct: 20.9, lelPct: 0, by: 'p0' }]
				}),
				submit: true
			},
			new Date(T0)
		);
		const view = views(s, T0).find((v) => v.permit.id === p.id)!;
		expect(view).toMatchObject({ grade: 'first', raised: true });
		expect(view.chain.steps.map((x) => x.role)).toEqual(['project_lead', 'safety']);
		expect(permitChainOf(s.control.getMap('settings'), 'hot_work', 'special').steps).toHaveLength(
			3
		);
	});
});

describe('the permit records', () => {
	it('a submitted permit is changed only by resubmitting (approvals start again) or cancelling', () => {
		const s = setup();
		const lead = s.staff[0]!;
		const p = savePermit(
			s.control,
			s.site,
			lead.actor,
			{ ...hotWork(), submit: true },
			new Date(T0)
		);
		const change = (value: unknown) =>
			permitRefusal(lead.actor.claims, {
				map: 'permits',
				key: p.id,
				action: 'update',
				value,
				previous: p
			});
		expect(change({ ...p, zone: 'tank-2' })?.code).toBe('READ_ONLY');
		expect(change({ ...p, people: [] })?.code).toBe('READ_ONLY');
		expect(change({ ...p, zone: 'tank-2', submittedAt: '2026-11-28T02:00:00.000Z' })).toBeNull();
		// Never back to an earlier round (its decisions would count for the new content).
		expect(change({ ...p, zone: 'tank-2', submittedAt: '2026-11-28T00:00:00.000Z' })?.code).toBe(
			'READ_ONLY'
		);
		expect(change({ ...p, lifecycle: 'cancelled' })).toBeNull();
		expect(
			permitRefusal(lead.actor.claims, { map: 'permits', key: p.id, action: 'delete' })?.code
		).toBe('APPEND_ONLY');
		expect(
			permitRefusal(lead.actor.claims, {
				map: 'permitActions',
				key: 'x',
				action: 'add',
				value: { by: 'someone-else' }
			})?.code
		).toBe('NOT_OWN_RECORD');
		cancelPermit(s.control, 'S1', lead.actor, p.id, new Date(T0));
		expect(views(s, FROM)[0]!.timeline.status).toBe('cancelled');
	});

	it('suspend, resume, and an extension refused past the longest validity', async () => {
		const s = setup();
		const lead = s.staff[0]!.actor;
		const p = savePermit(s.control, s.site, lead, { ...hotWork(), submit: true }, new Date(T0));
		let view: PermitView = await approvePermit(s, p.id);
		const at = (iso: string) => new Date(iso);
		view = views(s, '2026-12-02T02:00:00.000Z')[0]!;
		actOnPermit(
			s.control,
			view,
			lead,
			{ action: 'suspend', reason: '风力过大' },
			at('2026-12-02T02:00:00.000Z')
		);
		view = views(s, '2026-12-02T02:30:00.000Z')[0]!;
		expect(view.timeline.status).toBe('suspended');
		expect(() => actOnPermit(s.control, view, lead, { action: 'suspend', reason: 'x' })).toThrow(
			'ALREADY_SUSPENDED'
		);
		actOnPermit(
			s.control,
			view,
			lead,
			{ action: 'resume', reason: '' },
			at('2026-12-02T03:00:00.000Z')
		);
		view = views(s, '2026-12-02T03:30:00.000Z')[0]!;
		expect(view.timeline.status).toBe('active');
		// Grade 2 hot work: 72 h from the start at most.
		expect(() =>
			actOnPermit(
				s.control,
				view,
				lead,
				{ action: 'extend', until: '2026-12-06T01:00:00.000Z', reason: '' },
				at('2026-12-02T04:00:00.000Z')
			)
		).toThrow('EXTENSION_PAST_LIMIT');
		// Into the night the work would be grade 1 (8 h, lead → safety): a new permit, not this one.
		expect(() =>
			actOnPermit(
				s.control,
				view,
				lead,
				{ action: 'extend', until: '2026-12-03T07:00:00.000Z', reason: '' },
				at('2026-12-02T04:00:00.000Z')
			)
		).toThrow('EXTENSION_RAISES_GRADE');
		actOnPermit(
			s.control,
			view,
			lead,
			{ action: 'extend', until: '2026-12-02T09:30:00.000Z', reason: '未完工' },
			at('2026-12-02T04:00:00.000Z')
		);
		expect(views(s, '2026-12-02T08:00:00.000Z')[0]!.timeline).toMatchObject({
			status: 'active',
			until: '2026-12-02T09:30:00.000Z'
		});
		actOnPermit(
			s.control,
			views(s, '2026-12-02T09:00:00.000Z')[0]!,
			lead,
			{ action: 'close', reason: '完工' },
			at('2026-12-02T09:00:00.000Z')
		);
		expect(views(s, '2026-12-02T09:00:01.000Z')[0]!.timeline.status).toBe('closed');
		expect(() =>
			actOnPermit(s.control, views(s, '2026-12-02T10:00:00.000Z')[0]!, lead, {
				action: 'resume',
				reason: ''
			})
		).toThrow('NOT_LIVE');
	});
});

describe('readings after submission (gas tests, isolations)', () => {
	it('a retest and a lock-out confirmed after submission clear the approval check, no new round', async () => {
		const s = setup();
		const lead = s.staff[0]!.actor;
		const p = savePermit(
			s.control,
			s.site,
			lead,
			{
				...hotWork({
					gasTests: [{ at: '2026-12-02T00:00:00.000Z', o2Pct: 20.9, lelPct: 0, by: 'p0' }],
					isolations: [{ point: 'V-101', method: '上锁挂牌' }]
				}),
				submit: true
			},
			new Date(T0)
		);
		const approveCheck = (at: string) => {
			const v = views(s, at)[0]!;
			return permitProblems(s.control, { ...v.permit, ...v.facts }, s.site, 'approve', new Date(at))
				.filter((x) => x.severity === 'block')
				.map((x) => x.code)
				.sort();
		};
		// An hour-old test and an unconfirmed isolation block the final signature.
		expect(approveCheck('2026-12-02T00:55:00.000Z')).toEqual([
			'GAS_TEST_STALE',
			'ISOLATION_UNCONFIRMED'
		]);
		const view = views(s, '2026-12-02T00:50:00.000Z')[0]!;
		recordReading(
			s.control,
			view,
			lead,
			{ kind: 'gas', o2Pct: 20.8, lelPct: 0 },
			new Date('2026-12-02T00:50:00.000Z')
		);
		recordReading(
			s.control,
			view,
			lead,
			{ kind: 'isolation', point: 'V-101' },
			new Date('2026-12-02T00:52:00.000Z')
		);
		expect(approveCheck('2026-12-02T00:55:00.000Z')).toEqual([]);
		const after = views(s, '2026-12-02T00:55:00.000Z')[0]!;
		expect(after.facts.isolations[0]).toMatchObject({
			confirmedBy: 'p0',
			confirmedAt: '2026-12-02T00:52:00.000Z'
		});
		expect(after.facts.gasTests).toHaveLength(2);
		// The signed content and round did not change.
		expect(after.permit.submittedAt).toBe(p.submittedAt);
		expect(after.permit.gasTests).toHaveLength(1);
		// Readings are in one's own name, on points the permit lists.
		expect(
			permitRefusal(lead.claims, {
				map: 'permitReadings',
				key: 'k',
				action: 'add',
				value: { by: 'p9' }
			})?.code
		).toBe('NOT_OWN_RECORD');
		expect(() =>
			recordReading(s.control, view, lead, { kind: 'isolation', point: 'V-999' })
		).toThrow('no such isolation point');
	});
});

describe('the site calendar', () => {
	it('a listed holiday raises a weekday permit; only safety staff or the director set holidays', () => {
		const s = setup();
		const [lead, safety] = s.staff;
		expect(() =>
			setPermitSettings(s.control, 'S1', lead!.actor, {
				holidays: ['2026-12-02'],
				weekendsAreHolidays: true
			})
		).toThrow(AccessError);
		const before = savePermit(
			s.control,
			s.site,
			lead!.actor,
			{ ...hotWork(), submit: true },
			new Date(T0)
		);
		expect(views(s, T0)[0]).toMatchObject({ grade: 'second', raised: false });
		setPermitSettings(s.control, 'S1', safety!.actor, {
			holidays: [' 2026-12-02', '2026-12-02', ''],
			weekendsAreHolidays: true
		});
		// Submitted after: raised, with the longer chain.
		const after = savePermit(
			s.control,
			s.site,
			lead!.actor,
			{ ...hotWork(), submit: true },
			new Date(T0)
		);
		const raised = views(s, T0).find((v) => v.permit.id === after.id)!;
		expect(raised).toMatchObject({ grade: 'first', raised: true });
		expect(raised.permit.effectiveGrade).toBe('first');
		expect(raised.chain.steps.map((x) => x.role)).toEqual(['project_lead', 'safety']);
		// Submitted before: keeps the grade and chain it was submitted (and maybe approved) under.
		const kept = views(s, T0).find((v) => v.permit.id === before.id)!;
		expect(kept).toMatchObject({ grade: 'second', raised: false });
		expect(kept.chain.steps.map((x) => x.role)).toEqual(['safety']);
	});
});

describe('the QR at the work face', () => {
	it('is signed by a staff key of the site and checked against the org keys', async () => {
		const s = setup();
		const lead = s.staff[0]!;
		const p = savePermit(
			s.control,
			s.site,
			lead.actor,
			{ ...hotWork(), submit: true },
			new Date(T0)
		);
		await expect(
			signPermitQr(views(s, T0)[0]!, 'org1', '一号罐区', lead.signer, lead.principal)
		).rejects.toThrow('approved');
		const view = await approvePermit(s, p.id);
		const token = await signPermitQr(
			view,
			'org1',
			'一号罐区',
			lead.signer,
			lead.principal,
			new Date(T0)
		);
		const keys = keyBindings(s.org.getMap('keys'));
		const ok = checkPermitQr(token, keys, new Date('2026-12-02T02:00:00.000Z'));
		expect(ok).toMatchObject({ ok: true, signature: 'verified', windowNow: 'within' });
		if (!ok.ok) throw new Error('unreachable');
		expect(ok.payload.m).toEqual([
			['李*工', 'operator'],
			['孙*护', 'guardian']
		]);
		expect(checkPermitQr(token, keys, new Date(UNTIL))).toMatchObject({ windowNow: 'after' });
		// Altered in transit: the window stretched by a day.
		const [prefix, body, sig] = token.split('.');
		const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
		payload.u = '2026-12-03T07:00:00.000Z';
		const forged = `${prefix}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
		expect(checkPermitQr(forged, keys)).toMatchObject({ signature: 'bad' });
		// A phone without the org's keys shows it unproven.
		expect(checkPermitQr(token, null)).toMatchObject({ ok: true, signature: 'unknown_key' });
		expect(checkPermitQr('SPP1.garbage', keys)).toEqual({ ok: false, problem: 'MALFORMED' });
	});
});

describe('authorize: doors and interlocks', () => {
	async function world() {
		const s = setup();
		await approveEntry(s);
		const lead = s.staff[0]!.actor;
		saveEquipment(s.control, 'S1', lead, {
			id: 'crane-1',
			name: '1# 汽车吊',
			kind: '汽车起重机',
			workType: 'crane_operator',
			zone: 'yard',
			permitKinds: [],
			outOfService: false
		});
		return s;
	}
	const ask = (
		s: ReturnType<typeof setup>,
		q: Partial<AuthorizeQuery> & { workerId: string; at?: Date }
	) => {
		const at = q.at ?? new Date('2026-12-02T02:00:00.000Z');
		return authorize(
			{ org: s.org, contractor: s.contractor, control: s.control, blacklist: null },
			{
				site: { id: 'S1', kind: 'chemical', timeZone: 'Asia/Shanghai' },
				action: 'enter',
				method: 'id_pin',
				worker: { contractorId: 'C1', workerId: q.workerId },
				permits: views(s, at.toISOString()).map(onRecord),
				onSite: true,
				...q,
				at
			}
		);
	};
	const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

	it('enters the site as the gate would', async () => {
		const s = await world();
		const d = ask(s, { workerId: 'hv', onSite: false });
		expect(d).toMatchObject({ allow: true, workType: 'general_labour' });
	});

	it('a high-voltage electrician is denied scaffolding with SCOPE_MISMATCH', async () => {
		const s = await world();
		const d = ask(s, { workerId: 'hv', zone: 'yard', workType: 'scaffolding' });
		expect(d.allow).toBe(false);
		expect(codes(d)).toEqual(['SCOPE_MISMATCH']);
		expect(ask(s, { workerId: 'hv', zone: 'yard', workType: 'hv_electrical' }).allow).toBe(true);
	});

	it('a crane refuses an operator without Q2 and starts for one with it', async () => {
		const s = await world();
		const rigger = ask(s, { workerId: 'rigger', action: 'operate', equipment: 'crane-1' });
		expect(rigger.allow).toBe(false);
		expect(codes(rigger)).toEqual(['SCOPE_MISMATCH']);
		const nobody = ask(s, { workerId: 'watch', action: 'operate', equipment: 'crane-1' });
		expect(codes(nobody)).toEqual(['CERT_MISSING']);
		expect(ask(s, { workerId: 'driver', action: 'operate', equipment: 'crane-1' })).toMatchObject({
			allow: true,
			workType: 'crane_operator'
		});
		expect(codes(ask(s, { workerId: 'driver', action: 'operate', equipment: 'crane-9' }))).toEqual([
			'EQUIPMENT_UNKNOWN'
		]);
	});

	it('a zone needing a permit opens on an active permit and stops at its end time', async () => {
		const s = await world();
		const p = savePermit(
			s.control,
			s.site,
			s.staff[0]!.actor,
			{ ...hotWork(), submit: true },
			new Date(T0)
		);
		expect(codes(ask(s, { workerId: 'welder', zone: 'tank-1' }))).toEqual(['PERMIT_NOT_ACTIVE']);
		await approvePermit(s, p.id);
		expect(
			ask(s, { workerId: 'welder', zone: 'tank-1', at: new Date('2026-12-02T06:59:59.000Z') })
		).toMatchObject({
			allow: true,
			permit: p.id
		});
		const after = ask(s, { workerId: 'welder', zone: 'tank-1', at: new Date(UNTIL) });
		expect(after.allow).toBe(false);
		expect(after.reasons[0]).toMatchObject({ code: 'PERMIT_NOT_ACTIVE', status: 'expired' });
		// Someone not on the permit is told a permit is required.
		expect(codes(ask(s, { workerId: 'driver', zone: 'tank-1' }))).toEqual(['PERMIT_REQUIRED']);
		// Not through the gate yet: allowed, with a warning to follow up.
		expect(
			codes(ask(s, { workerId: 'welder', zone: 'tank-1', onSite: false, at: new Date(FROM) }))
		).toEqual(['NOT_ON_SITE']);
	});

	it('a danger zone that admits nobody opens its door for no one, permit or not (the phones’ rule)', async () => {
		const s = await world();
		saveZone(s.control, 'S1', s.staff[0]!.actor, {
			id: 'substation',
			name: '变电所',
			kind: 'danger',
			requiresPermit: false,
			permitKinds: [],
			neighbours: []
		});
		const closed = ask(s, { workerId: 'welder', zone: 'substation', at: new Date(FROM) });
		expect(closed.allow).toBe(false);
		expect(codes(closed)).toEqual(['ZONE_CLOSED']);
		// A work area without a permit rule stays open.
		saveZone(s.control, 'S1', s.staff[0]!.actor, {
			id: 'yard',
			name: '堆场',
			kind: 'work',
			requiresPermit: false,
			permitKinds: [],
			neighbours: []
		});
		expect(ask(s, { workerId: 'welder', zone: 'yard', at: new Date(FROM) }).allow).toBe(true);
	});

	it('a mobile crane (no zone) that needs a lifting permit does not start without one', async () => {
		const s = await world();
		const lead = s.staff[0]!.actor;
		saveEquipment(s.control, 'S1', lead, {
			id: 'crane-m',
			name: '2# 履带吊',
			kind: '履带起重机',
			workType: 'crane_operator',
			zone: null,
			permitKinds: ['lifting'],
			outOfService: false
		});
		const start = () => ask(s, { workerId: 'driver', action: 'operate', equipment: 'crane-m' });
		expect(start()).toMatchObject({
			allow: false,
			reasons: [{ code: 'PERMIT_REQUIRED', zone: null }]
		});
		const p = savePermit(
			s.control,
			s.site,
			lead,
			{
				...hotWork({ gasTests: [], isolations: [] }),
				kind: 'lifting',
				grade: 'third',
				zone: 'yard',
				work: '吊装冷却塔风机',
				people: [
					{ workerId: 'driver', contractorId: 'C1', name: '钱司机', role: 'crane_operator' },
					{ workerId: 'rigger', contractorId: 'C1', name: '赵司索', role: 'signaller' },
					{ workerId: 'watch', contractorId: 'C1', name: '孙监护', role: 'guardian' }
				],
				submit: true
			},
			new Date(T0)
		);
		await approvePermit(s, p.id);
		expect(start()).toMatchObject({ allow: true, permit: p.id });
		// The signaller on the same permit may not drive it.
		expect(codes(ask(s, { workerId: 'rigger', action: 'operate', equipment: 'crane-m' }))).toEqual(
			expect.arrayContaining(['PERMIT_ROLE_MISMATCH'])
		);
	});

	it('refuses a change the access rules refuse (a gate cannot write permits)', () => {
		const s = setup();
		const gate: Actor = {
			claims: { ...claims('gate1', undefined), role: 'gate' },
			org: orgView
		};
		expect(() => savePermit(s.control, s.site, gate, { ...hotWork(), submit: false })).toThrow(
			AccessError
		);
	});
});
