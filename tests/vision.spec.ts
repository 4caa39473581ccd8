// The gate's vision models on the staff self-check page (/gate/check), in real Chromium with a
// fake camera showing a real face photo: every model file passes its SHA-256 check and loads, a
// face is found in all three analysis modes, a corrupted file is reported failed, and nothing is
// asked of any host but the app's own.
import {
	chromium,
	expect,
	test,
	type Browser,
	type BrowserContext,
	type Page
} from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CHROMIUM_ARGS } from '../playwright.config';
import { encodeY4M } from './fixtures/faces/y4m';
import type { ModelFile } from '../src/lib/vision/types';
import { PPE_FEATURE_NAMES } from '../src/lib/vision/ppe';
import { basketballFrame } from '../bench/monitor-throughput';
import { bundleVision, openVision, serveVision } from '../bench/lib/vision-page';
import { ppeFrames } from './fixtures/ppe/frames';

const [W, H] = [640, 480];
const PHOTO = 'node_modules/@vladmandic/face-api/demo/sample1.jpg';
/** The frontal face in that photo (source pixels; tests/fixtures/faces lists it as s1-f1). */
const FACE = { x: 413, y: 354, w: 177, h: 240 };
const MANIFEST = JSON.parse(readFileSync('static/models/manifest.json', 'utf8')) as ModelFile[];

/** The face photo cropped around FACE to 4:3 and scaled to 640×480, decoded by the browser. */
async function faceFrame(browser: Browser): Promise<string> {
	const page = await browser.newPage();
	try {
		const jpeg = readFileSync(PHOTO).toString('base64');
		const crop = { h: FACE.h * 2.2, cx: FACE.x + FACE.w / 2, cy: FACE.y + FACE.h / 2 };
		const rgba = await page.evaluate(
			async ({ jpeg, crop, W, H }) => {
				const blob = await (await fetch(`data:image/jpeg;base64,${jpeg}`)).blob();
				const img = await createImageBitmap(blob);
				const canvas = new OffscreenCanvas(W, H);
				const ctx = canvas.getContext('2d')!;
				const w = (crop.h * W) / H;
				ctx.drawImage(img, crop.cx - w / 2, crop.cy - crop.h / 2, w, crop.h, 0, 0, W, H);
				const data = ctx.getImageData(0, 0, W, H).data;
				let s = '';
				for (let i = 0; i < data.length; i += 0x8000) {
					s += String.fromCharCode(...data.subarray(i, i + 0x8000));
				}
				return btoa(s);
			},
			{ jpeg, crop, W, H }
		);
		const path = join(mkdtempSync(join(tmpdir(), 'sitepass-vision-')), 'face.y4m');
		writeFileSync(
			path,
			encodeY4M([{ width: W, height: H, rgba: new Uint8Array(Buffer.from(rgba, 'base64')) }])
		);
		return path;
	} finally {
		await page.close();
	}
}

let camera: Browser;
let file: string;
test.beforeAll(async ({ browser }) => {
	file = await faceFrame(browser);
	camera = await chromium.launch({
		executablePath: test.info().project.use.launchOptions?.executablePath,
		args: [
			...CHROMIUM_ARGS,
			'--use-fake-device-for-media-stream',
			`--use-file-for-fake-video-capture=${file}`
		]
	});
});
test.afterAll(async () => {
	await camera?.close();
	if (file) rmSync(dirname(file), { recursive: true, force: true });
});

interface Session {
	context: BrowserContext;
	page: Page;
	/** Every request to a host other than the app's (aborted). */
	foreign: string[];
}

async function open(
	baseURL: string,
	options: { serviceWorkers?: 'allow' | 'block' } = {}
): Promise<Session> {
	const context = await camera.newContext({
		baseURL,
		permissions: ['camera'],
		viewport: { width: 1280, height: 900 },
		serviceWorkers: options.serviceWorkers ?? 'allow'
	});
	const origin = new URL(baseURL).origin;
	const foreign: string[] = [];
	const isForeign = (url: string) => {
		const u = new URL(url);
		return u.origin !== origin && u.protocol !== 'data:' && u.protocol !== 'blob:';
	};
	// Counted from the request events too: a request the route would not see is still counted.
	context.on('request', (r) => {
		if (isForeign(r.url())) foreign.push(r.url());
	});
	await context.route(
		(url) => isForeign(url.href),
		(route) => route.abort()
	);
	const page = await context.newPage();
	return { context, page, foreign };
}

