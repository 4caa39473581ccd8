import { describe, expect, it } from 'vitest';
import {
	gateForInterval,
	coveredByActivePermits,
	permitCoversIntrusion,
	PersonTracker,
	pointInPolygon,
	polygonArea,
	polygonProblem,
	ZoneAlertRule,
	zoneState,
	zonesAt,
	type NPoint,
	type RuleObservation,
	type TrackInput,
	type Zone
} from './zones';

const square = (x: number, y: number, s: number): NPoint[] => [
	{ x, y },
	{ x: x + s, y },
	{ x: x + s, y: y + s },
	{ x, y: y + s }
];
const danger: Zone = {
	id: 'z1',
	name: '塔吊作业区',
	kind: 'danger',
	polygon: square(0.5, 0.5, 0.4)
};
const hardhat: Zone = { id: 'z2', name: '安全帽区', kind: 'hardhat', polygon: square(0, 0, 0.5) };

describe('pointInPolygon', () => {
	it('inside, outside, concave notch', () => {
		expect(pointInPolygon({ x: 0.7, y: 0.7 }, danger.polygon)).toBe(true);
		expect(pointInPolygon({ x: 0.2, y: 0.7 }, danger.polygon)).toBe(false);
		expect(pointInPolygon({ x: 0.95, y: 0.7 }, danger.polygon)).toBe(false);
		// An L shape: the notch at top right is outside.
		const l = [
			{ x: 0, y: 0 },
			{ x: 0.5, y: 0 },
			{ x: 0.5, y: 0.5 },
			{ x: 1, y: 0.5 },
			{ x: 1, y: 1 },
			{ x: 0, y: 1 }
		];
		expect(pointInPolygon({ x: 0.75, y: 0.25 }, l)).toBe(false);
		expect(pointInPolygon({ x: 0.75, y: 0.75 }, l)).toBe(true);
		expect(pointInPolygon({ x: 0.25, y: 0.25 }, l)).toBe(true);
	});
	it('zonesAt lists every zone containing the point', () => {
		expect(zonesAt({ x: 0.7, y: 0.7 }, [danger, hardhat]).map((z) => z.id)).toEqual(['z1']);
		expect(zonesAt({ x: 0.5, y: 0.5 + 1e-9 }, [danger, hardhat]).length).toBeLessThanOrEqual(2);
		expect(zonesAt({ x: 0.01, y: 0.99 }, [danger, hardhat])).toEqual([]);
	});
});

describe('polygonProblem', () => {
	it('accepts a square and refuses bad drawings', () => {
		expect(polygonProblem(danger.polygon)).toBeNull();
		expect(Math.abs(polygonArea(danger.polygon))).toBeCloseTo(0.16);
		expect(polygonProblem(square(0, 0, 0.5).slice(0, 2))).toBe('too_few_points');
		expect(polygonProblem([...square(0, 0, 0.5), { x: 1.2, y: 0.1 }])).toBe('out_of_range');
		expect(
			polygonProblem([
				{ x: 0, y: 0 },
				{ x: 1, y: 1 },
				{ x: 1, y: 0 },
				{ x: 0, y: 1 }
			])
		).toBe('self_intersecting');
		expect(polygonProblem(square(0.1, 0.1, 0.01))).toBe('too_small');
		expect(polygonProblem(Array.from({ length: 65 }, (_, i) => ({ x: i / 100, y: 0.5 })))).toBe(
			'too_many_points'
		);
	});
});

const person = (x: number, y: number): TrackInput => ({
	feet: { x, y },
	box: { x: x - 0.05, y: y - 0.3, width: 0.1, height: 0.3 }
});

