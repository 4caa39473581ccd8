import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { newUlid } from '../event-commands';
import { foldMonth, MonthFold, staysOf } from './month';

const H = 3_600_000;
const SITE = 'S1';
const opts = { siteId: SITE, month: '2026-03', timeZone: 'Asia/Shanghai' };
// 2026-03-10 00:00 in Shanghai.
const D10 = Date.parse('2026-03-10T00:00:00+08:00');

function passage(workerId: string, direction: 'in' | 'out', t: number, extra = {}) {
	const id = newUlid(t);
	return [
		id,
		{
			schema: 1,
			id,
			siteId: SITE,
			workerId,
			contractorId: workerId.startsWith('a') ? 'CA' : 'CB',
			direction,
			at: new Date(t).toISOString(),
			deviceId: 'gate-1',
			method: 'face',
			allow: true,
			reasons: [],
			...extra
		}
	] as const;
}

function alert(kind: string, t: number, workerId: string | null) {
	const id = newUlid(t);
	return [
		id,
		{ schema: 1, id, siteId: SITE, kind, at: new Date(t).toISOString(), workerId, deviceId: 'cam' }
	] as const;
}

function action(alertId: string, kind: string, t: number) {
	const id = newUlid(t);
	return [
		id,
		{
			schema: 1,
			id,
			alertId,
			siteId: SITE,
			action: kind,
			by: 'safe1',
			at: new Date(t).toISOString()
		}
	] as const;
}

const put = (doc: Y.Doc, map: string, [k, v]: readonly [string, unknown]) =>
	doc.getMap(map).set(k, v);

describe('hours: pairing entries and exits per worker and site-local day', () => {
	it('pairs an entry with its exit and counts the worker-day', () => {
		const doc = new Y.Doc();
		put(doc, 'attendance', passage('a1', 'in', D10 + 8 * H));
		put(doc, 'attendance', passage('a1', 'out', D10 + 17 * H));
		const s = foldMonth(doc, opts);
		expect(s.days['2026-03-10']).toMatchObject({ ms: 9 * H, workerDays: 1, unclosed: 0 });
		expect(s.contractors.CA).toMatchObject({ ms: 9 * H, workerDays: 1, workers: 1 });
		expect(s.workers.a1).toEqual({ contractorId: 'CA', ms: 9 * H, workerDays: 1, unclosed: 0 });
	});

	it('an entry without an exit counts the day with 0 hours, and is flagged', () => {
		const doc = new Y.Doc();
		put(doc, 'attendance', passage('a1', 'in', D10 + 8 * H));
		const s = foldMonth(doc, opts);
		expect(s.days['2026-03-10']).toMatchObject({ ms: 0, workerDays: 1, unclosed: 1 });
	});

	it('an exit without an entry counts nothing (a stray exit)', () => {
		const doc = new Y.Doc();
		put(doc, 'attendance', passage('a1', 'out', D10 + 8 * H));
		const s = foldMonth(doc, opts);
		expect(s.days['2026-03-10']).toBeUndefined();
		expect(s.counts.strayExits).toBe(1);
		expect(s.last.a1?.direction).toBe('out');
	});

	it('a night shift crossing midnight counts on both site-local days', () => {
		const doc = new Y.Doc();
		put(doc, 'attendance', passage('a1', 'in', D10 + 20 * H));
		put(doc, 'attendance', passage('a1', 'out', D10 + 30 * H));
		const s = foldMonth(doc, opts);
		expect(s.days['2026-03-10']!.ms).toBe(4 * H);
		expect(s.days['2026-03-11']!.ms).toBe(6 * H);
		expect(s.workers.a1).toMatchObject({ ms: 10 * H, workerDays: 2 });
	});

	it('an exit more than 16 h after the entry does not close it', () => {
		const r = staysOf(
			[
				{ id: '1', t: D10, direction: 'in' },
				{ id: '2', t: D10 + 17 * H, direction: 'out' }
			],
			'Asia/Shanghai'
		);
		expect(r.parts).toEqual([
			{ day: '2026-03-10', ms: 0, unclosed: true, entryId: '1', exitId: null }
		]);
		expect(r.strayExits).toBe(1);
	});

	it('a repeated entry while in is a double scan: the first entry starts the stay', () => {
		const doc = new Y.Doc();
		put(doc, 'attendance', passage('a1', 'in', D10 + 8 * H));
		put(doc, 'attendance', passage('a1', 'in', D10 + 8 * H + 60_000));
		put(doc, 'attendance', passage('a1', 'out', D10 + 12 * H));
		expect(foldMonth(doc, opts).days['2026-03-10']).toMatchObject({ ms: 4 * H, unclosed: 0 });
	});

	it('a late passage arriving out of order recomputes that worker-day', () => {
		const doc = new Y.Doc();
		const fold = new MonthFold(opts).load(doc);
		fold.observe(doc, () => {});
		const exit = passage('a1', 'out', D10 + 17 * H);
		const entry = passage('a1', 'in', D10 + 8 * H);
		put(doc, 'attendance', exit); // the exit syncs first: a stray exit for now
		expect(fold.summary().days['2026-03-10']).toBeUndefined();
		expect(fold.summary().counts.strayExits).toBe(1);
		put(doc, 'attendance', entry); // the gate that saw the entry comes back online
		const s = fold.summary();
		expect(s.days['2026-03-10']).toMatchObject({ ms: 9 * H, workerDays: 1, unclosed: 0 });
		expect(s.counts.strayExits).toBe(0);
		// The fold equals a fresh full rescan.
		expect(s).toEqual(foldMonth(doc, opts));
	});

	it('refused passages and other sites move nobody', () => {
		const doc = new Y.Doc();
		put(doc, 'attendance', passage('a1', 'in', D10 + 8 * H, { allow: false }));
		put(doc, 'attendance', passage('a1', 'in', D10 + 8 * H, { siteId: 'S2' }));
		const s = foldMonth(doc, opts);
		expect(s.counts).toMatchObject({ attendance: 2, admitted: 0 });
		expect(s.workers).toEqual({});
	});

	it('an unreadable record is counted as such, never as hours', () => {
		const doc = new Y.Doc();
		const [k, v] = passage('a1', 'in', D10 + 8 * H);
		doc.getMap('attendance').set(k, { ...v, direction: 'sideways' });
		expect(foldMonth(doc, opts).counts.unreadable).toEqual({ attendance: 1 });
	});
});