const modelRow = (page: Page, name: string) => page.getByTestId(`model-${name}`);

/**
 * Every file passed its SHA-256 check, every model is ready, and 20 frames of each analysis mode
 * (detect → landmarks → full) read the face in the photo as it is.
 */
async function checkLoadedModels(page: Page): Promise<void> {
	const check = page.getByTestId('vision-check');
	await expect(check).toHaveAttribute('data-loaded', 'true', { timeout: 120_000 });
	await expect(check).toHaveAttribute('data-ready', 'true');

	const files = page.getByTestId('file');
	await expect(files).toHaveCount(MANIFEST.length);
	for (const f of MANIFEST) {
		await expect(files.and(page.locator(`[data-url="${f.url}"]`))).toHaveAttribute(
			'data-state',
			'ok'
		);
	}
	const names = await page
		.locator('[data-testid^="model-"][data-state]')
		.evaluateAll((rows) =>
			rows.map((r) => [r.getAttribute('data-testid'), r.getAttribute('data-state')])
		);
	expect(names.length).toBe(10);
	for (const [name, state] of names) expect(state, name!).toBe('ready');

	// The camera loop cycles detect → landmarks → full; wait for 20 frames of each.
	for (const mode of ['detect', 'landmarks', 'full']) {
		await expect
			.poll(
				async () => Number(await page.getByTestId(`mode-${mode}`).getAttribute('data-frames')),
				{
					timeout: 120_000
				}
			)
			.toBeGreaterThanOrEqual(20);
	}
	const read = (mode: string) =>
		page.getByTestId(`mode-${mode}`).evaluate((row) => {
			const a = (name: string) => row.getAttribute(`data-${name}`) ?? '';
			const num = (name: string) => (a(name) === '' ? null : Number(a(name)));
			return {
				faces: num('faces'),
				yaw: num('yaw'),
				pitch: num('pitch'),
				roll: num('roll'),
				eyeLeft: num('eye-left'),
				eyeRight: num('eye-right'),
				embeddingLength: num('embedding-length'),
				embeddingNorm: num('embedding-norm'),
				antispoof: num('antispoof'),
				liveness: num('liveness'),
				sharpness: num('sharpness'),
				brightness: num('brightness'),
				median: JSON.parse(a('median') || '{}') as Record<string, number>
			};
		});
	const detect = await read('detect');
	const landmarks = await read('landmarks');
	const full = await read('full');

	expect(detect.faces).toBe(1);
	expect(detect.yaw).toBeNull();
	expect(detect.embeddingLength).toBeNull();
	expect(detect.sharpness).toBeGreaterThan(0);
	expect(detect.brightness).toBeGreaterThan(20);
	expect(detect.brightness).toBeLessThan(240);

	expect(landmarks.faces).toBe(1);
	for (const v of [landmarks.yaw, landmarks.pitch, landmarks.roll]) {
		expect(Number.isFinite(v)).toBe(true);
	}
	// A near-frontal face, eyes open, turned a little to the image left (its image-left eye is
	// the narrower, 26 px against 32, and the nose tip is left of the eyes' midpoint): yaw < 0.
	expect(landmarks.yaw!).toBeLessThan(-5);
	expect(landmarks.yaw!).toBeGreaterThan(-30);
	expect(landmarks.eyeLeft).toBeGreaterThan(0.15);
	expect(landmarks.eyeRight).toBeGreaterThan(0.15);
	expect(landmarks.embeddingLength).toBeNull();

	expect(full.faces).toBe(1);
	expect(full.embeddingLength).toBe(1024);
	expect(full.embeddingNorm).toBeCloseTo(1, 5);
	expect(Number.isFinite(full.yaw)).toBe(true);
	expect(Number.isFinite(full.eyeLeft)).toBe(true);
	for (const score of [full.antispoof, full.liveness]) {
		expect(score).toBeGreaterThanOrEqual(0);
		expect(score).toBeLessThanOrEqual(1);
	}

	const loadMs = await page
		.locator('[data-testid^="model-"][data-state]')
		.evaluateAll((rows) =>
			Object.fromEntries(
				rows.map((r) => [
					r.getAttribute('data-testid')!.slice('model-'.length),
					r.querySelector('td:last-child')?.textContent?.trim()
				])
			)
		);
	const bytes = MANIFEST.reduce((s, f) => s + f.bytes, 0);
	const report = {
		medians: { detect: detect.median, landmarks: landmarks.median, full: full.median },
		loadMs,
		modelBytes: bytes,
		scores: {
			yaw: full.yaw,
			pitch: full.pitch,
			roll: full.roll,
			eyes: [full.eyeLeft, full.eyeRight],
			antispoof: full.antispoof,
			liveness: full.liveness,
			sharpness: full.sharpness,
			brightness: full.brightness
		}
	};
	console.log(`vision timings: ${JSON.stringify(report)}`);
	await test.info().attach('vision-timings.json', {
		body: JSON.stringify(report, null, 2),
		contentType: 'application/json'
	});
}

