import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateLedger } from '../../../../bench/lib/ledger';
import { addDays } from '../../domain/dates';
import { newUlid } from '../event-commands';
import { ledgerFromDocs } from '../ledger';
import { cachedSummary, MemorySummaryCache } from './cache';
import {
	buildDashboard,
	certificateStats,
	hourlyHeadcount,
	mergeDashboards,
	type DashboardInput
} from './dashboard';
import { foldMonth, MonthFold } from './month';
import type { Dashboard } from './types';

const H = 3_600_000;
const TZ = 'Asia/Shanghai';
const D10 = Date.parse('2026-03-10T00:00:00+08:00');

function passage(
	siteId: string,
	workerId: string,
	contractorId: string,
	dir: 'in' | 'out',
	t: number
) {
	const id = newUlid(t);
	return {
		schema: 1,
		id,
		siteId,
		workerId,
		contractorId,
		direction: dir,
		at: new Date(t).toISOString(),
		deviceId: 'gate-1',
		method: 'qr',
		allow: true,
		reasons: []
	};
}

function siteDoc(siteId: string, people: [string, string][], shift: number) {
	const doc = new Y.Doc();
	const att = doc.getMap('attendance');
	for (const [w, c] of people) {
		for (let d = 0; d < 3; d++) {
			const a = passage(siteId, w, c, 'in', D10 + d * 24 * H + 8 * H + shift);
			const b = passage(siteId, w, c, 'out', D10 + d * 24 * H + 17 * H);
			att.set(a.id, a);
			att.set(b.id, b);
		}
	}
	// On day 3 the first worker is still in.
	const late = passage(siteId, people[0]![0], people[0]![1], 'in', D10 + 3 * 24 * H + 7 * H);
	att.set(late.id, late);
	const alertId = newUlid(D10 + 9 * H);
	doc.getMap('alerts').set(alertId, {
		schema: 1,
		id: alertId,
		siteId,
		kind: 'ppe',
		at: new Date(D10 + 9 * H).toISOString(),
		workerId: people[0]![0],
		deviceId: 'cam'
	});
	return doc;
}

function dashboardOf(siteId: string, doc: Y.Doc, at: Date): Dashboard {
	const fold = new MonthFold({ siteId, month: '2026-03', timeZone: TZ }).load(doc);
	const start = Date.parse('2026-03-13T00:00:00+08:00');
	const input: DashboardInput = {
		siteId,
		timeZone: TZ,
		at,
		months: [fold.summary()],
		today: fold.passagesBetween(start, start + 24 * H),
		beforeToday: fold.lastBefore(start),
		workers: new Map([
			['a1', { contractorId: 'CA', trade: '电工' }],
			['b1', { contractorId: 'CB', trade: '焊工' }]
		]),
		pings: new Map(),
		zones: [],
		ledger: [],
		approvals: []
	};
	return buildDashboard(input);
}

describe('the site dashboard and HQ', () => {
	const at = new Date('2026-03-13T10:30:00+08:00');

	it('on site now, hours and alerts from the folded month', () => {
		const d = dashboardOf(
			'S1',
			siteDoc(
				'S1',
				[
					['a1', 'CA'],
					['b1', 'CB']
				],
				0
			),
			at
		);
		expect(d.today).toBe('2026-03-13');
		expect(d.onSite).toEqual({
			total: 1,
			byContractor: { CA: 1 },
			byTrade: { 电工: 1 },
			byZone: { unknown: 1 }
		});
		expect(d.hoursByContractor).toEqual({ CA: 27 * H, CB: 27 * H });
		expect(d.days.find((p) => p.date === '2026-03-10')).toMatchObject({ hours: 18, ppe: 1 });
		// a1 has been inside since 07:00: 3.5 h so far today, not yet in the day's hours.
		expect(d.openHoursToday).toBeCloseTo(3.5, 10);
		expect(d.days.find((p) => p.date === '2026-03-13')?.hours ?? 0).toBe(0);
		// Nobody was in before 07:00; a1 came in at 07:00; the hours after 10:30 are still to come.
		expect(d.todayByHour.slice(0, 12)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, null]);
		expect(d.contractorMonths['2026-03']!.CA).toMatchObject({
			ms: 27 * H,
			workerDays: 4,
			unclosed: 1,
			alerts: 1
		});
	});

	it('HQ: two sites merged give exactly the sum of the sites', () => {
		const s1 = dashboardOf(
			'S1',
			siteDoc(
				'S1',
				[
					['a1', 'CA'],
					['b1', 'CB']
				],
				0
			),
			at
		);
		const s2 = dashboardOf('S2', siteDoc('S2', [['a2', 'CA']], 30 * 60_000), at);
		const hq = mergeDashboards([s1, s2]);
		expect(hq.siteIds).toEqual(['S1', 'S2']);
		expect(hq.onSite.total).toBe(s1.onSite.total + s2.onSite.total);
		expect(hq.hoursByContractor.CA).toBe(s1.hoursByContractor.CA! + s2.hoursByContractor.CA!);
		const cm = hq.contractorMonths['2026-03']!.CA!;
		const a = s1.contractorMonths['2026-03']!.CA!;
		const b = s2.contractorMonths['2026-03']!.CA!;
		expect(cm.ms).toBe(a.ms + b.ms);
		expect(cm.workerDays).toBe(a.workerDays + b.workerDays);
		expect(cm.alerts).toBe(a.alerts + b.alerts);
		for (const p of hq.days) {
			const x = s1.days.find((q) => q.date === p.date);
			const y = s2.days.find((q) => q.date === p.date);
			expect(p.workerDays).toBe((x?.workerDays ?? 0) + (y?.workerDays ?? 0));
			expect(p.ppe).toBe((x?.ppe ?? 0) + (y?.ppe ?? 0));
		}
		expect(hq.todayByHour[9]).toBe(s1.todayByHour[9]! + s2.todayByHour[9]!);
		expect(hq.openHoursToday).toBe(s1.openHoursToday + s2.openHoursToday);
		// Merging is order-free and a single site merges to itself.
		expect(mergeDashboards([s2, s1]).contractorMonths).toEqual(hq.contractorMonths);
		expect(mergeDashboards([s1]).contractorMonths).toEqual(s1.contractorMonths);
	});
});

