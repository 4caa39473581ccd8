// The app shell: Chinese first, every task page reachable and explained, English switchable,
// and the header telling the truth about the network.
import { expect, test } from '@playwright/test';

const PAGES = [
	['ledger', '人员台账'],
	['review', '审批'],
	['gate', '门岗'],
	['monitor', '视频监控'],
	['map', '现场地图'],
	['muster', '紧急清点'],
	['dashboard', '统计看板'],
	['admin', '系统管理']
] as const;

test('opens in Chinese with every task in the menu', async ({ page }) => {
	await page.goto('/');
	await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
	await expect(page.getByRole('heading', { name: '今日现场' })).toBeVisible();
	for (const [id, label] of PAGES) {
		await expect(page.getByTestId(`nav-${id}`)).toHaveText(label);
	}
	await expect(page.getByTestId('network-state')).toHaveText('网络在线');
	// Not enrolled yet: the header says so instead of pretending to sync.
	await expect(page.getByTestId('relay-state')).toHaveText('本设备尚未登记');
	await expect(page.getByTestId('who')).toContainText('本设备未登记');
});

test('each page says what it is for, also on a deep link', async ({ page }) => {
	for (const [id, label] of PAGES) {
		await page.goto(`/${id}`);
		if (id === 'admin') await expect(page.getByTestId('admin-needed')).toBeVisible();
		else if (id === 'ledger') await expect(page.getByTestId('ledger-not-enrolled')).toBeVisible();
		else if (id === 'gate') await expect(page.getByTestId('gate-not-enrolled')).toBeVisible();
		else if (id === 'monitor') await expect(page.getByTestId('monitor-staff-only')).toBeVisible();
		else if (id === 'map') await expect(page.getByTestId('map-not-allowed')).toBeVisible();
		else if (id === 'muster') await expect(page.getByTestId('muster-staff-only')).toBeVisible();
		else if (id === 'dashboard') await expect(page.getByTestId('dash-not-enrolled')).toBeVisible();
		else await expect(page.getByTestId(`page-plan-${id}`)).toBeVisible();
		await expect(page.getByTestId(`nav-${id}`)).toHaveAttribute('aria-current', 'page');
		await expect(page.locator('.page-title')).toHaveText(label);
	}
});

test('switches to English and remembers the choice', async ({ page }) => {
	await page.goto('/ledger');
	await page.getByRole('button', { name: '语言' }).click();
	await expect(page.getByTestId('nav-ledger')).toHaveText('Personnel');
	await expect(page.locator('html')).toHaveAttribute('lang', 'en');
	await page.reload();
	await expect(page.getByTestId('nav-ledger')).toHaveText('Personnel');
	await page.getByRole('button', { name: 'Language' }).click();
	await expect(page.getByTestId('nav-ledger')).toHaveText('人员台账');
});

test('the header shows when the device goes offline and back', async ({ page, context }) => {
	await page.goto('/');
	await expect(page.getByTestId('network-state')).toHaveText('网络在线');
	await context.setOffline(true);
	await expect(page.getByTestId('network-state')).toHaveText('离线工作中');
	await context.setOffline(false);
	await expect(page.getByTestId('network-state')).toHaveText('网络在线');
});

test('an unknown address inside the app says so in Chinese', async ({ page }) => {
	await page.goto('/no-such-page');
	await expect(page.getByRole('heading', { name: '页面不存在' })).toBeVisible();
});

test('the install manifest is linked and names the icons', async ({ page, request }) => {
	await page.goto('/');
	const href = await page.locator('link[rel="manifest"]').getAttribute('href');
	expect(href).toBeTruthy();
	const manifest = await (await request.get(href!)).json();
	expect(manifest.lang).toBe('zh-CN');
	expect(manifest.display).toBe('standalone');
	for (const icon of manifest.icons) {
		expect((await request.get(icon.src)).status(), icon.src).toBe(200);
	}
	expect(manifest.icons.some((i: { sizes: string }) => i.sizes === '512x512')).toBe(true);
});
