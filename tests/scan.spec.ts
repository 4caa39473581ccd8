// Reading a certificate on the phone, offline: the QR code of a new card fills the number and the
// verification link; OCR of an old card offers values the user confirms one by one. The engines
// (zxing wasm, tesseract worker/core, chi_sim model) come from our origin's service worker cache:
// every request to another origin is aborted and counted, and the phone is offline throughout.
import {
	chromium,
	expect,
	test,
	type Browser,
	type BrowserContext,
	type Page
} from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import qrcode from 'qrcode-generator';
import { CHROMIUM_ARGS } from '../playwright.config';
import { residentIdCheckChar } from '../src/lib/domain';
import { contractorDoc } from '../src/lib/data/documents';
import type { RunningServer } from '../sync-server/server';
import { seedSiteAndContractor, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
const first17 = '33010219850312001';
const ID = first17 + residentIdCheckChar(first17);
const NUMBER = `T${ID}`;
const VERIFY_URL = `https://cx.example.gov.cn/verify/cert?certNo=${NUMBER}&type=so`;
const NOT_AN_IMAGE = {
	name: 'cert.jpg',
	mimeType: 'image/jpeg',
	buffer: Buffer.from('not a photo')
};
const NO_QR = join(process.cwd(), 'static/icons/icon-512.png');

// A fresh relay per test: one test's registration must not make the next one's ID a duplicate.
let relay: RunningServer;
test.beforeEach(async () => {
	relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-scan-e2e-')));
	seedSiteAndContractor(relay);
});
test.afterEach(async () => relay.close());

function qrGif(text: string): Buffer {
	const qr = qrcode(0, 'M');
	qr.addData(text);
	qr.make();
	return Buffer.from(qr.createDataURL(8, 4).split(',')[1]!, 'base64');
}

interface Phone {
	page: Page;
	/** Requests to any origin but ours (aborted). */
	foreign: string[];
	/** Scan engine files the page got, and whether the service worker answered. */
	vendor: { url: string; status: number; fromServiceWorker: boolean }[];
}

/** A contractor's phone at the certificate step, the app cached, then cut off from the network. */
async function phoneAtCertificateStep(
	browser: Browser,
	{ serviceWorkers = 'allow' as 'allow' | 'block', context = null as BrowserContext | null } = {}
): Promise<Phone> {
	const ctx =
		context ??
		(await browser.newContext({
			viewport: { width: 390, height: 844 },
			hasTouch: true,
			serviceWorkers
		}));
	const origin = new URL(relay.url).origin;
	const foreign: string[] = [];
	await ctx.route(
		(url) => url.origin !== origin && !['data:', 'blob:'].includes(url.protocol),
		(route) => {
			foreign.push(route.request().url());
			return route.abort();
		}
	);
	const token = relay.issueToken({ sub: 'c1-admin', role: 'contractor', contractor: 'C1' });
	await ctx.addInitScript((t) => {
		if (!localStorage.getItem('sitepass.token')) localStorage.setItem('sitepass.token', t);
	}, token);
	const page = await ctx.newPage();
	const vendor: Phone['vendor'] = [];
	page.on('response', (r) => {
		if (new URL(r.url()).pathname.startsWith('/vendor/')) {
			vendor.push({ url: r.url(), status: r.status(), fromServiceWorker: r.fromServiceWorker() });
		}
	});
	await page.goto(relay.url + '/ledger/register');
	await expect(page.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced', {
		timeout: 20_000
	});
	if (serviceWorkers === 'allow') {
		await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, {
			timeout: 20_000
		});
	}
	await ctx.setOffline(true);

	await page.getByLabel('姓名', { exact: true }).fill('王建国');
	await page.getByLabel('证件号码', { exact: true }).fill(ID);
	await page.getByRole('button', { name: '下一步' }).click();
	await page.getByRole('button', { name: '下一步' }).click();
	await expect(page.getByTestId('cert-scan')).toBeVisible();
	return { page, foreign, vendor };
}

