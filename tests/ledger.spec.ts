// The personnel ledger end to end: a contractor admin on a phone registers a worker with the
// relay out of reach (draft kept across a reload, photos taken and kept on the phone); once the
// relay is back, safety staff on a laptop find the worker and see the certificate photo.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { residentIdCheckChar } from '../src/lib/domain';
import type { Claims } from '../src/lib/data/access';
import type { RunningServer } from '../sync-server/server';
import { seedSiteAndContractor, startRelay } from './helpers';

// `npm run screenshots` keeps these in docs/; a normal run writes them under test-results/.
const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
const first17 = '33010219850312001';
const ID = first17 + residentIdCheckChar(first17);
const PHOTO = join(process.cwd(), 'static/icons/icon-512.png');

async function device(
	browser: Browser,
	relay: RunningServer,
	claims: Omit<Claims, 'iss' | 'jti' | 'iat' | 'exp'>,
	viewport: { width: number; height: number },
	path: string
): Promise<Page> {
	const context = await browser.newContext({ viewport, hasTouch: viewport.width < 500 });
	const token = relay.issueToken(claims);
	await context.addInitScript((t) => {
		if (!localStorage.getItem('sitepass.token')) localStorage.setItem('sitepass.token', t);
	}, token);
	const page = await context.newPage();
	await page.goto(relay.url + path);
	await expect(page.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced');
	// The app is cached for offline use (on a phone the header hides this pill).
	await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20_000 });
	return page;
}

