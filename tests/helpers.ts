// Shared by the end-to-end tests: a relay started in-process on the built app, and the org every
// ledger test starts from (one construction site, one contractor working there).
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../playwright.config';
import { serve, type RunningServer } from '../sync-server/server';

/** The built app; SITEPASS_E2E_BUILD points elsewhere (a copy, while someone else rebuilds). */
export const STATIC_DIR = process.env.SITEPASS_E2E_BUILD ?? join(process.cwd(), 'build');

/**
 * A Chromium whose camera is the Y4M file `y4m` (Chromium re-reads it in a loop, so a test can
 * switch what the camera shows by overwriting the file in place).
 */
export function launchWithCamera(y4m: string): Promise<Browser> {
	return chromium.launch({
		executablePath: test.info().project.use.launchOptions?.executablePath,
		args: [
			...CHROMIUM_ARGS,
			'--use-fake-device-for-media-stream',
			`--use-file-for-fake-video-capture=${y4m}`
		]
	});
}

export function startRelay(dataDir: string, port = 0): Promise<RunningServer> {
	return serve({ host: '127.0.0.1', port, dataDir, staticDir: STATIC_DIR, log: () => {} });
}

export function seedSiteAndContractor(relay: RunningServer): void {
	const at = new Date().toISOString();
	relay.relay.write('org', (doc) => {
		doc.getMap('sites').set('S1', {
			schema: 1,
			id: 'S1',
			name: '滨江一号工地',
			kind: 'construction',
			timeZone: 'Asia/Shanghai',
			createdAt: at
		});
		doc.getMap('contractors').set('C1', {
			schema: 1,
			id: 'C1',
			name: '华东焊接工程有限公司',
			sites: ['S1'],
			createdAt: at
		});
	});
}

/**
 * A staff laptop enrolled through the enrol page with a code the admin made, so it signs with its
 * own registered key; it opens `landing` and waits until it is synced (and, when asked, until the
 * service worker controls it, for tests that go offline).
 */
export async function enrolStaff(
	browser: Browser,
	relay: RunningServer,
	sub: string,
	name: string,
	staffRole: 'project_lead' | 'safety' | 'director',
	options: { landing: string; serviceWorker?: boolean }
): Promise<Page> {
	const admin = relay.issueToken({ sub: 'admin-e2e', role: 'admin' });
	const res = await fetch(`${relay.url}/api/enrolments`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
		body: JSON.stringify({ role: 'staff', staffRole, sub, name, sites: ['S1'] })
	});
	expect(res.status).toBe(201);
	const { link } = await res.json();
	const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
	const page = await context.newPage();
	await page.goto(link);
	await page.getByLabel('设备名称').fill(`${name}的笔记本`);
	await page.getByRole('button', { name: '登记' }).click();
	await expect(page.getByTestId('enrol-done')).toBeVisible();
	await page.goto(`${relay.url}${options.landing}`);
	await expect(page.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced', {
		timeout: 20_000
	});
	if (options.serviceWorker)
		await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, {
			timeout: 20_000
		});
	return page;
}
