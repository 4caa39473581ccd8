// Site geometry on the ground: zones drawn on the map as WGS-84 polygons (what a phone's
// Geolocation API reports), the site plan placed by control points, and the geofence rule a
// worker's phone applies offline. Pure: no DOM, no I/O.
//
// Distances use a local equirectangular projection around the first vertex or point: within a
// site (a few kilometres) its error is far below a phone's GPS accuracy.
import { permitAccess, type PermitOnRecord } from './permits';

/** [latitude, longitude] in degrees, WGS-84. */
export type LatLng = readonly [number, number];

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Metres east and north of `origin`. */
export function toLocal(origin: LatLng, p: LatLng): [number, number] {
	const k = Math.cos(origin[0] * RAD);
	return [(p[1] - origin[1]) * RAD * EARTH_RADIUS_M * k, (p[0] - origin[0]) * RAD * EARTH_RADIUS_M];
}

/** The point `east`, `north` metres from `origin`. */
export function fromLocal(origin: LatLng, east: number, north: number): [number, number] {
	const k = Math.cos(origin[0] * RAD);
	return [origin[0] + north / EARTH_RADIUS_M / RAD, origin[1] + east / (EARTH_RADIUS_M * k) / RAD];
}

export function distanceM(a: LatLng, b: LatLng): number {
	const [e, n] = toLocal(a, b);
	return Math.hypot(e, n);
}

export function validLatLng(p: readonly unknown[]): p is LatLng {
	const [lat, lng] = p as [unknown, unknown];
	return (
		p.length === 2 &&
		typeof lat === 'number' &&
		typeof lng === 'number' &&
		Number.isFinite(lat) &&
		Number.isFinite(lng) &&
		Math.abs(lat) <= 90 &&
		Math.abs(lng) <= 180
	);
}

/** Ray casting in the local plane; points on an edge count as inside. */
export function insidePolygon(p: LatLng, polygon: readonly LatLng[]): boolean {
	if (polygon.length < 3) return false;
	const origin = polygon[0]!;
	const [x, y] = toLocal(origin, p);
	let inside = false;
	for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
		const [xi, yi] = toLocal(origin, polygon[i]!);
		const [xj, yj] = toLocal(origin, polygon[j]!);
		if (segmentDistance(x, y, xi, yi, xj, yj) < 1e-6) return true;
		if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
	}
	return inside;
}

function segmentDistance(
	x: number,
	y: number,
	x1: number,
	y1: number,
	x2: number,
	y2: number
): number {
	const dx = x2 - x1;
	const dy = y2 - y1;
	const len = dx * dx + dy * dy;
	const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / len));
	return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
}

/** Metres from `p` to the polygon's boundary; 0 inside. */
export function distanceToPolygonM(p: LatLng, polygon: readonly LatLng[]): number {
	if (polygon.length === 0) return Infinity;
	if (insidePolygon(p, polygon)) return 0;
	const [x, y] = toLocal(p, p);
	let best = Infinity;
	for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
		const [xi, yi] = toLocal(p, polygon[i]!);
		const [xj, yj] = toLocal(p, polygon[j]!);
		best = Math.min(best, segmentDistance(x, y, xi, yi, xj, yj));
	}
	return best;
}

/** Square metres (shoelace in the local plane). */
export function polygonAreaM2(polygon: readonly LatLng[]): number {
	if (polygon.length < 3) return 0;
	const origin = polygon[0]!;
	let sum = 0;
	for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
		const [xi, yi] = toLocal(origin, polygon[i]!);
		const [xj, yj] = toLocal(origin, polygon[j]!);
		sum += xj * yi - xi * yj;
	}
	return Math.abs(sum) / 2;
}

export const MAX_AREA_POINTS = 200;
/** Smaller than this is a slip of the mouse, not a zone. */
export const MIN_AREA_M2 = 4;

export type AreaProblem = 'TOO_FEW_POINTS' | 'TOO_MANY_POINTS' | 'BAD_POINT' | 'TOO_SMALL';