test('a QR code on the certificate fills the number and the link, offline', async ({ browser }) => {
	const { page, foreign, vendor } = await phoneAtCertificateStep(browser);
	const scan = page.getByTestId('cert-scan');
	const notice = scan.getByTestId('scan-notice');
	const file = scan.getByTestId('scan-file');
	await page.getByLabel('发证机关', { exact: true }).fill('浙江省应急管理厅');

	// Bad pictures say so in Chinese and lose nothing typed.
	await file.setInputFiles(NOT_AN_IMAGE);
	await expect(notice).toHaveText('无法读取这张图片，请重新拍照或换一张照片（JPG、PNG）。');
	await file.setInputFiles(NO_QR);
	await expect(notice).toContainText('没有在图片中找到二维码');
	await expect(page.getByLabel('发证机关', { exact: true })).toHaveValue('浙江省应急管理厅');

	const started = Date.now();
	await file.setInputFiles({ name: 'qr.gif', mimeType: 'image/gif', buffer: qrGif(VERIFY_URL) });
	await expect(notice).toHaveText('已从二维码填入：证书编号和查验链接');
	const qrMs = Date.now() - started;
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue(NUMBER);
	await expect(page.getByLabel('查验链接', { exact: true })).toHaveValue(VERIFY_URL);
	await expect(page.getByLabel('发证机关', { exact: true })).toHaveValue('浙江省应急管理厅');

	// The certificate photo already taken (shrunk to JPEG and kept on the phone) can be read too;
	// a different card's code does not overwrite what is there: it is offered instead.
	const other = `T${first17.slice(0, 16)}2${residentIdCheckChar(first17.slice(0, 16) + '2')}`;
	const certPhoto = page.getByTestId('photo-cert');
	await certPhoto.locator('input[type=file]').setInputFiles({
		name: 'cert.gif',
		mimeType: 'image/gif',
		buffer: qrGif(`https://cx.example.gov.cn/verify/cert?certNo=${other}`)
	});
	await expect(certPhoto.getByTestId('blob-image')).toBeVisible();
	await scan.getByTestId('scan-use-photo').click();
	await expect(notice).toHaveText('已读取二维码，请核对下方的识别结果');
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue(NUMBER);
	const offered = scan.locator('[data-testid=scan-suggestion][data-field=number]');
	await expect(offered).toContainText(other);
	await expect(offered).toContainText(`当前：${NUMBER}`);
	await scan.getByRole('button', { name: '忽略' }).click();
	await expect(offered).toHaveCount(0);
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue(NUMBER);

	// The zxing wasm came from the service worker's cache, nothing from another origin.
	expect(vendor.map((v) => new URL(v.url).pathname)).toContain(
		'/vendor/zxing-3.1.4/zxing_reader.wasm'
	);
	expect(vendor.every((v) => v.status === 200 && v.fromServiceWorker)).toBe(true);
	expect(foreign).toEqual([]);
	test
		.info()
		.annotations.push({ type: 'timing', description: `QR decode incl. wasm load: ${qrMs} ms` });

	// The link is stored with the certificate.
	await page.getByTestId('cert-type').selectOption('SO-WELD-FUSION');
	await page.getByLabel('发证（初领）日期', { exact: true }).fill('2024-03-01');
	await page.getByLabel('有效期至', { exact: true }).fill('2030-03-01');
	await page.getByRole('button', { name: '下一步' }).click();
	await page.getByRole('button', { name: '下一步' }).click();
	await page.getByTestId('reg-submit').click();
	await expect(page.getByTestId('reg-done')).toContainText('王建国 已登记');
	await page.context().setOffline(false);
	await expect
		.poll(
			() =>
				relay.relay.read(contractorDoc('C1'), (doc) =>
					Object.values(doc.getMap('certificates').toJSON()).map(
						(c) => (c as { number: string; verifyUrl?: string }).verifyUrl
					)
				),
			{ timeout: 20_000 }
		)
		.toEqual([VERIFY_URL]);
	await page.context().close();
});