describe('alerts', () => {
	it('counts alerts per day by kind, without false alarms (the latest action decides)', () => {
		const doc = new Y.Doc();
		const fold = new MonthFold(opts).load(doc);
		fold.observe(doc, () => {});
		put(doc, 'attendance', passage('a1', 'in', D10 + 7 * H));
		const ppe = alert('ppe', D10 + 9 * H, 'a1');
		const zone = alert('zone', D10 + 10 * H, null);
		const gate = alert('gate', D10 + 11 * H, 'b1');
		put(doc, 'alerts', ppe);
		put(doc, 'alerts', zone);
		put(doc, 'alerts', gate);
		let s = fold.summary();
		expect(s.days['2026-03-10']!.alerts).toEqual({ ppe: 1, zone: 1, geofence: 0, other: 1 });
		expect(s.contractors.CA!.alerts).toBe(1);
		// b1 never passed a gate this month and no directory was given: unknown contractor.
		expect(s.contractors.unknown!.alerts).toBe(2);

		put(doc, 'alertActions', action(ppe[0], 'false_alarm', D10 + 9.5 * H));
		s = fold.summary();
		expect(s.days['2026-03-10']!.alerts.ppe).toBe(0);
		expect(s.days['2026-03-10']!.falseAlarms).toBe(1);
		expect(s.contractors.CA).toMatchObject({ alerts: 0, falseAlarms: 1 });
		// Resolved after being called a false alarm: it counts again.
		put(doc, 'alertActions', action(ppe[0], 'resolved', D10 + 9.7 * H));
		expect(fold.summary().days['2026-03-10']!.alerts.ppe).toBe(1);
		// An older false alarm arriving late does not override the newer action.
		put(doc, 'alertActions', action(ppe[0], 'false_alarm', D10 + 9.6 * H));
		expect(fold.summary().days['2026-03-10']!.alerts.ppe).toBe(1);
		expect(fold.summary()).toEqual(foldMonth(doc, opts));
	});

	it('an action that syncs before its alert still marks it a false alarm', () => {
		const doc = new Y.Doc();
		const fold = new MonthFold(opts).load(doc);
		fold.observe(doc, () => {});
		const a = alert('zone', D10 + 9 * H, null);
		put(doc, 'alertActions', action(a[0], 'false_alarm', D10 + 10 * H));
		put(doc, 'alerts', a);
		expect(fold.summary().days['2026-03-10']).toMatchObject({
			falseAlarms: 1,
			alerts: { zone: 0 }
		});
	});

	it('attributes alerts to the contractor from the directory when no passage names one', () => {
		const doc = new Y.Doc();
		put(doc, 'alerts', alert('geofence', D10 + 9 * H, 'x9'));
		const s = foldMonth(doc, { ...opts, contractorOf: (w) => (w === 'x9' ? 'CX' : null) });
		expect(s.contractors.CX!.alertsByKind.geofence).toBe(1);
	});
});