export function areaProblem(polygon: readonly (readonly number[])[]): AreaProblem | null {
	if (polygon.length < 3) return 'TOO_FEW_POINTS';
	if (polygon.length > MAX_AREA_POINTS) return 'TOO_MANY_POINTS';
	if (!polygon.every((p) => validLatLng(p))) return 'BAD_POINT';
	if (polygonAreaM2(polygon as LatLng[]) < MIN_AREA_M2) return 'TOO_SMALL';
	return null;
}

// ——— The site plan: an image placed on the ground by control points ———

/** A point on the plan image (pixels, y down) and where it is on the ground. */
export interface ControlPoint {
	x: number;
	y: number;
	lat: number;
	lng: number;
}

export interface PlanFit {
	/** Plan pixel → ground. */
	toGeo(x: number, y: number): [number, number];
	/** Ground → plan pixel. */
	toPlan(p: LatLng): [number, number];
	/** Largest distance between a control point and where the fit puts it, metres. */
	residualM: number;
	/** Metres per plan pixel (geometric mean of the two axes). */
	metresPerPixel: number;
}

export type PlanFitProblem =
	'TOO_FEW_POINTS' | 'POINTS_TOO_CLOSE' | 'COLLINEAR' | 'MIRRORED' | 'BAD_POINT';

/**
 * Fits the plan to the ground. Two or three points: a similarity (shift, turn, one scale) by least
 * squares — enough for a plan drawn to scale, and with three the residual shows how well they
 * agree. Four or more: a least-squares affine, which also absorbs a plan whose axes were scaled
 * differently, refused when the points lie nearly on one line. A mirrored fit is refused.
 */
export function fitPlan(
	points: readonly ControlPoint[]
): { ok: true; fit: PlanFit } | { ok: false; problem: PlanFitProblem } {
	if (points.length < 2) return { ok: false, problem: 'TOO_FEW_POINTS' };
	if (
		!points.every(
			(p) => validLatLng([p.lat, p.lng]) && Number.isFinite(p.x) && Number.isFinite(p.y)
		)
	)
		return { ok: false, problem: 'BAD_POINT' };
	const origin: LatLng = [points[0]!.lat, points[0]!.lng];
	// Plan (x right, y down) → (u, v) with v up, so no reflection is needed.
	const src = points.map((p) => [p.x, -p.y] as [number, number]);
	const dst = points.map((p) => toLocal(origin, [p.lat, p.lng]));
	// [e, n] = A·[u, v] + t
	let a: number, b: number, c: number, d: number;
	const n = points.length;
	const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / n;
	const [mu, mv] = [mean(src.map((p) => p[0])), mean(src.map((p) => p[1]))];
	const [me, mn] = [mean(dst.map((p) => p[0])), mean(dst.map((p) => p[1]))];
	const cs = src.map(([u, v]) => [u - mu, v - mv] as const);
	const cd = dst.map(([e, nn]) => [e - me, nn - mn] as const);
	const spread = cs.reduce((x, [u, v]) => x + u * u + v * v, 0);
	const groundSpread = cd.reduce((x, [e, nn]) => x + e * e + nn * nn, 0);
	if (spread < 1 || groundSpread < 0.25) return { ok: false, problem: 'POINTS_TOO_CLOSE' };
	if (n === 3) {
		// Three points turn the same way on the plan and on the ground, or the plan is mirrored.
		const cross = (p: readonly (readonly [number, number])[]) =>
			(p[1]![0] - p[0]![0]) * (p[2]![1] - p[0]![1]) - (p[1]![1] - p[0]![1]) * (p[2]![0] - p[0]![0]);
		const onPlan = cross(src);
		const onGround = cross(dst);
		const flat = (x: number, s2: number) => Math.abs(x) < 0.01 * s2;
		if (!flat(onPlan, spread) && !flat(onGround, groundSpread) && onPlan * onGround < 0)
			return { ok: false, problem: 'MIRRORED' };
	}
	if (n < 4) {
		// Two or three points: a similarity by least squares (exact for two). Three points would fit
		// any affine exactly and show no error; as a similarity the third checks the other two.
		let sa = 0;
		let sc = 0;
		for (let i = 0; i < n; i++) {
			const [u, v] = cs[i]!;
			const [e, nn] = cd[i]!;
			sa += u * e + v * nn;
			sc += u * nn - v * e;
		}
		a = sa / spread;
		c = sc / spread;
		b = -c;
		d = a;
	} else {
		// Four or more: a least-squares affine (a plan scaled differently along its axes), refused
		// when the points lie nearly on a line (the fit would swing wildly off it).
		let suu = 0;
		let suv = 0;
		let svv = 0;
		for (const [u, v] of cs) {
			suu += u * u;
			suv += u * v;
			svv += v * v;
		}
		const tr = suu + svv;
		const disc = Math.sqrt(Math.max(0, ((suu - svv) / 2) ** 2 + suv * suv));
		const small = tr / 2 - disc;
		const large = tr / 2 + disc;
		if (small / large < 1e-3) return { ok: false, problem: 'COLLINEAR' };
		const det2 = suu * svv - suv * suv;
		let seu = 0;
		let sev = 0;
		let snu = 0;
		let snv = 0;
		for (let i = 0; i < n; i++) {
			const [u, v] = cs[i]!;
			const [e, nn] = cd[i]!;
			seu += e * u;
			sev += e * v;
			snu += nn * u;
			snv += nn * v;
		}
		a = (seu * svv - sev * suv) / det2;
		b = (sev * suu - seu * suv) / det2;
		c = (snu * svv - snv * suv) / det2;
		d = (snv * suu - snu * suv) / det2;
	}
	const tx = me - (a * mu + b * mv);
	const ty = mn - (c * mu + d * mv);
	const det = a * d - b * c;
	if (Math.abs(det) < 1e-12) return { ok: false, problem: 'COLLINEAR' };
	// A plan is never a mirror image of the ground: points entered in the wrong order would be.
	if (det < 0) return { ok: false, problem: 'MIRRORED' };
	const toGeo = (x: number, y: number): [number, number] => {
		const u = x;
		const v = -y;
		return fromLocal(origin, a * u + b * v + tx, c * u + d * v + ty);
	};
	const toPlan = (p: LatLng): [number, number] => {
		const [e, n] = toLocal(origin, p);
		const de = e - tx;
		const dn = n - ty;
		const u = (d * de - b * dn) / det;
		const v = (-c * de + a * dn) / det;
		return [u, -v];
	};
	let residualM = 0;
	for (const p of points)
		residualM = Math.max(residualM, distanceM([p.lat, p.lng], toGeo(p.x, p.y)));
	return {
		ok: true,
		fit: { toGeo, toPlan, residualM, metresPerPixel: Math.sqrt(Math.abs(det)) }
	};
}

