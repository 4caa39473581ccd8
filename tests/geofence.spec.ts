// Issue 10's geofence, end to end in Chromium: two workers' phones (mocked geolocation) on a site
// whose pump room is a danger zone open only on a confined-space permit. 李强 is on an approved,
// active permit for it; 赵敏 is not. Each gives consent on /me, the gates have let both in.
// 李强 walks in: covered, no alarm. 赵敏's phone loses the network, she walks in: the phone alarms
// at once, full screen, offline; the alert reaches the relay only when the phone is back online,
// and the safety officer's notification centre shows it.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import type { Claims } from '../src/lib/data/access';
import { decide } from '../src/lib/data/approval-commands';
import { controlDoc, eventsDoc, monthOf } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import { orgViewOf } from '../src/lib/data/org';
import { saveZone, sitePermits } from '../src/lib/data/permits';
import { fromLocal, type LatLng } from '../src/lib/domain';
import type { RunningServer } from '../sync-server/server';
import { bindKey, enrolDevice, PEOPLE, seedGateWorld } from './gate-world';
import { enrolStaff, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });

const ORIGIN: LatLng = [30.2741, 120.1551];
const at = (east: number, north: number) => {
	const [latitude, longitude] = fromLocal(ORIGIN, east, north);
	return { latitude, longitude, accuracy: 5 };
};
/** The pump room: 40 m × 30 m, 100 m east of the gate. */
const ROOM = [at(100, 0), at(140, 0), at(140, 30), at(100, 30)].map(
	(p) => [p.latitude, p.longitude] as [number, number]
);
const GATE = at(0, 0);
const NEAR = at(90, 15);
const INSIDE = at(120, 15);
const LI = PEOPLE.admitted;
const ZHAO = PEOPLE.expired;

/** The zone and an approved confined-space permit naming 李强, written as staff laptops would. */
async function seedZoneAndPermit(relay: RunningServer): Promise<void> {
	const signers = {
		project_lead: bindKey(relay, 'lead1', 'project_lead'),
		safety: bindKey(relay, 'safe1', 'safety')
	};
	const local = (name: string) => {
		const doc = new Y.Doc();
		Y.applyUpdate(
			doc,
			relay.relay.read(name, (d) => Y.encodeStateAsUpdate(d))
		);
		return doc;
	};
	const org = local('org');
	const control = local(controlDoc('S1'));
	const actor = (sub: string, staffRole: 'project_lead' | 'safety') => ({
		claims: { iss: relay.orgId, sub, role: 'staff', staffRole, sites: ['S1'] } as Claims,
		org: orgViewOf(org)
	});
	saveZone(control, 'S1', actor('lead1', 'project_lead'), {
		id: 'pump',
		name: '一号泵房',
		kind: 'danger',
		requiresPermit: true,
		permitKinds: ['confined_space'],
		neighbours: [],
		area: ROOM
	});
	const now = Date.now();
	const iso = (minutes: number) => new Date(now + minutes * 60_000).toISOString();
	control.getMap('permits').set('cs1', {
		schema: 1,
		id: 'cs1',
		siteId: 'S1',
		number: 'SX-2026-0412',
		kind: 'confined_space',
		grade: 'single',
		zone: 'pump',
		work: '泵房检修',
		validFrom: iso(-30),
		validUntil: iso(150),
		people: [{ workerId: LI.id, contractorId: 'C1', role: 'operator', name: LI.name }],
		hazards: [],
		measures: [],
		gasTests: [],
		isolations: [],
		lifecycle: 'submitted',
		submittedAt: iso(-20),
		submittedBy: 'lead1',
		createdAt: iso(-20),
		createdBy: 'lead1',
		updatedAt: iso(-20),
		updatedBy: 'lead1'
	});
	for (let i = 0; i < 5; i++) {
		const view = sitePermits({ control, org, timeZone: 'Asia/Shanghai' }, new Date()).find(
			(v) => v.permit.id === 'cs1'
		)!;
		if (view.approval.status !== 'pending') break;
		const step = view.approval.steps[view.approval.current!]!;
		const role = step.step.role as 'project_lead' | 'safety';
		const sub = role === 'safety' ? 'safe1' : 'lead1';
		await decide(control, 'S1', org, actor(sub, role), signers[role], {
			approval: view.approval,
			decision: 'approve',
			at: new Date(Date.parse(step.since!) + 60_000)
		});
	}
	const approved = sitePermits({ control, org, timeZone: 'Asia/Shanghai' }, new Date()).find(
		(v) => v.permit.id === 'cs1'
	)!;
	expect(approved.timeline.status).toBe('active');
	relay.relay.write(controlDoc('S1'), (d) => Y.applyUpdate(d, Y.encodeStateAsUpdate(control)));
	// The gate let both in twenty minutes ago.
	relay.relay.write(eventsDoc('S1', monthOf(new Date())), (d) => {
		for (const p of [LI, ZHAO]) {
			const id = newUlid(now - 20 * 60_000);
			d.getMap('attendance').set(id, {
				schema: 1,
				id,
				siteId: 'S1',
				workerId: p.id,
				direction: 'in',
				at: iso(-20),
				deviceId: 'gate-east',
				method: 'face',
				allow: true,
				reasons: []
			});
		}
	});
}

