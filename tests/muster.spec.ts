// The emergency muster end to end (issue 10), in Chromium against a real relay: three staff
// laptops on one site with people on site; A starts the muster and all three list them; C goes
// offline and ticks people meanwhile, A and B tick others (one person on both sides: the later
// tick wins); C comes back, A ends it — and all three show the same final list, statuses, counts
// and who ticked whom. ("A muster with three devices, one offline during the roll call, ends
// with one consistent list on all three.")
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractorDoc, controlDoc } from '../src/lib/data/documents';
import { eventsDocFor, newUlid } from '../src/lib/data/event-commands';
import type { RunningServer } from '../sync-server/server';
import { enrolStaff, seedSiteAndContractor, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

const PEOPLE = [
	['w-zhang', '张伟', '焊工', 'A', '+', '青霉素', 'pit'],
	['w-liu', '刘洋', '电工', 'O', '+', '', 'pit'],
	['w-chen', '陈静', '架子工', 'B', '-', '', 'yard'],
	['w-sun', '孙磊', '起重机司机', 'AB', '+', '海鲜', 'yard'],
	['w-zhou', '周强', '焊工', 'O', '-', '', 'yard'],
	['w-wu', '吴刚', '普工', 'A', '+', '', null],
	['w-zheng', '郑丽', '电工', 'O', '+', '', 'pit'],
	['w-he', '何军', '焊工', 'B', '+', '', null]
] as const;
const ZONES = {
	pit: { name: '1号基坑', kind: 'danger', at: [31.2301, 121.4701] },
	yard: { name: '钢筋加工场', kind: 'work', at: [31.2321, 121.4701] }
} as const;

function square([lat, lng]: readonly [number, number]): [number, number][] {
	const d = 0.0005;
	return [
		[lat - d, lng - d],
		[lat - d, lng + d],
		[lat + d, lng + d],
		[lat + d, lng - d]
	];
}

/** Workers with health and emergency records, zones on the map, today's entries and pings. */
function seed(relay: RunningServer) {
	const now = Date.now();
	const at = new Date(now).toISOString();
	relay.relay.write('org', (doc) => {
		const c = doc.getMap('contractors').get('C1') as Record<string, unknown>;
		doc
			.getMap('contractors')
			.set('C1', { ...c, contactName: '王队长', contactPhone: '13812345678' });
	});
	relay.relay.write(contractorDoc('C1'), (doc) => {
		PEOPLE.forEach(([id, name, trade, blood, rh, allergies], i) => {
			doc.getMap('workers').set(id, {
				schema: 2,
				id,
				contractorId: 'C1',
				name,
				docType: 'passport',
				docNumber: `E${1000 + i}`,
				phone: `1390000${String(1000 + i)}`,
				trade,
				createdAt: at,
				updatedAt: at
			});
			doc.getMap('health').set(id, {
				schema: 1,
				workerId: id,
				bloodType: blood,
				rh,
				...(allergies ? { allergies } : {}),
				updatedAt: at
			});
			doc.getMap('emergency').set(id, {
				schema: 1,
				workerId: id,
				name: `${name.slice(0, 1)}家属`,
				relation: '配偶',
				phone: `1370000${String(1000 + i)}`,
				updatedAt: at
			});
		});
	});
	relay.relay.write(controlDoc('S1'), (doc) => {
		for (const [id, z] of Object.entries(ZONES))
			doc.getMap('zones').set(id, {
				schema: 1,
				id,
				siteId: 'S1',
				name: z.name,
				kind: z.kind,
				requiresPermit: false,
				area: square(z.at),
				permitKinds: [],
				neighbours: [],
				updatedAt: at,
				updatedBy: 'seed'
			});
	});
	relay.relay.write(eventsDocFor('S1', new Date(now)), (doc) => {
		PEOPLE.forEach(([workerId, , , , , , zone], i) => {
			const entered = now - 3 * 3600_000 + i * 60_000;
			const id = newUlid(entered);
			doc.getMap('attendance').set(id, {
				schema: 1,
				id,
				siteId: 'S1',
				workerId,
				contractorId: 'C1',
				direction: 'in',
				at: new Date(entered).toISOString(),
				deviceId: 'gate-1',
				method: 'qr',
				allow: true,
				reasons: []
			});
			if (!zone) return;
			const pingAt = now - (i + 2) * 60_000;
			const pid = newUlid(pingAt);
			const [lat, lng] = ZONES[zone].at;
			doc.getMap('pings').set(pid, {
				schema: 1,
				id: pid,
				workerId,
				at: new Date(pingAt).toISOString(),
				lat: lat + 0.0001 * (i % 3),
				lng,
				accuracy: 8
			});
		});
	});
}

const row = (page: Page, workerId: string) =>
	page.locator(`[data-testid=muster-row][data-worker="${workerId}"]`);

async function tick(page: Page, workerId: string, action = 'muster-tick') {
	await row(page, workerId).getByTestId(action).click();
	await expect(row(page, workerId)).not.toHaveAttribute('data-status', 'unaccounted');
}

/** What a device shows: every row's status and who ticked, and the counters. */
async function finalList(page: Page) {
	const rows = await page.getByTestId('muster-row').evaluateAll((els) =>
		els
			.map((el) => ({
				worker: el.getAttribute('data-worker'),
				status: el.getAttribute('data-status'),
				by: el.querySelector('[data-testid=muster-mark-by]')?.textContent?.trim() ?? ''
			}))
			.sort((a, b) => (a.worker! < b.worker! ? -1 : 1))
	);
	const counts = await page
		.locator('[data-testid^=muster-count-]')
		.evaluateAll((els) => els.map((el) => `${el.dataset.testid}=${el.dataset.count}`));
	return { rows, counts };
}

test('muster: three devices, one offline during the roll call, end with one list', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-muster-e2e-')));
	seedSiteAndContractor(relay);
	seed(relay);
	const [a, b, c] = await Promise.all([
		enrolStaff(browser, relay, 'uA', '安全员甲', 'safety', { landing: '/muster' }),
		enrolStaff(browser, relay, 'uB', '项目乙', 'project_lead', { landing: '/muster' }),
		enrolStaff(browser, relay, 'uC', '安全员丙', 'safety', { landing: '/muster' })
	]);

	// Before: who is on site now, so the button's effect is clear.
	for (const p of [a, b, c]) {
		await expect(p.getByTestId('muster-preview-title')).toHaveText('当前在场 8 人');
		await expect(p.getByTestId('muster-row')).toHaveCount(8);
	}

	// A starts a drill.
	await a.getByTestId('muster-kind-drill').check();
	await a.getByTestId('muster-reason').fill('季度疏散演练');
	await a.getByTestId('muster-start').click();
	await expect(a.getByRole('alertdialog')).toContainText('名单包含当前在场的 8 人');
	await a.getByTestId('muster-confirm').click();
	for (const p of [a, b, c]) {
		await expect(p.getByTestId('muster-banner')).toContainText('紧急集合演练进行中');
		await expect(p.getByTestId('muster-count-total')).toHaveAttribute('data-count', '8');
		await expect(p.getByTestId('muster-count-unaccounted')).toHaveAttribute('data-count', '8');
	}
	// Grouped by last known zone, reachable, contractor supervisor first.
	await expect(a.getByTestId('muster-leads')).toContainText('王队长 13812345678');
	await expect(a.getByTestId('muster-group')).toHaveCount(3);
	await expect(row(a, 'w-zhang')).toContainText('血型 A+');
	await expect(row(a, 'w-zhang')).toContainText('过敏：青霉素');
	await expect(row(a, 'w-zhang').locator('a[href="tel:13900001000"]')).toBeVisible();
	await expect(row(a, 'w-zhang').locator('a[href="sms:13900001000"]')).toBeVisible();

	// C goes offline and ticks three people; one of them (陈静) it calls missing.
	await c.context().setOffline(true);
	await expect(c.getByTestId('muster-sync')).toContainText('离线', { timeout: 15_000 });
	await tick(c, 'w-zhang');
	await tick(c, 'w-liu');
	await tick(c, 'w-chen', 'muster-missing');
	await expect(c.getByTestId('muster-count-accounted')).toHaveAttribute('data-count', '2');

	// Meanwhile A ticks by keyboard (search, then space) and B by touch; B later finds 陈静.
	await a.keyboard.press('/');
	await a.keyboard.type('孙磊');
	await a.keyboard.press('Enter');
	await a.keyboard.press(' ');
	await expect(row(a, 'w-sun')).toHaveAttribute('data-status', 'accounted');
	await a.getByTestId('muster-search').fill('');
	await tick(a, 'w-zhou');
	await tick(b, 'w-wu', 'muster-absent');
	await tick(b, 'w-chen');
	await expect(row(a, 'w-chen')).toHaveAttribute('data-status', 'accounted');
	await expect(row(a, 'w-chen').getByTestId('muster-mark-by')).toContainText('项目乙');
	await expect(row(c, 'w-chen')).toHaveAttribute('data-status', 'missing');
	// C's ticks have not left C.
	await expect(row(b, 'w-zhang')).toHaveAttribute('data-status', 'unaccounted');

	// The active list for the README (A's laptop), then the print layout.
	await a.evaluate(() => window.scrollTo(0, 0));
	await a.screenshot({ path: `${SHOTS}/muster-zh.png` });

	// C comes back: its ticks reach the others; 陈静's later tick (B's) wins on C too.
	await c.context().setOffline(false);
	await expect(c.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced', {
		timeout: 20_000
	});
	for (const p of [a, b, c]) {
		await expect(row(p, 'w-zhang')).toHaveAttribute('data-status', 'accounted');
		await expect(row(p, 'w-chen')).toHaveAttribute('data-status', 'accounted');
		await expect(p.getByTestId('muster-count-unaccounted')).toHaveAttribute('data-count', '2');
	}
	await expect(row(a, 'w-zhang').getByTestId('muster-mark-by')).toContainText('安全员丙');

	// A ends it; every device keeps the final list, read-only.
	await a.getByTestId('muster-end').click();
	await a.getByTestId('muster-end-confirm').click();
	for (const p of [a, b, c]) {
		await expect(p.getByTestId('muster-ended-by')).toContainText('安全员甲');
		await expect(p.getByTestId('muster-tick')).toHaveCount(0);
	}
	const lists = await Promise.all([a, b, c].map(finalList));
	expect(lists[0]!.rows).toHaveLength(8);
	expect(lists[0]!.counts).toEqual([
		'muster-count-total=8',
		'muster-count-accounted=5',
		'muster-count-unaccounted=2',
		'muster-count-exited=0',
		'muster-count-missing=0',
		'muster-count-absent=1'
	]);
	expect(lists[1]).toEqual(lists[0]);
	expect(lists[2]).toEqual(lists[0]);
	expect(lists[0]!.rows.find((r) => r.worker === 'w-liu')!.by).toContain('安全员丙');
	expect(lists[0]!.rows.find((r) => r.worker === 'w-wu')).toMatchObject({ status: 'absent' });

	// The past muster with its final count, also after a reload.
	await b.reload();
	await expect(b.getByTestId('muster-history-counts').first()).toContainText(
		'在场 8 · 已清点 5 · 失联 0 · 已出场 0'
	);
	await b.getByTestId('muster-history-row').first().getByRole('button').click();
	await expect(b.getByTestId('muster-banner')).toContainText('历史集合（只读）');
	expect(await finalList(b)).toEqual(lists[0]);

	// Print: every row with a tick box on a clean page.
	await b.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
	await b.emulateMedia({ media: 'print' });
	await expect(b.locator('[data-muster-print]')).toBeVisible();
	await expect(b.locator('[data-muster-print] tbody tr')).toHaveCount(8);
	await b.screenshot({ path: `${SHOTS}/muster-print-zh.png`, fullPage: true });
	await b.emulateMedia({ media: 'screen' });

	await relay.close();
});
