// The contractor scorecard from real records: a month (October 2026) of two contractors' gate
// passages, alerts (one a false alarm), incidents, ratings (one corrected), certificates (one
// lapsed, one renewed in time) and signed approval decisions (one returned), folded by the stats
// layer and scored by the domain — against numbers computed by hand below.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Claims, OrgView } from './access';
import { signDecision, siteApprovals, DEFAULT_ENTRY_CHAIN } from './approvals';
import { AccessError } from './commands';
import { eventsDoc } from './documents';
import { newUlid } from './event-commands';
import { rateJob, recordIncident } from './ratings';
import {
	approvalReturns,
	certificateLapses,
	contractorIncidents,
	contractorRatings,
	contractorScorecard,
	contractorScorecards,
	mergeApprovalReturns,
	scorecardSources,
	saveScorecardSettings,
	scorecardFormula,
	scorecardSettings,
	type ScorecardSources
} from './scorecard';
import { newSecretKey, softwareSigner, type KeyBinding } from './signing';
import { seriesOf } from './stats/dashboard';
import { foldMonth } from './stats/month';
import { ScorecardWeightsError } from '../domain';

const TZ = 'Asia/Shanghai';
const MONTH = '2026-10';
const EV = eventsDoc('S1', MONTH);
const NOW = new Date('2026-11-15T04:00:00Z');

const claims = (c: Partial<Claims> & Pick<Claims, 'role' | 'sub'>): Claims => ({
	iss: 'org1',
	jti: `j-${c.sub}`,
	iat: 0,
	exp: 4102444800,
	...c
});
const orgView: OrgView = { contractorSites: (c) => ({ C1: ['S1'], C2: ['S1'] })[c] };
const staff = (sub: string) => ({
	claims: claims({ role: 'staff', sub, staffRole: 'safety', sites: ['S1'] }),
	org: orgView
});
const uA = staff('uA');
const uB = staff('uB');

/** 2026-10-<day> at <hour>:00 in Shanghai. */
const local = (day: number, hour: number) =>
	Date.parse(
		`2026-10-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`
	);

function passage(doc: Y.Doc, workerId: string, contractorId: string, dir: 'in' | 'out', t: number) {
	const id = newUlid(t);
	doc.getMap('attendance').set(id, {
		schema: 1,
		id,
		siteId: 'S1',
		workerId,
		contractorId,
		direction: dir,
		at: new Date(t).toISOString(),
		deviceId: 'gate-1',
		method: 'face',
		allow: true,
		reasons: []
	});
}

function alert(doc: Y.Doc, workerId: string, t: number): string {
	const id = newUlid(t);
	doc.getMap('alerts').set(id, {
		schema: 1,
		id,
		siteId: 'S1',
		kind: 'ppe',
		at: new Date(t).toISOString(),
		workerId,
		deviceId: 'cam-1'
	});
	return id;
}

function worker(id: string, contractorId: string) {
	return {
		schema: 2,
		id,
		contractorId,
		name: `工人${id}`,
		docType: 'passport',
		docNumber: `E${id}0000`,
		createdAt: '2026-01-01T00:00:00.000Z',
		updatedAt: '2026-01-01T00:00:00.000Z'
	};
}

function cert(id: string, workerId: string, issuedOn: string, expiresOn: string) {
	return {
		schema: 1,
		id,
		workerId,
		regime: 'special_operation',
		catalogueVersion: 'order30',
		code: 'SO-ELEC-LV',
		number: `T${id}`,
		issuedOn,
		expiresOn,
		nextReviewOn: '2029-01-01',
		createdAt: '2026-01-01T00:00:00.000Z',
		updatedAt: '2026-01-01T00:00:00.000Z'
	};
}

function person(principal: string, staffRole: KeyBinding['staffRole']) {
	const signer = softwareSigner(newSecretKey());
	const binding: KeyBinding = {
		schema: 1,
		id: signer.keyId,
		principal,
		publicKey: signer.publicKey,
		role: 'staff',
		...(staffRole ? { staffRole } : {}),
		sites: ['S1'],
		validFrom: '2026-01-01T00:00:00.000Z',
		registeredBy: 'admin'
	};
	return { principal, signer, binding };
}

