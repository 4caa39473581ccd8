// The site's geometry: polygons in metres on the ground, the plan placed by control points (a
// turned and scaled plan comes back where it was drawn), and the geofence rule a phone applies.
import { describe, expect, it } from 'vitest';
import {
	areaProblem,
	distanceM,
	distanceToPolygonM,
	fitPlan,
	fromLocal,
	geofence,
	insidePolygon,
	pingIntervalSeconds,
	polygonAreaM2,
	toLocal,
	zoneAt,
	type ControlPoint,
	type GeoZone,
	type LatLng
} from './geo';
import type { PermitOnRecord } from './permits';

const O: LatLng = [31.2304, 121.4737];
/** The point `e` metres east and `n` north of the site's origin. */
const at = (e: number, n: number): LatLng => fromLocal(O, e, n);
const square = (e: number, n: number, side: number): LatLng[] => [
	at(e, n),
	at(e + side, n),
	at(e + side, n + side),
	at(e, n + side)
];

describe('polygons on the ground', () => {
	it('local metres and back agree to the millimetre', () => {
		const p = at(123.4, -56.7);
		const [e, n] = toLocal(O, p);
		expect(e).toBeCloseTo(123.4, 3);
		expect(n).toBeCloseTo(-56.7, 3);
		expect(distanceM(O, at(30, 40))).toBeCloseTo(50, 3);
	});

	it('inside, outside, on an edge and on a corner', () => {
		const sq = square(0, 0, 10);
		expect(insidePolygon(at(5, 5), sq)).toBe(true);
		expect(insidePolygon(at(15, 5), sq)).toBe(false);
		expect(insidePolygon(at(-0.01, 5), sq)).toBe(false);
		expect(insidePolygon(at(10, 5), sq)).toBe(true);
		expect(insidePolygon(at(5, 0), sq)).toBe(true);
		expect(insidePolygon(at(10, 10), sq)).toBe(true);
		expect(insidePolygon(at(5, 5), sq.slice(0, 2))).toBe(false);
	});

	it('a concave (U-shaped) zone does not contain its notch', () => {
		// 30 × 20 m with a 10 × 15 m notch cut from the top middle.
		const u = [
			at(0, 0),
			at(30, 0),
			at(30, 20),
			at(20, 20),
			at(20, 5),
			at(10, 5),
			at(10, 20),
			at(0, 20)
		];
		expect(insidePolygon(at(15, 12), u)).toBe(false);
		expect(insidePolygon(at(5, 12), u)).toBe(true);
		expect(insidePolygon(at(25, 12), u)).toBe(true);
		expect(insidePolygon(at(15, 2), u)).toBe(true);
		expect(polygonAreaM2(u)).toBeCloseTo(30 * 20 - 10 * 15, 0);
		// From the notch, the nearest boundary is its side walls, 5 m away.
		expect(distanceToPolygonM(at(15, 12), u)).toBeCloseTo(5, 1);
	});

	it('distance to a zone: 0 inside, metres to the nearest edge or corner outside', () => {
		const sq = square(0, 0, 10);
		expect(distanceToPolygonM(at(5, 5), sq)).toBe(0);
		expect(distanceToPolygonM(at(25, 5), sq)).toBeCloseTo(15, 2);
		expect(distanceToPolygonM(at(13, 14), sq)).toBeCloseTo(5, 2);
		expect(distanceToPolygonM(at(0, 0), [])).toBe(Infinity);
	});

	it('area in square metres, whichever way round it is drawn', () => {
		const sq = square(0, 0, 20);
		expect(polygonAreaM2(sq)).toBeCloseTo(400, 1);
		expect(polygonAreaM2([...sq].reverse())).toBeCloseTo(400, 1);
		expect(polygonAreaM2(sq.slice(0, 2))).toBe(0);
	});

	it('refuses polygons that cannot be a zone', () => {
		expect(areaProblem(square(0, 0, 10))).toBeNull();
		expect(areaProblem(square(0, 0, 10).slice(0, 2))).toBe('TOO_FEW_POINTS');
		expect(areaProblem([...square(0, 0, 10), [91, 0]])).toBe('BAD_POINT');
		expect(areaProblem([at(0, 0), at(1, 0), at(1, 1)])).toBe('TOO_SMALL');
		const many = Array.from({ length: 201 }, (_, i) =>
			at(50 * Math.cos((i / 201) * 2 * Math.PI), 50 * Math.sin((i / 201) * 2 * Math.PI))
		);
		expect(areaProblem(many)).toBe('TOO_MANY_POINTS');
	});
});