describe('PersonTracker', () => {
	it('keeps ids while people walk, starts new ones, drops the lost', () => {
		const tracker = new PersonTracker({ maxDistance: 0.1, maxMissed: 2 });
		const a = tracker.update([person(0.1, 0.8), person(0.8, 0.8)]).seen.map((t) => t.id);
		expect(a).toEqual([1, 2]);
		// Both move a little, listed in the other order: ids follow the people, not the order.
		const b = tracker.update([person(0.83, 0.8), person(0.13, 0.8)]).seen.map((t) => t.id);
		expect(b).toEqual([2, 1]);
		// A jump beyond the gate is somebody else.
		const c = tracker.update([person(0.5, 0.5)]);
		expect(c.seen[0]!.id).toBe(3);
		expect(c.lost).toEqual([]);
		tracker.update([person(0.5, 0.5)]);
		const e = tracker.update([person(0.5, 0.5)]);
		expect(e.lost.sort()).toEqual([1, 2]);
		expect(tracker.tracks.map((t) => t.id)).toEqual([3]);
	});
	it('two people close together: the nearer pair wins', () => {
		const tracker = new PersonTracker({ maxDistance: 0.2 });
		tracker.update([person(0.4, 0.8), person(0.5, 0.8)]);
		const { seen } = tracker.update([person(0.52, 0.8), person(0.41, 0.8)]);
		expect(seen.map((t) => t.id)).toEqual([2, 1]);
	});
	it('a slow device widens the gate with the time between frames', () => {
		expect(gateForInterval(100)).toBe(0.2);
		expect(gateForInterval(400)).toBeCloseTo(0.4);
		expect(gateForInterval(5000)).toBe(0.5);
		const tracker = new PersonTracker();
		tracker.update([person(0.2, 0.8)]);
		// 0.3 apart: a new person at 10 fps, the same one two seconds later.
		expect(tracker.update([person(0.5, 0.8)], gateForInterval(2000)).seen[0]!.id).toBe(1);
		expect(tracker.update([person(0.8, 0.8)], gateForInterval(100)).seen[0]!.id).toBe(2);
	});
	it('a person missing for a frame keeps the id', () => {
		const tracker = new PersonTracker({ maxMissed: 3 });
		tracker.update([person(0.3, 0.8)]);
		tracker.update([]);
		expect(tracker.update([person(0.32, 0.8)]).seen[0]!.id).toBe(1);
	});
});

const obs = (
	trackId: number,
	x: number,
	y: number,
	ppe: RuleObservation['ppe'] = { worn: true, confidence: 0.9 }
): RuleObservation => ({ trackId, feet: { x, y }, feetVisible: true, ppe });

describe('zoneState', () => {
	it('danger, hard hat off / unknown / low confidence / on', () => {
		expect(zoneState(danger, obs(1, 0.7, 0.7))).toBe('intrusion');
		expect(zoneState(danger, obs(1, 0.2, 0.7))).toBeNull();
		expect(zoneState(hardhat, obs(1, 0.2, 0.2, { worn: false, confidence: 0.8 }))).toBe(
			'no_hardhat'
		);
		expect(zoneState(hardhat, obs(1, 0.2, 0.2, { worn: false, confidence: 0.4 }))).toBe(
			'ppe_unknown'
		);
		expect(zoneState(hardhat, obs(1, 0.2, 0.2, { worn: 'unknown', confidence: 0 }))).toBe(
			'ppe_unknown'
		);
		expect(zoneState(hardhat, obs(1, 0.2, 0.2))).toBe('ok');
		expect(zoneState(danger, obs(1, 0.7, 0.7), undefined, () => true)).toBe('covered');
	});
	it('the default hook covers nothing; with permits, an active one for the site zone covers it', () => {
		expect(permitCoversIntrusion(danger, obs(1, 0.7, 0.7))).toBe(false);
		let active = new Set<string>(['tank-1']);
		const covers = coveredByActivePermits(() => active);
		const shown = { ...danger, siteZone: 'tank-1' };
		expect(zoneState(shown, obs(1, 0.7, 0.7), undefined, covers)).toBe('covered');
		// A danger zone that shows no site zone, or another one, is never covered.
		expect(zoneState(danger, obs(1, 0.7, 0.7), undefined, covers)).toBe('intrusion');
		expect(zoneState({ ...danger, siteZone: 'tank-2' }, obs(1, 0.7, 0.7), undefined, covers)).toBe(
			'intrusion'
		);
		// The permit ends: the next frame alerts again.
		active = new Set();
		expect(zoneState(shown, obs(1, 0.7, 0.7), undefined, covers)).toBe('intrusion');
	});
});

