// The dashboard end to end (issue 11), in Chromium against a real relay: a site with two
// contractors, workers whose certificates lapse at various dates, attendance today and on an
// earlier day, alerts; a second site with a third contractor. The numbers shown must equal the
// ones counted by hand from this seed; a new entry at the relay raises 在场人数 without a reload;
// an offline reload still shows the dashboard; an HQ device sees 全部工地 with both sites summed.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localDate } from '../src/lib/domain';
import { contractorDoc, controlDoc } from '../src/lib/data/documents';
import { DEFAULT_ENTRY_CHAIN, signDecision } from '../src/lib/data/approvals';
import { eventsDocFor, newUlid } from '../src/lib/data/event-commands';
import { newSecretKey, softwareSigner, type KeyBinding } from '../src/lib/data/signing';
import type { RunningServer } from '../sync-server/server';
import { enrolStaff, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

const DAY = 86_400_000;
const NOW = Date.now();
const SINCE_MIDNIGHT =
	NOW - Date.parse(`${localDate(new Date(NOW), 'Asia/Shanghai')}T00:00:00+08:00`);
/**
 * `minutes` before now for "today's" seeded events — squeezed after the site's midnight when the
 * test runs early in the day (a CI run at 00:03 in Shanghai saw today's entries land yesterday).
 */
const ago = (minutes: number) =>
	NOW - Math.round(Math.min(minutes * 60_000, (SINCE_MIDNIGHT * minutes) / 40));
const day = (offset: number) => localDate(new Date(NOW + offset * DAY), 'Asia/Shanghai');

// [id, contractor, name, trade, certificate expires in (days)]
const PEOPLE = [
	['w-zhang', 'C1', '张伟', '焊工', 10], // d30
	['w-wang', 'C1', '王芳', '焊工', 45], // d60
	['w-li', 'C1', '李强', '焊工', 80], // d90
	['w-zhao', 'C1', '赵敏', '普工', -5], // lapsed
	['w-liu', 'C2', '刘洋', '电工', 400],
	['w-chen', 'C2', '陈静', '电工', 400],
	['w-sun', 'C2', '孙磊', '电工', 400],
	['w-zhou', 'C3', '周强', '架子工', 20], // S2, d30
	['w-wu', 'C3', '吴刚', '架子工', 400] // S2
] as const;

function seed(relay: RunningServer) {
	const now = NOW;
	const at = new Date(now).toISOString();
	relay.relay.write('org', (doc) => {
		const sites = doc.getMap('sites');
		sites.set('S1', {
			schema: 1,
			id: 'S1',
			name: '滨江一号工地',
			kind: 'construction',
			timeZone: 'Asia/Shanghai',
			createdAt: at
		});
		sites.set('S2', {
			schema: 1,
			id: 'S2',
			name: '临港二号工地',
			kind: 'construction',
			timeZone: 'Asia/Shanghai',
			createdAt: at
		});
		const cs = doc.getMap('contractors');
		cs.set('C1', { schema: 1, id: 'C1', name: '华东焊接工程', sites: ['S1'], createdAt: at });
		cs.set('C2', { schema: 1, id: 'C2', name: '申城电气安装', sites: ['S1'], createdAt: at });
		cs.set('C3', { schema: 1, id: 'C3', name: '临港架业', sites: ['S2'], createdAt: at });
	});
	for (const c of ['C1', 'C2', 'C3'])
		relay.relay.write(contractorDoc(c), (doc) => {
			PEOPLE.filter((p) => p[1] === c).forEach(([id, , name, trade, days], i) => {
				doc.getMap('workers').set(id, {
					schema: 2,
					id,
					contractorId: c,
					name,
					docType: 'passport',
					docNumber: `E${c}${i}`,
					trade,
					createdAt: at,
					updatedAt: at
				});
				doc.getMap('certificates').set(`c-${id}`, {
					schema: 1,
					id: `c-${id}`,
					workerId: id,
					regime: 'special_operation',
					catalogueVersion: 'order30',
					code: trade === '电工' ? 'SO-ELEC-LV' : 'SO-WELD-FUSION',
					number: `T-${id}`,
					issuedOn: day(-700),
					expiresOn: day(days),
					nextReviewOn: day(days),
					createdAt: at,
					updatedAt: at
				});
			});
		});
	// Entry applications at S1 (C2): 陈静 and 孙磊 submitted 30 h ago (past the lead's 24 h
	// deadline), 刘洋 3 h ago — 3 approvals waiting, 2 of them overdue.
	const app = (id: string, workers: string[], hoursAgo: number) => {
		const t = new Date(now - hoursAgo * 3600_000).toISOString();
		return {
			schema: 1,
			id,
			contractorId: 'C2',
			siteId: 'S1',
			workers: workers.map((workerId) => ({ workerId, workType: 'lv_electrical' })),
			validFrom: day(0),
			validUntil: day(60),
			status: 'submitted',
			submittedAt: t,
			submittedBy: 'c2-admin',
			createdAt: t,
			updatedAt: t
		};
	};
	relay.relay.write(contractorDoc('C2'), (doc) => {
		doc.getMap('applications').set('A-old', app('A-old', ['w-chen', 'w-sun'], 30));
		doc.getMap('applications').set('A-new', app('A-new', ['w-liu'], 3));
	});
	const pass = (workerId: string, contractorId: string, direction: 'in' | 'out', t: number) => ({
		schema: 1,
		id: newUlid(t),
		siteId: contractorId === 'C3' ? 'S2' : 'S1',
		workerId,
		contractorId,
		direction,
		at: new Date(t).toISOString(),
		deviceId: 'gate-1',
		method: 'qr',
		allow: true,
		reasons: []
	});
	const put = (site: string, t: number, map: string, value: { id: string }) =>
		relay.relay.write(eventsDocFor(site, new Date(t)), (doc) =>
			doc.getMap(map).set(value.id, value)
		);
	// Two days ago (site-local): 张伟 08:00-16:00 (8 h) and 刘洋 08:00-12:00 (4 h).
	const d2 = (hh: string) => Date.parse(`${day(-2)}T${hh}:00+08:00`);
	put('S1', d2('08:00'), 'attendance', pass('w-zhang', 'C1', 'in', d2('08:00')));
	put('S1', d2('16:00'), 'attendance', pass('w-zhang', 'C1', 'out', d2('16:00')));
	put('S1', d2('08:01'), 'attendance', pass('w-liu', 'C2', 'in', d2('08:01')));
	put('S1', d2('12:01'), 'attendance', pass('w-liu', 'C2', 'out', d2('12:01')));
	// Today: 张伟, 王芳, 李强 (C1) and 刘洋 (C2) in; 陈静 in and out again. S2: 周强 in.
	for (const [w, c] of [
		['w-zhang', 'C1'],
		['w-wang', 'C1'],
		['w-li', 'C1'],
		['w-liu', 'C2']
	] as const)
		put('S1', ago(20), 'attendance', pass(w, c, 'in', ago(20)));
	put('S1', ago(30), 'attendance', pass('w-chen', 'C2', 'in', ago(30)));
	put('S1', ago(25), 'attendance', pass('w-chen', 'C2', 'out', ago(25)));
	put('S2', ago(10), 'attendance', pass('w-zhou', 'C3', 'in', ago(10)));
	// Alerts today at S1: two hard-hat alerts, one danger-zone intrusion.
	for (const [kind, k] of [
		['ppe', 1],
		['ppe', 2],
		['zone', 3]
	] as const) {
		const t = ago(k);
		const id = newUlid(t);
		put('S1', t, 'alerts', {
			schema: 1,
			id,
			siteId: 'S1',
			kind,
			at: new Date(t).toISOString(),
			workerId: 'w-zhang',
			deviceId: 'cam-1'
		} as { id: string });
	}
}

async function enrolHq(browser: Browser, relay: RunningServer): Promise<Page> {
	const admin = relay.issueToken({ sub: 'admin-e2e', role: 'admin' });
	const res = await fetch(`${relay.url}/api/enrolments`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
		body: JSON.stringify({ role: 'hq', sub: 'hq1', name: '总部安全部' })
	});
	expect(res.status).toBe(201);
	const { link } = await res.json();
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const page = await context.newPage();
	await page.goto(link);
	await page.getByLabel('设备名称').fill('总部的笔记本');
	await page.getByRole('button', { name: '登记' }).click();
	await expect(page.getByTestId('enrol-done')).toBeVisible();
	await page.goto(`${relay.url}/dashboard`);
	return page;
}

