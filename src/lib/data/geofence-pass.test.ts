import { describe, expect, it } from 'vitest';
import { fromLocal, type LatLng } from '../domain';
import {
	checkFix,
	GeofenceAlarm,
	parseGeofencePass,
	passPermitsAt,
	PASS_PRESENCE_TTL_MS,
	shouldTrack,
	type GeofencePass
} from './geofence-pass';

const O: LatLng = [30.25, 120.15];
const square = (e: number, n: number, size: number): [number, number][] => [
	fromLocal(O, e, n),
	fromLocal(O, e + size, n),
	fromLocal(O, e + size, n + size),
	fromLocal(O, e, n + size)
];

const FROM = '2026-12-02T01:00:00.000Z';
const UNTIL = '2026-12-02T07:00:00.000Z';
const during = (minutes: number) => new Date(Date.parse(FROM) + minutes * 60_000);

function pass(over: Partial<GeofencePass> = {}): GeofencePass {
	return {
		version: 1,
		issuedAt: FROM,
		site: { id: 'S1', name: '一号工地', timeZone: 'Asia/Shanghai' },
		worker: { id: 'w1', contractorId: 'C1', name: '李强' },
		zones: [
			{
				id: 'pump',
				name: '泵房',
				kind: 'danger',
				area: square(100, 0, 40),
				requiresPermit: true,
				permitKinds: ['confined_space']
			},
			{
				id: 'sub',
				name: '变电所',
				kind: 'restricted',
				area: square(0, 100, 20),
				requiresPermit: false,
				permitKinds: []
			},
			{
				id: 'yard',
				name: '堆场',
				kind: 'work',
				area: square(-50, -50, 30),
				requiresPermit: false,
				permitKinds: []
			}
		],
		permits: [
			{
				id: 'cs1',
				number: 'SX-1',
				kind: 'confined_space',
				grade: 'single',
				zone: 'pump',
				validFrom: FROM,
				validUntil: UNTIL,
				lifecycle: 'submitted',
				approval: 'approved',
				actions: [],
				role: 'operator'
			}
		],
		calendar: { timeZone: 'Asia/Shanghai', holidays: [], weekendsAreHolidays: true },
		passage: { direction: 'in', at: FROM },
		consent: { granted: true, at: FROM, textVersion: 'location-1' },
		pingRetentionDays: 7,
		...over
	};
}

const inPump = fromLocal(O, 120, 20);
const inSub = fromLocal(O, 10, 110);
const inYard = fromLocal(O, -40, -40);

describe('the pass, judged on the phone', () => {
	it('round-trips through JSON and rejects what is not a pass', () => {
		expect(parseGeofencePass(JSON.parse(JSON.stringify(pass())))).toEqual(pass());
		expect(parseGeofencePass({ ...pass(), version: 2 })).toBeNull();
		expect(parseGeofencePass({ ...pass(), zones: [{ id: 'x' }] })).toBeNull();
		expect(parseGeofencePass('nonsense')).toBeNull();
	});

	it('works out each permit’s status at the moment of the fix: scheduled, active, suspended, resumed, closed, expired', () => {
		const p = pass({
			permits: [
				{
					...pass().permits[0]!,
					actions: [
						{ action: 'suspend', at: during(60).toISOString() },
						{ action: 'resume', at: during(90).toISOString() },
						{ action: 'close', at: during(200).toISOString() }
					]
				}
			]
		});
		const status = (m: number) => passPermitsAt(p, during(m))[0]!.status;
		expect(status(-10)).toBe('scheduled');
		expect(status(10)).toBe('active');
		expect(status(70)).toBe('suspended');
		expect(status(100)).toBe('active');
		expect(status(210)).toBe('closed');
		expect(passPermitsAt(pass(), new Date(UNTIL))[0]!.status).toBe('expired');
	});

	it('the holder is covered inside the permit’s zone only while it is active; nobody enters a closed zone', () => {
		const p = pass();
		expect(checkFix(p, inPump, during(10)).breaches).toEqual([]);
		expect(checkFix(p, inPump, during(10)).covered.map((c) => c.permitId)).toEqual(['cs1']);
		expect(checkFix(p, inPump, during(-10)).breaches.map((b) => b.reason)).toEqual(['NO_PERMIT']);
		expect(checkFix(p, inPump, new Date(UNTIL)).breaches.map((b) => b.reason)).toEqual([
			'NO_PERMIT'
		]);
		expect(checkFix(p, inSub, during(10)).breaches.map((b) => [b.zone.id, b.reason])).toEqual([
			['sub', 'NO_ENTRY']
		]);
		// A work area is for the map: no alarm.
		expect(checkFix(p, inYard, during(10)).breaches).toEqual([]);
		expect(checkFix(p, inYard, during(10)).inside.map((z) => z.id)).toEqual(['yard']);
		// A permit still waiting for approval covers nobody.
		const pending = pass({ permits: [{ ...pass().permits[0]!, approval: 'pending' }] });
		expect(checkFix(pending, inPump, during(10)).breaches.map((b) => b.reason)).toEqual([
			'NO_PERMIT'
		]);
	});
});

