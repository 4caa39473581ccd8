// The live dashboard: closed months come from the cache, the current month is folded as events
// arrive, and the numbers shown equal a fresh build from the same documents.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateLedger } from '../../../../bench/lib/ledger';
import { newUlid } from '../event-commands';
import { MemorySummaryCache } from './cache';
import { LiveDashboard } from './dashboard-live.svelte';
import { foldMonth } from './month';

const H = 3_600_000;
const TZ = 'Asia/Shanghai';
const NOW = new Date('2026-04-10T12:00:00+08:00');
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function passage(workerId: string, dir: 'in' | 'out', t: number) {
	const id = newUlid(t);
	return {
		schema: 1,
		id,
		siteId: 'S1',
		workerId,
		direction: dir,
		at: new Date(t).toISOString(),
		deviceId: 'gate-1',
		method: 'qr',
		allow: true,
		reasons: []
	};
}

describe('LiveDashboard', () => {
	it('reads closed months from the cache and folds the current month as events arrive', async () => {
		const ledger = generateLedger(3, 'C1', 5);
		const contractor = new Y.Doc();
		ledger.workers.forEach((w) => contractor.getMap('workers').set(w.id, w));
		ledger.certificates.forEach((c) => contractor.getMap('certificates').set(c.id, c));
		const [w1, w2] = ledger.workers.map((w) => w.id);
		const march = new Y.Doc();
		const april = new Y.Doc();
		const m1 = passage(w1!, 'in', Date.parse('2026-03-02T08:00:00+08:00'));
		const m2 = passage(w1!, 'out', Date.parse('2026-03-02T17:00:00+08:00'));
		march.getMap('attendance').set(m1.id, m1);
		march.getMap('attendance').set(m2.id, m2);
		const cache = new MemorySummaryCache();
		const options = {
			siteId: 'S1',
			timeZone: TZ,
			org: new Y.Doc(),
			control: new Y.Doc(),
			blacklist: null,
			contractors: [{ contractorId: 'C1', contractorName: '一建', doc: contractor }],
			events: [
				{ name: 'site:S1:events:2026-03', month: '2026-03', doc: march },
				{ name: 'site:S1:events:2026-04', month: '2026-04', doc: april }
			],
			cache,
			now: () => NOW,
			batchMs: 5
		};
		const first = new LiveDashboard(options);
		await wait(20);
		expect(first.dashboard?.hoursByContractor).toEqual({ C1: 9 * H });
		expect(cache.misses).toBe(1);
		first.destroy();

		// A second page: March comes from the cache.
		const live = new LiveDashboard(options);
		await wait(20);
		expect(cache.hits).toBe(1);
		expect(live.dashboard?.onSite.total).toBe(0);

		// w2 comes in this morning: on site now, in the 09:00 hour, attributed through the ledger.
		const p = passage(w2!, 'in', Date.parse('2026-04-10T09:10:00+08:00'));
		april.getMap('attendance').set(p.id, p);
		await wait(30);
		const d = live.dashboard!;
		expect(d.onSite.total).toBe(1);
		expect(d.onSite.byContractor).toEqual({ C1: 1 });
		// 12:00 has begun (now), 13:00 has not.
		expect(d.todayByHour.slice(8, 14)).toEqual([0, 1, 1, 1, 1, null]);
		expect(d.contractorMonths['2026-04']!.C1).toMatchObject({ workerDays: 1, unclosed: 1 });
		expect(live.months.at(-1)).toEqual(
			foldMonth(april, {
				siteId: 'S1',
				month: '2026-04',
				timeZone: TZ,
				contractorOf: () => 'C1'
			})
		);

		// A late passage in closed March is folded too.
		const late = passage(w2!, 'in', Date.parse('2026-03-03T08:00:00+08:00'));
		march.getMap('attendance').set(late.id, late);
		await wait(30);
		expect(live.dashboard!.contractorMonths['2026-03']!.C1!.workerDays).toBe(2);
		expect(live.ledger).toHaveLength(3);
		live.destroy();
	});
});