async function fixture() {
	// --- Events of October -------------------------------------------------------------------
	const events = new Y.Doc();
	// C1: 5 workers × 20 days × 10 h (08:00-18:00) = 1,000 h.
	for (let w = 1; w <= 5; w++)
		for (let d = 1; d <= 20; d++) {
			passage(events, `a${w}`, 'C1', 'in', local(d, 8));
			passage(events, `a${w}`, 'C1', 'out', local(d, 18));
		}
	// C2: 5 workers × 10 days × 10 h = 500 h.
	for (let w = 1; w <= 5; w++)
		for (let d = 1; d <= 10; d++) {
			passage(events, `b${w}`, 'C2', 'in', local(d, 8));
			passage(events, `b${w}`, 'C2', 'out', local(d, 18));
		}
	// Alerts: C1 has 4, and a 5th marked a false alarm (not counted); C2 has 1.
	for (let i = 0; i < 4; i++) alert(events, 'a1', local(3 + i, 10));
	const falseOne = alert(events, 'a2', local(9, 11));
	const actionId = newUlid(local(9, 12));
	events.getMap('alertActions').set(actionId, {
		schema: 1,
		id: actionId,
		alertId: falseOne,
		siteId: 'S1',
		action: 'false_alarm',
		by: 'uA',
		at: new Date(local(9, 12)).toISOString()
	});
	alert(events, 'b1', local(4, 10));
	// Incidents: C1 one minor; C2 one near miss.
	const incident = (contractorId: string, severity: 'minor' | 'near_miss', day: number) =>
		recordIncident(
			events,
			EV,
			uA,
			{ siteId: 'S1', contractorId, workerIds: [], severity, title: '事件', byName: '甲' },
			new Date(local(day, 15)),
			TZ
		);
	incident('C1', 'minor', 5);
	incident('C2', 'near_miss', 6);
	// Ratings. C1: job 吊装 rated (2,2,2) by uA, then corrected by uA to (4,4,4); job 焊接 rated
	// (5,4,3) by uB. C2: job 涂装 rated (3,3,3) by uA.
	const rate = (
		who: typeof uA,
		contractorId: string,
		title: string,
		[quality, safety, tidiness]: [number, number, number],
		day: number
	) =>
		rateJob(
			events,
			EV,
			who,
			{ siteId: 'S1', contractorId, job: { title }, quality, safety, tidiness, byName: '评' },
			new Date(local(day, 17)),
			TZ
		);
	rate(uA, 'C1', '吊装', [2, 2, 2], 3);
	rate(uA, 'C1', '吊装', [4, 4, 4], 5);
	rate(uB, 'C1', '焊接', [5, 4, 3], 6);
	rate(uA, 'C2', '涂装', [3, 3, 3], 7);

	const contractorOf = (w: string) => (w.startsWith('a') ? 'C1' : 'C2');
	const summary = foldMonth(events, { siteId: 'S1', month: MONTH, timeZone: TZ, contractorOf });

	// --- Certificates ----------------------------------------------------------------------------
	const c1 = new Y.Doc();
	const c2 = new Y.Doc();
	for (const w of ['a1', 'a2', 'a3', 'a4']) c1.getMap('workers').set(w, worker(w, 'C1'));
	for (const w of ['b1', 'b2']) c2.getMap('workers').set(w, worker(w, 'C2'));
	const certs1 = [
		cert('k1', 'a1', '2024-01-01', '2030-01-01'), // valid all month: held
		cert('k2', 'a2', '2020-10-10', '2026-10-10'), // expired 10-11, not renewed: held, lapsed
		cert('k3', 'a3', '2020-10-20', '2026-10-20'), // expired 10-21 …
		cert('k3b', 'a3', '2026-10-15', '2032-10-15'), // … but renewed on 10-15: no lapse
		cert('k4', 'a4', '2020-09-01', '2026-09-01') // lapsed in September: not held in October
	];
	for (const c of certs1) c1.getMap('certificates').set(c.id, c);
	for (const c of [
		cert('m1', 'b1', '2024-01-01', '2030-01-01'),
		cert('m2', 'b2', '2024-01-01', '2030-01-01')
	])
		c2.getMap('certificates').set(c.id, c);
	const control = new Y.Doc();
	const certificates = certificateLapses(
		[
			{ contractorId: 'C1', doc: c1 },
			{ contractorId: 'C2', doc: c2 }
		],
		[control],
		[MONTH],
		{ now: NOW, timeZone: TZ }
	);

	// --- Approvals: C1's application for a1 and a2 --------------------------------------------
	const lead = person('lead1', 'project_lead');
	const safety = person('safe1', 'safety');
	const director = person('dir1', 'director');
	const keys = new Map([lead, safety, director].map((p) => [p.binding.id, p.binding]));
	const T0 = '2026-10-02T01:00:00.000Z';
	c1.getMap('applications').set('A1', {
		schema: 1,
		id: 'A1',
		contractorId: 'C1',
		siteId: 'S1',
		workers: [
			{ workerId: 'a1', workType: 'hv_electrical' },
			{ workerId: 'a2', workType: 'hv_electrical' }
		],
		validFrom: '2026-10-02',
		validUntil: '2026-12-31',
		status: 'submitted',
		submittedAt: T0,
		submittedBy: 'c1admin',
		createdAt: T0,
		updatedAt: T0
	});
	const steps = DEFAULT_ENTRY_CHAIN.steps.map((s) => s.id);
	const prevOf = new Map<string, string | null>();
	const decide = async (
		who: ReturnType<typeof person>,
		workerId: string,
		step: number,
		decision: 'approve' | 'return',
		minutes: number
	) => {
		const d = await signDecision(who.signer, {
			site: 'S1',
			application: 'C1/A1',
			worker: workerId,
			round: T0,
			step,
			stepId: steps[step]!,
			decision,
			comment: decision === 'return' ? '证书复印件不清晰' : '',
			conditions: [],
			signer: who.principal,
			prev: prevOf.get(who.principal) ?? null,
			at: new Date(Date.parse(T0) + minutes * 60_000).toISOString()
		});
		prevOf.set(who.principal, d.hash);
		control.getMap('decisions').set(d.hash, d.record);
	};
	// a1: approved by all three steps (3 decisions); a2: returned at the first step (1 decision).
	await decide(lead, 'a1', 0, 'approve', 30);
	await decide(lead, 'a2', 0, 'return', 40);
	await decide(safety, 'a1', 1, 'approve', 90);
	await decide(director, 'a1', 2, 'approve', 200);
	const approvals = approvalReturns(siteApprovals('S1', control, [c1, c2], keys), TZ);
	// The same from the documents in one call (as the pages build it).
	const fromDocs = scorecardSources({
		contractorMonths: seriesOf([summary]).contractorMonths,
		sites: [{ siteId: 'S1', control }],
		contractors: [
			{ contractorId: 'C1', doc: c1 },
			{ contractorId: 'C2', doc: c2 }
		],
		org: keys,
		lastMonth: MONTH,
		timeZone: TZ,
		now: NOW
	});

	const sources: ScorecardSources = {
		contractorMonths: seriesOf([summary]).contractorMonths,
		certificates,
		approvals
	};
	return { events, sources, certificates, approvals, fromDocs };
}

