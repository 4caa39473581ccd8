// The hard-hat check at the gate, end to end in Chromium with the fake camera. Safety staff switch
// the site's "hard hat required" rule on (and anti-passback off, so one worker can be shown several
// times). The gate tablet, offline:
// - admits the approved worker wearing a hard hat without asking anything more;
// - asks the same worker, bare-headed, to put the hard hat on; while they stand too far away it says
//   it cannot tell (unknown, too small) rather than yes or no; with the hard hat on, admits them;
// - refuses the worker who never puts it on with PPE_MISSING when the wait runs out.
// Back online, each event carries the reading (worn, confidence, model, features) and a crop of
// the head-top region for safety staff to label.
//
// The hard hats are SYNTHETIC: drawn onto the fixture photo (tests/fixtures/ppe). No photo of a
// person wearing a hard hat exists in anything this project can install. The head turn is the
// photo then its mirror image, as in gate-face.spec.ts.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsDoc, monthOf } from '../src/lib/data/documents';
import { createFaceFrames, type FaceFrames, type Frame } from './fixtures/faces/frames';
import { overwriteInPlace, writeFakeCamera } from './fixtures/faces/y4m';
import { createPpeFrames } from './fixtures/ppe/frames';
import { enrolDevice, gateContext, PEOPLE, seedGateWorld, startKiosk } from './gate-world';
import { launchWithCamera, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
const FACE = 's6-f2';
const N = 24;
const FPS = 8;

let faces: FaceFrames;
let looks: { hardhat: Frame; bare: Frame; small: Frame };
let camera: Browser;
let cameraFile: string;
const cycle = (list: Frame[]) => Array.from({ length: N }, (_, i) => list[i % list.length]!);
const show = (...list: Frame[]) => overwriteInPlace(cameraFile, cycle(list), FPS);

/** The frame mirrored left to right (the head turn of the challenge; see the top of this file). */
function mirror(frame: Frame): Frame {
	const { width, height } = frame;
	const out = new Uint8Array(frame.rgba.length);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const from = (y * width + x) * 4;
			const to = (y * width + (width - 1 - x)) * 4;
			out[to] = frame.rgba[from]!;
			out[to + 1] = frame.rgba[from + 1]!;
			out[to + 2] = frame.rgba[from + 2]!;
			out[to + 3] = frame.rgba[from + 3]!;
		}
	}
	return { ...frame, name: `${frame.name}/mirror`, rgba: out, faces: [] };
}

test.beforeAll(async ({ browser }) => {
	faces = await createFaceFrames(browser);
	const maker = await createPpeFrames(browser);
	looks = {
		hardhat: await maker.hardhat(FACE),
		bare: await maker.bare(FACE),
		// Zoomed out until the face detector's box is under the check's 120 px: still found,
		// too small to judge (at 0.5 this face is not found at all).
		small: await maker.hardhat(FACE, { zoom: 0.55 })
	};
	await maker.close();
	const dir = mkdtempSync(join(tmpdir(), 'sitepass-gate-ppe-'));
	cameraFile = writeFakeCamera(join(dir, 'camera.y4m'), cycle([await faces.empty()]), FPS);
	camera = await launchWithCamera(cameraFile);
});
test.afterAll(async () => {
	await faces?.close();
	await camera?.close();
});

/** Walks up, answers the turn challenge with the given look (bare or hard hat). */
async function walkUpAndTurn(gate: Page, look: Frame) {
	show(look);
	await expect(gate.getByTestId('gate-challenge')).toHaveAttribute('data-challenge', 'turn_left', {
		timeout: 45_000
	});
	await gate.waitForTimeout(1500);
	show(mirror(look));
}

