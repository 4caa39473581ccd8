// The site map's records: settings a staff laptop saves (a bad tile URL or retention is refused),
// each worker's latest ping (whole documents and one update at a time), expired pings, and zone
// removal refused while a permit or a machine names the zone.
import { describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import * as Y from 'yjs';
import { fromLocal, type LatLng } from '../domain';
import type { Claims, OrgView } from './access';
import { AccessError, type Actor } from './commands';
import { saveZone } from './permits';
import { RecordError } from './records';
import {
	DEFAULT_PING_RETENTION_DAYS,
	deleteZone,
	expiredPings,
	foldPings,
	geoZones,
	lastPings,
	mapSettings,
	pingRetentionDays,
	planFit,
	saveMapSettings,
	tileOrigin,
	tileUrlProblem,
	ZoneInUse,
	type MapSettings
} from './sitemap';

const orgView: OrgView = { contractorSites: () => ['S1'] };
const claims = (over: Partial<Claims> = {}): Claims => ({
	iss: 'org1',
	sub: 'lead1',
	role: 'staff',
	staffRole: 'project_lead',
	sites: ['S1'],
	jti: 'j1',
	iat: 0,
	exp: 9e9,
	...over
});
const staff: Actor = { claims: claims(), org: orgView };
const HASH = 'a'.repeat(64);
const O: LatLng = [31.2304, 121.4737];
const at = (e: number, n: number) => fromLocal(O, e, n);

const input = (
	over: Partial<Omit<MapSettings, 'schema' | 'updatedAt' | 'updatedBy'>> = {}
): Omit<MapSettings, 'schema' | 'updatedAt' | 'updatedBy'> => ({
	plan: {
		blob: HASH,
		name: '总平面图.png',
		width: 2000,
		height: 1400,
		controlPoints: [
			{ x: 100, y: 100, lat: at(0, 0)[0], lng: at(0, 0)[1], source: 'typed' },
			{ x: 1900, y: 100, lat: at(90, 0)[0], lng: at(90, 0)[1], source: 'gps', accuracy: 4 }
		]
	},
	tileUrl: null,
	centre: null,
	pingRetentionDays: 7,
	...over
});

describe('map settings', () => {
	it('are saved by site staff, read back, and place the plan', () => {
		const control = new Y.Doc();
		expect(mapSettings(control)).toBeNull();
		expect(pingRetentionDays(control)).toBe(DEFAULT_PING_RETENTION_DAYS);
		expect(planFit(null)).toEqual({ ok: false, problem: 'NO_PLAN' });
		saveMapSettings(
			control,
			'S1',
			staff,
			input({ tileUrl: 'https://tiles.site.lan/{z}/{x}/{y}.png' })
		);
		const saved = mapSettings(control)!;
		expect(saved.updatedBy).toBe('lead1');
		expect(saved.tileUrl).toBe('https://tiles.site.lan/{z}/{x}/{y}.png');
		expect(pingRetentionDays(control)).toBe(7);
		const fit = planFit(saved);
		expect(fit.ok && fit.fit.metresPerPixel).toBeCloseTo(0.05, 4);
	});

	it('refuse a tile URL that is not a template, and say why before saving', () => {
		const control = new Y.Doc();
		for (const tileUrl of [
			'tiles.site.lan/{z}/{x}/{y}.png',
			'https://tiles.site.lan/tile.png',
			'javascript:alert(1)//{z}{x}{y}',
			'https://tiles.site.lan/{x}/{y}/{z}.png'
		]) {
			expect(() => saveMapSettings(control, 'S1', staff, input({ tileUrl }))).toThrow(RecordError);
			expect(tileUrlProblem(tileUrl)).not.toBeNull();
		}
		expect(mapSettings(control)).toBeNull();
		expect(tileUrlProblem('')).toBeNull();
		expect(tileUrlProblem('ftp://x/{z}/{x}/{y}')).toBe('NOT_HTTP');
		expect(tileUrlProblem('http://10.0.0.5:8080/{z}/{x}/{y}.webp')).toBeNull();
		expect(tileUrlProblem('http://10.0.0.5/tiles')).toBe('NO_PLACEHOLDERS');
	});

	it('refuse a retention outside 1–90 days, bad control points and a plan that is not a blob', () => {
		const control = new Y.Doc();
		for (const bad of [
			input({ pingRetentionDays: 0 }),
			input({ pingRetentionDays: 91 }),
			input({ pingRetentionDays: 2.5 }),
			input({ plan: { ...input().plan!, blob: 'not-a-hash' } }),
			input({
				plan: { ...input().plan!, controlPoints: [{ x: -1, y: 0, lat: 0, lng: 0 }] }
			}),
			input({ plan: { ...input().plan!, controlPoints: [{ x: 1, y: 0, lat: 100, lng: 0 }] } })
		]) {
			expect(() => saveMapSettings(control, 'S1', staff, bad)).toThrow(RecordError);
		}
		expect(mapSettings(control)).toBeNull();
	});

	it('are refused to staff of another site and to a contractor', () => {
		const control = new Y.Doc();
		for (const c of [claims({ sites: ['S2'] }), claims({ role: 'contractor', contractor: 'C1' })]) {
			expect(() => saveMapSettings(control, 'S1', { claims: c, org: orgView }, input())).toThrow(
				AccessError
			);
		}
	});
});

describe('pings', () => {
	const ping = (workerId: string, t: number, e = 0) => {
		const id = ulid(t);
		const [lat, lng] = at(e, 0);
		return { schema: 1, id, workerId, at: new Date(t).toISOString(), lat, lng, accuracy: 5 };
	};
	const T = Date.parse('2026-12-02T02:00:00.000Z');

	it('lastPings keeps each worker’s newest, across months, whatever the insertion order', () => {
		const nov = new Y.Doc();
		const dec = new Y.Doc();
		const a1 = ping('w1', T - 86_400_000 * 3, 1);
		const a2 = ping('w1', T, 2);
		const a3 = ping('w1', T - 60_000, 3);
		const b1 = ping('w2', T - 86_400_000 * 3, 4);
		nov.getMap('pings').set(a1.id, a1);
		nov.getMap('pings').set(b1.id, b1);
		dec.getMap('pings').set(a2.id, a2);
		dec.getMap('pings').set(a3.id, a3);
		// Garbage and a ping filed under another key are skipped.
		dec.getMap('pings').set(ulid(T + 1000), { schema: 1, workerId: 'w2', at: 'never' });
		const forged = ping('w2', T + 2000);
		dec.getMap('pings').set(ulid(T + 3000), forged);
		const last = lastPings([nov, dec]);
		expect(last.get('w1')?.id).toBe(a2.id);
		expect(last.get('w2')?.id).toBe(b1.id);
		expect([...last.keys()].sort()).toEqual(['w1', 'w2']);
	});

	it('foldPings moves only the workers an update changed', () => {
		const doc = new Y.Doc();
		const pings = doc.getMap('pings');
		const first = [ping('w1', T, 1), ping('w2', T, 2)];
		for (const p of first) pings.set(p.id, p);
		const last = new Map();
		expect([...foldPings(last, pings)].sort()).toEqual(['w1', 'w2']);
		const newer = ping('w1', T + 5000, 9);
		const older = ping('w2', T - 5000, 9);
		pings.set(newer.id, newer);
		pings.set(older.id, older);
		expect([...foldPings(last, pings, [newer.id, older.id])]).toEqual(['w1']);
		expect(last.get('w1').lng).toBe(newer.lng);
		expect(last.get('w2').id).toBe(first[1]!.id);
	});

	it('expiredPings lists pings older than the retention, and pings without a readable time', () => {
		const doc = new Y.Doc();
		const now = new Date(T);
		const fresh = ping('w1', T - 86_400_000 * 6);
		const old = ping('w1', T - 86_400_000 * 8);
		const broken = { ...ping('w2', T), at: 'yesterday' };
		for (const p of [fresh, old, broken]) doc.getMap('pings').set(p.id, p);
		expect(expiredPings(doc, 7, now).sort()).toEqual([old.id, broken.id].sort());
		expect(expiredPings(doc, 1, now).sort()).toEqual([fresh.id, old.id, broken.id].sort());
	});
});

describe('zones on the map', () => {
	const area = [at(0, 0), at(20, 0), at(20, 20), at(0, 20)] as [number, number][];

	it('geoZones lists only zones with an area', () => {
		const control = new Y.Doc();
		saveZone(control, 'S1', staff, {
			id: 'pit',
			name: '基坑',
			kind: 'danger',
			requiresPermit: false,
			permitKinds: [],
			neighbours: [],
			area
		});
		saveZone(control, 'S1', staff, {
			id: 'office',
			name: '办公区',
			kind: 'work',
			requiresPermit: false,
			permitKinds: [],
			neighbours: []
		});
		expect(geoZones(control).map((z) => z.id)).toEqual(['pit']);
	});

	it('deleteZone is refused while a permit or a machine names the zone; neighbours drop it', () => {
		const control = new Y.Doc();
		const zone = (id: string, neighbours: string[] = []) =>
			saveZone(control, 'S1', staff, {
				id,
				name: id,
				kind: 'danger',
				requiresPermit: false,
				permitKinds: [],
				neighbours,
				area
			});
		zone('pit');
		zone('tank', ['pit']);
		control.getMap('permits').set('P1', { id: 'P1', number: 'DH-20261202-0001', zone: 'tank' });
		control.getMap('equipment').set('E1', { id: 'E1', name: '塔吊1号', zone: 'tank' });
		try {
			deleteZone(control, 'S1', staff, 'tank');
			expect.unreachable();
		} catch (err) {
			expect(err).toBeInstanceOf(ZoneInUse);
			expect((err as ZoneInUse).use).toEqual({
				permits: ['DH-20261202-0001'],
				equipment: ['塔吊1号']
			});
		}
		expect(control.getMap('zones').has('tank')).toBe(true);
		expect(() =>
			deleteZone(control, 'S1', { claims: claims({ sites: ['S2'] }), org: orgView }, 'pit')
		).toThrow(AccessError);
		expect(deleteZone(control, 'S1', staff, 'pit')).toBe(true);
		expect(control.getMap('zones').has('pit')).toBe(false);
		expect((control.getMap('zones').get('tank') as { neighbours: string[] }).neighbours).toEqual(
			[]
		);
		expect(deleteZone(control, 'S1', staff, 'pit')).toBe(false);
	});
});

describe('tileOrigin: what a tile URL may add to the Content-Security-Policy', () => {
	it('is the plain origin, with a wildcard only for a {s} subdomain', () => {
		expect(tileOrigin('https://tiles.site.local:8443/{z}/{x}/{y}.png')).toBe(
			'https://tiles.site.local:8443'
		);
		expect(tileOrigin('http://10.0.0.5/{z}/{x}/{y}.png')).toBe('http://10.0.0.5');
		expect(tileOrigin('https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png')).toBe(
			'https://*.tile.openstreetmap.org'
		);
		expect(tileOrigin('https://t{s}.tianditu.gov.cn/img_w/wmts?x={x}&y={y}&l={z}')).toBe(
			'https://*.tianditu.gov.cn'
		);
	});
	it('refuses anything that could end or widen a CSP source', () => {
		for (const bad of [
			'https://x;sandbox/{z}/{x}/{y}',
			'https://x,y/{z}/{x}/{y}',
			'https://*/{z}/{x}/{y}',
			"https://a'b/{z}/{x}/{y}",
			'https://a b/{z}/{x}/{y}',
			'https://{s}.com/{z}/{x}/{y}',
			'https://user:pw@host/{z}/{x}/{y}',
			'javascript://x/{z}/{x}/{y}',
			'https://x:99999/{z}/{x}/{y}'
		]) {
			expect(tileOrigin(bad), bad).toBeNull();
			expect(tileUrlProblem(bad), bad).not.toBeNull();
		}
	});
});
