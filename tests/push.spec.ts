// Web Push in the real browser. The built service worker's push handler (static/push-sw.js, loaded
// by workbox's importScripts) shows the relay's notice, fed through DevTools'
// ServiceWorker.deliverPushMessage since this machine has no push service. The device side
// (src/lib/sync/push.ts, bundled here with esbuild) answers 'no-push-service' instead of throwing
// or hanging, both where Chromium rejects subscribe() (private profile) and where it never answers
// (a normal profile that cannot reach Google's push service), and 'denied' without permission.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../sync-server/server';
import type * as PushModule from '../src/lib/sync/push';
import { startRelay } from './helpers';

declare global {
	interface Window {
		SitePassPush: typeof PushModule;
	}
}

let relay: RunningServer;

test.beforeAll(async () => {
	relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-push-')));
});
test.afterAll(async () => {
	await relay?.close();
});

/** Opens the app and waits until the service worker is active and controls the page. */
async function openApp(context: BrowserContext): Promise<Page> {
	const page = await context.newPage();
	await page.goto(relay.url + '/');
	await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 20_000 });
	await page.waitForFunction(() => !!navigator.serviceWorker.controller);
	return page;
}

interface Shown {
	title: string;
	body: string;
	tag: string;
	data: { url: string };
}

/**
 * Counts, inside the service worker, each showNotification() that has completed. Chromium drops a
 * stored persistent notification when getNotifications() runs between the moment the notification
 * is written to its database and the moment it is displayed (the read reconciles stored with
 * displayed notifications and deletes the "closed" one), so polling getNotifications() while the
 * push is being handled can lose the notice for good; the busier the machine, the wider that
 * window. The test therefore reads the notifications only after the worker's own showNotification
 * has resolved. The wrapper passes every argument through unchanged.
 */
async function countShown(context: BrowserContext): Promise<() => Promise<number>> {
	const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
	await worker.evaluate(() => {
		const sw = self as unknown as { registration: ServiceWorkerRegistration; shown: number };
		const show = sw.registration.showNotification.bind(sw.registration);
		sw.shown = 0;
		sw.registration.showNotification = async (...args) => {
			await show(...args);
			sw.shown++;
		};
	});
	return () => worker.evaluate(() => (self as unknown as { shown: number }).shown);
}

const notifications = (page: Page) =>
	page.evaluate(async () => {
		const registration = await navigator.serviceWorker.ready;
		const list = await registration.getNotifications();
		return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
	}) as Promise<Shown[]>;

test('the service worker shows a pushed notice and keeps its link inside the app', async ({
	browser
}) => {
	const context = await browser.newContext({ serviceWorkers: 'allow' });
	await context.grantPermissions(['notifications'], { origin: relay.url });
	const page = await openApp(context);

	const cdp = await context.newCDPSession(page);
	const registrations = new Map<string, string>();
	const running = new Set<string>();
	cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: list }) => {
		for (const r of list) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
	});
	cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
		for (const v of versions) {
			if (v.status === 'activated' && v.runningStatus === 'running') running.add(v.registrationId);
		}
	});
	await cdp.send('ServiceWorker.enable');
	await expect.poll(() => registrations.get(relay.url + '/')).toBeTruthy();
	const registrationId = registrations.get(relay.url + '/')!;
	await expect.poll(() => running.has(registrationId)).toBe(true);
	const shown = await countShown(context);

	const payload = {
		title: '证书即将到期',
		body: '滨江一号工地有 3 名人员的证书将在 7 天内到期',
		url: '/ledger?expiring=7',
		tag: 'expiry-S1'
	};
	await cdp.send('ServiceWorker.deliverPushMessage', {
		origin: relay.url,
		registrationId,
		data: JSON.stringify(payload)
	});
	await expect.poll(shown, { timeout: 10_000 }).toBe(1);
	expect(await notifications(page)).toEqual([
		{
			title: payload.title,
			body: payload.body,
			tag: payload.tag,
			data: { url: `${relay.url}/ledger?expiring=7` }
		}
	]);

	// Same tag: the newer notice replaces the old one. A link to another site becomes the app's home.
	await cdp.send('ServiceWorker.deliverPushMessage', {
		origin: relay.url,
		registrationId,
		data: JSON.stringify({ ...payload, body: '有 4 名人员', url: 'https://evil.example/' })
	});
	await expect.poll(shown, { timeout: 10_000 }).toBe(2);
	expect(await notifications(page)).toEqual([
		{
			title: payload.title,
			body: '有 4 名人员',
			tag: payload.tag,
			data: { url: `${relay.url}/` }
		}
	]);
	await context.close();
});

/** The device-side module, bundled as it is in the app, put into the page. */
async function loadPushModule(page: Page): Promise<void> {
	const bundle = await build({
		entryPoints: [join(process.cwd(), 'src/lib/sync/push.ts')],
		bundle: true,
		format: 'iife',
		globalName: 'SitePassPush',
		write: false,
		target: 'es2022'
	});
	// A classic script: its top-level `var SitePassPush` becomes window.SitePassPush.
	await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
}

const pushToken = (sub: string) =>
	relay.issueToken({ role: 'staff', staffRole: 'safety', sub, sites: ['S1'] });

test('in a private profile, where Chromium refuses push, enablePush answers no-push-service', async ({
	browser
}) => {
	// Playwright's contexts are off-the-record; Chromium rejects subscribe() there at once
	// (AbortError "Registration failed - permission denied") although notifications are allowed.
	const context = await browser.newContext({ serviceWorkers: 'allow' });
	await context.grantPermissions(['notifications'], { origin: relay.url });
	const page = await openApp(context);
	await loadPushModule(page);

	expect(await page.evaluate(() => window.SitePassPush.pushSupport())).toBe(true);
	const token = pushToken('u-private');
	const result = await page.evaluate((t) => window.SitePassPush.enablePush(t), token);
	expect(result).toMatchObject({ ok: false, code: 'no-push-service', detail: /AbortError/ });
	expect(await page.evaluate(() => window.SitePassPush.pushStatus())).toBe('off');
	expect(relay.push.count()).toBe(0);
	await context.close();
});

test('with a real profile and no reachable push service, enablePush gives up with no-push-service', async ({
	playwright
}, testInfo) => {
	// A normal profile: Chromium tries Google's push service, which this machine cannot reach (as
	// in mainland China), and subscribe() neither resolves nor rejects.
	const profile = mkdtempSync(join(tmpdir(), 'sitepass-push-profile-'));
	const context = await playwright.chromium.launchPersistentContext(profile, {
		...testInfo.project.use.launchOptions,
		serviceWorkers: 'allow'
	});
	try {
		await context.grantPermissions(['notifications'], { origin: relay.url });
		const page = await openApp(context);
		await loadPushModule(page);
		const token = pushToken('u-profile');
		const started = Date.now();
		const result = await page.evaluate(
			(t) => window.SitePassPush.enablePush(t, { subscribeWaitMs: 3000 }),
			token
		);
		expect(result).toEqual({ ok: false, code: 'no-push-service', detail: 'timeout' });
		expect(Date.now() - started).toBeLessThan(15_000);
		expect(relay.push.count()).toBe(0);
	} finally {
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
});

test('with notifications not allowed, enablePush answers denied', async ({ browser }) => {
	const context = await browser.newContext({ serviceWorkers: 'allow' });
	const page = await openApp(context);
	await loadPushModule(page);
	const result = await page.evaluate((t) => window.SitePassPush.enablePush(t), pushToken('u-no'));
	expect(result).toEqual({ ok: false, code: 'denied' });
	await context.close();
});