const tile = (page: Page, id: string) => page.getByTestId(`tile-${id}`).locator('[data-value]');

test('site dashboard: numbers from the seed, live update, offline reload; HQ sums both sites', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-dash-e2e-')));
	seed(relay);
	const page = await enrolStaff(browser, relay, 'uS', '安全员甲', 'safety', {
		landing: '/dashboard',
		serviceWorker: true
	});
	await page.setViewportSize({ width: 1280, height: 800 });

	// By hand: on site now at S1 = 张伟, 王芳, 李强, 刘洋 (陈静 left) = 4; C1 3, C2 1.
	await expect(tile(page, 'onsite')).toHaveText('4', { timeout: 20_000 });
	await expect(tile(page, 'd30')).toHaveText('1');
	await expect(tile(page, 'd60')).toHaveText('1');
	await expect(tile(page, 'd90')).toHaveText('1');
	await expect(tile(page, 'lapsed')).toHaveText('1');
	await expect(tile(page, 'alerts')).toHaveText('3');
	await expect(tile(page, 'pending')).toHaveText('3');
	await expect(page.getByTestId('tile-pending')).toContainText('其中超时 2');
	const byContractor = page.getByTestId('chart-by-contractor').locator('table');
	await expect(byContractor.locator('tr', { hasText: '华东焊接工程' })).toContainText('3');
	await expect(byContractor.locator('tr', { hasText: '申城电气安装' })).toContainText('1');
	const byTrade = page.getByTestId('chart-by-trade').locator('table');
	await expect(byTrade.locator('tr', { hasText: '焊工' })).toContainText('3');
	// Hours two days ago: 8 + 4 = 12 h.
	const hours = page.getByTestId('chart-hours').locator('table');
	await expect(hours.locator('tr', { hasText: day(-2).slice(5) })).toContainText('12');
	// Charts are drawn (an SVG with bars) and summarised for screen readers.
	await expect(page.getByTestId('chart-by-contractor').locator('svg rect').first()).toBeVisible();

	// The lapsed tile opens the list of who.
	await page.getByTestId('tile-lapsed').click();
	await expect(page.getByTestId('cert-list')).toHaveAttribute('data-bucket', 'lapsed');
	await expect(page.getByTestId('cert-row')).toHaveCount(1);
	await expect(page.getByTestId('cert-row')).toContainText('赵敏');
	// The certificate by its catalogue name and card number, as the ledger shows it.
	await expect(page.getByTestId('cert-name')).toHaveText('熔化焊接与热切割作业 T-w-zhao');
	await page.getByTestId('tile-d30').click();
	await expect(page.getByTestId('cert-row')).toContainText('张伟');

	// Live: 赵敏 enters at the gate (written at the relay) — 在场人数 goes to 5 without a reload.
	const t = NOW;
	relay.relay.write(eventsDocFor('S1', new Date(t)), (doc) => {
		const id = newUlid(t);
		doc.getMap('attendance').set(id, {
			schema: 1,
			id,
			siteId: 'S1',
			workerId: 'w-zhao',
			contractorId: 'C1',
			direction: 'in',
			at: new Date(t).toISOString(),
			deviceId: 'gate-1',
			method: 'qr',
			allow: true,
			reasons: []
		});
	});
	await expect(tile(page, 'onsite')).toHaveText('5', { timeout: 15_000 });
	await page.goto(`${relay.url}/dashboard`);
	await expect(tile(page, 'onsite')).toHaveText('5', { timeout: 15_000 });

	// Offline: a reload still shows the dashboard from this device's copy.
	await page.context().setOffline(true);
	await page.reload();
	await expect(tile(page, 'onsite')).toHaveText('5', { timeout: 15_000 });
	await expect(page.getByTestId('dash-offline')).toBeVisible();
	await page.context().setOffline(false);

	// HQ: 全部工地 by default, both sites summed: on site 5 + 1 = 6, d30 1 + 1 = 2.
	const hq = await enrolHq(browser, relay);
	await expect(hq.getByTestId('dash-site')).toHaveValue('all');
	await expect(hq.getByTestId('dash-hq-note')).toContainText('2 个工地');
	await expect(tile(hq, 'onsite')).toHaveText('6', { timeout: 20_000 });
	await expect(tile(hq, 'd30')).toHaveText('2');
	await expect(tile(hq, 'lapsed')).toHaveText('1');
	// One site alone.
	await hq.getByTestId('dash-site').selectOption('S2');
	await expect(tile(hq, 'onsite')).toHaveText('1');
	await relay.close();
});