describe('placing the plan', () => {
	/**
	 * A plan drawn at `scale` metres per pixel, turned by `turnDeg` (counter-clockwise from the
	 * plan's "up" to north), its pixel (0, 0) at `corner` metres from the origin. Pixels: y down.
	 */
	function plan(scaleX: number, scaleY: number, turnDeg: number, corner: [number, number]) {
		const th = (turnDeg * Math.PI) / 180;
		return (x: number, y: number): LatLng => {
			const u = x * scaleX;
			const v = -y * scaleY;
			return at(
				corner[0] + u * Math.cos(th) - v * Math.sin(th),
				corner[1] + u * Math.sin(th) + v * Math.cos(th)
			);
		};
	}
	const cp = (ground: (x: number, y: number) => LatLng, x: number, y: number): ControlPoint => {
		const [lat, lng] = ground(x, y);
		return { x, y, lat, lng };
	};

	it('two points recover a turned, scaled plan within centimetres', () => {
		const ground = plan(0.05, 0.05, 37, [-40, 80]);
		const fitted = fitPlan([cp(ground, 100, 200), cp(ground, 1800, 1100)]);
		expect(fitted.ok).toBe(true);
		if (!fitted.ok) return;
		const { fit } = fitted;
		expect(fit.metresPerPixel).toBeCloseTo(0.05, 5);
		expect(fit.residualM).toBeLessThan(0.01);
		for (const [x, y] of [
			[0, 0],
			[2000, 0],
			[2000, 1400],
			[640, 980]
		] as const) {
			expect(distanceM(fit.toGeo(x, y), ground(x, y))).toBeLessThan(0.02);
			const [px, py] = fit.toPlan(ground(x, y));
			// 2 cm is 0.4 px at 5 cm per pixel.
			expect(Math.hypot(px - x, py - y)).toBeLessThan(0.4);
		}
	});

	it('three or more points fit an affine plan (axes scaled differently) and report the residual', () => {
		const ground = plan(0.04, 0.06, -20, [10, 10]);
		const exact = [
			cp(ground, 0, 0),
			cp(ground, 1000, 0),
			cp(ground, 0, 800),
			cp(ground, 1000, 800)
		];
		const fitted = fitPlan(exact);
		expect(fitted.ok && fitted.fit.residualM).toBeLessThan(0.01);
		if (!fitted.ok) return;
		expect(distanceM(fitted.fit.toGeo(500, 400), ground(500, 400))).toBeLessThan(0.02);
		const [px, py] = fitted.fit.toPlan(ground(250, 600));
		expect(px).toBeCloseTo(250, 0);
		expect(py).toBeCloseTo(600, 0);
		// One point surveyed 3 m off: the fit spreads the error and says so.
		const [lat, lng] = fromLocal([exact[3]!.lat, exact[3]!.lng], 3, 0);
		const off = fitPlan([...exact.slice(0, 3), { ...exact[3]!, lat, lng }]);
		expect(off.ok).toBe(true);
		if (!off.ok) return;
		expect(off.fit.residualM).toBeGreaterThan(0.5);
		expect(off.fit.residualM).toBeLessThan(3);
	});

	it('explains inputs it cannot place', () => {
		const ground = plan(0.05, 0.05, 0, [0, 0]);
		expect(fitPlan([])).toEqual({ ok: false, problem: 'TOO_FEW_POINTS' });
		expect(fitPlan([cp(ground, 10, 10)])).toEqual({ ok: false, problem: 'TOO_FEW_POINTS' });
		expect(fitPlan([cp(ground, 10, 10), { ...cp(ground, 10, 10), lat: 95 }])).toEqual({
			ok: false,
			problem: 'BAD_POINT'
		});
		expect(fitPlan([cp(ground, 10, 10), { ...cp(ground, 500, 10), x: 10.2 }])).toEqual({
			ok: false,
			problem: 'POINTS_TOO_CLOSE'
		});
		// Two pixels far apart that name the same spot on the ground.
		expect(fitPlan([cp(ground, 10, 10), { ...cp(ground, 10, 10), x: 900 }])).toEqual({
			ok: false,
			problem: 'POINTS_TOO_CLOSE'
		});
		// Three points on a line still fix a similarity; four on a line cannot fix an affine.
		expect(fitPlan([cp(ground, 0, 0), cp(ground, 100, 100), cp(ground, 300, 300)]).ok).toBe(true);
		expect(
			fitPlan([cp(ground, 0, 0), cp(ground, 100, 100), cp(ground, 300, 300), cp(ground, 400, 401)])
		).toEqual({ ok: false, problem: 'COLLINEAR' });
		// Points given in an order that mirrors the plan.
		const mirrored = [cp(ground, 0, 0), cp(ground, 800, 0), cp(ground, 0, 600)].map((p) => ({
			...p,
			x: 1000 - p.x
		}));
		expect(fitPlan(mirrored)).toEqual({ ok: false, problem: 'MIRRORED' });
	});

	it('with three points, a wrong third point shows as error instead of bending the plan', () => {
		// Nearly in line, the third 3 m off on the ground: an exact affine would place the plan's
		// far corner a kilometre away and claim 0 m error.
		const ground = plan(0.05, 0.05, 0, [0, 0]);
		const third = cp(ground, 1000, 5);
		const [lat, lng] = fromLocal([third.lat, third.lng], 3, 0);
		const fit = fitPlan([cp(ground, 0, 0), cp(ground, 2000, 0), { ...third, lat, lng }]);
		expect(fit.ok).toBe(true);
		if (!fit.ok) return;
		expect(fit.fit.residualM).toBeGreaterThan(1);
		const corner = fit.fit.toGeo(2000, 1500);
		expect(distanceM(corner, ground(2000, 1500))).toBeLessThan(5);
	});
});

