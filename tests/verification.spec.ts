// Certificate verification and warnings end to end, in Chromium against a real relay whose
// certificate watch asks the registry simulator over HTTP:
// - a contractor admin's phone is offline when a worker's card is registered and found revoked;
//   the warning reaches it on its next sync, as an unread item and a system notification;
// - safety staff on a laptop get one daily digest plus the urgent finding, see the registry's
//   answer with its evidence on the worker's page, and record a manual check with a scan;
// - acknowledgements are per person and survive a reload.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Claims } from '../src/lib/data/access';
import { contractorDoc } from '../src/lib/data/documents';
import { serve, type RunningServer } from '../sync-server/server';
import {
	startRegistrySimulator,
	type RunningSimulator,
	type SeedCertificate
} from '../sync-server/registry/simulator';
import { seedSiteAndContractor, STATIC_DIR } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
const SCAN = join(process.cwd(), 'static/icons/icon-512.png');

const people = [
	{ id: 'w-zhang', name: '张伟', docNumber: '110105194912310021', number: 'T110105194912310021' },
	{ id: 'w-liu', name: '刘洋', docNumber: '110105195203030054', number: 'T110105195203030054' },
	{ id: 'w-chen', name: '陈静', docNumber: '110105195304040065', number: 'T110105195304040065' }
];
const seed: SeedCertificate[] = [
	{
		category: 'SO-ELEC-HV',
		number: people[0]!.number,
		holderName: '张伟',
		status: 'valid',
		expiresOn: '2030-03-01',
		reviewDate: '2027-06-01'
	},
	{
		category: 'SO-ELEC-HV',
		number: people[1]!.number,
		holderName: '刘洋',
		status: 'revoked',
		expiresOn: '2030-03-01'
	}
	// 陈静's card is not in the registry: 'not found'.
];

function register(relay: RunningServer, who: (typeof people)[number]) {
	const at = new Date().toISOString();
	relay.relay.write(contractorDoc('C1'), (doc) => {
		doc.getMap('workers').set(who.id, {
			schema: 2,
			id: who.id,
			contractorId: 'C1',
			name: who.name,
			docType: 'resident_id',
			docNumber: who.docNumber,
			trade: '电工',
			createdAt: at,
			updatedAt: at
		});
		doc.getMap('certificates').set(`c-${who.id}`, {
			schema: 1,
			id: `c-${who.id}`,
			workerId: who.id,
			regime: 'special_operation',
			catalogueVersion: 'order30',
			code: 'SO-ELEC-HV',
			number: who.number,
			issuedOn: '2024-03-01',
			expiresOn: '2030-03-01',
			nextReviewOn: '2027-06-01',
			createdAt: at,
			updatedAt: at
		});
	});
}

/** A device with a token, the app installed for offline use, notifications allowed and watched. */
async function device(
	browser: Browser,
	relay: RunningServer,
	claims: Omit<Claims, 'iss' | 'jti' | 'iat' | 'exp'>,
	viewport: { width: number; height: number },
	path: string
): Promise<Page> {
	const context = await browser.newContext({
		viewport,
		hasTouch: viewport.width < 500,
		permissions: ['notifications']
	});
	const token = relay.issueToken(claims);
	await context.addInitScript((t) => {
		if (!localStorage.getItem('sitepass.token')) localStorage.setItem('sitepass.token', t);
		// Record what the app shows through the browser's Notification API (the real API runs).
		const shown: { title: string; body?: string }[] = [];
		(window as unknown as { __shown: typeof shown }).__shown = shown;
		const original = ServiceWorkerRegistration.prototype.showNotification;
		ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
			shown.push({ title, body: options?.body });
			return original.call(this, title, options);
		};
	}, token);
	const page = await context.newPage();
	await page.goto(relay.url + path);
	await expect(page.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced', {
		timeout: 20_000
	});
	await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20_000 });
	return page;
}

const shown = (page: Page) =>
	page.evaluate(
		() => (window as unknown as { __shown: { title: string; body?: string }[] }).__shown
	);

let sim: RunningSimulator;
let relay: RunningServer;
/** The relay's clock runs ahead by this much (to reach tomorrow's digest). */
let ahead = 0;

test.beforeEach(async () => {
	ahead = 0;
	sim = await startRegistrySimulator({ seed: { certificates: seed } });
	relay = await serve({
		host: '127.0.0.1',
		port: 0,
		dataDir: mkdtempSync(join(tmpdir(), 'sitepass-verify-e2e-')),
		staticDir: STATIC_DIR,
		log: () => {},
		registry: { endpoint: sim.url, source: 'http:省级查询代理', ratePerSecond: 50, retries: 0 },
		verification: { digestHour: 0, now: () => Date.now() + ahead }
	});
	seedSiteAndContractor(relay);
});

test.afterEach(async () => {
	await relay.close();
	await sim.close();
});

