// The monitor end to end (issue 8), in Chromium with a fake camera: a staff tablet opens /monitor,
// draws a danger zone on the camera image with the mouse and saves it; the real vision worker runs
// in 'people' mode; a person (tests/fixtures/people: a real photo of a man, slid across a plain
// scene — synthetic motion) walks into the zone and stays there. Exactly one alert is written, with
// a head-pixelated snapshot; it reaches the relay, and a second browser context — the site's safety
// officer — sees it arrive in the notification centre and acknowledges it; the acknowledgement
// syncs back to the monitor tablet.
import { expect, test, type Browser } from '@playwright/test';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlDoc, eventsDoc, monthOf } from '../src/lib/data/documents';
import { overwriteInPlace, writeFakeCamera } from './fixtures/faces/y4m';
import { emptyFrame, personAt, walkPath } from './fixtures/people/walk';
import { enrolDevice } from './gate-world';
import { launchWithCamera, seedSiteAndContractor, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
/** Frames per camera file: all contents the same size, so the camera can be switched in place. */
const N = 100;
const FPS = 10;
const WALK = 40;
/** The zone, normalised: the right part of the floor. The walk ends with the feet at x ≈ 0.75. */
const ZONE = [
	{ x: 0.6, y: 0.8 },
	{ x: 0.97, y: 0.8 },
	{ x: 0.97, y: 0.985 },
	{ x: 0.6, y: 0.985 }
];

let camera: Browser;
let cameraDir: string;
let cameraFile: string;
const empty = () => Array.from({ length: N }, () => emptyFrame());
/** Walks in from the left over WALK frames, then stands inside the zone. */
const walk = () => {
	const path = walkPath(WALK, 70, 480);
	return Array.from({ length: N }, (_, i) => personAt(path[Math.min(i, WALK - 1)]!));
};
const inside = () => {
	const frame = personAt(480);
	return Array.from({ length: N }, () => frame);
};

test.beforeAll(async () => {
	cameraDir = mkdtempSync(join(tmpdir(), 'sitepass-monitor-'));
	cameraFile = writeFakeCamera(join(cameraDir, 'camera.y4m'), empty(), FPS);
	camera = await launchWithCamera(cameraFile);
});
test.afterAll(async () => {
	await camera?.close();
	if (cameraDir) rmSync(cameraDir, { recursive: true, force: true });
});

test('a person walking into a drawn danger zone raises exactly one alert; the safety officer acknowledges it', async ({
	browser
}) => {
	test.setTimeout(480_000);
	mkdirSync(SHOTS, { recursive: true });
	const dataDir = mkdtempSync(join(tmpdir(), 'sitepass-monitor-relay-'));
	const relay = await startRelay(dataDir);
	seedSiteAndContractor(relay);
	const origin = new URL(relay.url).origin;
	const foreign: string[] = [];
	const events = eventsDoc('S1', monthOf(new Date()));
	const alertsAtRelay = () =>
		relay.relay.read(events, (d) => Object.values(d.getMap('alerts').toJSON())) as {
			id: string;
			kind: string;
			zoneName: string;
			snapshot: string | null;
			blurred: boolean;
			cameraId: string;
		}[];

	try {
		// The monitor tablet: a project lead's device with the (fake) camera.
		const tablet = await enrolDevice(
			camera,
			relay,
			{ role: 'staff', staffRole: 'project_lead', sub: 'lead-e2e', name: '张工', sites: ['S1'] },
			{ permissions: ['camera'], viewport: { width: 1366, height: 1000 } }
		);
		tablet.context().on('request', (r) => {
			if (!r.url().startsWith(origin) && !/^(data|blob):/.test(r.url())) foreign.push(r.url());
		});
		// The safety officer, on another device.
		const officer = await enrolDevice(browser, relay, {
			role: 'staff',
			staffRole: 'safety',
			sub: 'safe-e2e',
			name: '王安全',
			sites: ['S1']
		});

		// 1. Draw and save a danger zone on the camera image.
		await tablet.goto(`${relay.url}/monitor`);
		await expect(tablet.getByTestId('monitor')).toBeVisible();
		await expect
			.poll(
				() =>
					tablet
						.getByTestId('monitor-video')
						.evaluate((v: HTMLVideoElement) => v.videoWidth * (v.readyState >= 2 ? 1 : 0)),
				{ timeout: 30_000 }
			)
			.toBe(640);
		await tablet.getByTestId('camera-name').fill('塔吊东侧');
		await tablet.getByTestId('zone-draw').click();
		const stage = tablet.getByTestId('monitor-stage');
		const box = (await stage.boundingBox())!;
		for (const p of ZONE) {
			await stage.click({ position: { x: p.x * box.width, y: p.y * box.height } });
		}
		await expect(tablet.getByTestId('drawing-help')).toContainText('4');
		await tablet.getByTestId('zone-close').click();
		await tablet.getByTestId('zone-name').fill('基坑边');
		await tablet.getByTestId('zone-kind').selectOption('danger');
		await tablet.getByTestId('zone-add').click();
		await expect(tablet.getByTestId('zone-shape')).toHaveCount(1);
		await tablet.getByTestId('camera-save').click();
		await expect(tablet.getByText('已保存')).toBeVisible();
		await expect
			.poll(() =>
				relay.relay.read(controlDoc('S1'), (d) => Object.values(d.getMap('cameras').toJSON()))
			)
			.toHaveLength(1);
		const [saved] = relay.relay.read(controlDoc('S1'), (d) =>
			Object.values(d.getMap('cameras').toJSON())
		) as {
			id: string;
			zones: { name: string; kind: string; polygon: { x: number; y: number }[] }[];
		}[];
		expect(saved!.zones).toHaveLength(1);
		expect(saved!.zones[0]).toMatchObject({ name: '基坑边', kind: 'danger' });
		for (const [i, p] of saved!.zones[0]!.polygon.entries()) {
			expect(p.x).toBeCloseTo(ZONE[i]!.x, 2);
			expect(p.y).toBeCloseTo(ZONE[i]!.y, 2);
		}

		// 2. The officer watches the notification centre.
		await officer.goto(`${relay.url}/notifications`);
		await expect(officer.getByTestId('notifications')).toBeVisible();

		// 3. Monitoring starts (the models load); the empty scene raises nothing.
		await tablet.getByTestId('monitor-start').click();
		await expect(tablet.getByTestId('monitor-status')).toHaveAttribute('data-state', 'running', {
			timeout: 180_000
		});
		await tablet.waitForTimeout(2000);
		expect(alertsAtRelay()).toHaveLength(0);

		// 4. The person walks in from the left and stays inside the zone.
		overwriteInPlace(cameraFile, walk(), FPS);
		await expect(tablet.getByTestId('person-box').first()).toBeVisible({ timeout: 60_000 });
		await expect.poll(() => alertsAtRelay().length, { timeout: 90_000 }).toBeGreaterThan(0);
		// Hold him there (the camera file loops: he must not walk in a second time).
		overwriteInPlace(cameraFile, inside(), FPS);
		await expect(tablet.getByTestId('alert-item')).toHaveCount(1, { timeout: 20_000 });
		await expect(tablet.getByTestId('person-label').first()).toContainText('闯入危险区');
		await tablet.evaluate(() => document.fonts.ready);
		await tablet.screenshot({ path: `${SHOTS}/monitor-zh-alert.png`, fullPage: true });
		// Still standing there for several seconds: still exactly one alert.
		await tablet.waitForTimeout(8000);
		const alerts = alertsAtRelay();
		expect(alerts).toHaveLength(1);
		const alert = alerts[0]!;
		expect(alert).toMatchObject({
			kind: 'zone',
			zoneName: '基坑边',
			cameraId: saved!.id,
			blurred: true
		});
		expect(alert.snapshot).toMatch(/^[0-9a-f]{64}$/);
		await expect(tablet.getByTestId('alert-item')).toHaveCount(1);
		await expect(tablet.getByTestId('open-alerts')).toHaveAttribute('data-count', '1');
		// The snapshot reaches the relay's blob store.
		const blobFile = join(dataDir, 'blobs', alert.snapshot!.slice(0, 2), alert.snapshot!);
		await expect.poll(() => existsSync(blobFile), { timeout: 30_000 }).toBe(true);
		// Kept for a look (heads pixelated?), not for the README.
		mkdirSync('test-results', { recursive: true });
		copyFileSync(blobFile, 'test-results/monitor-alert-snapshot.jpg');

		// 5. It arrives on the officer's device, who acknowledges it.
		const item = officer.locator('[data-testid="notification"][data-kind="alert"]');
		await expect(item).toHaveCount(1, { timeout: 30_000 });
		await expect(item).toContainText('危险区闯入');
		await expect(item).toContainText('基坑边');
		await expect(officer.getByRole('heading', { name: /通知（1 条未读）/ })).toBeVisible();
		await expect(item.getByTestId('alert-snapshot')).toBeVisible({ timeout: 30_000 });
		await officer.evaluate(() => document.fonts.ready);
		await officer.screenshot({ path: `${SHOTS}/monitor-zh-officer.png`, fullPage: true });
		await item.getByTestId('alert-ack').click();
		await expect(item.getByTestId('alert-item')).toHaveAttribute('data-status', 'ack');
		await expect
			.poll(
				() =>
					relay.relay.read(events, (d) => Object.values(d.getMap('alertActions').toJSON())) as {
						alertId: string;
						action: string;
						by: string;
					}[],
				{ timeout: 20_000 }
			)
			.toEqual([expect.objectContaining({ alertId: alert.id, action: 'ack', by: 'safe-e2e' })]);

		// 6. The acknowledgement syncs back to the tablet.
		await expect(tablet.getByTestId('alert-item')).toHaveAttribute('data-status', 'ack', {
			timeout: 20_000
		});
		await tablet.getByTestId('monitor-stop').click();
		await expect(tablet.getByTestId('monitor-status')).toHaveAttribute('data-state', 'idle');
		expect(alertsAtRelay()).toHaveLength(1);
		expect(foreign).toEqual([]);
		// Closed, not left syncing (and retrying the closed relay) in the browser later specs share.
		await officer.context().close();
	} finally {
		await relay.close();
		rmSync(dataDir, { recursive: true, force: true });
	}
});