// ——— Zones on the ground and the geofence rule ———

export const MAP_ZONE_KINDS = [
	'danger',
	'restricted',
	'work',
	'hardhat',
	'muster',
	'gate'
] as const;
export type MapZoneKind = (typeof MAP_ZONE_KINDS)[number];

/** What the geofence needs of a zone (control.zones with an `area`). */
export interface GeoZone {
	id: string;
	name: string;
	kind: MapZoneKind;
	area: readonly LatLng[];
	/** Danger and restricted zones: false = nobody may enter; true = only on a matching permit. */
	requiresPermit: boolean;
	permitKinds: readonly string[];
}

/** Zones a phone alarms on: the rest (work, hard-hat, muster, gate) are for the map. */
export function guardsEntry(zone: Pick<GeoZone, 'kind'>): boolean {
	return zone.kind === 'danger' || zone.kind === 'restricted';
}

/**
 * Who may enter a zone — one rule for its doors (`/api/v1/authorize`) and for workers' phones:
 * a danger or restricted zone admits nobody, or only permit holders; any other zone is open,
 * unless it says it needs a permit.
 */
export function zoneEntryRule(
	zone: Pick<GeoZone, 'kind' | 'requiresPermit'>
): 'open' | 'permit' | 'nobody' {
	if (zone.requiresPermit) return 'permit';
	return guardsEntry(zone) ? 'nobody' : 'open';
}

export type GeofenceReason = 'NO_ENTRY' | 'NO_PERMIT' | 'PERMIT_ROLE_MISMATCH';

