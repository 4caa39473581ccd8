// Job ratings and safety incidents: the commands, who may write them (the relay's own rules),
// corrections (the latest per job and rater counts) and the closed permits still to be rated.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { authorizeChange, type Claims, type OrgView } from './access';
import { AccessError } from './commands';
import { eventsDoc, parseDocName } from './documents';
import { eventTimeRefusal } from './events';
import { newUlid } from './event-commands';
import type { Permit } from './permits';
import {
	allRatings,
	currentRatings,
	incidents,
	jobsToRate,
	rateJob,
	RatingError,
	recordIncident
} from './ratings';
import { checkRecordValue } from './registry';
import { foldMonth } from './stats/month';

const claims = (c: Partial<Claims> & Pick<Claims, 'role' | 'sub'>): Claims => ({
	iss: 'org1',
	jti: `j-${c.sub}`,
	iat: 0,
	exp: 4102444800,
	...c
});
const org: OrgView = { contractorSites: (c) => ({ C1: ['S1'], C2: ['S1'] })[c] };
const staff = (sub: string) => ({
	claims: claims({ role: 'staff', sub, staffRole: 'project_lead', sites: ['S1'] }),
	org
});
const lead = staff('uLead');
const safety = staff('uSafe');
const EV = eventsDoc('S1', '2026-11');
const at = (d: string) => new Date(`${d}Z`);
const rating = (over: Partial<Parameters<typeof rateJob>[3]> = {}) => ({
	siteId: 'S1',
	contractorId: 'C1',
	job: { title: '3号楼脚手架搭设' },
	quality: 4,
	safety: 5,
	tidiness: 3,
	byName: '王经理',
	...over
});

describe('rateJob and recordIncident', () => {
	it('writes a rating in the actor’s name into the month’s events document', () => {
		const doc = new Y.Doc();
		const r = rateJob(doc, EV, lead, rating({ comment: '  按时完成 ' }), at('2026-11-20T08:00:00'));
		expect(r).toMatchObject({ by: 'uLead', byName: '王经理', comment: '按时完成', quality: 4 });
		expect(allRatings(doc)).toHaveLength(1);
		expect(allRatings(doc)[0]!.key).toMatch(/^[0-9A-Z]{26}$/);
	});

	it('refuses marks outside 1-5, an empty title, the wrong month and the future', () => {
		const doc = new Y.Doc();
		const t = at('2026-11-20T08:00:00');
		expect(() => rateJob(doc, EV, lead, rating({ quality: 6 }), t)).toThrow(RatingError);
		expect(() => rateJob(doc, EV, lead, rating({ tidiness: 2.5 }), t)).toThrow(RatingError);
		expect(() => rateJob(doc, EV, lead, rating({ job: { title: '  ' } }), t)).toThrow(
			'TITLE_REQUIRED'
		);
		// 2026-11-30 20:00 UTC is 12-01 in Shanghai: December's document.
		expect(() => rateJob(doc, EV, lead, rating(), at('2026-11-30T20:00:00'))).toThrow(
			'WRONG_DOCUMENT'
		);
		expect(() => rateJob(doc, eventsDoc('S2', '2026-11'), lead, rating(), t)).toThrow(
			'WRONG_DOCUMENT'
		);
		const future = new Date(Date.now() + 3_600_000);
		const name = eventsDoc(
			'S1',
			new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai' }).format(future).slice(0, 7)
		);
		expect(() => rateJob(doc, name, lead, rating(), future)).toThrow('IN_FUTURE');
		expect(allRatings(doc)).toHaveLength(0);
	});

	it('records an incident with its severity and workers', () => {
		const doc = new Y.Doc();
		const i = recordIncident(
			doc,
			EV,
			safety,
			{
				siteId: 'S1',
				contractorId: 'C2',
				workerIds: ['w9', 'w3', 'w9'],
				severity: 'minor',
				title: '手部划伤',
				note: '切割作业未戴手套',
				byName: '李安全'
			},
			at('2026-11-12T03:00:00')
		);
		expect(i).toMatchObject({ workerIds: ['w3', 'w9'], severity: 'minor', by: 'uSafe' });
		expect(incidents([doc], [EV])[0]).toMatchObject({ title: '手部划伤', doc: EV });
		expect(() =>
			recordIncident(
				doc,
				EV,
				safety,
				{ ...i, workerIds: [], severity: 'fatal' as 'minor', byName: 'x' },
				at('2026-11-12T03:00:00')
			)
		).toThrow('BAD_INCIDENT');
	});
});