describe('contractor scorecard from records (hand-computed)', () => {
	it('counts each component as the records say', async () => {
		const { sources, certificates, approvals, fromDocs } = await fixture();
		const c1 = contractorScorecard(sources, 'C1', MONTH);
		const c2 = contractorScorecard(sources, 'C2', MONTH);
		expect(c1.input).toEqual({
			hours: 1000,
			incidents: { near_miss: 0, minor: 1, serious: 0 },
			alerts: 4,
			certificatesHeld: 4,
			certificateLapses: 1,
			approvalDecisions: 4,
			approvalReturns: 1,
			// the corrected (2,2,2) no longer counts: (4,4,4) + (5,4,3)
			ratings: { count: 2, quality: 9, safety: 8, tidiness: 7 }
		});
		expect(c2.input).toEqual({
			hours: 500,
			incidents: { near_miss: 1, minor: 0, serious: 0 },
			alerts: 1,
			certificatesHeld: 2,
			certificateLapses: 0,
			approvalDecisions: 0,
			approvalReturns: 0,
			ratings: { count: 1, quality: 3, safety: 3, tidiness: 3 }
		});
		expect(certificates[MONTH]!.C1!.held).toEqual(['k1', 'k2', 'k3', 'k3b']);
		expect(certificates[MONTH]!.C1!.lapses).toMatchObject([
			{ certificateId: 'k2', workerId: 'a2', status: 'expired', dueOn: '2026-10-10' }
		]);
		expect(fromDocs.approvals).toEqual(approvals);
		expect(fromDocs.certificates[MONTH]).toEqual(certificates[MONTH]);
		// September too (the 12 months): k4 was held then and lapsed on 09-02.
		const sep = fromDocs.certificates['2026-09']!.C1!;
		expect(sep.held).toEqual(['k1', 'k2', 'k3', 'k4']);
		expect(sep.lapses.map((l) => [l.certificateId, l.dueOn])).toEqual([['k4', '2026-09-01']]);
		// HQ: the same contractor's approvals at two sites add up.
		const twice = mergeApprovalReturns([approvals, approvals]);
		expect(twice[MONTH]!.C1!.decisions).toHaveLength(8);
		expect(twice[MONTH]!.C1!.returns).toHaveLength(2);
		expect(approvals[MONTH]!.C1!.returns).toMatchObject([
			{ workerId: 'a2', decision: 'return', applicationId: 'A1' }
		]);
	});

	it('scores them as computed by hand', async () => {
		const { sources } = await fixture();
		// C1 (default weights 30/15/20/10/25):
		//   incidents: 1 minor × 3 = 3 per 1,000 h → 100 − 20×3 = 40   × 0.30 = 12
		//   alerts: 4 per 1,000 h → 100 − 5×4 = 80                       × 0.15 = 12
		//   certificates: 1 lapse of 4 held → 100 × (1 − 1/4) = 75      × 0.20 = 15
		//   approvals: 1 return of 4 decisions → 75                      × 0.10 = 7.5
		//   ratings: (9+8+7)/(2×3) = 4 → (4−1)/4 × 100 = 75              × 0.25 = 18.75
		//   score = 12 + 12 + 15 + 7.5 + 18.75 = 65.25
		const c1 = contractorScorecard(sources, 'C1', MONTH);
		expect(c1.card.score).toBeCloseTo(65.25, 10);
		expect(c1.card.components.map((c) => c.subScore)).toEqual([40, 80, 75, 75, 75]);
		// C2: approvals left out (no decision): weights 30 + 15 + 20 + 25 = 90
		//   incidents: 1 near miss = 1 per 500 h = 2 per 1,000 h → 100 − 40 = 60
		//   alerts: 1 per 500 h = 2 per 1,000 h → 100 − 10 = 90
		//   certificates: 0 of 2 → 100; ratings: avg 3 → 50
		//   score = (30×60 + 15×90 + 20×100 + 25×50) / 90 = 6400 / 90 = 71.11…
		const c2 = contractorScorecard(sources, 'C2', MONTH);
		expect(c2.card.score).toBeCloseTo(6400 / 90, 10);
		const approvalsPart = c2.card.components.find((c) => c.key === 'approvals')!;
		expect(approvalsPart).toMatchObject({ missing: 'no_decisions', share: 0, contribution: 0 });
		expect(c2.card.components.find((c) => c.key === 'incidents')!.share).toBeCloseTo(30 / 90, 10);
		// The trend: October scored, the 11 months before it empty.
		expect(c1.trend).toHaveLength(12);
		expect(c1.trend[11]).toEqual({ month: MONTH, score: expect.closeTo(65.25, 10) });
		expect(c1.trend.slice(0, 11).every((p) => p.score === null)).toBe(true);
		// The table: best first.
		expect(contractorScorecards(sources, MONTH).map((c) => c.contractorId)).toEqual(['C2', 'C1']);
	});

	it('changes with the weights as computed', async () => {
		const { sources } = await fixture();
		const w = { incidents: 0, alerts: 0, certificates: 1, approvals: 1, ratings: 2 };
		// C1: (75 + 75 + 2×75) / 4 = 75; C2 (approvals left out): (100 + 2×50) / 3 = 66.67
		expect(contractorScorecard(sources, 'C1', MONTH, w).card.score).toBeCloseTo(75, 10);
		expect(contractorScorecard(sources, 'C2', MONTH, w).card.score).toBeCloseTo(200 / 3, 10);
		expect(contractorScorecards(sources, MONTH, w).map((c) => c.contractorId)).toEqual([
			'C1',
			'C2'
		]);
	});

	it('opens the records behind the numbers', async () => {
		const { events, sources } = await fixture();
		const c1 = contractorScorecard(sources, 'C1', MONTH);
		expect(c1.records.lapses.map((l) => l.certificateId)).toEqual(['k2']);
		expect(c1.records.held).toEqual(['k1', 'k2', 'k3', 'k3b']);
		expect(c1.records.decisions).toHaveLength(4);
		expect(c1.records.returns.map((r) => r.workerId)).toEqual(['a2']);
		expect(contractorIncidents([events], 'C1', [EV])).toMatchObject([
			{ severity: 'minor', doc: EV }
		]);
		const ratings = contractorRatings([events], 'C1', [EV]);
		expect(ratings.current.map((r) => [r.job.title, r.quality])).toEqual([
			['吊装', 4],
			['焊接', 5]
		]);
		expect(ratings.superseded.map((r) => [r.job.title, r.quality])).toEqual([['吊装', 2]]);
	});
});

