// The site map end to end (issue 10), in Chromium against a real relay, the staff laptop enrolled
// through the enrol page:
// - with no plan, the map is a blank canvas with a hint to upload one;
// - the laptop uploads a plan (a PNG drawn in the page: no network), clicks 2 control points on it
//   and types their coordinates; the fit is shown;
// - it draws a danger zone with the mouse (Enter finishes), keeps 禁止任何人进入, saves; the zone
//   reaches the relay with its area on the ground where it was drawn;
// - more zones of other kinds (a permit zone with its rule, hard-hat area, muster point, gate);
// - a worker's ping and a geofence alert (written on the relay as a phone would) show as a marker
//   inside the danger zone, with the name and the age, and the alert beside the map.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractorDoc, controlDoc, eventsDoc, monthOf } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import { fromLocal, insidePolygon, residentIdCheckChar, type LatLng } from '../src/lib/domain';
import { enrolStaff, seedSiteAndContractor, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

/** Where the plan's pixel (0, 0) lies; the plan is drawn north-up at 10 cm per pixel. */
const ORIGIN: LatLng = [31.2304, 121.4737];
const M_PER_PX = 0.1;
const ground = (x: number, y: number) => fromLocal(ORIGIN, x * M_PER_PX, -y * M_PER_PX);

/** A site plan drawn on a canvas in the page: roads, buildings and their names. */
async function planPng(page: Page): Promise<Buffer> {
	const base64 = await page.evaluate(() => {
		const c = document.createElement('canvas');
		c.width = 1400;
		c.height = 900;
		const g = c.getContext('2d')!;
		g.fillStyle = '#fbfaf6';
		g.fillRect(0, 0, 1400, 900);
		g.strokeStyle = '#e4e1d8';
		g.lineWidth = 1;
		for (let x = 0; x <= 1400; x += 50) g.strokeRect(x, 0, 0, 900);
		for (let y = 0; y <= 900; y += 50) g.strokeRect(0, y, 1400, 0);
		g.fillStyle = '#d9d6cc';
		g.fillRect(0, 420, 1400, 60);
		g.fillRect(640, 0, 60, 900);
		g.strokeStyle = '#5b6470';
		g.lineWidth = 3;
		g.strokeRect(20, 20, 1360, 860);
		const building = (x: number, y: number, w: number, h: number, name: string) => {
			g.fillStyle = '#c9d3de';
			g.fillRect(x, y, w, h);
			g.strokeStyle = '#52606d';
			g.lineWidth = 2;
			g.strokeRect(x, y, w, h);
			g.fillStyle = '#1c2733';
			g.font = '28px sans-serif';
			g.fillText(name, x + 14, y + 40);
		};
		building(80, 80, 420, 260, '1号楼（在建）');
		building(780, 80, 260, 180, '2号楼');
		building(1100, 560, 220, 260, '仓库');
		g.strokeStyle = '#52606d';
		g.beginPath();
		g.arc(960, 650, 70, 0, Math.PI * 2);
		g.stroke();
		g.fillStyle = '#1c2733';
		g.fillText('储罐', 930, 660);
		g.fillText('东门', 1300, 455);
		g.fillText('N ↑', 1320, 60);
		return c.toDataURL('image/png').split(',')[1]!;
	});
	return Buffer.from(base64, 'base64');
}

/** Clicks the map at fractions of its box. */
async function clickMap(page: Page, fx: number, fy: number) {
	const box = (await page.getByTestId('site-map').boundingBox())!;
	await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
}

async function drawZone(
	page: Page,
	name: string,
	kind: string,
	corners: [number, number][],
	rule?: (page: Page) => Promise<void>
) {
	await page.getByTestId('zone-draw').click();
	await expect(page.getByTestId('draw-bar')).toBeVisible();
	for (const [fx, fy] of corners) await clickMap(page, fx, fy);
	await expect(page.getByTestId('draw-bar')).toContainText(`已点 ${corners.length} 个`);
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('map-zone-area')).toContainText(`${corners.length} 个顶点`);
	await page.getByTestId('map-zone-name').fill(name);
	await page.getByTestId('map-zone-kind').selectOption(kind);
	if (rule) await rule(page);
	await page.getByTestId('map-zone-save').click();
	await expect(page.getByTestId('map-zone-message')).toContainText(`已保存区域“${name}”`);
	await expect(page.locator(`[data-testid=map-zone-row][data-zone="${name}"]`)).toBeVisible();
}

