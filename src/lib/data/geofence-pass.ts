// A worker's phone guards them against danger zones with no network (issue 10). It cannot read the
// site's documents (they hold everyone's records), so the relay hands it a *pass*: the site's zones
// on the map, the permits that name this worker (only their own line), whether the gates have them
// on site, and the ping retention. The phone keeps the last pass and judges every position fix
// against it with the domain's `geofence` — the same `permitAccess` a door into the zone applies —
// working out each permit's status at the moment of the fix, so a permit that ends while the phone
// is offline stops covering at its end time.
import * as v from 'valibot';
import {
	distanceToPolygonM,
	geofence,
	MAP_ZONE_KINDS,
	permitStatus,
	type GeofenceBreach,
	type GeofenceResult,
	type GeoZone,
	type LatLng,
	type PermitCalendar,
	type PermitOnRecord
} from '../domain';
import type { PermitView } from './permits';
import { id, isoTime, text } from './records';

export const GEOFENCE_PASS_VERSION = 1;
/** A pass older than this no longer says the worker is on site (a shift, with margin). */
export const PASS_PRESENCE_TTL_MS = 16 * 3_600_000;

const latLng = v.tuple([
	v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
	v.pipe(v.number(), v.minValue(-180), v.maxValue(180))
]);

const PassZone = v.object({
	id,
	name: text(64),
	kind: v.picklist(MAP_ZONE_KINDS),
	area: v.pipe(v.array(latLng), v.minLength(3), v.maxLength(200)),
	requiresPermit: v.boolean(),
	permitKinds: v.array(text(40))
});

const PassPermit = v.object({
	id,
	number: text(64),
	kind: text(40),
	grade: text(40),
	effectiveGrade: v.optional(v.nullable(text(40))),
	zone: id,
	validFrom: isoTime,
	validUntil: isoTime,
	lifecycle: v.picklist(['draft', 'submitted', 'cancelled']),
	approval: v.picklist(['pending', 'approved', 'rejected', 'returned', 'none']),
	actions: v.array(
		v.object({
			action: v.picklist(['suspend', 'resume', 'extend', 'close']),
			at: isoTime,
			until: v.optional(isoTime)
		})
	),
	/** This worker's line only: the phone never learns who else is on the permit. */
	role: text(40)
});

export const GeofencePass = v.object({
	version: v.literal(GEOFENCE_PASS_VERSION),
	issuedAt: isoTime,
	site: v.object({ id, name: text(100), timeZone: text(64) }),
	worker: v.object({ id, contractorId: id, name: v.nullable(text(50)) }),
	zones: v.array(PassZone),
	permits: v.array(PassPermit),
	calendar: v.object({
		timeZone: text(64),
		holidays: v.array(v.string()),
		weekendsAreHolidays: v.boolean()
	}),
	/** The worker's latest admitted passage at this site's gates. */
	passage: v.nullable(v.object({ direction: v.picklist(['in', 'out']), at: isoTime })),
	/** The worker's latest location consent (单独同意), as recorded in their contractor's document. */
	consent: v.nullable(v.object({ granted: v.boolean(), at: isoTime, textVersion: text(40) })),
	pingRetentionDays: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(90))
});
export type GeofencePass = v.InferOutput<typeof GeofencePass>;
export type PassPermit = GeofencePass['permits'][number];

export function parseGeofencePass(raw: unknown): GeofencePass | null {
	const r = v.safeParse(GeofencePass, raw);
	return r.success ? r.output : null;
}

/** The relay's side: the pass from what it holds (permit views of permits naming the worker). */
export function buildGeofencePass(input: {
	site: { id: string; name: string; timeZone: string };
	worker: { id: string; contractorId: string; name: string | null };
	zones: readonly GeoZone[];
	permits: readonly PermitView[];
	calendar: PermitCalendar;
	passage: { direction: 'in' | 'out'; at: string } | null;
	consent: GeofencePass['consent'];
	pingRetentionDays: number;
	now: Date;
}): GeofencePass {
	const permits: PassPermit[] = [];
	for (const view of input.permits) {
		const p = view.permit;
		const mine = p.people.find(
			(x) => x.workerId === input.worker.id && x.contractorId === input.worker.contractorId
		);
		if (!mine) continue;
		const a = view.approval.status;
		permits.push({
			id: p.id,
			number: p.number,
			kind: p.kind,
			grade: p.grade,
			effectiveGrade: p.effectiveGrade ?? null,
			zone: p.zone,
			validFrom: p.validFrom,
			validUntil: p.validUntil,
			lifecycle: p.lifecycle,
			approval:
				a === 'approved' || a === 'pending' || a === 'rejected' || a === 'returned' ? a : 'none',
			actions: view.actions.map((x) => ({
				action: x.action,
				at: x.at,
				...(x.until ? { until: x.until } : {})
			})),
			role: mine.role
		});
	}
	return {
		version: GEOFENCE_PASS_VERSION,
		issuedAt: input.now.toISOString(),
		site: input.site,
		worker: input.worker,
		zones: input.zones.map((z) => ({
			id: z.id,
			name: z.name,
			kind: z.kind,
			area: z.area.map(([lat, lng]) => [lat, lng] as [number, number]),
			requiresPermit: z.requiresPermit,
			permitKinds: [...z.permitKinds]
		})),
		permits,
		calendar: {
			timeZone: input.calendar.timeZone,
			holidays: [...(input.calendar.holidays ?? [])],
			weekendsAreHolidays: input.calendar.weekendsAreHolidays ?? true
		},
		passage: input.passage,
		consent: input.consent,
		pingRetentionDays: input.pingRetentionDays
	};
}