describe('ratings and incidents', () => {
	const rating = (t: number, quality: number, by = 'lead1', title = '3号楼脚手架') => {
		const id = newUlid(t);
		return [
			id,
			{
				schema: 1,
				siteId: SITE,
				contractorId: 'CA',
				job: { title },
				quality,
				safety: 4,
				tidiness: 3,
				at: new Date(t).toISOString(),
				by,
				byName: '张工'
			}
		] as const;
	};

	it('the latest rating of a job by one person counts; incidents by severity', () => {
		const doc = new Y.Doc();
		const fold = new MonthFold(opts).load(doc);
		fold.observe(doc, () => {});
		put(doc, 'ratings', rating(D10 + H, 2));
		put(doc, 'ratings', rating(D10 + 2 * H, 5)); // a correction
		put(doc, 'ratings', rating(D10 + 3 * H, 4, 'safe1')); // another rater
		const id = newUlid(D10 + 4 * H);
		put(doc, 'incidents', [
			id,
			{
				schema: 1,
				siteId: SITE,
				contractorId: 'CA',
				workerIds: ['a1'],
				severity: 'minor',
				title: '手部划伤',
				at: new Date(D10 + 4 * H).toISOString(),
				by: 'safe1',
				byName: '李工'
			}
		]);
		const s = fold.summary();
		expect(s.contractors.CA!.ratings).toEqual({ count: 2, quality: 9, safety: 8, tidiness: 6 });
		expect(s.contractors.CA!.incidents).toEqual({ near_miss: 0, minor: 1, serious: 0 });
		expect(s).toEqual(foldMonth(doc, opts));
	});
});

describe('incremental fold equals a full rescan', () => {
	it('after random appends in random order (passages, alerts, actions)', () => {
		let seed = 7;
		const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
		const doc = new Y.Doc();
		const fold = new MonthFold(opts).load(doc);
		let changes = 0;
		fold.observe(doc, () => changes++);
		const records: [string, readonly [string, unknown]][] = [];
		const alerts: string[] = [];
		for (let i = 0; i < 400; i++) {
			const w = `${rand() < 0.5 ? 'a' : 'b'}${Math.floor(rand() * 8)}`;
			const t = D10 + Math.floor(rand() * 5 * 24) * H + Math.floor(rand() * H);
			const r = rand();
			if (r < 0.8) records.push(['attendance', passage(w, rand() < 0.5 ? 'in' : 'out', t)]);
			else if (r < 0.92) {
				const a = alert(['ppe', 'zone', 'geofence', 'other'][Math.floor(rand() * 4)]!, t, w);
				alerts.push(a[0]);
				records.push(['alerts', a]);
			} else if (alerts.length)
				records.push([
					'alertActions',
					action(
						alerts[Math.floor(rand() * alerts.length)]!,
						rand() < 0.6 ? 'false_alarm' : 'resolved',
						t + H
					)
				]);
		}
		// Shuffle: devices sync late and out of order.
		for (let i = records.length - 1; i > 0; i--) {
			const j = Math.floor(rand() * (i + 1));
			[records[i], records[j]] = [records[j]!, records[i]!];
		}
		for (let i = 0; i < records.length; i += 7)
			doc.transact(() => {
				for (const [map, r] of records.slice(i, i + 7)) put(doc, map, r);
			});
		expect(changes).toBeGreaterThan(0);
		const full = foldMonth(doc, opts);
		expect(fold.summary()).toEqual(full);
		expect(full.counts.admitted).toBeGreaterThan(250);
		expect(Object.values(full.days).reduce((s, d) => s + d.ms, 0)).toBeGreaterThan(0);
	});
});

describe('today', () => {
	it('passagesBetween and lastBefore give the day and what came before it', () => {
		const doc = new Y.Doc();
		put(doc, 'attendance', passage('a1', 'in', D10 + 20 * H));
		put(doc, 'attendance', passage('a1', 'out', D10 + 26 * H));
		put(doc, 'attendance', passage('b1', 'in', D10 + 32 * H));
		const fold = new MonthFold(opts).load(doc);
		const start = D10 + 24 * H;
		expect(
			fold
				.passagesBetween(start, start + 24 * H)
				.map((p) => p.workerId)
				.sort()
		).toEqual(['a1', 'b1']);
		expect([...fold.lastBefore(start)]).toEqual([
			['a1', expect.objectContaining({ direction: 'in', t: D10 + 20 * H })]
		]);
	});
});