test('registry answers become warnings, digests, evidence and manual checks', async ({
	browser
}) => {
	test.setTimeout(120_000);
	register(relay, people[0]!);

	// The contractor admin's phone is installed, then goes offline.
	const phone = await device(
		browser,
		relay,
		{ sub: 'c1-admin', role: 'contractor', contractor: 'C1' },
		{ width: 390, height: 844 },
		'/'
	);
	await expect(phone.getByTestId('notification-bell')).toHaveAttribute('data-unread', '0');
	await phone.context().setOffline(true);

	// Meanwhile two more cards are registered: one revoked, one unknown to the registry.
	register(relay, people[1]!);
	register(relay, people[2]!);
	await expect
		.poll(() => relay.relay.read('site:S1:control', (d) => d.getMap('warnings').size), {
			timeout: 15_000
		})
		.toBe(2);

	// Back online: the warnings arrive with the next sync, counted and announced.
	await phone.context().setOffline(false);
	await expect(phone.getByTestId('notification-bell')).toHaveAttribute('data-unread', '2', {
		timeout: 20_000
	});
	await expect.poll(() => shown(phone).then((s) => s.length), { timeout: 10_000 }).toBe(2);
	expect((await shown(phone)).map((s) => s.body).sort()).toEqual([
		'刘洋 的高压电工作业已被发证机关吊销',
		'陈静 的高压电工作业在发证机关查无此证'
	]);

	await phone.getByTestId('notification-bell').click();
	const items = phone.getByTestId('notification');
	await expect(items).toHaveCount(2);
	await expect(items.first()).toContainText('紧急');
	await phone.screenshot({ path: `${SHOTS}/notifications-contractor-zh.png`, fullPage: true });
	await items.filter({ hasText: '刘洋' }).getByTestId('mark-read').click();
	await expect(phone.getByTestId('notification-bell')).toHaveAttribute('data-unread', '1');
	// Read stays read after a reload (the acknowledgement synced), and is not announced again.
	await phone.reload();
	await expect(phone.getByTestId('notification-bell')).toHaveAttribute('data-unread', '1', {
		timeout: 20_000
	});
	expect(await shown(phone)).toHaveLength(0);

	// Next morning the relay makes the day's digest of what came up since the last one.
	ahead = 86_400_000;
	expect((await relay.verification.tick()).digests).toBe(1);

	// Safety staff: the urgent findings at once, and one digest for the day.
	const laptop = await device(
		browser,
		relay,
		{ sub: 'safe1', role: 'staff', staffRole: 'safety', sites: ['S1'] },
		{ width: 1366, height: 900 },
		'/notifications'
	);
	await expect(laptop.getByTestId('notification')).toHaveCount(3);
	const digest = laptop.locator('[data-testid=notification][data-kind=digest]');
	await expect(digest).toContainText('证书预警日报 · 滨江一号工地');
	await expect(digest).toContainText('新增 2 条预警');
	// His own acknowledgements: the contractor's do not count for him.
	await expect(laptop.getByTestId('notification-bell')).toHaveAttribute('data-unread', '3');
	await laptop.screenshot({ path: `${SHOTS}/notifications-staff-zh.png`, fullPage: true });

	// The worker's page shows the registry's answer and its evidence.
	await laptop.goto(`${relay.url}/ledger/C1/w-zhang`);
	const zhang = laptop.getByTestId('cert-verification');
	await expect(zhang).toHaveAttribute('data-outcome', 'genuine', { timeout: 20_000 });
	await expect(zhang).toContainText('http:省级查询代理');
	await zhang.getByText(/核验记录/).click();
	await expect(zhang).toContainText('登记时');
	await expect(zhang).toContainText(/查询编号 SIM-/);
	await expect(laptop.getByTestId('worker-cert').locator('header')).toContainText('有效');

	// 陈静: not found by the proxy; the safety officer checks the national service by hand.
	await laptop.goto(`${relay.url}/ledger/C1/w-chen`);
	const chen = laptop.getByTestId('cert-verification');
	await expect(chen).toHaveAttribute('data-outcome', 'not_found', { timeout: 20_000 });
	await expect(laptop.getByTestId('worker-cert').locator('header')).toContainText('未核验');
	await chen.getByTestId('manual-verify').click();
	await chen.getByRole('button', { name: '保存核验记录' }).click();
	await expect(chen).toContainText('请先上传查询结果的截图或照片');
	await chen.getByTestId('manual-scan').locator('input[type=file]').setInputFiles(SCAN);
	await expect(chen.getByTestId('manual-scan').getByTestId('blob-image')).toBeVisible();
	await chen.getByLabel('备注（查询渠道等）').fill('全国特种作业操作证查询平台，2026-11-28');
	await chen.getByRole('button', { name: '保存核验记录' }).click();
	await expect(chen).toHaveAttribute('data-outcome', 'genuine');
	await expect(chen).toContainText('人工核验（safe1）');
	await expect(laptop.getByTestId('worker-cert').locator('header')).toContainText('有效');
	await laptop.screenshot({ path: `${SHOTS}/certificate-verification-zh.png`, fullPage: true });

	// The relay keeps it: a fresh read of its control document has the manual record.
	await expect
		.poll(() =>
			relay.relay.read('site:S1:control', (d) =>
				[...d.getMap('verifications').values()].some(
					(v) => (v as { source: string }).source === 'manual:safe1'
				)
			)
		)
		.toBe(true);

	await phone.context().close();
	await laptop.context().close();
});