test('a worker registered on a phone offline reaches staff with the photo', async ({ browser }) => {
	const dataDir = mkdtempSync(join(tmpdir(), 'sitepass-ledger-e2e-'));
	let relay = await startRelay(dataDir);
	seedSiteAndContractor(relay);
	const port = relay.port;
	const phone = await device(
		browser,
		relay,
		{ sub: 'c1-admin', role: 'contractor', contractor: 'C1' },
		{ width: 390, height: 844 },
		'/ledger/register'
	);

	// The relay is out of reach from here on.
	await relay.close();
	await phone.context().setOffline(true);

	// Step 1, checked as typed, in Chinese.
	await phone.getByLabel('姓名').fill('王建国');
	await phone.getByLabel('证件号码').fill(first17 + (ID.endsWith('1') ? '2' : '1'));
	await expect(phone.getByTestId('id-error')).toHaveText('身份证号码校验位不正确，请逐位核对');
	await phone.getByLabel('证件号码').fill(ID);
	await expect(phone.getByTestId('id-ok')).toHaveText('男 · 出生于 1985-03-12');
	await phone.getByLabel('手机号码').fill('13812345678');
	await phone.getByLabel('工种').fill('电焊工');
	await phone.screenshot({ path: `${SHOTS}/register-identity-zh.png` });

	// Closing the app keeps the draft.
	await phone.reload();
	await expect(phone.getByText('已恢复上次未完成的登记')).toBeVisible();
	await expect(phone.getByLabel('姓名')).toHaveValue('王建国');
	await phone.getByRole('button', { name: '下一步' }).click();

	// Step 2: photos, shrunk and kept on the phone.
	await phone.getByTestId('photo-worker').locator('input[type=file]').setInputFiles(PHOTO);
	await expect(phone.getByTestId('photo-worker').getByTestId('blob-image')).toBeVisible();
	await phone.getByRole('button', { name: '下一步' }).click();

	// Step 3: the certificate with its photo.
	await phone.getByTestId('cert-type').selectOption('SO-WELD-FUSION');
	await phone.getByLabel('证书编号').fill('T330102198503120011');
	await phone.getByLabel('发证（初领）日期').fill('2024-03-01');
	await phone.getByRole('button', { name: /按规定有效期推算/ }).click();
	await expect(phone.getByLabel('有效期至')).toHaveValue('2030-03-01');
	await phone.getByTestId('photo-cert').locator('input[type=file]').setInputFiles(PHOTO);
	await expect(phone.getByTestId('photo-cert').getByTestId('blob-image')).toBeVisible();
	await phone.getByRole('button', { name: '下一步' }).click();

	// Step 4: emergency contact; health data only with the separate consent.
	await phone.getByLabel('紧急联系人', { exact: true }).fill('李秀英');
	await phone.getByLabel('紧急联系人电话').fill('13900001111');
	await expect(phone.getByLabel('血型')).toHaveCount(0);
	await phone.getByLabel('作业人员本人已阅读并同意').check();
	await phone.getByLabel('血型').selectOption('O');
	await phone.getByRole('button', { name: '下一步' }).click();

	// Step 5: submit as an entry application for the site.
	await phone.getByLabel('进场现场').selectOption('S1');
	await phone.getByLabel('作业类型').selectOption('hot_work');
	await phone.screenshot({ path: `${SHOTS}/register-review-zh.png` });
	await phone.getByTestId('reg-submit').click();
	await expect(phone.getByTestId('reg-done')).toContainText('王建国 已登记');

	// The relay returns; the phone syncs the records and uploads the photos.
	relay = await startRelay(dataDir, port);
	await phone.context().setOffline(false);
	await expect(phone.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced', {
		timeout: 20_000
	});

	const laptop = await device(
		browser,
		relay,
		{ sub: 'lead1', role: 'staff', staffRole: 'project_lead', sites: ['S1'] },
		{ width: 1366, height: 860 },
		'/ledger'
	);
	await laptop.getByTestId('ledger-search').fill(ID.slice(-4));
	const row = laptop.getByTestId('ledger-row').filter({ hasText: '王建国' });
	await expect(row).toBeVisible({ timeout: 20_000 });
	// A project lead sees the ID number masked.
	await expect(row).toContainText(`${ID.slice(0, 4)}**********${ID.slice(-4)}`);
	await expect(row).toContainText('熔化焊接与热切割作业');
	await laptop.screenshot({ path: `${SHOTS}/ledger-zh.png` });
	await laptop.getByTestId('ledger-search').press('Enter');
	await expect(laptop.getByTestId('worker-detail')).toBeVisible();
	const scan = laptop.getByTestId('worker-cert').getByTestId('blob-image');
	await expect(scan).toBeVisible({ timeout: 20_000 });
	// The photo really arrived: it decodes in the laptop's browser.
	await expect
		.poll(() => scan.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
		.toBe(true);
	await expect(laptop.getByTestId('worker-health')).toContainText('O');
	const timeline = laptop.getByTestId('worker-timeline');
	await expect(timeline).toContainText('登记入库');
	await expect(timeline).toContainText('本人同意收集健康信息');
	await expect(timeline).toContainText('提交 滨江一号工地 进场申请');
	await expect(timeline.locator('li', { hasText: '2030-03-01' })).toContainText('将至');
	// Site staff record the site induction (入场安全教育) the gate will check.
	const training = laptop.getByTestId('worker-training');
	await training.getByRole('button', { name: '记录培训' }).click();
	await training.getByLabel('学时').fill('8');
	await training.getByRole('button', { name: '保存' }).click();
	await expect(training).toContainText('入场安全教育 · 8 学时');
	await training.getByRole('button', { name: '记录体检' }).click();
	await training.getByLabel('有效期至').fill('2027-10-01');
	await training.getByTestId('photo-medical').locator('input[type=file]').setInputFiles(PHOTO);
	await expect(training.getByTestId('photo-medical').getByTestId('blob-image')).toBeVisible();
	await training.getByRole('button', { name: '保存' }).click();
	await expect(training).toContainText('合格 · 有效至 2027-10-01');
	await expect(training.getByTestId('blob-image')).toBeVisible();
	await laptop.screenshot({ path: `${SHOTS}/worker-zh.png` });

	// The worker withdraws the health consent (through the contractor's phone): the data goes
	// everywhere, the withdrawal stays in the record.
	await phone.goto(laptop.url().replace(/^http:\/\/[^/]+/, relay.url));
	phone.once('dialog', (d) => d.accept());
	await phone.getByTestId('withdraw-health').click();
	await expect(phone.getByTestId('worker-health')).toHaveCount(0);
	await expect(laptop.getByTestId('worker-health')).toHaveCount(0, { timeout: 15_000 });
	await expect(laptop.getByTestId('worker-timeline')).toContainText('本人撤回健康信息同意');
	// Closed, not left syncing (and retrying the closed relay) in the browser later specs share.
	for (const p of [phone, laptop]) await p.context().close();
	await relay.close();
});