test('hard hat at the gate: worn passes, bare is asked to put one on, too far is unknown', async () => {
	test.setTimeout(420_000);
	mkdirSync(SHOTS, { recursive: true });
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-gate-ppe-relay-')));
	await seedGateWorld(relay);

	// The worker's face is enrolled on the contractor administrator's device (bare-headed).
	show(...(await faces.allTransformed(FACE)));
	const admin = await enrolDevice(
		camera,
		relay,
		{ role: 'contractor', contractor: 'C1', sub: 'c1-admin', name: '周经理' },
		{ permissions: ['camera'] }
	);
	await admin.goto(`${relay.url}/ledger/C1/${PEOPLE.admitted.id}/face`);
	await admin.getByTestId('face-consent').check();
	await admin.getByTestId('enrol-start').click();
	await expect(admin.getByTestId('enrol-save')).toBeEnabled({ timeout: 150_000 });
	await admin.getByTestId('enrol-save').click();
	// The page saves while the camera loop keeps both cores busy: on a loaded 2-core CI machine the
	// confirmation took over 5 s once (it is not the thing under test here).
	await expect(admin.getByTestId('enrol-saved')).toBeVisible({ timeout: 30_000 });
	await admin.context().close();

	// Safety staff require hard hats at the site's gates and switch anti-passback off.
	const safety = await enrolDevice(camera, relay, {
		role: 'staff',
		staffRole: 'safety',
		sub: 'safety-e2e',
		name: '安全员',
		sites: ['S1']
	});
	await safety.goto(`${relay.url}/review`);
	const rules = safety.getByTestId('gate-settings-S1');
	await expect(rules.getByTestId('gate-setting-requirePpe')).not.toBeChecked();
	await rules.getByTestId('gate-setting-requirePpe').check();
	await rules.getByTestId('gate-setting-antiPassback').uncheck();
	await expect(rules.getByRole('status')).toContainText('已保存');
	await expect
		.poll(
			() =>
				relay.relay.read('site:S1:control', (d) => d.getMap('settings').get('gate')) as
					{ requirePpe?: boolean; antiPassback?: boolean } | undefined,
			{ timeout: 20_000 }
		)
		.toMatchObject({ requirePpe: true, antiPassback: false });
	await safety.context().close();

	// The gate: synced, then offline.
	show(await faces.empty());
	const gate = await gateContext(camera, relay, { permissions: ['camera'] });
	await gate.addInitScript(() => (Math.random = () => 0.4));
	gate.on('console', (m) => m.text().startsWith('gate:') && console.log(m.text()));
	await startKiosk(gate, relay.url);
	const health = gate.getByTestId('gate-health');
	await expect(health).toContainText('识别模型就绪', { timeout: 120_000 });
	await expect(health).toContainText('已登记人脸 1 人', { timeout: 30_000 });
	await expect(health).toHaveAttribute('data-sync', 'synced', { timeout: 30_000 });
	await gate.context().setOffline(true);
	const result = gate.getByTestId('gate-result');
	const asked = gate.getByTestId('gate-ppe');
	const nextPerson = async (since: number) => {
		show(await faces.empty());
		await expect(gate.getByTestId('gate-idle')).toBeVisible({ timeout: 15_000 });
		// Past the gate's "already recorded" pause for the same person.
		const wait = 13_000 - (Date.now() - since);
		if (wait > 0) await gate.waitForTimeout(wait);
	};

	// 1. Wearing a hard hat: admitted, never asked.
	await walkUpAndTurn(gate, looks.hardhat);
	await expect(result).toHaveAttribute('data-allow', 'true', { timeout: 45_000 });
	const first = Date.now();
	await expect(asked).toHaveCount(0);
	await gate.screenshot({ path: `${SHOTS}/gate-ppe-admitted-zh.png` });
	await nextPerson(first);

	// 2. Bare-headed: asked to put the hard hat on.
	await walkUpAndTurn(gate, looks.bare);
	await expect(asked).toHaveAttribute('data-problem', 'missing', { timeout: 45_000 });
	await expect(asked).toContainText('请戴好安全帽');
	await gate.screenshot({ path: `${SHOTS}/gate-ppe-asked-zh.png` });
	//    Too far away to tell: unknown, and the gate says why.
	show(looks.small);
	await expect(asked).toHaveAttribute('data-problem', 'unknown', { timeout: 15_000 });
	await expect(asked).toHaveAttribute('data-reason', 'too_small');
	await expect(gate.getByText('离得太远，请靠近一些')).toBeVisible();
	//    Hard hat on, back in front of the camera: admitted.
	show(looks.hardhat);
	await expect(result).toHaveAttribute('data-allow', 'true', { timeout: 15_000 });
	const second = Date.now();
	await nextPerson(second);

	// 3. Bare-headed and stays so: refused for the hard hat when the wait runs out.
	await walkUpAndTurn(gate, looks.bare);
	await expect(asked).toHaveAttribute('data-problem', 'missing', { timeout: 45_000 });
	show(looks.bare);
	await expect(result).toHaveAttribute('data-allow', 'false', { timeout: 20_000 });
	await expect(gate.locator('[data-code=PPE_MISSING]')).toBeVisible();
	await gate.screenshot({ path: `${SHOTS}/gate-ppe-refused-zh.png` });
	show(await faces.empty());

	// Back online: three events, each with the reading the gate made.
	await gate.context().setOffline(false);
	const name = eventsDoc('S1', monthOf(new Date()));
	await expect
		.poll(() => relay.relay.read(name, (d) => d.getMap('received').size), { timeout: 30_000 })
		.toBe(3);
	const events = relay.relay.read(name, (d) =>
		Object.values(d.getMap('attendance').toJSON()).sort((a, b) => (a.id < b.id ? -1 : 1))
	) as {
		allow: boolean;
		reasons: { code: string }[];
		ppe: {
			worn: boolean | 'unknown';
			confidence: number;
			model: string;
			features: number[] | null;
			crop: string | null;
		} | null;
	}[];
	expect(events.map((e) => [e.allow, e.ppe?.worn])).toEqual([
		[true, true],
		[true, true],
		[false, false]
	]);
	expect(events[2]!.reasons.map((r) => r.code)).toEqual(['PPE_MISSING']);
	for (const e of events) {
		expect(e.ppe!.confidence).toBeGreaterThanOrEqual(0.6);
		expect(e.ppe!.model).toMatch(/^builtin-/);
		expect(e.ppe!.features!.length).toBeGreaterThan(4);
		expect(e.ppe!.crop).toMatch(/^[0-9a-f]{64}$/);
	}
	// The crops reached the relay (safety staff label them later).
	await expect
		.poll(
			async () => {
				const token = relay.issueToken({
					sub: 'safety-e2e',
					role: 'staff',
					staffRole: 'safety',
					sites: ['S1']
				});
				const res = await fetch(`${relay.url}/blobs/${events[0]!.ppe!.crop}`, {
					headers: { authorization: `Bearer ${token}` }
				});
				return res.status;
			},
			{ timeout: 20_000 }
		)
		.toBe(200);
	await relay.close();
});