describe('who may write ratings and incidents (the relay’s rules)', () => {
	const ref = parseDocName(EV)!;
	const value = {
		schema: 1,
		siteId: 'S1',
		contractorId: 'C1',
		job: { title: '焊接' },
		quality: 3,
		safety: 3,
		tidiness: 3,
		at: '2026-11-20T08:00:00.000Z',
		by: 'uLead',
		byName: '王'
	};
	const add = (map: string, v: unknown) => ({
		map,
		key: newUlid(),
		action: 'add' as const,
		value: v
	});

	it('lets site staff add in their own name only', () => {
		expect(authorizeChange(lead.claims, ref, add('ratings', value), org)).toBeNull();
		expect(authorizeChange(safety.claims, ref, add('ratings', value), org)?.code).toBe(
			'NOT_OWN_RECORD'
		);
		const incident = {
			schema: 1,
			siteId: 'S1',
			contractorId: 'C1',
			workerIds: [],
			severity: 'serious',
			title: '高处坠落',
			at: value.at,
			by: 'uLead',
			byName: '王'
		};
		expect(authorizeChange(lead.claims, ref, add('incidents', incident), org)).toBeNull();
		expect(authorizeChange(safety.claims, ref, add('incidents', incident), org)?.code).toBe(
			'NOT_OWN_RECORD'
		);
		// Staff of another site cannot write this site's events at all.
		const other = claims({ role: 'staff', sub: 'uLead', staffRole: 'safety', sites: ['S2'] });
		expect(authorizeChange(other, ref, add('ratings', value), org)?.code).toBe('FORBIDDEN_DOC');
	});

	it('refuses gates, contractors, workers, HQ and the admin', () => {
		const gate = claims({ role: 'gate', sub: 'uLead', sites: ['S1'] });
		expect(authorizeChange(gate, ref, add('ratings', value), org)?.code).toBe('READ_ONLY');
		expect(authorizeChange(gate, ref, add('incidents', value), org)?.code).toBe('READ_ONLY');
		const contractor = claims({ role: 'contractor', sub: 'uLead', contractor: 'C1' });
		expect(authorizeChange(contractor, ref, add('ratings', value), org)?.code).toBe(
			'FORBIDDEN_DOC'
		);
		const worker = claims({ role: 'worker', sub: 'uLead', contractor: 'C1', sites: ['S1'] });
		expect(authorizeChange(worker, ref, add('ratings', value), org)?.code).toBe('NOT_OWN_RECORD');
		for (const role of ['hq', 'admin'] as const)
			expect(
				authorizeChange(claims({ role, sub: 'uLead' }), ref, add('ratings', value), org)
			).not.toBeNull();
	});

	it('keeps them append-only, and the command says no before the relay would', () => {
		for (const action of ['update', 'delete'] as const)
			expect(
				authorizeChange(lead.claims, ref, { map: 'ratings', key: 'K', action, value }, org)?.code
			).toBe('APPEND_ONLY');
		const gateActor = { claims: claims({ role: 'gate', sub: 'g1', sites: ['S1'] }), org };
		expect(() => rateJob(new Y.Doc(), EV, gateActor, rating(), at('2026-11-20T08:00:00'))).toThrow(
			AccessError
		);
	});

	it('is validated by the relay on intake, and refused when dated ahead of its clock', () => {
		expect(checkRecordValue('events', add('ratings', value))).toBeNull();
		expect(checkRecordValue('events', add('ratings', { ...value, quality: 0 }))?.code).toBe(
			'INVALID_RECORD'
		);
		expect(checkRecordValue('events', add('incidents', { ...value, severity: 'bad' }))?.code).toBe(
			'INVALID_RECORD'
		);
		const now = Date.parse('2026-11-20T08:00:00Z');
		expect(eventTimeRefusal('events', add('ratings', value), now)).toBeNull();
		const ahead = { ...value, at: '2026-11-20T09:00:00.000Z' };
		expect(eventTimeRefusal('events', add('ratings', ahead), now)?.code).toBe('INVALID_RECORD');
		expect(eventTimeRefusal('events', add('incidents', ahead), now)?.code).toBe('INVALID_RECORD');
	});
});