describe('shouldTrack: consent, and between the gates’ entry and exit', () => {
	const now = during(60);
	it('tracks on site with consent; not without, not after exit, not on a stale entry', () => {
		expect(shouldTrack(pass(), null, now)).toEqual({ track: true, why: 'ON_SITE' });
		expect(shouldTrack(null, null, now).why).toBe('NO_PASS');
		expect(shouldTrack(pass({ consent: null }), null, now).why).toBe('NO_CONSENT');
		expect(shouldTrack(pass({ passage: { direction: 'out', at: FROM } }), null, now).why).toBe(
			'NOT_ON_SITE'
		);
		expect(shouldTrack(pass({ passage: null }), null, now).why).toBe('NOT_ON_SITE');
		const late = new Date(Date.parse(FROM) + PASS_PRESENCE_TTL_MS + 1);
		expect(shouldTrack(pass(), null, late).why).toBe('STALE');
	});
	it('the newer of the phone’s own consent record and the relay’s decides', () => {
		const withdrawnHere = { granted: false, at: during(30).toISOString() };
		expect(shouldTrack(pass(), withdrawnHere, now).why).toBe('NO_CONSENT');
		const olderHere = { granted: false, at: during(-30).toISOString() };
		expect(shouldTrack(pass(), olderHere, now).why).toBe('ON_SITE');
	});
});

describe('GeofenceAlarm: once per walk-in, not on every jittery fix', () => {
	it('raises on entry, stays quiet while inside, re-arms only when clearly out', () => {
		const p = pass();
		const alarm = new GeofenceAlarm();
		const fix = (e: number, n: number, acc = 5) => {
			const pt = fromLocal(O, e, n);
			return alarm.update(checkFix(p, pt, during(-10)), pt, acc);
		};
		expect(fix(90, 20).raised).toEqual([]);
		expect(fix(101, 20).raised.map((b) => b.zone.id)).toEqual(['pump']);
		expect(fix(110, 20)).toMatchObject({ raised: [], ongoing: [{ zone: { id: 'pump' } }] });
		// Jitter 2 m outside the edge: still the same breach, no new alarm.
		expect(fix(98, 20)).toMatchObject({ raised: [], ongoing: [{ zone: { id: 'pump' } }] });
		expect(fix(101, 20).raised).toEqual([]);
		// Clearly out (20 m), then in again: a new alarm.
		expect(fix(80, 20)).toEqual({ raised: [], ongoing: [] });
		expect(fix(105, 20).raised.map((b) => b.zone.id)).toEqual(['pump']);
	});

	it('ends the breach when a permit starts covering the worker where they stand', () => {
		const p = pass();
		const alarm = new GeofenceAlarm();
		const at = (m: number) => alarm.update(checkFix(p, inPump, during(m)), inPump, 5);
		expect(at(-5).raised).toHaveLength(1);
		expect(at(1)).toEqual({ raised: [], ongoing: [] });
	});

	it('raises each zone of a fix in two closed zones at once', () => {
		const overlapping = pass({
			zones: [
				...pass().zones,
				{
					id: 'inner',
					name: '泵坑',
					kind: 'danger',
					area: square(110, 10, 10),
					requiresPermit: false,
					permitKinds: []
				}
			]
		});
		const pt = fromLocal(O, 115, 15);
		const r = new GeofenceAlarm().update(checkFix(overlapping, pt, during(-10)), pt, 5);
		expect(r.raised.map((b) => b.zone.id).sort()).toEqual(['inner', 'pump']);
	});
});