describe('the geofence', () => {
	const worker = { workerId: 'w1', contractorId: 'C1' };
	const zone = (over: Partial<GeoZone> & Pick<GeoZone, 'id' | 'kind'>): GeoZone => ({
		name: over.id,
		area: square(0, 0, 20),
		requiresPermit: false,
		permitKinds: [],
		...over
	});
	const permit = (over: Partial<PermitOnRecord> = {}): PermitOnRecord => ({
		id: 'P1',
		kind: 'hot_work',
		zone: 'tank',
		status: 'active',
		until: '2099-01-01T00:00:00.000Z',
		people: [{ ...worker, role: 'operator' }],
		...over
	});
	const tank = zone({
		id: 'tank',
		kind: 'restricted',
		requiresPermit: true,
		permitKinds: ['hot_work']
	});
	const pit = zone({ id: 'pit', kind: 'danger', area: square(100, 0, 10) });
	const yard = zone({ id: 'yard', kind: 'work', area: square(-50, -50, 200) });
	const zones = [tank, pit, yard];

	it('inside a nobody-zone is a breach whatever permits there are', () => {
		const r = geofence(at(105, 5), zones, worker, [permit({ zone: 'pit' })]);
		expect(r.breaches.map((b) => [b.zone.id, b.reason])).toEqual([['pit', 'NO_ENTRY']]);
		expect(r.nearestForbiddenM).toBe(0);
		// Smallest first: the pit inside the yard.
		expect(r.inside.map((z) => z.id)).toEqual(['pit', 'yard']);
	});

	it('a permit zone admits a worker on an active permit of its kinds for that zone', () => {
		const covered = geofence(at(10, 10), zones, worker, [permit()]);
		expect(covered.breaches).toEqual([]);
		expect(covered.covered.map((c) => [c.zone.id, c.permitId])).toEqual([['tank', 'P1']]);
		// Standing in the tank, the nearest forbidden place is the pit, 90 m east.
		expect(covered.nearestForbiddenM).toBeCloseTo(90, 0);
	});

	it('without a covering permit it is a breach: no permit, other kind, other zone, not active, someone else', () => {
		for (const permits of [
			[],
			[permit({ kind: 'confined_space' })],
			[permit({ zone: 'pit' })],
			[permit({ status: 'suspended' })],
			[permit({ status: 'closed' })],
			[permit({ people: [{ workerId: 'w2', contractorId: 'C1', role: 'operator' }] })],
			[permit({ people: [{ workerId: 'w1', contractorId: 'C9', role: 'operator' }] })]
		] as PermitOnRecord[][]) {
			const r = geofence(at(10, 10), zones, worker, permits);
			expect(r.breaches.map((b) => [b.zone.id, b.reason])).toEqual([['tank', 'NO_PERMIT']]);
			expect(r.covered).toEqual([]);
		}
	});

	it('any role on the permit may be in its zone (a guardian as much as the operator)', () => {
		// Zones do not ask for a work type, so PERMIT_ROLE_MISMATCH never comes from the geofence.
		const r = geofence(at(10, 10), zones, worker, [
			permit({ people: [{ ...worker, role: 'guardian' }] })
		]);
		expect(r.breaches).toEqual([]);
		expect(r.covered).toHaveLength(1);
	});

	it('an empty permitKinds list accepts a permit of any kind for the zone', () => {
		const any = { ...tank, permitKinds: [] };
		const r = geofence(at(10, 10), [any], worker, [permit({ kind: 'lifting' })]);
		expect(r.breaches).toEqual([]);
	});

	it('map-only zones never alarm; the nearest forbidden distance ignores them', () => {
		const onlyMap = [
			yard,
			zone({ id: 'muster', kind: 'muster' }),
			zone({ id: 'hat', kind: 'hardhat' })
		];
		const r = geofence(at(5, 5), onlyMap, worker, []);
		expect(r.breaches).toEqual([]);
		expect(r.nearestForbiddenM).toBe(Infinity);
		expect(r.inside.map((z) => z.id).sort()).toEqual(['hat', 'muster', 'yard']);
	});

	it('outside every zone: metres to the nearest zone the worker may not enter', () => {
		const r = geofence(at(130, 5), zones, worker, []);
		expect(r.inside.map((z) => z.id)).toEqual(['yard']);
		expect(r.breaches).toEqual([]);
		expect(r.nearestForbiddenM).toBeCloseTo(20, 0);
	});

	it('zoneAt: the smallest zone of the kinds asked for', () => {
		expect(zoneAt(at(105, 5), zones)?.id).toBe('pit');
		expect(zoneAt(at(105, 5), zones, ['work'])?.id).toBe('yard');
		expect(zoneAt(at(500, 500), zones)).toBeNull();
	});
});

describe('how often a phone takes a fix', () => {
	const rate = (
		nearestForbiddenM: number,
		battery: number | null,
		charging: boolean | null,
		moving = false
	) => pingIntervalSeconds({ nearestForbiddenM, battery, charging, moving });

	it.each([
		// near, close, far moving, far still
		[10, null, null, false, 5],
		[50, 0.9, false, false, 5],
		[120, 0.9, false, false, 15],
		[Infinity, null, null, true, 30],
		[Infinity, null, null, false, 60],
		// low battery doubles, critical quadruples; charging does not stretch
		[120, 0.15, false, false, 30],
		[Infinity, 0.05, false, false, 240],
		[Infinity, 0.05, true, false, 60],
		// near a forbidden zone it never waits more than 15 s
		[20, 0.05, false, false, 15],
		[20, 0.15, false, false, 10]
	])('%s m, battery %s, charging %s, moving %s → %s s', (m, battery, charging, moving, s) => {
		expect(rate(m, battery, charging, moving)).toBe(s);
	});
});
