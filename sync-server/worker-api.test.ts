// The worker phone's pass (GET /api/worker/geofence) through a real relay, judged offline the way
// the phone judges it; the relay's ping retention; the tile server's origin in the CSP.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromLocal, type LatLng } from '../src/lib/domain';
import { eventsDoc, monthOf } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import { checkFix, parseGeofencePass, shouldTrack } from '../src/lib/data/geofence-pass';
import { saveZone } from '../src/lib/data/permits';
import { saveMapSettings } from '../src/lib/data/sitemap';
import { approvePermit, buildWorld, FROM, putPermit, UNTIL, type World } from './integration/world';
import { records, startRelay, token, type TestRelay } from './testing';

let relay: TestRelay;
let world: World;

/** A 40 m × 30 m pump room east of the site's origin. */
const ORIGIN: LatLng = [30.25, 120.15];
const ROOM: [number, number][] = [
	fromLocal(ORIGIN, 100, 0),
	fromLocal(ORIGIN, 140, 0),
	fromLocal(ORIGIN, 140, 30),
	fromLocal(ORIGIN, 100, 30)
];
const IN_ROOM = fromLocal(ORIGIN, 120, 15);
const OUTSIDE = fromLocal(ORIGIN, 60, 15);
const ENTERED = new Date(Date.now() - 3_600_000).toISOString();

beforeEach(async () => {
	relay = await startRelay({ webhooks: { autoStart: false }, pings: { autoStart: false } });
	world = await buildWorld(relay.server);
	const lead = world.staff[0]!.actor;
	saveZone(world.control, 'S1', lead, {
		id: 'tank-1',
		name: '一号罐区',
		kind: 'danger',
		requiresPermit: true,
		permitKinds: ['confined_space'],
		neighbours: [],
		area: ROOM
	});
	saveZone(world.control, 'S1', lead, {
		id: 'sub',
		name: '变电所',
		kind: 'danger',
		requiresPermit: false,
		permitKinds: [],
		neighbours: [],
		area: [fromLocal(ORIGIN, 0, 100), fromLocal(ORIGIN, 20, 100), fromLocal(ORIGIN, 20, 120)]
	});
	putPermit(world, {
		id: 'cs1',
		kind: 'confined_space',
		grade: 'single',
		zone: 'tank-1',
		people: [
			{ workerId: 'hv', role: 'operator' },
			{ workerId: 'rigger', role: 'guardian' }
		]
	});
	await approvePermit(world, 'cs1');
	world.push();
	// The gate let hv in an hour ago (this month's events document, as a gate would write it).
	const entry = { ...records.attendance('hv'), at: ENTERED };
	relay.server.relay.write(eventsDoc('S1', monthOf(new Date())), (d) => {
		d.getMap('attendance').set(entry.id, entry);
	});
});

afterEach(async () => {
	await relay.server.close();
});

async function pass(sub: string, extra: Record<string, unknown> = {}) {
	const t = token(relay.server, { sub, role: 'worker', sites: ['S1'], contractor: 'C1', ...extra });
	return fetch(`${relay.server.url}/api/worker/geofence`, {
		headers: { authorization: `Bearer ${t}` }
	});
}