describe('corrections and jobs to rate', () => {
	it('counts the latest rating per job and rater; other raters’ ratings stay', () => {
		const doc = new Y.Doc();
		const first = rateJob(doc, EV, lead, rating({ quality: 2 }), at('2026-11-20T08:00:00'));
		rateJob(doc, EV, lead, rating({ quality: 5 }), at('2026-11-21T08:00:00'));
		rateJob(doc, EV, safety, rating({ quality: 3 }), at('2026-11-20T09:00:00'));
		// Another job of the same contractor, by the same rater.
		rateJob(doc, EV, lead, rating({ job: { title: '外墙涂料' } }), at('2026-11-20T10:00:00'));
		const all = allRatings(doc);
		const { current, superseded } = currentRatings(all);
		expect(current.map((r) => [r.by, r.job.title, r.quality])).toEqual([
			['uSafe', '3号楼脚手架搭设', 3],
			['uLead', '外墙涂料', 4],
			['uLead', '3号楼脚手架搭设', 5]
		]);
		expect(superseded).toEqual([all.find((r) => r.at === first.at)!.key]);
	});

	it('corrects a rating of an earlier month in that month’s document', () => {
		const OCT = eventsDoc('S1', '2026-10');
		const oct = new Y.Doc();
		const first = rateJob(oct, OCT, lead, rating({ quality: 1 }), at('2026-10-20T08:00:00'));
		const key = allRatings(oct)[0]!.key;
		const nov3 = at('2026-11-03T08:00:00');
		// Without saying what it corrects, October's document is the wrong place in November.
		expect(() => rateJob(oct, OCT, lead, rating({ quality: 4 }), nov3)).toThrow('WRONG_DOCUMENT');
		expect(() =>
			rateJob(
				oct,
				OCT,
				lead,
				rating({ quality: 4, job: { title: '别的作业' }, corrects: key }),
				nov3
			)
		).toThrow('NOT_A_CORRECTION');
		rateJob(oct, OCT, lead, rating({ quality: 4, corrects: key }), nov3);
		const { current } = currentRatings(allRatings(oct));
		expect(current.map((r) => r.quality)).toEqual([4]);
		expect(first.quality).toBe(1);
		// The stats layer's fold of October counts the correction only.
		const summary = foldMonth(oct, { siteId: 'S1', month: '2026-10', timeZone: 'Asia/Shanghai' });
		expect(summary.contractors.C1!.ratings).toEqual({
			count: 1,
			quality: 4,
			safety: 5,
			tidiness: 3
		});
	});

	function permit(id: string, people: [string, string][]): Permit {
		return {
			schema: 1,
			id,
			siteId: 'S1',
			number: `DH-${id}`,
			kind: 'hot_work',
			grade: 'two',
			zone: 'z1',
			work: '钢梁焊接',
			validFrom: '2026-11-19T00:00:00.000Z',
			validUntil: '2026-11-19T10:00:00.000Z',
			people: people.map(([workerId, contractorId]) => ({
				workerId,
				contractorId,
				name: workerId,
				role: 'worker'
			})),
			hazards: [],
			measures: [],
			gasTests: [],
			isolations: [],
			lifecycle: 'submitted',
			createdAt: '2026-11-18T00:00:00.000Z',
			createdBy: 'uLead',
			updatedAt: '2026-11-18T00:00:00.000Z',
			updatedBy: 'uLead'
		};
	}

	it('lists closed permits per contractor until someone rates them', () => {
		const control = new Y.Doc();
		const permits = control.getMap('permits');
		permits.set(
			'P1',
			permit('P1', [
				['w1', 'C1'],
				['w2', 'C2'],
				['w3', 'C1']
			])
		);
		permits.set('P2', permit('P2', [['w4', 'C1']])); // not closed
		permits.set('P3', permit('P3', [['w5', 'C2']])); // closed long ago
		const close = (permitId: string, when: string) =>
			control.getMap('permitActions').set(newUlid(Date.parse(when)), {
				schema: 1,
				id: newUlid(Date.parse(when)),
				permitId,
				action: 'close',
				reason: '作业完成',
				at: when,
				by: 'uLead'
			});
		close('P1', '2026-11-19T09:00:00.000Z');
		close('P3', '2026-09-01T09:00:00.000Z');
		const events = new Y.Doc();
		const now = at('2026-11-20T12:00:00');
		let todo = jobsToRate(control, [events], { siteId: 'S1', now });
		expect(todo.map((j) => [j.job.permitId, j.contractorId, j.workerIds])).toEqual([
			['P1', 'C1', ['w1', 'w3']],
			['P1', 'C2', ['w2']]
		]);
		expect(todo[0]!.job.title).toBe('DH-P1 钢梁焊接');
		const j = todo[0]!;
		rateJob(events, EV, safety, { ...rating(), contractorId: j.contractorId, job: j.job }, now);
		todo = jobsToRate(control, [events], { siteId: 'S1', now });
		expect(todo.map((x) => [x.job.permitId, x.contractorId])).toEqual([['P1', 'C2']]);
		// Still open for a rater who has not rated it yet, when asked that way.
		expect(jobsToRate(control, [events], { siteId: 'S1', now, rater: 'uLead' })).toHaveLength(2);
	});
});