describe('ZoneAlertRule', () => {
	const opts = { enterFrames: 3, leaveFrames: 4, cooldownMs: 10_000, ppeConfidence: 0.6 };

	it('a walk into a danger zone raises exactly one alert after K frames', () => {
		const rule = new ZoneAlertRule(opts);
		const alerts = [];
		// Walks from x = 0.1 to 0.85 in 16 frames at 10 fps, then stays 20 frames.
		for (let i = 0; i < 36; i++) {
			const x = Math.min(0.1 + i * 0.05, 0.85);
			alerts.push(...rule.step([danger], [obs(1, x, 0.7)], [], i * 100).alerts);
		}
		expect(alerts).toHaveLength(1);
		expect(alerts[0]!.kind).toBe('intrusion');
		expect(alerts[0]!.zone.id).toBe('z1');
		// Inside from x ≥ 0.5: frame 8 (x = 0.5) …; three frames in a row → frame 10.
		expect(alerts[0]!.since).toBe(800);
		expect(alerts[0]!.at).toBe(1000);
	});

	it('fewer than K frames inside (a flicker) raises nothing', () => {
		const rule = new ZoneAlertRule(opts);
		const xs = [0.7, 0.7, 0.2, 0.7, 0.7, 0.2, 0.2];
		const n = xs.reduce(
			(sum, x, i) => sum + rule.step([danger], [obs(1, x, 0.7)], [], i * 100).alerts.length,
			0
		);
		expect(n).toBe(0);
	});

	it('a new alert only after leaving for a while and the cooldown', () => {
		const rule = new ZoneAlertRule(opts);
		let t = 0;
		const run = (x: number, frames: number) => {
			let n = 0;
			for (let i = 0; i < frames; i++, t += 100)
				n += rule.step([danger], [obs(1, x, 0.7)], [], t).alerts.length;
			return n;
		};
		expect(run(0.7, 5)).toBe(1);
		expect(run(0.2, 2)).toBe(0); // a step out and back is the same stay
		expect(run(0.7, 5)).toBe(0);
		expect(run(0.2, 5)).toBe(0); // left (stay over) but the cooldown has not passed
		expect(run(0.7, 5)).toBe(0);
		t += 10_000;
		expect(run(0.2, 5)).toBe(0);
		expect(run(0.7, 5)).toBe(1); // left and cooled down: a new stay, a new alert
	});

	it('per person and per zone', () => {
		const rule = new ZoneAlertRule(opts);
		const zones = [danger, { ...danger, id: 'z3', name: '重叠区' }];
		let n = 0;
		for (let i = 0; i < 5; i++)
			n += rule.step(zones, [obs(1, 0.7, 0.7), obs(2, 0.6, 0.6)], [], i * 100).alerts.length;
		expect(n).toBe(4);
	});

	it('hard-hat zone: confident "not worn" alerts, unknown is shown but never alerts', () => {
		const rule = new ZoneAlertRule(opts);
		const off = { worn: false, confidence: 0.9 } as const;
		const unknown = { worn: 'unknown', confidence: 0 } as const;
		let alerts = 0;
		let unknownSeen = 0;
		for (let i = 0; i < 10; i++) {
			const r = rule.step(
				[hardhat],
				[obs(1, 0.2, 0.2, unknown), obs(2, 0.3, 0.3, off)],
				[],
				i * 100
			);
			alerts += r.alerts.length;
			for (const a of r.alerts) {
				expect(a.kind).toBe('ppe_violation');
				expect(a.trackId).toBe(2);
			}
			unknownSeen += r.states.filter((s) => s.trackId === 1 && s.state === 'ppe_unknown').length;
		}
		expect(alerts).toBe(1);
		expect(unknownSeen).toBe(10);
	});

	it('a lost track that reappears nearby as a new track does not alert again', () => {
		const rule = new ZoneAlertRule(opts);
		let n = 0;
		for (let i = 0; i < 5; i++)
			n += rule.step([danger], [obs(1, 0.7, 0.7)], [], i * 100).alerts.length;
		expect(n).toBe(1);
		// Track 1 dropped by the tracker; the same person comes back as track 2 next to it.
		n += rule.step([danger], [], [1], 600).alerts.length;
		for (let i = 7; i < 15; i++)
			n += rule.step([danger], [obs(2, 0.72, 0.7)], [], i * 100).alerts.length;
		expect(n).toBe(1);
		// Somebody else, far away in the zone, is a new alert.
		for (let i = 15; i < 20; i++)
			n += rule.step([danger], [obs(2, 0.72, 0.7), obs(3, 0.55, 0.88)], [], i * 100).alerts.length;
		expect(n).toBe(2);
	});

	it('with tracker: a person flickering out of detection for a frame stays one alert', () => {
		const tracker = new PersonTracker<TrackInput & { i: number }>();
		const rule = new ZoneAlertRule(opts);
		let n = 0;
		for (let i = 0; i < 40; i++) {
			const x = Math.min(0.1 + i * 0.03, 0.8);
			const visible = i % 7 !== 3;
			const people = visible ? [{ ...person(x, 0.75), i }] : [];
			const { seen, lost } = tracker.update(people);
			n += rule.step(
				[danger],
				seen.map((t) => obs(t.id, t.last.feet.x, t.last.feet.y)),
				lost,
				i * 100
			).alerts.length;
		}
		expect(n).toBe(1);
	});
});