describe('certificate lapses over months', () => {
	it('finds the month each certificate lapsed in, month ends included', () => {
		const doc = new Y.Doc();
		doc.getMap('workers').set('x1', worker('x1', 'C1'));
		doc.getMap('workers').set('x2', worker('x2', 'C1'));
		const put = (c: ReturnType<typeof cert> & { revokedOn?: string }) =>
			doc.getMap('certificates').set(c.id, c);
		put(cert('jul', 'x1', '2020-07-10', '2026-07-10')); // expired from 07-11
		put({
			...cert('aug', 'x1', '2024-01-01', '2030-01-01'),
			code: 'SO-WELD',
			revokedOn: '2026-08-05'
		});
		put({ ...cert('sep', 'x2', '2020-09-30', '2026-09-30'), code: 'SO-HIGH' }); // valid on 09-30 only
		put({ ...cert('nov', 'x2', '2020-11-20', '2026-11-20'), code: 'SO-GAS' }); // after today
		put({
			...cert('rev', 'x2', '2020-01-01', '2030-01-01'),
			code: 'SO-CRANE',
			nextReviewOn: '2026-06-15'
		});
		const months = ['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12'];
		const out = certificateLapses([{ contractorId: 'C1', doc }], [], months, {
			now: NOW,
			timeZone: TZ
		});
		const lapsed = (m: string) =>
			(out[m]!.C1?.lapses ?? []).map((l) => `${l.certificateId}:${l.status}:${l.dueOn}`);
		expect(lapsed('2026-06')).toEqual(['rev:review_overdue:2026-06-15']);
		expect(lapsed('2026-07')).toEqual(['jul:expired:2026-07-10']);
		expect(lapsed('2026-08')).toEqual(['aug:revoked:2026-08-05']);
		expect(lapsed('2026-09')).toEqual([]);
		expect(lapsed('2026-10')).toEqual(['sep:expired:2026-09-30']);
		// November so far (today is 11-15): the 11-20 expiry has not come; December is not scored.
		expect(lapsed('2026-11')).toEqual([]);
		expect(out['2026-12']).toEqual({});
		expect(out['2026-06']!.C1!.held).toEqual(['aug', 'jul', 'nov', 'rev', 'sep']);
		expect(out['2026-10']!.C1!.held).toEqual(['nov', 'sep']);
	});
});