test('scorecard: a supervisor rates a closed job, the score changes, numbers open their records', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-score-e2e-')));
	seed(relay);
	// A hot-work permit of 张伟 (C1), approved by the safety officer (a one-step chain) and closed
	// two hours ago: 作业已关闭，请评价.
	const closed = new Date(NOW - 2 * 3600_000).toISOString();
	const submitted = new Date(NOW - 7 * 3600_000).toISOString();
	const signer = softwareSigner(newSecretKey());
	relay.relay.write('org', (doc) =>
		doc.getMap('keys').set(signer.keyId, {
			schema: 1,
			id: signer.keyId,
			principal: 'uLead',
			publicKey: signer.publicKey,
			role: 'staff',
			staffRole: 'safety',
			sites: ['S1'],
			validFrom: '2026-01-01T00:00:00.000Z',
			registeredBy: 'admin-e2e'
		} satisfies KeyBinding)
	);
	const approval = await signDecision(signer, {
		site: 'S1',
		application: 'permit:P1',
		worker: 'P1',
		round: submitted,
		step: 0,
		stepId: 'safety_check',
		decision: 'approve',
		comment: '',
		conditions: [],
		signer: 'uLead',
		prev: null,
		at: new Date(NOW - 6.5 * 3600_000).toISOString()
	});
	relay.relay.write(controlDoc('S1'), (doc) => {
		doc.getMap('decisions').set(approval.hash, approval.record);
		doc.getMap('settings').set('chain:permit:hot_work', {
			schema: 1,
			kind: 'work_permit',
			steps: [
				{
					id: 'safety_check',
					role: 'safety',
					deadlineHours: 8,
					remindBeforeHours: 1,
					nextMayDecide: false
				}
			],
			updatedAt: submitted,
			updatedBy: 'admin-e2e'
		});
		doc.getMap('permits').set('P1', {
			schema: 1,
			id: 'P1',
			siteId: 'S1',
			number: 'DH-0001',
			kind: 'hot_work',
			grade: 'second',
			zone: 'z1',
			work: '钢梁焊接',
			validFrom: new Date(NOW - 6 * 3600_000).toISOString(),
			validUntil: new Date(NOW + 2 * 3600_000).toISOString(),
			people: [{ workerId: 'w-zhang', contractorId: 'C1', name: '张伟', role: 'worker' }],
			hazards: [],
			measures: [],
			gasTests: [],
			isolations: [],
			lifecycle: 'submitted',
			submittedAt: submitted,
			createdAt: closed,
			createdBy: 'uLead',
			updatedAt: closed,
			updatedBy: 'uLead'
		});
		const id = newUlid(Date.parse(closed));
		doc.getMap('permitActions').set(id, {
			schema: 1,
			id,
			permitId: 'P1',
			action: 'close',
			reason: '作业完成',
			at: closed,
			by: 'uLead'
		});
	});
	const page = await enrolStaff(browser, relay, 'uS', '安全员甲', 'safety', {
		landing: '/dashboard/contractors?site=S1'
	});
	await page.setViewportSize({ width: 1280, height: 800 });
	await expect(page.getByTestId('sc-row')).toHaveCount(2, { timeout: 20_000 });

	// Keyboard: focus the first row, ↓ then Enter opens the second contractor.
	await page.getByTestId('sc-row').first().focus();
	await page.keyboard.press('ArrowDown');
	await page.keyboard.press('Enter');
	await expect(page).toHaveURL(/\/dashboard\/contractors\/C\d/);
	await page.goto(`${relay.url}/dashboard/contractors/C1?site=S1`);
	await expect(page.getByTestId('sc-name')).toHaveText('华东焊接工程');
	const score = page.getByTestId('sc-score').locator('[data-value]');
	await expect(score).not.toHaveText('', { timeout: 20_000 });
	const before = await score.textContent();
	await expect(page.getByTestId('sc-raw-ratings')).toContainText('0');
	await expect(page.getByTestId('sc-formula')).toContainText('1,000');

	// The prompt is here; the closed permit's own page links to the rating form (作业已关闭，请评价).
	await expect(page.getByTestId('rate-job').first()).toContainText('钢梁焊接');
	await page.goto(`${relay.url}/permits/S1/P1`);
	await expect(page.getByTestId('permit-rate')).toHaveText('作业已关闭，请评价', {
		timeout: 20_000
	});
	await page.getByTestId('permit-rate').click();
	await expect(page).toHaveURL(/\/dashboard\/rate\?site=S1&permit=P1/);
	// 5 / 4 / 5 and a comment.
	const form = page.getByTestId('rating-form');
	await expect(form).toContainText('DH-0001');
	await form.getByTestId('mark-quality-5').check({ force: true });
	await form.getByTestId('mark-safety-4').check({ force: true });
	await form.getByTestId('mark-tidiness-5').check({ force: true });
	await form.getByTestId('rating-comment').fill('焊缝整齐，收工清场到位');
	await form.getByTestId('rating-submit').click();
	await expect(page.getByTestId('rate-saved')).toBeVisible();

	// The scorecard counts it: ratings sub-score (14/3 − 1) / 4 × 100 = 91.7; the score moves.
	await page.goto(`${relay.url}/dashboard/contractors/C1?site=S1`);
	await expect(page.getByTestId('sc-sub-ratings')).toHaveText('91.7', { timeout: 20_000 });
	await expect(score).not.toHaveText(before ?? '');

	// Every number opens its records: the ratings (with the comment), the hours (the stays).
	await page.getByTestId('sc-raw-ratings').click();
	await expect(page.getByTestId('sc-records')).toHaveAttribute('data-kind', 'ratings');
	await expect(page.getByTestId('sc-record')).toHaveCount(1);
	await expect(page.getByTestId('sc-record')).toContainText('焊缝整齐');
	await page.getByTestId('sc-hours').click();
	await expect(page.getByTestId('sc-records')).toHaveAttribute('data-kind', 'hours');
	// 张伟: a stay two days ago (in + out) and one open today; 王芳 and 李强 in today = 4 stays,
	// three of them without an exit yet (no hours).
	await expect(page.getByTestId('sc-record')).toHaveCount(4);
	await expect(page.getByTestId('sc-record').filter({ hasText: '尚无离场记录' })).toHaveCount(3);
	// The alerts behind the number, attributed as the number is (张伟's three today).
	await expect(page.getByTestId('sc-raw-alerts')).toContainText('3');
	await page.getByTestId('sc-raw-alerts').click();
	await expect(page.getByTestId('sc-records')).toHaveAttribute('data-kind', 'alerts');
	await expect(page.getByTestId('sc-record')).toHaveCount(3);
	await expect(page.getByTestId('sc-record').filter({ hasText: '未戴安全帽' })).toHaveCount(2);

	// 试算: all the weight on ratings scores C1 at its ratings sub-score, 91.7, without saving.
	const rated = Number(await score.textContent());
	await page.getByTestId('w-try').click();
	for (const [k, w] of [
		['incidents', '0'],
		['alerts', '0'],
		['certificates', '0'],
		['approvals', '0'],
		['ratings', '100']
	] as const)
		await page.getByTestId(`w-${k}`).fill(w);
	await expect(page.getByTestId('sc-trying')).toBeVisible();
	await expect(score).toHaveText('91.7');
	await expect(page.getByTestId('w-save')).toHaveCount(0); // staff: no save
	await page.getByRole('button', { name: '恢复当前权重' }).click();
	await expect(score).toHaveText(String(rated));
	expect(relay.relay.read('org', (d) => d.getMap('settings').get('scorecard'))).toBeUndefined();

	// 安全事件登记: a near miss of 张伟. By hand: C1 worked < 200 h, so 1 weighted incident per
	// 1,000 h is > 5 and the incidents sub-score falls from 100 to 0; with approvals missing the
	// weights present are 30 + 15 + 20 + 25 = 90, so the score falls by 100 × 30 / 90 = 33.3.
	await expect(page.getByTestId('sc-sub-incidents')).toHaveText('100');
	await page.goto(`${relay.url}/dashboard/incident?site=S1`);
	await page.getByTestId('inc-contractor').selectOption('C1');
	await page.getByLabel('张伟', { exact: true }).check();
	await page.getByLabel('未遂事件').check();
	await page.getByTestId('inc-title').fill('焊渣掉落险些砸伤');
	await page.getByTestId('inc-submit').click();
	await expect(page.getByTestId('inc-saved')).toBeVisible();
	await page.goto(`${relay.url}/dashboard/contractors/C1?site=S1`);
	await expect(page.getByTestId('sc-sub-incidents')).toHaveText('0', { timeout: 20_000 });
	await expect(page.getByTestId('sc-raw-incidents')).toContainText('未遂 1');
	const after = Number(await score.textContent());
	expect(Math.abs(rated - after - (100 * 30) / 90)).toBeLessThanOrEqual(0.1);
	await page.getByTestId('sc-raw-incidents').click();
	await expect(page.getByTestId('sc-record')).toHaveCount(1);
	await expect(page.getByTestId('sc-record')).toContainText('焊渣掉落险些砸伤');
	await relay.close();
});