test('a contractor imports a sheet: bad rows listed, fixed sheet imported whole, export is formula-safe', async ({
	browser
}) => {
	const ExcelJS = (await import('exceljs')).default;
	const dataDir = mkdtempSync(join(tmpdir(), 'sitepass-import-e2e-'));
	const relay = await startRelay(dataDir);
	seedSiteAndContractor(relay);
	const page = await device(
		browser,
		relay,
		{ sub: 'c1-admin', role: 'contractor', contractor: 'C1' },
		{ width: 1280, height: 900 },
		'/ledger/import'
	);
	const idOf = (i: number) => {
		// Born 1990-01-DD, sequence 1xx: valid, distinct numbers.
		const f17 = `33010219900${1}${String(10 + (i % 18))}${String(100 + i)}`;
		return f17 + residentIdCheckChar(f17);
	};
	async function sheet(rows: string[][]): Promise<Buffer> {
		const wb = new ExcelJS.Workbook();
		const ws = wb.addWorksheet('人员');
		ws.addRow([
			'姓名',
			'身份证号',
			'手机号',
			'工种',
			'证书类型',
			'证书编号',
			'发证日期',
			'有效期至'
		]);
		for (const r of rows) ws.addRow(r);
		return Buffer.from(await wb.xlsx.writeBuffer());
	}
	const good = Array.from({ length: 25 }, (_, i) => [
		i === 0 ? '=1+1' : `工人${i}`,
		idOf(i),
		`1390000${String(1000 + i)}`,
		'电焊工',
		'熔化焊接与热切割作业',
		`T${idOf(i)}`,
		'2024-05-01',
		'2030-05-01'
	]);
	const bad = good.map((r) => [...r]);
	bad[3]![1] = idOf(3).slice(0, 17) + (idOf(3).endsWith('1') ? '2' : '1'); // checksum (row 5)
	bad[7]![1] = idOf(2); // duplicate of row 4 (row 9)

	await page.getByTestId('import-file').setInputFiles({
		name: '人员表.xlsx',
		mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
		buffer: await sheet(bad)
	});
	await page.getByTestId('import-check').click();
	await expect(page.getByTestId('import-summary')).toHaveText(
		'共检查 25 行：23 行无误，2 行有错误'
	);
	const errors = page.getByTestId('import-errors');
	await expect(errors).toContainText('第 5 行');
	await expect(errors).toContainText('身份证号码校验位不正确');
	await expect(errors).toContainText('与第 4 行证件号码重复');
	await expect(page.getByTestId('import-run')).toHaveCount(0); // nothing half-imported

	await page.getByTestId('import-file').setInputFiles({
		name: '人员表-已修正.xlsx',
		mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
		buffer: await sheet(good)
	});
	await page.getByTestId('import-check').click();
	await expect(page.getByTestId('import-summary')).toHaveText(
		'共检查 25 行：25 行无误，0 行有错误'
	);
	await page.getByTestId('import-run').click();
	await expect(page.getByTestId('import-done')).toContainText('已导入 25 人');

	await page.goto(relay.url + '/ledger');
	// A full page start (shell, replicas from IndexedDB, sync) can take more than the default 5 s on
	// a loaded 2-core machine; the data itself is stored before the import reports success.
	await expect(page.getByTestId('ledger-count')).toHaveText('共 25 人', { timeout: 20_000 });
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByTestId('ledger-export').click()
	]);
	const exported = new ExcelJS.Workbook();
	await exported.xlsx.load((await readFile((await download.path())!)) as never);
	const names = exported.worksheets[0]!.getColumn(1).values.slice(2).map(String);
	expect(names).toContain("'=1+1"); // never evaluated as a formula
	expect(names).toHaveLength(25);
	// The contractor registered these people: it sees their full ID numbers in the export.
	expect(exported.worksheets[0]!.getColumn(4).values.slice(2).map(String)).toContain(idOf(5));
	await page.context().close();
	await relay.close();
});