/** The worker's permits as they stand at `at`, worked out on the phone. */
export function passPermitsAt(pass: GeofencePass, at: Date): PermitOnRecord[] {
	return pass.permits.map((p) => {
		const t = permitStatus(p, p.approval, p.actions, at, pass.calendar);
		return {
			id: p.id,
			kind: p.kind,
			zone: p.zone,
			status: t.status,
			until: t.until,
			people: [{ workerId: pass.worker.id, contractorId: pass.worker.contractorId, role: p.role }]
		};
	});
}

export function passZones(pass: GeofencePass): GeoZone[] {
	return pass.zones.map((z) => ({ ...z, area: z.area as LatLng[] }));
}

/**
 * Whether the phone should be tracking: consent given, and the gates' last word is that the worker
 * came in (not out), recently enough to still be this shift.
 */
export function shouldTrack(
	pass: GeofencePass | null,
	localConsent: { granted: boolean; at: string } | null,
	now: Date
): { track: boolean; why: 'NO_PASS' | 'NO_CONSENT' | 'NOT_ON_SITE' | 'STALE' | 'ON_SITE' } {
	if (!pass) return { track: false, why: 'NO_PASS' };
	// The newer of the phone's own record and the contractor document's decides.
	const consent =
		localConsent && (!pass.consent || localConsent.at >= pass.consent.at)
			? localConsent
			: pass.consent;
	if (!consent?.granted) return { track: false, why: 'NO_CONSENT' };
	if (pass.passage?.direction !== 'in') return { track: false, why: 'NOT_ON_SITE' };
	if (now.getTime() - Date.parse(pass.passage.at) > PASS_PRESENCE_TTL_MS)
		return { track: false, why: 'STALE' };
	return { track: true, why: 'ON_SITE' };
}

export function checkFix(pass: GeofencePass, point: LatLng, at: Date): GeofenceResult {
	return geofence(
		point,
		passZones(pass),
		{ workerId: pass.worker.id, contractorId: pass.worker.contractorId },
		passPermitsAt(pass, at)
	);
}

/**
 * The alarm's memory between fixes: a breach alarms once when the worker walks in, and again only
 * after they have been seen outside the zone (by more than the fix's accuracy, up to 10 m, so GPS
 * jitter on the boundary does not ring it twenty times).
 */
export class GeofenceAlarm {
	/** Zones currently in breach (alarmed), by id. */
	#inside = new Map<string, GeofenceBreach>();

	/** Breaches new with this fix (to alarm and report), and those still ongoing. */
	update(
		result: GeofenceResult,
		point: LatLng,
		accuracy: number | null
	): { raised: GeofenceBreach[]; ongoing: GeofenceBreach[] } {
		const raised: GeofenceBreach[] = [];
		const now = new Map(result.breaches.map((b) => [b.zone.id, b]));
		for (const [zoneId, b] of now) if (!this.#inside.has(zoneId)) raised.push(b);
		const margin = Math.min(10, Math.max(2, accuracy ?? 5));
		for (const [zoneId, b] of this.#inside) {
			if (now.has(zoneId)) continue;
			// Not in breach now: inside means a permit covers them now; outside, re-arm only when
			// clearly out, else it is boundary jitter and the warning stays.
			const d = distanceToPolygonM(point, b.zone.area);
			if (d === 0 || d > margin) this.#inside.delete(zoneId);
		}
		for (const b of raised) this.#inside.set(b.zone.id, b);
		return { raised, ongoing: [...this.#inside.values()] };
	}

	get active(): GeofenceBreach[] {
		return [...this.#inside.values()];
	}

	reset(): void {
		this.#inside.clear();
	}
}