test('site map: plan, control points, zones drawn with the mouse, a worker inside a danger zone', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-map-e2e-')));
	seedSiteAndContractor(relay);
	const at = new Date().toISOString();
	relay.relay.write(contractorDoc('C1'), (doc) => {
		const first17 = '11010519850101003';
		doc.getMap('workers').set('w-li', {
			schema: 2,
			id: 'w-li',
			contractorId: 'C1',
			name: '李强',
			docType: 'resident_id',
			docNumber: first17 + residentIdCheckChar(first17),
			trade: '焊工',
			createdAt: at,
			updatedAt: at
		});
	});
	const lead = await enrolStaff(browser, relay, 'lead1', '王项目', 'project_lead', {
		landing: '/map'
	});

	// No plan yet: a blank canvas and the hint.
	await expect(lead.getByTestId('map-blank-hint')).toContainText('尚未上传现场平面图');
	await expect(lead.getByTestId('map-legend')).toContainText('危险区域');

	// 1. The plan.
	await lead.getByTestId('tab-settings').click();
	await lead.getByTestId('plan-file').setInputFiles({
		name: '总平面图.png',
		mimeType: 'image/png',
		buffer: await planPng(lead)
	});
	await expect(lead.getByTestId('map-settings-message')).toContainText('平面图已保存（1400 × 900');
	await expect(lead.getByTestId('map-fit-hint')).toBeVisible();
	await expect(lead.locator('.leaflet-image-layer')).toBeVisible();

	// 2. Two control points: clicked on the plan, coordinates typed.
	for (const [i, [fx, fy]] of [
		[0.25, 0.3],
		[0.75, 0.7]
	].entries()) {
		await lead.getByTestId('point-add').click();
		await clickMap(lead, fx!, fy!);
		const row = lead.getByTestId('control-point').nth(i);
		const text = (await row.textContent()) ?? '';
		const m = /图上 \((\d+), (\d+)\)/.exec(text);
		expect(m, text).not.toBeNull();
		const [lat, lng] = ground(Number(m![1]), Number(m![2]));
		await row.getByTestId('point-lat').fill(lat.toFixed(7));
		await row.getByTestId('point-lng').fill(lng.toFixed(7));
	}
	await expect(lead.getByTestId('plan-fit')).toContainText('定位成功');
	await lead.getByTestId('points-save').click();
	await expect(lead.getByTestId('map-settings-message')).toContainText('控制点已保存');
	await expect(lead.getByTestId('map-fit-hint')).toBeHidden();
	await expect
		.poll(
			() =>
				relay.relay.read(controlDoc('S1'), (d) => {
					const s = d.getMap('settings').get('map') as
						{ plan?: { controlPoints: unknown[] } } | undefined;
					return s?.plan?.controlPoints.length ?? 0;
				}),
			{ timeout: 15_000 }
		)
		.toBe(2);

	// 3. A danger zone drawn with the mouse; nobody may enter.
	await lead.getByTestId('tab-zones').click();
	await drawZone(lead, '基坑', 'danger', [
		[0.12, 0.15],
		[0.36, 0.15],
		[0.36, 0.4],
		[0.12, 0.4]
	]);
	await expect(lead.locator('[data-testid=map-zone-row][data-zone="基坑"]')).toContainText(
		'禁止任何人进入'
	);
	// A permit zone, a hard-hat area, the muster point and the gate.
	await drawZone(
		lead,
		'储罐区',
		'restricted',
		[
			[0.62, 0.6],
			[0.76, 0.6],
			[0.76, 0.85],
			[0.62, 0.85]
		],
		async (p) => {
			await p.getByTestId('rule-permit').check();
			await p.getByTestId('map-zone-rule').getByLabel('动火作业').check();
		}
	);
	await drawZone(lead, '主体施工区（戴安全帽）', 'hardhat', [
		[0.08, 0.12],
		[0.46, 0.12],
		[0.46, 0.46],
		[0.08, 0.46]
	]);
	await drawZone(lead, '紧急集合点', 'muster', [
		[0.52, 0.6],
		[0.58, 0.6],
		[0.58, 0.72],
		[0.52, 0.72]
	]);
	await drawZone(lead, '东门', 'gate', [
		[0.9, 0.44],
		[0.97, 0.44],
		[0.97, 0.56],
		[0.9, 0.56]
	]);

	// The zone is on the relay, on the ground where it was drawn.
	const zonesOnRelay = () =>
		relay.relay.read(controlDoc('S1'), (d) =>
			[...d.getMap('zones').values()].map(
				(z) =>
					z as {
						id: string;
						name: string;
						kind: string;
						requiresPermit: boolean;
						permitKinds: string[];
						area?: [number, number][];
					}
			)
		);
	await expect.poll(() => zonesOnRelay().length, { timeout: 15_000 }).toBe(5);
	const pit = zonesOnRelay().find((z) => z.name === '基坑')!;
	expect(pit.kind).toBe('danger');
	expect(pit.requiresPermit).toBe(false);
	expect(pit.area).toHaveLength(4);
	const tank = zonesOnRelay().find((z) => z.name === '储罐区')!;
	expect(tank.requiresPermit).toBe(true);
	expect(tank.permitKinds).toEqual(['hot_work']);

	// 4. A worker's phone reports a position inside the pit; the phone raised a geofence alert.
	const lat = pit.area!.reduce((s, p) => s + p[0], 0) / 4;
	const lng = pit.area!.reduce((s, p) => s + p[1], 0) / 4;
	expect(insidePolygon([lat, lng], pit.area!)).toBe(true);
	const now = new Date();
	relay.relay.write(eventsDoc('S1', monthOf(now)), (doc) => {
		const id = newUlid(now.getTime() - 60_000);
		doc.getMap('pings').set(id, {
			schema: 1,
			id,
			workerId: 'w-li',
			at: new Date(now.getTime() - 60_000).toISOString(),
			lat,
			lng,
			accuracy: 6
		});
		const alertId = newUlid(now.getTime() - 30_000);
		doc.getMap('alerts').set(alertId, {
			schema: 1,
			id: alertId,
			siteId: 'S1',
			kind: 'geofence',
			at: new Date(now.getTime() - 30_000).toISOString(),
			workerId: 'w-li',
			zoneId: pit.id,
			deviceId: 'phone-li'
		});
	});
	const marker = lead.locator('[data-testid=site-map] [data-worker=w-li]');
	await expect(marker).toBeVisible({ timeout: 15_000 });
	await expect(lead.locator('.sp-person-label')).toContainText('李强 · 1 分钟前');
	await expect(lead.getByTestId('map-alerts')).toContainText('李强');
	await expect(lead.getByTestId('map-alerts')).toContainText('基坑');
	// The marker sits inside the pit's outline on screen.
	const pitBox = (await lead
		.locator(`[data-testid=site-map] path[data-zone="${pit.id}"]`)
		.boundingBox())!;
	const dot = (await marker.boundingBox())!;
	const cx = dot.x + dot.width / 2;
	const cy = dot.y + dot.height / 2;
	expect(cx).toBeGreaterThan(pitBox.x);
	expect(cx).toBeLessThan(pitBox.x + pitBox.width);
	expect(cy).toBeGreaterThan(pitBox.y);
	expect(cy).toBeLessThan(pitBox.y + pitBox.height);
	await lead.getByTestId('tab-people').click();
	await expect(lead.getByTestId('map-person')).toContainText('基坑');

	await lead.getByTestId('tab-zones').click();
	await lead.getByTestId('map-zone-form').getByRole('button', { name: '关闭' }).click();
	await lead.mouse.move(0, 0);
	await lead.screenshot({ path: `${SHOTS}/map-zones-zh.png` });

	await lead.context().close();
	await relay.close();
});
