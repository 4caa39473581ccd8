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