describe('hours so far today', () => {
	it('counts an overnight stay from midnight and leaves out an entry older than 16 h', () => {
		const doc = new Y.Doc();
		const att = doc.getMap('attendance');
		// a1 came in yesterday at 22:00 (a night shift); b1 came in 20 h ago and never left.
		const night = passage('S1', 'a1', 'CA', 'in', D10 + 2 * 24 * H + 22 * H);
		const stale = passage('S1', 'b1', 'CB', 'in', D10 + 2 * 24 * H + 8 * H);
		att.set(night.id, night);
		att.set(stale.id, stale);
		const d = dashboardOf('S1', doc, new Date('2026-03-13T04:00:00+08:00'));
		expect(d.onSite.total).toBe(2);
		expect(d.openHoursToday).toBeCloseTo(4, 10);
	});
});

describe('headcount over the day', () => {
	it('is a step function of the passages, starting from who was in at midnight', () => {
		const start = Date.parse('2026-03-10T00:00:00+08:00');
		const before = new Map([['n1', { id: '0', t: start - 2 * H, direction: 'in' as const }]]);
		const counts = hourlyHeadcount(
			'2026-03-10',
			TZ,
			before,
			[
				{ id: '1', t: start + 6 * H, direction: 'out', workerId: 'n1' },
				{ id: '2', t: start + 8 * H + 5, direction: 'in', workerId: 'a1' },
				{ id: '3', t: start + 8 * H + 9, direction: 'in', workerId: 'a2' },
				{ id: '4', t: start + 12 * H, direction: 'out', workerId: 'a2' }
			],
			new Date(start + 24 * H - 1)
		);
		expect(counts).toEqual([
			1, 1, 1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
		]);
	});
});

describe('certificates by how soon they lapse', () => {
	it('puts each certificate in lapsed, 30, 60 or 90 days, with the ids behind each count', () => {
		const ledger = generateLedger(6, 'C1', 42);
		const today = '2026-03-10';
		const offsets = [10, 30, 31, 75, 120, -5];
		const doc = new Y.Doc();
		ledger.workers.forEach((w) => doc.getMap('workers').set(w.id, w));
		ledger.certificates.forEach((c, i) => {
			const expiresOn = addDays(today, offsets[i]!);
			doc.getMap('certificates').set(c.id, { ...c, expiresOn, nextReviewOn: expiresOn });
		});
		const rows = ledgerFromDocs([{ contractorId: 'C1', contractorName: '一建', doc }], null, today);
		const stats = certificateStats('S1', rows);
		const ids = (b: keyof typeof stats) => stats[b].items.map((i) => i.daysLeft);
		expect(ids('d30')).toEqual([10, 30]);
		expect(ids('d60')).toEqual([31]);
		expect(ids('d90')).toEqual([75]);
		expect(stats.lapsed.count).toBe(1);
		expect(stats.lapsed.items[0]).toMatchObject({
			status: 'expired',
			daysLeft: -5,
			contractorId: 'C1'
		});
		expect(stats.d30.byContractor).toEqual({ C1: 2 });
		expect(stats.d30.items[0]!.certificateId).toBe(ledger.certificates[0]!.id);
	});
});

describe('the summary cache', () => {
	it('reuses a month while its state vector is unchanged, and folds again after a change', async () => {
		const doc = siteDoc('S1', [['a1', 'CA']], 0);
		const cache = new MemorySummaryCache();
		const options = { siteId: 'S1', month: '2026-03', timeZone: TZ };
		const name = 'site:S1:events:2026-03';
		const first = await cachedSummary(cache, name, doc, options);
		expect(first.hit).toBe(false);
		const again = await cachedSummary(cache, name, doc, options);
		expect(again.hit).toBe(true);
		expect(again.summary).toBe(first.summary);
		// A replica holding the same updates hits too (the key is the state, not the object).
		const copy = new Y.Doc();
		Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
		expect((await cachedSummary(cache, name, copy, options)).hit).toBe(true);

		const p = passage('S1', 'b1', 'CB', 'in', D10 + 8 * H);
		doc.getMap('attendance').set(p.id, p);
		const changed = await cachedSummary(cache, name, doc, options);
		expect(changed.hit).toBe(false);
		expect(changed.summary.workers.b1).toBeDefined();
		expect(changed.summary).toEqual(foldMonth(doc, options));
		expect(cache.size).toBe(1);
	});
});