export interface GeofenceBreach {
	zone: GeoZone;
	reason: GeofenceReason;
}

export interface GeofenceResult {
	/** Every zone the point is in (smallest first: the most specific place). */
	inside: GeoZone[];
	/** Guarded zones the worker may not be in now. */
	breaches: GeofenceBreach[];
	/** Guarded zones the worker is in on a covering permit. */
	covered: { zone: GeoZone; permitId: string }[];
	/** Metres to the nearest guarded zone the worker may not enter (0 inside one). */
	nearestForbiddenM: number;
}

/**
 * The geofence rule: inside a danger or restricted zone, a worker is in breach unless the zone
 * admits permit holders and `permitAccess` finds an active permit for this zone naming them —
 * the same rule a door into the zone applies.
 */
export function geofence(
	point: LatLng,
	zones: readonly GeoZone[],
	worker: { workerId: string; contractorId: string },
	permits: readonly PermitOnRecord[]
): GeofenceResult {
	const inside: { zone: GeoZone; area: number }[] = [];
	const breaches: GeofenceBreach[] = [];
	const covered: { zone: GeoZone; permitId: string }[] = [];
	let nearestForbiddenM = Infinity;
	for (const zone of zones) {
		if (zone.area.length < 3) continue;
		const d = distanceToPolygonM(point, zone.area);
		if (d === 0) inside.push({ zone, area: polygonAreaM2(zone.area) });
		if (!guardsEntry(zone)) continue;
		let allowed = false;
		let reason: GeofenceReason = 'NO_ENTRY';
		let permitId: string | null = null;
		if (zoneEntryRule(zone) === 'permit') {
			const access = permitAccess(worker, zone.id, zone.permitKinds, permits);
			allowed = access.allow;
			permitId = access.permit?.id ?? null;
			reason = access.reasons.some((r) => r.code === 'PERMIT_ROLE_MISMATCH')
				? 'PERMIT_ROLE_MISMATCH'
				: 'NO_PERMIT';
		}
		if (allowed) {
			if (d === 0) covered.push({ zone, permitId: permitId! });
			continue;
		}
		nearestForbiddenM = Math.min(nearestForbiddenM, d);
		if (d === 0) breaches.push({ zone, reason });
	}
	return {
		inside: inside.sort((a, b) => a.area - b.area).map((x) => x.zone),
		breaches,
		covered,
		nearestForbiddenM
	};
}

/** The smallest zone containing the point, of the kinds given (all when empty). */
export function zoneAt(
	point: LatLng,
	zones: readonly GeoZone[],
	kinds: readonly MapZoneKind[] = []
): GeoZone | null {
	let best: GeoZone | null = null;
	let bestArea = Infinity;
	for (const z of zones) {
		if (kinds.length && !kinds.includes(z.kind)) continue;
		if (!insidePolygon(point, z.area)) continue;
		const a = polygonAreaM2(z.area);
		if (a < bestArea) {
			best = z;
			bestArea = a;
		}
	}
	return best;
}

// ——— How often a phone takes a fix ———

export interface PingRateInput {
	/** Metres to the nearest zone the worker may not enter (Infinity: none on site). */
	nearestForbiddenM: number;
	/** 0..1, or null when the browser does not say. */
	battery: number | null;
	charging: boolean | null;
	/** Whether the last fixes moved more than their accuracy. */
	moving: boolean;
}

/**
 * Seconds until the next fix. Near a forbidden zone the phone looks often, because an alarm a
 * minute late is no alarm; far from one, standing still, or on a low battery it looks seldom. A
 * low battery stretches the interval, never past the near-zone ceiling of 15 s.
 */
export function pingIntervalSeconds(input: PingRateInput): number {
	const near = input.nearestForbiddenM <= 50;
	const close = input.nearestForbiddenM <= 150;
	let s = near ? 5 : close ? 15 : input.moving ? 30 : 60;
	const low = input.battery !== null && input.battery < 0.2 && input.charging !== true;
	const critical = input.battery !== null && input.battery < 0.1 && input.charging !== true;
	if (critical) s *= 4;
	else if (low) s *= 2;
	if (near) s = Math.min(s, 15);
	return s;
}
