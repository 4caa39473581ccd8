// The app loads with no network after one visit (service worker precache), with a control:
// the same steps with service workers blocked must fail, or the first test proves nothing.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type RunningServer } from '../sync-server/server';

async function startRelay(): Promise<RunningServer> {
	return serve({
		host: '127.0.0.1',
		port: 0,
		dataDir: mkdtempSync(join(tmpdir(), 'sitepass-offline-')),
		staticDir: join(process.cwd(), 'build'),
		log: () => {}
	});
}

/** Visit once, then take the relay away and cut the network: nothing can answer but the cache. */
async function visitThenGoDark(context: BrowserContext, page: Page, relay: RunningServer) {
	await page.goto(relay.url + '/');
	await expect(page.getByRole('heading', { name: '今日现场' })).toBeVisible();
	return async () => {
		await relay.close();
		await context.setOffline(true);
	};
}

test('after one visit the app loads offline, deep links included', async ({ browser }) => {
	const relay = await startRelay();
	const context = await browser.newContext({ serviceWorkers: 'allow' });
	const page = await context.newPage();
	const goDark = await visitThenGoDark(context, page, relay);
	// The header says so once the service worker controls the page.
	await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 20_000 });
	await goDark();

	await page.reload();
	await expect(page.getByRole('heading', { name: '今日现场' })).toBeVisible();
	await expect(page.getByTestId('network-state')).toHaveText('离线工作中');

	// A page never visited before also opens: the shell answers every app route.
	await page.goto(relay.url + '/muster');
	await expect(page.getByTestId('muster-staff-only')).toBeVisible();
	await context.close();
});

test('control: with service workers blocked, the same reload fails', async ({ browser }) => {
	const relay = await startRelay();
	const context = await browser.newContext({ serviceWorkers: 'block' });
	const page = await context.newPage();
	const goDark = await visitThenGoDark(context, page, relay);
	await goDark();
	await expect(page.reload()).rejects.toThrow(/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED/);
	await context.close();
});
