// The gate's face path end to end in Chromium, with Chromium's fake camera fed from the fixture
// faces (tests/fixtures/faces: real photos; "same person" means a transformed copy of one photo).
// A contractor administrator enrols three workers' faces through the enrolment page (consent
// recorded, quality-checked frames, template only). The gate tablet, then offline: admits the
// approved worker after a head-turn challenge; refuses the blacklisted one, the one whose
// certificate has expired, and an unknown face, each with the right reason; a still photo of the
// approved worker fails liveness. Back online, each decision reaches the relay once. No request
// leaves for another host at any point.
//
// The head turn: no video of anyone turning exists here, so the camera shows the photo and then
// its mirror image (whose head pose is the photo's, mirrored: measured yaw −9° → +13° for the
// admitted worker's face). The challenge is random in the product; the test fixes the draw
// (Math.random) to "turn left", which is what that change of pose answers.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsDoc, monthOf } from '../src/lib/data/documents';
import { createFaceFrames, type FaceFrames, type Frame } from './fixtures/faces/frames';
import { overwriteInPlace, writeFakeCamera } from './fixtures/faces/y4m';
import { enrolDevice, gateContext, PEOPLE, seedGateWorld, startKiosk } from './gate-world';
import { launchWithCamera, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
/** Fixture faces (tests/fixtures/faces/faces.json) chosen for a head pose the mirror visibly turns. */
const FACE = {
	[PEOPLE.admitted.id]: 's6-f2',
	[PEOPLE.blacklisted.id]: 's5-f5',
	[PEOPLE.expired.id]: 's3-f1'
} as Record<string, string>;
const UNKNOWN = 's5-f1';
/** Frames per camera file (every file the same size, so the camera can be switched in place). */
const N = 24;
const FPS = 8;

let frames: FaceFrames;
let camera: Browser;
let cameraFile: string;
const cycle = (list: Frame[]) => Array.from({ length: N }, (_, i) => list[i % list.length]!);

async function show(list: Frame[]) {
	overwriteInPlace(cameraFile, cycle(list), FPS);
}
const still = async (id: string) => [await frames.still(id)];
/**
 * A worker walks up and faces the camera; when asked to turn, turns (the mirror image: see the top
 * of this file) and holds it until the gate decides.
 */
async function walkUpAndTurn(page: Page, id: string) {
	await show(await still(id));
	await expect(page.getByTestId('gate-challenge')).toHaveAttribute('data-challenge', 'turn_left', {
		timeout: 45_000
	});
	await page.waitForTimeout(1500); // reads the instruction: the gate sees the starting pose
	await show([await frames.transformed(id, 'mirror')]);
}

test.beforeAll(async ({ browser }) => {
	frames = await createFaceFrames(browser);
	const dir = mkdtempSync(join(tmpdir(), 'sitepass-gate-face-'));
	cameraFile = writeFakeCamera(join(dir, 'camera.y4m'), cycle([await frames.empty()]), FPS);
	camera = await launchWithCamera(cameraFile);
});
test.afterAll(async () => {
	await frames?.close();
	await camera?.close();
});

async function enrolFace(page: Page, url: string, workerId: string, photo = false) {
	await show(await frames.allTransformed(FACE[workerId]!));
	await page.goto(`${url}/ledger/C1/${workerId}/face`);
	await expect(page.getByTestId('face-consent-text')).toContainText('人脸特征值');
	await page.getByTestId('face-consent').check();
	if (photo) await page.getByTestId('face-photo-consent').check();
	await page.getByTestId('enrol-start').click();
	await expect(page.getByTestId('enrol-save')).toBeEnabled({ timeout: 150_000 });
	await page.getByTestId('enrol-save').click();
	// The page saves while the camera loop keeps both cores busy: on a loaded 2-core CI machine the
	// confirmation took over 5 s once (it is not the thing under test here).
	await expect(page.getByTestId('enrol-saved')).toBeVisible({ timeout: 30_000 });
}

test('face with liveness at an offline gate: admitted, refused with reasons, a photo fails', async () => {
	test.setTimeout(420_000);
	mkdirSync(SHOTS, { recursive: true });
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-gate-face-relay-')));
	await seedGateWorld(relay);
	const origin = new URL(relay.url).origin;
	const foreign: string[] = [];

	// 1. Enrolment on the contractor administrator's device (its camera shows each worker in turn).
	const admin = await enrolDevice(
		camera,
		relay,
		{ role: 'contractor', contractor: 'C1', sub: 'c1-admin', name: '周经理' },
		{ permissions: ['camera'] }
	);
	admin.context().on('request', (r) => {
		if (!r.url().startsWith(origin) && !/^(data|blob):/.test(r.url())) foreign.push(r.url());
	});
	// Only the admitted worker also agrees to photos being kept (his passages get a snapshot).
	for (const person of [PEOPLE.admitted, PEOPLE.blacklisted, PEOPLE.expired]) {
		await enrolFace(admin, relay.url, person.id, person === PEOPLE.admitted);
	}
	await expect
		.poll(() => relay.relay.read('contractor:C1', (d) => d.getMap('faces').size), {
			timeout: 20_000
		})
		.toBe(3);
	const stored = relay.relay.read('contractor:C1', (d) => d.getMap('faces').toJSON());
	for (const [id, face] of Object.entries(stored) as [
		string,
		{ templates: string[]; photo?: string }
	][]) {
		expect(face.templates.length).toBeGreaterThanOrEqual(3);
		// A template only, no photo, unless the worker separately agreed to one.
		if (id === PEOPLE.admitted.id) expect(face.photo).toMatch(/^[0-9a-f]{64}$/);
		else expect(face.photo).toBeUndefined();
	}
	await admin.context().close();

	// 2. The gate tablet: kiosk mode, models and templates loaded, synced; then the network is cut.
	await show([await frames.empty()]);
	const gate = await gateContext(camera, relay, { permissions: ['camera', 'geolocation'] });
	gate.context().on('request', (r) => {
		if (!r.url().startsWith(origin) && !/^(data|blob):/.test(r.url())) foreign.push(r.url());
	});
	await gate.context().setGeolocation({ latitude: 30.2741, longitude: 120.1551, accuracy: 15 });
	// The challenge is drawn at random; fix the draw to "turn left" (see the top of this file).
	await gate.addInitScript(() => (Math.random = () => 0.4));
	await startKiosk(gate, relay.url);
	const health = gate.getByTestId('gate-health');
	await expect(health).toContainText('识别模型就绪', { timeout: 120_000 });
	await expect(health).toContainText('已登记人脸 3 人', { timeout: 30_000 });
	await expect(health).toHaveAttribute('data-sync', 'synced', { timeout: 30_000 });
	await gate.context().setOffline(true);
	await expect(gate.getByTestId('gate-idle')).toBeVisible();
	await gate.screenshot({ path: `${SHOTS}/gate-idle-zh.png` });

	const result = gate.getByTestId('gate-result');
	// Every decision's reasons, in the log: what the gate said when an expectation fails.
	gate.on('console', (m) => m.text().startsWith('gate:') && console.log(m.text()));
	const nextPerson = async () => {
		await show([await frames.empty()]);
		await expect(gate.getByTestId('gate-idle')).toBeVisible({ timeout: 15_000 });
	};

	// The approved worker: matched, asked to turn, admitted.
	await show(await still(FACE[PEOPLE.admitted.id]!));
	await expect(gate.getByTestId('gate-challenge')).toContainText('请向左转头', { timeout: 45_000 });
	await gate.screenshot({ path: `${SHOTS}/gate-challenge-zh.png` });
	await gate.waitForTimeout(1500);
	await show([await frames.transformed(FACE[PEOPLE.admitted.id]!, 'mirror')]);
	await expect(result).toHaveAttribute('data-allow', 'true', { timeout: 30_000 });
	const admittedAt = Date.now();
	await expect(result).toContainText('允许进入');
	await expect(result).toContainText(PEOPLE.admitted.name);
	await gate.screenshot({ path: `${SHOTS}/gate-admitted-zh.png` });
	await nextPerson();

	// The blacklisted worker: the face is known and live, the blacklist refuses.
	await walkUpAndTurn(gate, FACE[PEOPLE.blacklisted.id]!);
	await expect(result).toHaveAttribute('data-allow', 'false', { timeout: 45_000 });
	await expect(gate.locator('[data-code=BLACKLISTED]')).toContainText('黑名单');
	await expect(result).toContainText('禁止进入');
	await gate.screenshot({ path: `${SHOTS}/gate-refused-zh.png` });
	await nextPerson();

	// The worker whose certificate expired.
	await walkUpAndTurn(gate, FACE[PEOPLE.expired.id]!);
	await expect(result).toHaveAttribute('data-allow', 'false', { timeout: 45_000 });
	await expect(gate.locator('[data-code=CERT_EXPIRED]')).toBeVisible();
	await nextPerson();

	// A face nobody enrolled: not identified, and no challenge is asked of it.
	await show(await still(UNKNOWN));
	await expect(result).toHaveAttribute('data-allow', 'false', { timeout: 45_000 });
	await expect(gate.locator('[data-code=IDENTITY_UNCONFIRMED]')).toBeVisible();
	await nextPerson();

	// A still photo of the approved worker held up to the camera: it cannot turn; liveness fails.
	const wait = 13_000 - (Date.now() - admittedAt);
	if (wait > 0) await gate.waitForTimeout(wait); // past the gate's "already recorded" pause
	await show(await still(FACE[PEOPLE.admitted.id]!));
	await expect(gate.getByTestId('gate-challenge')).toBeVisible({ timeout: 30_000 });
	await expect(result).toHaveAttribute('data-allow', 'false', { timeout: 45_000 });
	await expect(gate.locator('[data-code=LIVENESS_FAILED]')).toBeVisible();
	await show([await frames.empty()]);

	// Back online: the five decisions reach the relay, once each, with what the gate saw.
	await gate.context().setOffline(false);
	const name = eventsDoc('S1', monthOf(new Date()));
	await expect
		.poll(() => relay.relay.read(name, (d) => d.getMap('received').size), { timeout: 30_000 })
		.toBe(5);
	const events = relay.relay.read(name, (d) =>
		Object.values(d.getMap('attendance').toJSON()).sort((a, b) => (a.id < b.id ? -1 : 1))
	) as {
		workerId: string | null;
		allow: boolean;
		method: string;
		liveness: string | null;
		matchScore: number | null;
		position: { lat: number } | null;
		reasons: { code: string }[];
		snapshot: string | null;
	}[];
	expect(events.map((e) => [e.workerId, e.allow, e.method, e.liveness])).toEqual([
		[PEOPLE.admitted.id, true, 'face', 'passed'],
		[PEOPLE.blacklisted.id, false, 'face', 'passed'],
		[PEOPLE.expired.id, false, 'face', 'passed'],
		[null, false, 'face', null],
		// The photo matched the approved worker's face: the attempt is kept under his name.
		[PEOPLE.admitted.id, false, 'face', 'failed']
	]);
	expect(events[0]!.matchScore).toBeGreaterThan(0.6);
	expect(events[0]!.position?.lat).toBeCloseTo(30.2741, 3);
	expect(events[0]!.snapshot).toMatch(/^[0-9a-f]{64}$/);
	expect(events.slice(1, 4).map((e) => e.snapshot)).toEqual([null, null, null]);
	expect(events[1]!.reasons.map((r) => r.code)).toContain('BLACKLISTED');
	expect(events[2]!.reasons.map((r) => r.code)).toContain('CERT_EXPIRED');
	expect(events[4]!.reasons.map((r) => r.code)).toContain('LIVENESS_FAILED');
	expect(foreign).toEqual([]);
	await relay.close();
});