describe('GET /api/worker/geofence', () => {
	it('hands the worker its zones, its own line of its permits and the gates’ last word', async () => {
		const res = await pass('hv');
		expect(res.status).toBe(200);
		expect(res.headers.get('cache-control')).toBe('no-store');
		const raw = await res.json();
		const p = parseGeofencePass(raw)!;
		expect(p).not.toBeNull();
		expect(p.worker).toEqual({ id: 'hv', contractorId: 'C1', name: '王电工' });
		expect(p.zones.map((z) => z.id).sort()).toEqual(['sub', 'tank-1']);
		expect(p.permits).toHaveLength(1);
		expect(p.permits[0]).toMatchObject({ id: 'cs1', role: 'operator', approval: 'approved' });
		expect(p.passage).toEqual({ direction: 'in', at: ENTERED });
		expect(p.pingRetentionDays).toBe(7);
		// Nobody else on the permit is named to this phone.
		expect(JSON.stringify(raw)).not.toMatch(/rigger|赵司索/);
	});

	it('judged on the phone: the permit covers its holder inside the zone until its end, and not after', async () => {
		const p = parseGeofencePass(await (await pass('hv')).json())!;
		const during = new Date(Date.parse(FROM) + 3_600_000);
		expect(checkFix(p, IN_ROOM, during).breaches).toEqual([]);
		expect(checkFix(p, IN_ROOM, during).covered.map((c) => c.permitId)).toEqual(['cs1']);
		const after = new Date(Date.parse(UNTIL));
		expect(checkFix(p, IN_ROOM, after).breaches.map((b) => [b.zone.id, b.reason])).toEqual([
			['tank-1', 'NO_PERMIT']
		]);
		expect(checkFix(p, OUTSIDE, after).breaches).toEqual([]);
		// Nobody may enter the substation, permit or not.
		const sub = fromLocal(ORIGIN, 12, 110);
		expect(checkFix(p, sub, during).breaches.map((b) => [b.zone.id, b.reason])).toEqual([
			['sub', 'NO_ENTRY']
		]);
	});

	it('a worker with no permit for the zone is in breach inside it; not on site, not tracked', async () => {
		const p = parseGeofencePass(await (await pass('driver')).json())!;
		expect(p.permits).toEqual([]);
		expect(p.passage).toBeNull();
		const during = new Date(Date.parse(FROM) + 3_600_000);
		expect(checkFix(p, IN_ROOM, during).breaches.map((b) => b.reason)).toEqual(['NO_PERMIT']);
		expect(shouldTrack(p, { granted: true, at: FROM }, during)).toEqual({
			track: false,
			why: 'NOT_ON_SITE'
		});
	});

	it('carries the worker’s latest location consent from the contractor document', async () => {
		const base = Date.now();
		const iso = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
		expect(parseGeofencePass(await (await pass('hv')).json())!.consent).toBeNull();
		const consent = (id: string, granted: boolean, at: string) => ({
			schema: 1,
			id,
			workerId: 'hv',
			purpose: 'location',
			granted,
			textShown: '同意在进场期间记录位置',
			textVersion: 'location-1',
			at,
			recordedBy: 'hv'
		});
		relay.server.relay.write('contractor:C1', (d) => {
			d.getMap('consents').set('k1', consent('k1', true, iso(-50)));
			d.getMap('consents').set('k2', consent('k2', false, iso(-40)));
		});
		const p = parseGeofencePass(await (await pass('hv')).json())!;
		expect(p.consent).toEqual({ granted: false, at: iso(-40), textVersion: 'location-1' });
		const now = new Date();
		expect(shouldTrack(p, null, now).why).toBe('NO_CONSENT');
		// The phone's own newer consent wins over the older withdrawal it has not synced yet.
		expect(shouldTrack(p, { granted: true, at: iso(-30) }, now).why).toBe('ON_SITE');
	});

	it('refuses anyone but a worker of the site, with a reason', async () => {
		const none = await fetch(`${relay.server.url}/api/worker/geofence`);
		expect(none.status).toBe(401);
		expect((await none.json()).error.message).toContain('worker token');
		const staff = token(relay.server, {
			sub: 'p1',
			role: 'staff',
			staffRole: 'safety',
			sites: ['S1']
		});
		const asStaff = await fetch(`${relay.server.url}/api/worker/geofence`, {
			headers: { authorization: `Bearer ${staff}` }
		});
		expect(asStaff.status).toBe(403);
		expect((await asStaff.json()).error.code).toBe('FORBIDDEN');
		const other = await pass('hv', { sites: ['S2'] });
		expect(other.status).toBe(403);
		const post = await fetch(`${relay.server.url}/api/worker/geofence`, { method: 'POST' });
		expect(post.status).toBe(405);
	});
});

describe('ping retention', () => {
	it('deletes pings older than the site’s retention from every events document, and no others', async () => {
		const now = Date.now();
		const ping = (workerId: string, daysAgo: number) => {
			const at = now - daysAgo * 86_400_000;
			return { ...records.ping(workerId), id: newUlid(at), at: new Date(at).toISOString() };
		};
		const old = [ping('hv', 8), ping('driver', 20)];
		const fresh = [ping('hv', 1), ping('driver', 6.5)];
		const name = eventsDoc('S1', '2026-11');
		relay.server.relay.write(name, (d) => {
			for (const p of [...old, ...fresh]) d.getMap('pings').set(p.id, p);
		});
		const deleted = relay.server.pingRetention.tick();
		expect(deleted.get(name)).toBe(2);
		const left = relay.server.relay.read(name, (d) => [...d.getMap('pings').keys()].sort());
		expect(left).toEqual(fresh.map((p) => p.id).sort());
		expect(relay.server.pingRetention.tick().size).toBe(0);

		// A site keeping them 30 days loses none of these.
		saveMapSettings(world.control, 'S1', world.staff[0]!.actor, {
			plan: null,
			tileUrl: null,
			centre: null,
			pingRetentionDays: 30
		});
		world.push();
		const again = ping('driver', 20);
		relay.server.relay.write(name, (d) => d.getMap('pings').set(again.id, again));
		expect(relay.server.pingRetention.tick().size).toBe(0);
	});
});

describe('the tile server in the content security policy', () => {
	it('lets the app load images from the site’s tile server once it is set, and no other', async () => {
		const csp = async () =>
			(await fetch(`${relay.server.url}/healthz`)).headers.get('content-security-policy')!;
		expect(await csp()).toContain("img-src 'self' data: blob:;");
		saveMapSettings(world.control, 'S1', world.staff[0]!.actor, {
			plan: null,
			tileUrl: 'https://tiles.site.local:8443/{z}/{x}/{y}.png',
			centre: null,
			pingRetentionDays: 7
		});
		world.push();
		const with_ = await csp();
		expect(with_).toContain("img-src 'self' data: blob: https://tiles.site.local:8443;");
		expect(with_).toContain("connect-src 'self' ws: wss: https://tiles.site.local:8443;");
		// A template that would smuggle a directive into the header is refused where it is written,
		// and one planted in the document by other means is not used.
		expect(() =>
			saveMapSettings(world.control, 'S1', world.staff[0]!.actor, {
				plan: null,
				tileUrl: 'https://x;sandbox/{z}/{x}/{y}',
				centre: null,
				pingRetentionDays: 7
			})
		).toThrow();
		relay.server.relay.write('site:S1:control', (d) =>
			d.getMap('settings').set('map', {
				schema: 1,
				plan: null,
				tileUrl: 'https://x;sandbox/{z}/{x}/{y}',
				centre: null,
				pingRetentionDays: 7,
				updatedAt: new Date().toISOString(),
				updatedBy: 'p0'
			})
		);
		const after = await csp();
		expect(after).not.toContain('sandbox');
		expect(after).toContain("img-src 'self' data: blob:;");
	});
});