/** Draws an old-style 特种作业操作证 (no QR code) as a slightly tilted, soft phone photo. */
async function certificatePhoto(page: Page): Promise<Buffer> {
	const dataUrl = await page.evaluate(
		async ({ number }) => {
			const card = document.createElement('canvas');
			card.width = 1000;
			card.height = 640;
			const g = card.getContext('2d')!;
			g.fillStyle = '#f3efe4';
			g.fillRect(0, 0, 1000, 640);
			g.strokeStyle = '#7a1f1f';
			g.lineWidth = 6;
			g.strokeRect(16, 16, 968, 608);
			g.fillStyle = '#7a1f1f';
			g.font = 'bold 44px "Noto Sans CJK SC", sans-serif';
			g.textAlign = 'center';
			g.fillText('特种作业操作证', 500, 90);
			g.textAlign = 'left';
			g.font = '30px "Noto Sans CJK SC", sans-serif';
			const rows = [
				['证　　号', number],
				['姓　　名', '王建国'],
				['性　　别', '男'],
				['作业类别', '焊接与热切割作业'],
				['准操项目', '熔化焊接与热切割作业'],
				['初领日期', '2024年03月01日'],
				['有效期限', '2024年03月01日 至 2030年03月01日'],
				['发证机关', '浙江省应急管理厅']
			];
			rows.forEach(([label, value], i) => {
				g.fillStyle = '#555';
				g.fillText(label!, 70, 165 + i * 58);
				g.fillStyle = '#111';
				g.fillText(value!, 250, 165 + i * 58);
			});
			g.fillStyle = '#ddd';
			g.fillRect(780, 150, 160, 210);

			const photo = document.createElement('canvas');
			photo.width = 1200;
			photo.height = 900;
			const p = photo.getContext('2d')!;
			p.fillStyle = '#5b564c';
			p.fillRect(0, 0, 1200, 900);
			p.translate(600, 450);
			p.rotate((1.5 * Math.PI) / 180);
			p.filter = 'blur(0.6px) brightness(0.92)';
			p.drawImage(card, -540, -346, 1080, 691);
			return photo.toDataURL('image/jpeg', 0.8);
		},
		{ number: NUMBER }
	);
	return Buffer.from(dataUrl.split(',')[1]!, 'base64');
}

test('OCR of a card without a QR code offers values that are filled only when confirmed', async ({
	browser
}) => {
	// Measured 22–28 s on an idle 2-core machine, 43 s with the machine's load at 12: leave room.
	test.setTimeout(90_000);
	const { page, foreign, vendor } = await phoneAtCertificateStep(browser);
	const scan = page.getByTestId('cert-scan');
	const row = (field: string) => scan.locator(`[data-testid=scan-suggestion][data-field=${field}]`);
	// The user had started typing the number.
	await page.getByLabel('证书编号', { exact: true }).fill('T3301');

	// A picture with no certificate on it: the engine starts, finds nothing useful, says so.
	await scan.getByTestId('scan-file').setInputFiles(NO_QR);
	await expect(scan.getByTestId('scan-notice')).toContainText('没有在图片中找到二维码');
	let started = Date.now();
	await scan.getByTestId('scan-ocr').click();
	await expect(scan.getByTestId('scan-progress')).toBeVisible();
	await expect(scan.getByTestId('scan-notice')).toHaveText(
		'没有识别出证书信息。请在光线充足处正对证书拍摄，或直接手动填写。',
		{ timeout: 40_000 }
	);
	const coldMs = Date.now() - started;
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue('T3301');

	await scan.getByTestId('scan-file').setInputFiles({
		name: 'cert.jpg',
		mimeType: 'image/jpeg',
		buffer: await certificatePhoto(page)
	});
	await expect(scan.getByTestId('scan-notice')).toContainText('没有在图片中找到二维码');
	started = Date.now();
	await scan.getByTestId('scan-ocr').click();
	await expect(scan.getByTestId('scan-notice')).toHaveText('识别完成，请逐项核对后点“填入”', {
		timeout: 30_000
	});
	const warmMs = Date.now() - started;

	await expect(row('number')).toContainText(NUMBER);
	await expect(row('number')).toContainText('当前：T3301');
	await expect(row('expiresOn')).toContainText('2030-03-01');
	await expect(row('issuedOn')).toContainText('2024-03-01');
	await expect(row('code')).toContainText('熔化焊接与热切割作业');
	// The name on the card is the one registered: nothing to offer.
	await expect(row('name')).toHaveCount(0);
	// Shown, not applied.
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue('T3301');
	await expect(page.getByLabel('有效期至', { exact: true })).toHaveValue('');
	await expect(page.getByTestId('cert-type')).toHaveValue('');
	await page.screenshot({ path: `${SHOTS}/register-cert-scan-zh.png` });

	await row('expiresOn').getByRole('button', { name: '填入' }).click();
	await expect(page.getByLabel('有效期至', { exact: true })).toHaveValue('2030-03-01');
	await expect(row('expiresOn')).toHaveCount(0);
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue('T3301');
	await scan.getByTestId('scan-apply-all').click();
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue(NUMBER);
	await expect(page.getByTestId('cert-type')).toHaveValue('SO-WELD-FUSION');
	await expect(page.getByLabel('发证（初领）日期', { exact: true })).toHaveValue('2024-03-01');
	await expect(scan.getByTestId('scan-suggestions')).toHaveCount(0);

	// Worker, core and model came from the service worker's cache; nothing from elsewhere.
	const paths = vendor.map((v) => new URL(v.url).pathname);
	expect(paths).toEqual(
		expect.arrayContaining([
			'/vendor/tesseract-7.0.0/worker.min.js',
			'/vendor/tesseract-7.0.0/tesseract-core-simd-lstm.js',
			'/vendor/tesseract-7.0.0/tesseract-core-simd-lstm.wasm',
			'/vendor/tessdata-4.0.0_best_int/chi_sim.traineddata.gz'
		])
	);
	expect(vendor.every((v) => v.status === 200 && v.fromServiceWorker)).toBe(true);
	expect(foreign).toEqual([]);
	test.info().annotations.push({
		type: 'timing',
		description: `OCR: first run incl. engine start ${coldMs} ms; card, engine warm ${warmMs} ms`
	});
	await page.context().close();
});