test('a model file altered on the way is reported failed with the checksum error', async ({
	baseURL
}) => {
	test.setTimeout(120_000);
	const { context, page, foreign } = await open(baseURL!, { serviceWorkers: 'block' });
	try {
		const target = MANIFEST.find((f) => f.url.endsWith('/faceres.bin'))!;
		await context.route(`**${target.url}`, async (route) => {
			const response = await route.fetch();
			const body = await response.body();
			const mid = body.length >> 1;
			body[mid] = body[mid]! ^ 0xff;
			await route.fulfill({ response, body });
		});
		await page.goto('/gate/check');
		const check = page.getByTestId('vision-check');
		await expect(check).toHaveAttribute('data-loaded', 'true', { timeout: 120_000 });
		await expect(check).toHaveAttribute('data-ready', 'false');

		const row = modelRow(page, 'human-faceres');
		await expect(row).toHaveAttribute('data-state', 'failed');
		await expect(row.getByTestId('model-error')).toContainText('模型文件校验失败');
		await expect(row.getByTestId('model-error')).toContainText(
			`SHA-256 mismatch: expected ${target.sha256}`
		);
		await expect(page.locator(`[data-url="${target.url}"]`)).toHaveAttribute(
			'data-state',
			'failed'
		);
		// Everything else still loads; detection and the mesh keep working without the embedding.
		await expect(modelRow(page, 'face-detector')).toHaveAttribute('data-state', 'ready');
		await expect(modelRow(page, 'human-facemesh')).toHaveAttribute('data-state', 'ready');
		await expect
			.poll(async () => Number(await page.getByTestId('mode-full').getAttribute('data-frames')), {
				timeout: 60_000
			})
			.toBeGreaterThanOrEqual(1);
		await expect(page.getByTestId('mode-full')).toHaveAttribute('data-faces', '1');
		await expect(page.getByTestId('mode-full')).toHaveAttribute('data-embedding-length', '');
		expect(foreign).toEqual([]);
	} finally {
		await context.close();
	}
});

// One test, not two: loading every model costs half a minute on a small CI machine, so the
// checks on the loaded models run on the tablet's second (service-worker controlled) start.
test('every model file passes its checksum and loads, a face is found in all three modes, and after one online start the tablet loads every model offline, from its own cache', async ({
	baseURL
}) => {
	test.setTimeout(300_000);
	const { context, page, foreign } = await open(baseURL!);
	try {
		const check = page.getByTestId('vision-check');
		await page.goto('/gate/check');
		// The service worker takes control during the first visit; the start after that is the
		// one a gate tablet makes, with every file passing through it into the runtime caches.
		await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
			timeout: 60_000
		});
		await page.reload();
		await checkLoadedModels(page);
		const cached = await page.evaluate(async () => {
			const cache = await caches.open('sitepass-models');
			return (await cache.keys()).map((r) => new URL(r.url).pathname);
		});
		expect(cached.sort()).toEqual([...MANIFEST.map((f) => f.url), '/models/manifest.json'].sort());

		await context.setOffline(true);
		await page.reload();
		await expect(check).toHaveAttribute('data-loaded', 'true', { timeout: 120_000 });
		await expect(check).toHaveAttribute('data-ready', 'true');
		await expect
			.poll(async () => Number(await page.getByTestId('mode-full').getAttribute('data-frames')), {
				timeout: 60_000
			})
			.toBeGreaterThanOrEqual(1);
		await expect(page.getByTestId('mode-full')).toHaveAttribute('data-embedding-length', '1024');
		expect(foreign).toEqual([]);
	} finally {
		await context.close();
	}

	// The control: without the service worker the same offline start gets nothing at all.
	const control = await open(baseURL!, { serviceWorkers: 'block' });
	try {
		await control.context.setOffline(true);
		await expect(control.page.goto('/gate/check')).rejects.toThrow();
	} finally {
		await control.context.close();
	}
});