// ——— Screenshots of a realistic site (npm run screenshots only) ———

/** A small deterministic PRNG (mulberry32), so every screenshot run draws the same site. */
function prng(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘';
const GIVEN = [
	'伟',
	'芳',
	'强',
	'磊',
	'军',
	'洋',
	'勇',
	'杰',
	'涛',
	'明',
	'超',
	'刚',
	'平',
	'辉',
	'鹏',
	'华',
	'飞',
	'斌',
	'波',
	'建国',
	'志强',
	'海涛',
	'立新',
	'春生'
];
// [id, name, site, [trade, certificate code, people]...]
const FIRMS = [
	['C1', '华东焊接工程', 'S1', [['焊工', 'SO-WELD-FUSION', 9]]],
	['C2', '申城电气安装', 'S1', [['电工', 'SO-ELEC-LV', 7]]],
	['C3', '沪建架业', 'S1', [['架子工', 'SO-HEIGHT-SCAFFOLD', 8]]],
	[
		'C4',
		'浦江起重吊装',
		'S1',
		[
			['起重司机', 'SE-2019-Q2', 3],
			['信号司索工', 'SE-2019-Q1', 3]
		]
	],
	['C5', '江南劳务', 'S1', [['普工', 'SO-HEIGHT-SCAFFOLD', 10]]],
	[
		'C6',
		'临港机电安装',
		'S2',
		[
			['电工', 'SO-ELEC-LV', 6],
			['焊工', 'SO-WELD-FUSION', 4]
		]
	]
] as const;

/** S1's zones (rectangles around a site in Pudong) and a point inside each. */
const ZONES = [
	['z-steel', '钢结构区', 'work', 31.2, 121.5],
	['z-pit', '基坑', 'danger', 31.2, 121.502],
	['z-yard', '材料堆场', 'work', 31.2015, 121.5],
	['z-power', '配电房', 'restricted', 31.2015, 121.502]
] as const;

async function realisticWorld(relay: RunningServer, T: number) {
	const rnd = prng(20261130);
	const pick = <X>(xs: readonly X[]) => xs[Math.floor(rnd() * xs.length)]!;
	const TZ = 'Asia/Shanghai';
	const dayAt = (offset: number) => localDate(new Date(T + offset * DAY), TZ);
	const at = (date: string, hh: number, mm: number) =>
		Date.parse(`${date}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00+08:00`);
	const created = new Date(T - 400 * DAY).toISOString();
	relay.relay.write('org', (doc) => {
		for (const [id, name] of [
			['S1', '滨江一号工地'],
			['S2', '临港二号工地']
		] as const)
			doc
				.getMap('sites')
				.set(id, { schema: 1, id, name, kind: 'construction', timeZone: TZ, createdAt: created });
		for (const [id, name, site] of FIRMS)
			doc.getMap('contractors').set(id, { schema: 1, id, name, sites: [site], createdAt: created });
	});
	// Workers and certificates: most valid for long, a few due within 30/60/90 days, two lapsed.
	type W = { id: string; name: string; c: string; site: string; trade: string };
	const workers: W[] = [];
	let n = 0;
	for (const [c, , site, trades] of FIRMS) {
		relay.relay.write(contractorDoc(c), (doc) => {
			for (const [trade, code, count] of trades)
				for (let i = 0; i < count; i++) {
					const id = `w${++n}`;
					const name = pick([...SURNAMES]) + pick(GIVEN);
					workers.push({ id, name, c, site, trade });
					// Due within 30 / 60 / 90 days or lapsed: a few of each, the rest valid for long.
					const expires =
						n % 17 === 5
							? -8
							: n % 13 === 3
								? 20
								: n % 11 === 4
									? 50
									: n % 9 === 2
										? 75
										: 300 + n * 7;
					doc.getMap('workers').set(id, {
						schema: 2,
						id,
						contractorId: c,
						name,
						docType: 'passport',
						docNumber: `E${c}${n}`,
						trade,
						createdAt: created,
						updatedAt: created
					});
					doc.getMap('certificates').set(`c-${id}`, {
						schema: 1,
						id: `c-${id}`,
						workerId: id,
						regime: code.startsWith('SE-') ? 'special_equipment' : 'special_operation',
						catalogueVersion: code.startsWith('SE-') ? '2019' : 'order30',
						code,
						number: `T${310000 + n * 37}`,
						issuedOn: dayAt(-700),
						expiresOn: dayAt(expires),
						nextReviewOn: dayAt(expires),
						createdAt: created,
						updatedAt: created
					});
				}
		});
	}
	// Events, grouped per (site, month) document and written once each.
	const docs = new Map<string, Record<string, Record<string, unknown>>>();
	const put = (site: string, t: number, map: string, value: Record<string, unknown>) => {
		const name = eventsDocFor(site, new Date(t), TZ);
		const d = docs.get(name) ?? docs.set(name, {}).get(name)!;
		(d[map] ??= {})[value.id as string] = value;
	};
	const pass = (w: W, direction: 'in' | 'out', t: number) =>
		put(w.site, t, 'attendance', {
			schema: 1,
			id: newUlid(t),
			siteId: w.site,
			workerId: w.id,
			contractorId: w.c,
			direction,
			at: new Date(t).toISOString(),
			deviceId: 'gate-1',
			method: 'qr',
			allow: true,
			reasons: []
		});
	const alert = (w: W, kind: 'ppe' | 'zone' | 'geofence', t: number) =>
		put(w.site, t, 'alerts', {
			schema: 1,
			id: newUlid(t),
			siteId: w.site,
			kind,
			at: new Date(t).toISOString(),
			workerId: w.id,
			deviceId: 'cam-2'
		});
	const today = dayAt(0);
	const nowMin = Math.floor((T - at(today, 0, 0)) / 60_000);
	// Past days: the last 30 every day but Sunday's half crew; earlier months four days each
	// (the scorecards' twelve-month trend).
	const pastDays: number[] = [];
	for (let d = 1; d <= 30; d++) pastDays.push(-d);
	for (let m = 1; m <= 11; m++)
		for (const k of [3, 9, 15, 22]) pastDays.push(-30 - (m - 1) * 30 - k);
	for (const off of pastDays) {
		const date = dayAt(off);
		const sunday = new Date(`${date}T12:00:00+08:00`).getUTCDay() === 0;
		for (const w of workers) {
			if (rnd() < (sunday ? 0.6 : 0.12)) continue;
			const inAt = at(date, 7, 15) + Math.floor(rnd() * 75) * 60_000;
			const outAt = at(date, 16, 30) + Math.floor(rnd() * 120) * 60_000;
			pass(w, 'in', inAt);
			pass(w, 'out', outAt);
			if (rnd() < 0.035)
				alert(
					w,
					pick(['ppe', 'ppe', 'zone', 'geofence'] as const),
					inAt + Math.floor(rnd() * 7) * 3_600_000
				);
		}
	}
	// Today: entries from 07:30, a few leave during the day (and at the evening's end, the day
	// shift), up to now; pings place those on site in the zones.
	const onSite: W[] = [];
	for (const w of workers) {
		if (rnd() < 0.12) continue;
		const inMin = 7 * 60 + 30 + Math.floor(rnd() * 90);
		if (inMin >= nowMin) continue;
		pass(w, 'in', at(today, 0, 0) + inMin * 60_000);
		const r = rnd();
		const outMin =
			r < 0.15 ? 11 * 60 + 30 + Math.floor(rnd() * 120) : 17 * 60 + Math.floor(rnd() * 90);
		if (outMin < nowMin) pass(w, 'out', at(today, 0, 0) + outMin * 60_000);
		else onSite.push(w);
	}
	for (const w of onSite.filter((x) => x.site === 'S1')) {
		const [, , , lat, lng] = pick(ZONES);
		const t = T - Math.floor(rnd() * 20) * 60_000;
		put('S1', t, 'pings', {
			schema: 1,
			id: newUlid(t),
			workerId: w.id,
			at: new Date(t).toISOString(),
			lat: lat + (rnd() - 0.5) * 0.0004,
			lng: lng + (rnd() - 0.5) * 0.0004,
			accuracy: 5
		});
	}
	for (const k of [1, 2, 3, 4, 5]) {
		const t = T - k * 47 * 60_000;
		if (t > at(today, 7, 30)) alert(pick(onSite), k % 3 ? 'ppe' : 'zone', t);
	}
	// Ratings and incidents over the months, by the safety officer.
	const firmsS1 = FIRMS.filter((f) => f[2] === 'S1');
	const jobs = ['钢梁焊接', '配电箱安装', '外脚手架搭设', '塔吊吊装', '基坑清理', '管道焊接'];
	for (const off of pastDays.filter((_, i) => i % 3 === 0)) {
		const [c, , site] = pick(firmsS1);
		const t = at(dayAt(off), 17, 40);
		const base = c === 'C3' ? 3 : c === 'C1' ? 4 : 4 + Math.round(rnd());
		put(site, t, 'ratings', {
			schema: 1,
			id: newUlid(t),
			siteId: site,
			contractorId: c,
			job: { title: `${pick(jobs)}（${dayAt(off).slice(5)}）` },
			quality: Math.min(5, base + Math.round(rnd())),
			safety: Math.max(1, base - Math.round(rnd())),
			tidiness: Math.min(5, Math.max(1, base + Math.round(rnd() * 2 - 1))),
			comment: pick(['按期完成，现场整洁', '收工清场不及时', '安全交底到位', '动火监护到位']),
			at: new Date(t).toISOString(),
			by: 'uS',
			byName: '安全员甲'
		});
	}
	for (const [off, c, severity, title] of [
		[-4, 'C3', 'near_miss', '脚手板未固定，险些坠落'],
		[-19, 'C4', 'minor', '吊装时手部擦伤'],
		[-75, 'C3', 'near_miss', '扣件高处坠落'],
		[-160, 'C1', 'near_miss', '焊渣引燃包装纸，当即扑灭']
	] as const) {
		const t = at(dayAt(off), 10, 20);
		put('S1', t, 'incidents', {
			schema: 1,
			id: newUlid(t),
			siteId: 'S1',
			contractorId: c,
			workerIds: [workers.find((w) => w.c === c)!.id],
			severity,
			title,
			at: new Date(t).toISOString(),
			by: 'uS',
			byName: '安全员甲'
		});
	}
	for (const [name, maps] of docs)
		relay.relay.write(name, (doc) => {
			for (const [map, values] of Object.entries(maps))
				for (const [k, v] of Object.entries(values)) doc.getMap(map).set(k, v);
		});
	// S1's zones, and entry approvals: decided ones (the time per step) and some waiting.
	const signers = (['project_lead', 'safety', 'director'] as const).map((role) => ({
		role,
		principal: `u-${role}`,
		signer: softwareSigner(newSecretKey())
	}));
	relay.relay.write('org', (doc) => {
		for (const { role, principal, signer } of signers)
			doc.getMap('keys').set(signer.keyId, {
				schema: 1,
				id: signer.keyId,
				principal,
				publicKey: signer.publicKey,
				role: 'staff',
				staffRole: role,
				sites: ['S1'],
				validFrom: created,
				registeredBy: 'admin-e2e'
			} satisfies KeyBinding);
	});
	const decisions: { hash: string; record: unknown }[] = [];
	const apps: Record<string, Record<string, unknown>> = {};
	for (let i = 0; i < 14; i++) {
		const [c] = pick(firmsS1);
		const who = workers.filter((w) => w.c === c).slice(0, 1 + (i % 3));
		const submitted = T - (i < 4 ? [5, 14, 30, 52][i]! : 40 + i * 60) * 3_600_000;
		const id = `A${i}`;
		(apps[c] ??= {})[id] = {
			schema: 1,
			id,
			contractorId: c,
			siteId: 'S1',
			workers: who.map((w) => ({ workerId: w.id, workType: 'general' })),
			validFrom: dayAt(-30),
			validUntil: dayAt(60),
			status: 'submitted',
			submittedAt: new Date(submitted).toISOString(),
			submittedBy: `${c}-admin`,
			createdAt: new Date(submitted).toISOString(),
			updatedAt: new Date(submitted).toISOString()
		};
		// The four newest wait (two past a 24 h deadline); the others went through all steps.
		const steps = i < 4 ? (i === 3 ? 1 : 0) : 3;
		for (const w of who) {
			let t = submitted;
			for (let s = 0; s < steps; s++) {
				t += (2 + rnd() * (s === 1 ? 30 : 14)) * 3_600_000;
				decisions.push(
					await signDecision(signers[s]!.signer, {
						site: 'S1',
						application: `${c}/${id}`,
						worker: w.id,
						round: new Date(submitted).toISOString(),
						step: s,
						stepId: DEFAULT_ENTRY_CHAIN.steps[s]!.id,
						decision: 'approve',
						comment: '',
						conditions: [],
						signer: signers[s]!.principal,
						prev: null,
						at: new Date(Math.min(t, T - 60_000)).toISOString()
					})
				);
			}
		}
	}
	for (const [c, values] of Object.entries(apps))
		relay.relay.write(contractorDoc(c), (doc) => {
			for (const [k, v] of Object.entries(values)) doc.getMap('applications').set(k, v);
		});
	relay.relay.write(controlDoc('S1'), (doc) => {
		for (const { hash, record } of decisions) doc.getMap('decisions').set(hash, record);
		for (const [id, name, kind, lat, lng] of ZONES)
			doc.getMap('zones').set(id, {
				schema: 1,
				id,
				siteId: 'S1',
				name,
				kind,
				requiresPermit: kind !== 'work',
				area: [
					[lat - 0.0006, lng - 0.0008],
					[lat - 0.0006, lng + 0.0008],
					[lat + 0.0006, lng + 0.0008],
					[lat + 0.0006, lng - 0.0008]
				],
				permitKinds: [],
				neighbours: [],
				updatedAt: created,
				updatedBy: 'admin-e2e'
			});
	});
}

/** The whole page at 1280 wide: the viewport grown to the page (the shell's sidebar is fixed). */
async function shoot(page: Page, file: string) {
	await page.evaluate(() => window.scrollTo(0, 0));
	const height = await page.evaluate(() => document.documentElement.scrollHeight);
	await page.setViewportSize({ width: 1280, height: Math.max(800, height) });
	await page.waitForTimeout(400); // the charts redraw at the new size
	await page.screenshot({ path: join(SHOTS, file) });
	await page.setViewportSize({ width: 1280, height: 800 });
}

test('screenshots: a realistic site — dashboard, a scorecard, the HQ view (zh-CN, 1280 wide)', async ({
	browser
}) => {
	test.skip(!process.env.SITEPASS_SCREENSHOTS, 'npm run screenshots only');
	test.setTimeout(120_000);
	// "Now" on the site: the real time during the working day, else 15:40 (today's, or
	// yesterday's before 09:30), with the browsers' clocks set to it.
	const real = Date.now();
	const todayLocal = localDate(new Date(real), 'Asia/Shanghai');
	const hhmm = (d: string, t: string) => Date.parse(`${d}T${t}:00+08:00`);
	const T =
		real >= hhmm(todayLocal, '09:30') && real <= hhmm(todayLocal, '17:30')
			? real
			: real > hhmm(todayLocal, '17:30')
				? hhmm(todayLocal, '15:40')
				: hhmm(localDate(new Date(real - DAY), 'Asia/Shanghai'), '15:40');
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-dash-shots-')));
	await realisticWorld(relay, T);
	const page = await enrolStaff(browser, relay, 'uS', '安全员甲', 'safety', { landing: '/' });
	await page.setViewportSize({ width: 1280, height: 800 });
	if (T !== real) await page.clock.setFixedTime(T);
	await page.goto(`${relay.url}/dashboard?site=S1`);
	await expect(tile(page, 'onsite')).not.toHaveText('0', { timeout: 30_000 });
	await expect(page.getByTestId('chart-approvals').locator('svg rect').first()).toBeVisible();
	await shoot(page, 'dashboard-zh.png');
	await page.goto(`${relay.url}/dashboard/contractors/C3?site=S1`);
	await expect(page.getByTestId('sc-score').locator('[data-value]')).toHaveText(/\d/, {
		timeout: 30_000
	});
	await page.getByTestId('sc-raw-incidents').click();
	await expect(page.getByTestId('sc-records')).toBeVisible();
	await shoot(page, 'scorecard-zh.png');
	const hq = await enrolHq(browser, relay);
	if (T !== real) {
		await hq.clock.setFixedTime(T);
		await hq.reload();
	}
	await expect(tile(hq, 'onsite')).not.toHaveText('0', { timeout: 30_000 });
	await expect(hq.getByTestId('dash-hq-note')).toContainText('2 个工地');
	await shoot(hq, 'hq-zh.png');
	await relay.close();
});