test('control: without the service worker the scan engines are not there offline', async ({
	browser
}) => {
	const { page, foreign } = await phoneAtCertificateStep(browser, { serviceWorkers: 'block' });
	const scan = page.getByTestId('cert-scan');
	await scan.getByTestId('scan-file').setInputFiles({
		name: 'qr.gif',
		mimeType: 'image/gif',
		buffer: qrGif(VERIFY_URL)
	});
	await expect(scan.getByTestId('scan-notice')).toContainText('识别组件未能加载');
	await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue('');
	expect(foreign).toEqual([]);
	await page.context().close();
});

/** One 640×480 frame of the QR code as a Y4M file, for Chromium's fake camera. */
function qrY4m(text: string): string {
	const qr = qrcode(0, 'M');
	qr.addData(text);
	qr.make();
	const [w, h] = [640, 480];
	const modules = qr.getModuleCount();
	const cell = Math.floor(400 / (modules + 8));
	const left = Math.floor((w - cell * modules) / 2);
	const top = Math.floor((h - cell * modules) / 2);
	const y = Buffer.alloc(w * h, 235);
	for (let r = 0; r < modules; r++) {
		for (let c = 0; c < modules; c++) {
			if (!qr.isDark(r, c)) continue;
			for (let dy = 0; dy < cell; dy++) {
				y.fill(
					20,
					(top + r * cell + dy) * w + left + c * cell,
					(top + r * cell + dy) * w + left + (c + 1) * cell
				);
			}
		}
	}
	const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
	const path = join(mkdtempSync(join(tmpdir(), 'sitepass-cam-')), 'qr.y4m');
	writeFileSync(
		path,
		Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\nFRAME\n`), y, chroma])
	);
	return path;
}

test('the live camera reads the QR code, then turns itself off', async () => {
	const camera = await chromium.launch({
		executablePath: test.info().project.use.launchOptions?.executablePath,
		args: [
			...CHROMIUM_ARGS,
			'--use-fake-device-for-media-stream',
			`--use-file-for-fake-video-capture=${qrY4m(VERIFY_URL)}`
		]
	});
	try {
		const context = await camera.newContext({
			viewport: { width: 390, height: 844 },
			hasTouch: true,
			permissions: ['camera']
		});
		// Keep the streams the page opens, to check they are stopped.
		await context.addInitScript(() => {
			const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
			const streams: MediaStream[] = [];
			(window as unknown as { streams: MediaStream[] }).streams = streams;
			navigator.mediaDevices.getUserMedia = async (constraints) => {
				const stream = await open(constraints);
				streams.push(stream);
				return stream;
			};
		});
		const { page, foreign } = await phoneAtCertificateStep(camera, { context });
		const scan = page.getByTestId('cert-scan');
		await scan.getByTestId('scan-camera').click();
		await expect(scan.getByTestId('scan-video')).toBeVisible();
		await expect(scan.getByTestId('scan-notice')).toHaveText('已从二维码填入：证书编号和查验链接', {
			timeout: 20_000
		});
		await expect(page.getByLabel('证书编号', { exact: true })).toHaveValue(NUMBER);
		await expect(page.getByLabel('查验链接', { exact: true })).toHaveValue(VERIFY_URL);
		// The camera is off: no video shown, no live track left.
		await expect(scan.getByTestId('scan-video')).toHaveCount(0);
		const tracks = await page.evaluate(() =>
			(window as unknown as { streams: MediaStream[] }).streams.flatMap((s) =>
				s.getTracks().map((t) => t.readyState)
			)
		);
		expect(tracks).toEqual(['ended']);
		// With the frame kept, the printed text can still be read.
		await expect(scan.getByTestId('scan-ocr')).toBeVisible();
		expect(foreign).toEqual([]);
	} finally {
		await camera.close();
	}
});