describe('weights in org.settings', () => {
	const admin = { claims: claims({ role: 'admin', sub: 'root' }), org: orgView };

	it('reads defaults, saves the admin’s weights, refuses others and bad weights', () => {
		const org = new Y.Doc();
		expect(scorecardSettings(org)).toMatchObject({ isDefault: true, weights: { incidents: 30 } });
		const w = { incidents: 40, alerts: 10, certificates: 20, approvals: 10, ratings: 20 };
		saveScorecardSettings(org, admin, w, new Date('2026-11-01T00:00:00Z'));
		expect(scorecardSettings(org)).toEqual({
			weights: w,
			updatedAt: '2026-11-01T00:00:00.000Z',
			updatedBy: 'root',
			isDefault: false
		});
		expect(() => saveScorecardSettings(org, uA, w)).toThrow(AccessError);
		expect(() => saveScorecardSettings(org, admin, { ...w, alerts: -1 })).toThrow(
			ScorecardWeightsError
		);
		expect(() =>
			saveScorecardSettings(org, admin, {
				incidents: 0,
				alerts: 0,
				certificates: 0,
				approvals: 0,
				ratings: 0
			})
		).toThrow(ScorecardWeightsError);
		// A record someone wrote by hand with bad weights reads as the defaults.
		org.getMap('settings').set('scorecard', { schema: 1, weights: { incidents: -5 } });
		expect(scorecardSettings(org).isDefault).toBe(true);
	});

	it('writes the formula from the same constants and weights', () => {
		const zh = scorecardFormula('zh-CN', {
			incidents: 40,
			alerts: 10,
			certificates: 20,
			approvals: 10,
			ratings: 20
		});
		expect(zh).toHaveLength(7);
		expect(zh[0]).toContain('安全事件 40%');
		expect(zh[1]).toBe(
			'安全事件：100 − 20 × 每 1,000 工时的加权事件数（未遂事件计 1、轻微事件计 3、严重事件计 10），最低 0 分。'
		);
		const en = scorecardFormula('en');
		expect(en[2]).toBe(
			'Alerts: 100 − 5 × alerts per 1,000 hours worked (false alarms not counted), never below 0.'
		);
		for (const line of [...zh, ...en]) expect(line).not.toMatch(/\{\w+\}/);
	});
});