async function phone(
	browser: Parameters<typeof enrolDevice>[0],
	relay: RunningServer,
	person: { id: string; name: string },
	nearest: string
): Promise<Page> {
	const page = await enrolDevice(
		browser,
		relay,
		{ role: 'worker', sub: person.id, name: person.name, contractor: 'C1', sites: ['S1'] },
		{
			viewport: { width: 390, height: 844 },
			geolocation: GATE,
			permissions: ['geolocation']
		}
	);
	await page.goto(`${relay.url}/me`);
	await expect(page.getByTestId('geofence-state')).toHaveAttribute('data-why', 'NO_CONSENT', {
		timeout: 20_000
	});
	await expect(page.getByText('位置记录保存 7 天后自动删除')).toBeVisible();
	await page.getByRole('button', { name: '同意并开启定位提醒' }).click();
	await expect(page.getByTestId('geofence-state')).toHaveAttribute('data-why', 'ON_SITE');
	await expect(page.getByTestId('geofence-nearest')).toContainText(nearest);
	return page;
}

test.describe('geofence: a phone alarms in a danger zone without a covering permit', () => {
	test.setTimeout(150_000);

	test('covered worker walks in quietly; uncovered worker alarms offline; the alert reaches safety staff after sync', async ({
		browser
	}) => {
		const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-geofence-e2e-')));
		try {
			await seedGateWorld(relay, [LI, ZHAO]);
			await seedZoneAndPermit(relay);
			const officer = await enrolStaff(browser, relay, 'safe-e2e', '孙安全', 'safety', {
				landing: '/notifications'
			});
			const events = eventsDoc('S1', monthOf(new Date()));
			const geofenceAlerts = () =>
				relay.relay.read(events, (d) =>
					[...d.getMap('alerts').values()].filter(
						(a) => (a as { kind: string }).kind === 'geofence'
					)
				) as { workerId: string; zoneId: string; message: string }[];
			const pingsOf = (workerId: string) =>
				relay.relay.read(events, (d) =>
					[...d.getMap('pings').values()].filter(
						(p) => (p as { workerId: string }).workerId === workerId
					)
				);

			// 李强, on the permit, walks into the pump room: covered, no alarm.
			// His permit is active, so no zone of the site is closed to him.
			const li = await phone(browser, relay, LI, '本工地没有对您禁入的区域');
			await expect(li.getByText('泵房检修').or(li.getByText('SX-2026-0412')).first()).toBeVisible();
			await li.context().setGeolocation(INSIDE);
			await expect(li.getByTestId('geofence-covered')).toContainText('一号泵房');
			await expect(li.getByTestId('geofence-covered')).toContainText('SX-2026-0412');
			// Its pings reach the relay; no alarm, no alert.
			await expect.poll(() => pingsOf(LI.id).length, { timeout: 20_000 }).toBeGreaterThan(0);
			await li.waitForTimeout(1500);
			await expect(li.getByTestId('geofence-alarm')).toHaveCount(0);
			expect(geofenceAlerts()).toHaveLength(0);

			// 赵敏 has no permit. Her phone loses the network, then she walks in.
			const zhao = await phone(browser, relay, ZHAO, '距最近的禁入区域约 100 米');
			await zhao.context().setOffline(true);
			await zhao.context().setGeolocation(NEAR);
			await expect(zhao.getByTestId('geofence-nearest')).toContainText('约 10 米');
			await zhao.context().setGeolocation(INSIDE);
			const alarm = zhao.getByTestId('geofence-alarm');
			await expect(alarm).toBeVisible({ timeout: 10_000 });
			await expect(alarm).toContainText('危险！请立即离开');
			await expect(alarm).toContainText('「一号泵房」须持有效作业票进入，您没有');
			await zhao.evaluate(() => document.fonts.ready);
			await zhao.screenshot({ path: `${SHOTS}/geofence-alarm-zh.png` });
			// Offline: nothing has reached the relay.
			await zhao.waitForTimeout(1500);
			expect(geofenceAlerts()).toHaveLength(0);
			// Silencing stops the sound; the warning stays while she is inside.
			await alarm.getByRole('button', { name: '消音' }).click();
			await expect(alarm).toContainText('已消音');

			// Back online: the alert syncs, once, and the officer sees it.
			await zhao.context().setOffline(false);
			await expect.poll(() => geofenceAlerts().length, { timeout: 30_000 }).toBe(1);
			expect(geofenceAlerts()[0]).toMatchObject({ workerId: ZHAO.id, zoneId: 'pump' });
			expect(geofenceAlerts()[0]!.message).toContain('赵敏');
			const item = officer.locator('[data-testid="notification"][data-kind="alert"]');
			await expect(item).toHaveCount(1, { timeout: 30_000 });
			await expect(item).toContainText('定位报警');
			await expect(item).toContainText('一号泵房');
			await expect(item).toContainText('赵敏');

			// She walks out: the warning ends.
			await zhao.context().setGeolocation(GATE);
			await expect(alarm).toHaveCount(0, { timeout: 10_000 });
			await li.screenshot({ path: `${SHOTS}/geofence-covered-zh.png` });
		} finally {
			await relay.close();
		}
	});
});