test('people mode finds the full-body person and his feet; the hard-hat check reads a synthetic hard hat, a bare head and a face too small', async ({
	browser
}) => {
	test.setTimeout(240_000);
	// The real worker and models, bundled as the benchmarks do (bench/lib/vision-page.ts), driven
	// frame by frame with analysis options the /gate/check page does not offer.
	const root = mkdtempSync(join(tmpdir(), 'sitepass-vision-ppe-'));
	const frames = await ppeFrames('s3-f1', browser);
	const server = await serveVision(await bundleVision(join(root, 'static')));
	const vision = await openVision(join(root, 'profile'), server.origin);
	try {
		server.frames.set('basketball1', basketballFrame());
		server.frames.set('hardhat', frames.hardhat.rgba);
		server.frames.set('bare', frames.bare.rgba);
		server.frames.set('small', frames.small.rgba);
		const load = await vision.call('load');
		for (const name of ['pose-landmarker', 'selfie-segmenter', 'face-detector']) {
			expect(load.health.models.find((m) => m.name === name)?.state, name).toBe('ready');
		}

		const [people] = await vision.call('analyzeFrames', ['basketball1'], 'people');
		const found = people!.analysis!.people!;
		expect(people!.analysis!.faces).toEqual([]);
		// The man on the left stands full body, both shoes visible (soles at about y = 465).
		const man = found.find((p) => p.box.x + p.box.width / 2 < 200);
		expect(man, JSON.stringify(found.map((p) => p.box))).toBeTruthy();
		expect(man!.feetVisible).toBe(true);
		expect(man!.feet.x).toBeGreaterThan(40);
		expect(man!.feet.x).toBeLessThan(170);
		expect(man!.feet.y).toBeGreaterThan(420);
		expect(man!.feet.y).toBeGreaterThanOrEqual(man!.box.y + 0.85 * man!.box.height);
		expect(man!.head).not.toBeNull();
		expect(man!.head!.y).toBeLessThan(160);
		// His head is ~40 px wide in this frame: too small for the check, and it says so.
		expect(man!.ppe).toMatchObject({ worn: 'unknown', reason: 'too_small' });

		const ppe = async (name: string, mode: 'detect' | 'landmarks' | 'full') => {
			const [r] = await vision.call('analyzeFrames', [name], mode, { ppe: true });
			expect(r!.error).toBeUndefined();
			expect(r!.analysis!.faces.length, `${name} ${mode}`).toBe(1);
			return r!.analysis!.faces[0]!.ppe!;
		};
		for (const mode of ['detect', 'full'] as const) {
			const hat = await ppe('hardhat', mode);
			expect(hat.worn, `hard hat, ${mode}`).toBe(true);
			expect(hat.confidence).toBeGreaterThanOrEqual(0.7);
			expect(hat.features).toHaveLength(PPE_FEATURE_NAMES.length);
			const bare = await ppe('bare', mode);
			expect(bare.worn, `bare, ${mode}`).toBe(false);
			expect(bare.reason).toBeNull();
		}
		expect(await ppe('small', 'detect')).toMatchObject({
			worn: 'unknown',
			reason: 'too_small',
			confidence: 0,
			features: null
		});
		// Without the option the face modes do not run the check.
		const [plain] = await vision.call('analyzeFrames', ['hardhat'], 'detect');
		expect(plain!.analysis!.faces[0]!.ppe).toBeNull();
		expect(plain!.analysis!.timings.segment).toBeUndefined();
	} finally {
		await vision.close();
		await server.close();
		rmSync(root, { recursive: true, force: true });
	}
});
