import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { newUlid } from '../event-commands';
import { alertRecords, hoursRecords, incidentRecords, ratingRecords } from './drill';
import { foldMonth } from './month';

const H = 3_600_000;
const D = Date.parse('2026-05-04T00:00:00+08:00');
const opts = { siteId: 'S1', month: '2026-05', timeZone: 'Asia/Shanghai' };

function fixture() {
	const doc = new Y.Doc();
	const att = doc.getMap('attendance');
	const add = (workerId: string, contractorId: string, dir: 'in' | 'out', t: number) => {
		const id = newUlid(t);
		att.set(id, {
			schema: 1,
			id,
			siteId: 'S1',
			workerId,
			contractorId,
			direction: dir,
			at: new Date(t).toISOString(),
			deviceId: 'g',
			method: 'face',
			allow: true,
			reasons: []
		});
	};
	for (let d = 0; d < 4; d++) {
		add('a1', 'CA', 'in', D + d * 24 * H + 8 * H);
		add('a1', 'CA', 'out', D + d * 24 * H + 16 * H);
		add('b1', 'CB', 'in', D + d * 24 * H + 9 * H);
		if (d !== 2) add('b1', 'CB', 'out', D + d * 24 * H + 18 * H);
	}
	const alertIds: string[] = [];
	for (let i = 0; i < 5; i++) {
		const t = D + i * 24 * H + 10 * H;
		const id = newUlid(t);
		alertIds.push(id);
		doc.getMap('alerts').set(id, {
			schema: 1,
			id,
			siteId: 'S1',
			kind: i % 2 ? 'zone' : 'ppe',
			at: new Date(t).toISOString(),
			workerId: i < 3 ? 'a1' : 'b1',
			deviceId: 'cam'
		});
	}
	const actionId = newUlid(D + 11 * H);
	doc.getMap('alertActions').set(actionId, {
		schema: 1,
		id: actionId,
		alertId: alertIds[0],
		siteId: 'S1',
		action: 'false_alarm',
		by: 'safe1',
		at: new Date(D + 11 * H).toISOString()
	});
	for (const [i, quality] of [3, 5].entries()) {
		const t = D + (i + 1) * H;
		doc.getMap('ratings').set(newUlid(t), {
			schema: 1,
			siteId: 'S1',
			contractorId: 'CA',
			job: { permitId: 'P1', title: '动火作业' },
			quality,
			safety: 5,
			tidiness: 4,
			at: new Date(t).toISOString(),
			by: 'lead1',
			byName: '张工'
		});
	}
	doc.getMap('incidents').set(newUlid(D), {
		schema: 1,
		siteId: 'S1',
		contractorId: 'CB',
		workerIds: ['b1'],
		severity: 'near_miss',
		title: '高处落物',
		at: new Date(D + 13 * H).toISOString(),
		by: 'safe1',
		byName: '李工'
	});
	return doc;
}

describe('drill-downs: the records behind a number add up to it', () => {
	it('a contractor’s hours and worker-days in the month', () => {
		const doc = fixture();
		const s = foldMonth(doc, opts);
		for (const c of ['CA', 'CB']) {
			const stays = hoursRecords(doc, opts, { contractorId: c });
			expect(stays.reduce((n, r) => n + r.ms, 0)).toBe(s.contractors[c]!.ms);
			expect(new Set(stays.map((r) => `${r.workerId}|${r.day}`)).size).toBe(
				s.contractors[c]!.workerDays
			);
		}
		const open = hoursRecords(doc, opts, { contractorId: 'CB', day: '2026-05-06' });
		expect(open).toHaveLength(1);
		expect(open[0]).toMatchObject({ unclosed: true, ms: 0, exit: null });
		expect(open[0]!.entry.workerId).toBe('b1');
	});

	it('the alerts counted, and the false alarms apart', () => {
		const doc = fixture();
		const s = foldMonth(doc, opts);
		expect(alertRecords(doc, opts, { contractorId: 'CA' })).toHaveLength(s.contractors.CA!.alerts);
		expect(s.contractors.CA!.alerts).toBe(2);
		const ppe = alertRecords(doc, opts, { bucket: 'ppe' });
		expect(ppe.map((r) => r.day)).toEqual(['2026-05-06', '2026-05-08']);
		const falseAlarms = alertRecords(doc, opts, { falseAlarms: true });
		expect(falseAlarms).toHaveLength(1);
		expect(falseAlarms[0]!.latest?.action).toBe('false_alarm');
	});

	it('incidents and the ratings that count', () => {
		const doc = fixture();
		const s = foldMonth(doc, opts);
		expect(incidentRecords(doc, 'S1', { contractorId: 'CB' })).toHaveLength(
			s.contractors.CB!.incidents.near_miss
		);
		const ratings = ratingRecords(doc, 'S1', { contractorId: 'CA' });
		expect(ratings.map((r) => [r.rating.quality, r.counts])).toEqual([
			[3, false],
			[5, true]
		]);
		expect(ratings.filter((r) => r.counts)).toHaveLength(s.contractors.CA!.ratings.count);
	});
});
