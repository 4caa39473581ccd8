// The site map (issue 10): the plan image and how it sits on the ground, an optional tile server,
// the ping retention; zones with an area as the geofence sees them; workers' last known positions.
//
// control.settings['map'] holds `MapSettings`; zones are control.zones (`SiteZone` with `area`);
// pings are events.pings (`LocationPing`, each worker's phone writes its own).
import * as v from 'valibot';
import type * as Y from 'yjs';
import {
	fitPlan,
	zoneAt,
	type ControlPoint,
	type GeoZone,
	type LatLng,
	type PlanFit,
	type PlanFitProblem
} from '../domain';
import { authorizeChange } from './access';
import { AccessError, putRecord, type Actor } from './commands';
import { controlDoc, parseDocName } from './documents';
import { LocationPing } from './events';
import { saveZone, SiteZone } from './permits';
import { defineRecord, isoTime, readRecord, text } from './records';

/** `http(s)://…{z}…{x}…{y}…`: a tile server's URL template (Leaflet's, OpenStreetMap's). */
export const TILE_URL_PATTERN = /^https?:\/\/[^\s]+\{z\}[^\s]*\{x\}[^\s]*\{y\}[^\s]*$/;

/** Characters that could end or extend a Content-Security-Policy source if they reached it. */
const CSP_UNSAFE = /[\s'";,*\\<>]/;
const HOST_LABEL = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;

/**
 * The CSP source a tile URL template needs (`https://tiles.example:8443`, or
 * `https://*.tile.example` for a `{s}` subdomain template), or null when the template is not a
 * plain http(s) URL with an ordinary host name — the relay puts this into every page's
 * Content-Security-Policy, so nothing but letters, digits, dots, dashes and a port may reach it.
 */
export function tileOrigin(template: string): string | null {
	if (template.length > 300 || CSP_UNSAFE.test(template)) return null;
	const m = /^(https?):\/\/([^/:?#]+)(?::(\d{1,5}))?(?:[/?#]|$)/i.exec(template);
	if (!m) return null;
	const scheme = m[1]!.toLowerCase();
	const labels = m[2]!.toLowerCase().split('.');
	const port = m[3] ? Number(m[3]) : null;
	if (port !== null && (port < 1 || port > 65_535)) return null;
	// `{s}` (Leaflet's subdomains a, b, c) may stand for the whole first label or part of it (t{s}).
	let wildcard = false;
	if (labels[0]!.includes('{s}')) {
		if (!HOST_LABEL.test(labels[0]!.replace('{s}', 'a'))) return null;
		wildcard = true;
		labels.shift();
	}
	if (labels.length === 0 || !labels.every((l) => HOST_LABEL.test(l))) return null;
	if (wildcard && labels.length < 2) return null;
	return `${scheme}://${wildcard ? '*.' : ''}${labels.join('.')}${port !== null ? `:${port}` : ''}`;
}

const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a sha-256 hash'));

/** Days a ping is kept when the site says nothing (whereabouts: shortest retention, 个保法). */
export const DEFAULT_PING_RETENTION_DAYS = 7;
export const MAX_PING_RETENTION_DAYS = 90;

const controlPoint = v.object({
	x: v.pipe(v.number(), v.minValue(0)),
	y: v.pipe(v.number(), v.minValue(0)),
	lat: v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
	lng: v.pipe(v.number(), v.minValue(-180), v.maxValue(180)),
	/** How the ground position was had: typed from a survey, or stood at with a phone's GPS. */
	source: v.optional(v.picklist(['typed', 'gps'])),
	accuracy: v.optional(v.nullable(v.number()))
});

/** control.settings['map'] */
export const MapSettings = defineRecord({
	name: 'MapSettings',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		/** The site's own plan (a blob), placed by control points; null before one is uploaded. */
		plan: v.nullable(
			v.object({
				blob: sha256,
				name: text(120),
				width: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20_000)),
				height: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20_000)),
				controlPoints: v.pipe(v.array(controlPoint), v.maxLength(12))
			})
		),
		/**
		 * An optional tile server (`https://…/{z}/{x}/{y}.png`, on the site's network or the
		 * internet); tiles the map loads are kept by the service worker for offline use.
		 */
		tileUrl: v.nullable(
			v.pipe(
				v.string(),
				v.maxLength(300),
				v.regex(TILE_URL_PATTERN, 'not a tile URL template'),
				v.check((u) => tileOrigin(u) !== null, 'not a plain http(s) host name')
			)
		),
		tileAttribution: v.optional(text(200)),
		/** Where the map opens when there is neither a plan nor a zone. */
		centre: v.nullable(v.tuple([v.number(), v.number()])),
		pingRetentionDays: v.pipe(
			v.number(),
			v.integer(),
			v.minValue(1),
			v.maxValue(MAX_PING_RETENTION_DAYS)
		),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type MapSettings = v.InferOutput<typeof MapSettings.validate>;

type SettingsSource = { getMap(name: 'settings'): Y.Map<unknown> } | Y.Doc;

export function mapSettings(control: SettingsSource): MapSettings | null {
	const read = readRecord(MapSettings, (control as Y.Doc).getMap('settings').get('map'));
	return read.ok ? read.record : null;
}

export function pingRetentionDays(control: SettingsSource): number {
	return mapSettings(control)?.pingRetentionDays ?? DEFAULT_PING_RETENTION_DAYS;
}

export function saveMapSettings(
	control: Y.Doc,
	siteId: string,
	actor: Actor,
	input: Omit<MapSettings, 'schema' | 'updatedAt' | 'updatedBy'>,
	at = new Date()
): MapSettings {
	return putRecord(control, controlDoc(siteId), actor, 'settings', 'map', MapSettings, {
		schema: 1,
		...input,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

/** How the plan sits on the ground, or why it cannot be placed yet. */
export function planFit(
	settings: MapSettings | null
): { ok: true; fit: PlanFit } | { ok: false; problem: PlanFitProblem | 'NO_PLAN' } {
	if (!settings?.plan) return { ok: false, problem: 'NO_PLAN' };
	return fitPlan(settings.plan.controlPoints as ControlPoint[]);
}

/** A zone record as the geofence and the map see it (only zones drawn on the map). */
export function asGeoZone(z: SiteZone): GeoZone | null {
	if (!z.area || z.area.length < 3) return null;
	return {
		id: z.id,
		name: z.name,
		kind: z.kind,
		area: z.area as LatLng[],
		requiresPermit: z.requiresPermit,
		permitKinds: z.permitKinds
	};
}

export function geoZones(control: Y.Doc): GeoZone[] {
	const out: GeoZone[] = [];
	for (const raw of control.getMap('zones').values()) {
		const read = readRecord(SiteZone, raw);
		if (!read.ok) continue;
		const g = asGeoZone(read.record);
		if (g) out.push(g);
	}
	return out.sort((a, b) => a.name.localeCompare(b.name, 'zh'));
}

/** Each worker's latest ping across the given events documents (oldest month first is fine). */
export function lastPings(docs: readonly Y.Doc[]): Map<string, LocationPing> {
	// Peek at each ping's worker to find their newest key, then validate only that one (a month of
	// pings is hundreds of thousands; the muster and the map need one per worker).
	const newest = new Map<string, [string, unknown]>();
	for (const doc of docs)
		for (const [key, raw] of doc.getMap('pings').entries()) {
			const w = (raw as { workerId?: unknown } | null)?.workerId;
			if (typeof w !== 'string') continue;
			const best = newest.get(w);
			if (!best || key > best[0]) newest.set(w, [key, raw]);
		}
	const last = new Map<string, LocationPing>();
	const slow = new Set<string>();
	for (const [w, [key, raw]] of newest) {
		const read = readRecord(LocationPing, raw);
		if (read.ok && read.record.id === key && read.record.workerId === w) last.set(w, read.record);
		else slow.add(w);
	}
	// A worker whose newest ping is unreadable: their newest readable one, the slow way.
	if (slow.size > 0)
		for (const doc of docs)
			for (const [key, raw] of doc.getMap('pings').entries()) {
				const w = (raw as { workerId?: unknown } | null)?.workerId;
				if (typeof w !== 'string' || !slow.has(w)) continue;
				const prev = last.get(w);
				if (prev && prev.id >= key) continue;
				const read = readRecord(LocationPing, raw);
				if (read.ok && read.record.id === key) last.set(w, read.record);
			}
	return last;
}

/** Where a ping puts a worker: the smallest zone containing it, any kind. */
export function zoneOfPing(
	ping: LocationPing | undefined,
	zones: readonly GeoZone[]
): GeoZone | null {
	if (!ping) return null;
	return zoneAt([ping.lat, ping.lng], zones);
}

/** Ping keys older than the retention (ULID keys sort by time; the record's `at` decides). */
export function expiredPings(doc: Y.Doc, retentionDays: number, now = new Date()): string[] {
	const cutoff = now.getTime() - retentionDays * 86_400_000;
	const out: string[] = [];
	for (const [key, raw] of doc.getMap('pings').entries()) {
		const at = Date.parse((raw as { at?: string })?.at ?? '');
		// An unreadable ping (no time) is kept no longer than a readable one: its key's time counts.
		if (!(at >= cutoff)) out.push(key);
	}
	return out;
}

/** Why a tile URL cannot be used (null: fine; an empty string means "no tiles"). */
export function tileUrlProblem(url: string): 'NOT_HTTP' | 'NO_PLACEHOLDERS' | 'TOO_LONG' | null {
	const u = url.trim();
	if (u === '') return null;
	if (u.length > 300) return 'TOO_LONG';
	if (!/^https?:\/\/[^\s]+$/.test(u)) return 'NOT_HTTP';
	if (!TILE_URL_PATTERN.test(u)) return 'NO_PLACEHOLDERS';
	if (tileOrigin(u) === null) return 'NOT_HTTP';
	return null;
}

/**
 * Folds added pings into each worker's latest one; returns the workers whose latest changed (so a
 * map moves those markers only). `keys` are the keys an update touched; all keys when omitted.
 */
export function foldPings(
	last: Map<string, LocationPing>,
	pings: Y.Map<unknown>,
	keys: Iterable<string> = pings.keys()
): Set<string> {
	const changed = new Set<string>();
	for (const key of keys) {
		const raw = pings.get(key) as { workerId?: string } | undefined;
		if (!raw) continue;
		const prev = last.get(raw.workerId ?? '');
		if (prev && prev.id >= key) continue;
		const read = readRecord(LocationPing, raw);
		if (!read.ok || read.record.id !== key) continue;
		last.set(read.record.workerId, read.record);
		changed.add(read.record.workerId);
	}
	return changed;
}

/** What refers to a zone: permits (any status: they are the site's record) and machines. */
export function zoneUse(
	control: Y.Doc,
	zoneId: string
): { permits: string[]; equipment: string[] } {
	const permits: string[] = [];
	for (const raw of control.getMap('permits').values()) {
		const p = raw as { zone?: unknown; number?: unknown; id?: unknown };
		if (p?.zone === zoneId) permits.push(String(p.number ?? p.id));
	}
	const equipment: string[] = [];
	for (const raw of control.getMap('equipment').values()) {
		const e = raw as { zone?: unknown; name?: unknown; id?: unknown };
		if (e?.zone === zoneId) equipment.push(String(e.name ?? e.id));
	}
	return { permits: permits.sort(), equipment: equipment.sort() };
}

export class ZoneInUse extends Error {
	readonly code = 'ZONE_IN_USE';
	constructor(readonly use: { permits: string[]; equipment: string[] }) {
		super(
			`the zone is named by ${use.permits.length} permit(s), ${use.equipment.length} machine(s)`
		);
	}
}

/**
 * Removes a zone. Refused (ZoneInUse) while a permit or a machine names it: a permit's record must
 * keep saying where the work was, and a machine's interlock where it stands.
 */
export function deleteZone(control: Y.Doc, siteId: string, actor: Actor, zoneId: string): boolean {
	const map = control.getMap('zones');
	if (!map.has(zoneId)) return false;
	const use = zoneUse(control, zoneId);
	if (use.permits.length || use.equipment.length) throw new ZoneInUse(use);
	const ref = parseDocName(controlDoc(siteId))!;
	const refusal = authorizeChange(
		actor.claims,
		ref,
		{ map: 'zones', key: zoneId, action: 'delete' },
		actor.org
	);
	if (refusal) throw new AccessError(refusal);
	control.transact(() => {
		map.delete(zoneId);
		// Neighbour lists drop it, so no clash check looks for a zone that is gone.
		for (const raw of [...map.values()]) {
			const read = readRecord(SiteZone, raw);
			if (!read.ok || !read.record.neighbours.includes(zoneId)) continue;
			const { schema: _s, siteId: _site, updatedAt: _u, updatedBy: _b, ...rest } = read.record;
			saveZone(control, siteId, actor, {
				...rest,
				neighbours: rest.neighbours.filter((n) => n !== zoneId)
			});
		}
	});
	return true;
}
