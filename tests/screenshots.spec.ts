// Screenshots of what a person sees, zh-CN first. `npm run screenshots` refreshes the copies in
// docs/screenshots/ that the README shows; a normal test run writes them under test-results/.
import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';

const dir = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
mkdirSync(dir, { recursive: true });

test('shell on a laptop, zh-CN', async ({ page }) => {
	await page.setViewportSize({ width: 1366, height: 860 });
	await page.goto('/');
	await expect(page.getByRole('heading', { name: '今日现场' })).toBeVisible();
	await page.evaluate(() => document.fonts.ready);
	await page.screenshot({ path: `${dir}/shell-zh-laptop.png` });
});

test('shell on a phone, zh-CN, menu open', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await page.goto('/review');
	await expect(page.getByTestId('page-plan-review')).toBeVisible();
	await page.screenshot({ path: `${dir}/shell-zh-phone.png` });
	await page.getByRole('button', { name: '菜单' }).click();
	await expect(page.getByTestId('nav-gate')).toBeInViewport();
	await page.screenshot({ path: `${dir}/shell-zh-phone-menu.png` });
});

test('permit QR page on a phone that is not enrolled, zh-CN', async ({ page }) => {
	// The content of a printed permit QR; this phone holds no keys, so the signature stays unchecked
	// (tests/permits.spec.ts checks real signatures end to end).
	const payload = {
		o: 'org',
		s: 'S1',
		p: 'pmt-1',
		n: 'DH-20260505-A1B2C3',
		k: 'hot_work',
		g: 'first',
		z: '一号罐区',
		w: '一号罐进料管线法兰焊接',
		f: new Date(Date.now() - 3_600_000).toISOString(),
		u: new Date(Date.now() + 3 * 3_600_000).toISOString(),
		m: [
			['刘*', 'operator'],
			['陈*', 'guardian']
		],
		t: new Date(Date.now() - 3_600_000).toISOString(),
		r: new Date(Date.now() - 7_200_000).toISOString(),
		b: 'lead1',
		key: 'k1'
	};
	const token = `SPP1.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
	await page.setViewportSize({ width: 390, height: 844 });
	await page.goto(`/p#${token}`);
	await expect(page.getByTestId('qr-verdict')).toHaveText(/有效/);
	await expect(page.getByTestId('qr-signature')).toContainText('本机未登记，无法核验签名');
	await page.screenshot({ path: `${dir}/permit-qr-unenrolled-zh.png` });
});
