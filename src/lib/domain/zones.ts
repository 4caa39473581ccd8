// Warning zones on a camera image (issue 8): where a person stands, which zone that is in, who is
// who from one analysed frame to the next, and when that becomes an alert. Pure: coordinates are
// normalised to the image (0..1, origin top-left), so a zone drawn on one resolution holds on any.
import { DEFAULT_SITE_RULES, ppeVerdict } from './entry';

export interface NPoint {
	x: number;
	y: number;
}

export interface NBox {
	x: number;
	y: number;
	width: number;
	height: number;
}

/**
 * 'danger': nobody may stand inside (an intrusion, unless a permit covers it);
 * 'hardhat': everyone inside must wear a hard hat (a violation when the check says not worn).
 */
export type ZoneKind = 'danger' | 'hardhat';
export const ZONE_KINDS: readonly ZoneKind[] = ['danger', 'hardhat'];

export interface Zone {
	id: string;
	name: string;
	kind: ZoneKind;
	/** At least three points, normalised, in drawing order (closed implicitly). */
	polygon: NPoint[];
	/**
	 * The site zone (work area, `control.zones`) this part of the image shows. While a permit for
	 * that site zone is active, people in a danger zone here are expected: shown, not alerted.
	 */
	siteZone?: string | null;
}

export const MIN_ZONE_POINTS = 3;
export const MAX_ZONE_POINTS = 64;
/** A zone smaller than this share of the image is almost certainly a mis-click. */
export const MIN_ZONE_AREA = 0.0005;

/** Ray casting (even–odd): points exactly on an edge may fall either way. */
export function pointInPolygon(p: NPoint, polygon: readonly NPoint[]): boolean {
	let inside = false;
	for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
		const a = polygon[i]!;
		const b = polygon[j]!;
		if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) {
			inside = !inside;
		}
	}
	return inside;
}

/** Signed area (shoelace); its absolute value is the polygon's area for a simple polygon. */
export function polygonArea(polygon: readonly NPoint[]): number {
	let sum = 0;
	for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
		sum += polygon[j]!.x * polygon[i]!.y - polygon[i]!.x * polygon[j]!.y;
	}
	return sum / 2;
}

function segmentsCross(a: NPoint, b: NPoint, c: NPoint, d: NPoint): boolean {
	const cross = (p: NPoint, q: NPoint, r: NPoint) =>
		(q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
	const d1 = cross(c, d, a);
	const d2 = cross(c, d, b);
	const d3 = cross(a, b, c);
	const d4 = cross(a, b, d);
	return d1 * d2 < 0 && d3 * d4 < 0;
}

export type PolygonProblem =
	'too_few_points' | 'too_many_points' | 'out_of_range' | 'self_intersecting' | 'too_small';

/** Why a drawn polygon cannot be a zone, or null when it can. */
export function polygonProblem(polygon: readonly NPoint[]): PolygonProblem | null {
	if (polygon.length < MIN_ZONE_POINTS) return 'too_few_points';
	if (polygon.length > MAX_ZONE_POINTS) return 'too_many_points';
	for (const p of polygon) {
		if (!Number.isFinite(p.x) || !Number.isFinite(p.y) || p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1)
			return 'out_of_range';
	}
	const n = polygon.length;
	for (let i = 0; i < n; i++) {
		for (let j = i + 1; j < n; j++) {
			// Neighbouring edges share a point; they cannot cross properly.
			if (j === i + 1 || (i === 0 && j === n - 1)) continue;
			if (segmentsCross(polygon[i]!, polygon[(i + 1) % n]!, polygon[j]!, polygon[(j + 1) % n]!))
				return 'self_intersecting';
		}
	}
	if (Math.abs(polygonArea(polygon)) < MIN_ZONE_AREA) return 'too_small';
	return null;
}

/** The zones a point lies in, in the order given. */
export function zonesAt(p: NPoint, zones: readonly Zone[]): Zone[] {
	return zones.filter((z) => pointInPolygon(p, z.polygon));
}

// ---------------------------------------------------------------------------------------------
// Tracking: who is who across analysed frames.

export interface TrackInput {
	/** Where the person stands (normalised). */
	feet: NPoint;
	/** Bounds of the person (normalised); its centre is what association compares. */
	box: NBox;
}

export interface TrackerOptions {
	/**
	 * Largest distance (normalised, between box centres) a person may move between two analysed
	 * frames and still be the same track. At 10 fps a walking person moves far less than this.
	 */
	maxDistance: number;
	/** Frames a track survives unseen (a missed detection) before it is dropped. */
	maxMissed: number;
}

export const DEFAULT_TRACKER: TrackerOptions = { maxDistance: 0.2, maxMissed: 8 };

export interface Track<T extends TrackInput> {
	id: number;
	/** The latest observation matched to this track. */
	last: T;
	/** Frames matched in total. */
	hits: number;
	/** Consecutive frames without a match (0 when seen in the latest frame). */
	missed: number;
}

const centre = (b: NBox): NPoint => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
const dist = (a: NPoint, b: NPoint) => Math.hypot(a.x - b.x, a.y - b.y);

/**
 * Nearest-centroid association with gating: each frame, the closest (track, detection) pairs
 * within `maxDistance` are matched greedily, closest first; unmatched detections start new
 * tracks; a track unseen for more than `maxMissed` frames is dropped.
 */
export class PersonTracker<T extends TrackInput> {
	readonly options: TrackerOptions;
	#tracks: Track<T>[] = [];
	#nextId = 1;

	constructor(options: Partial<TrackerOptions> = {}) {
		this.options = { ...DEFAULT_TRACKER, ...options };
	}

	/** Tracks still alive (seen now or recently). */
	get tracks(): readonly Track<T>[] {
		return this.#tracks;
	}

	/**
	 * Takes one analysed frame's people; returns the tracks seen in it (same order as `people`) and
	 * the ids of tracks dropped now. `maxDistance` overrides the gate for this frame (a slow device
	 * analyses fewer frames, so people move further between them).
	 */
	update(
		people: readonly T[],
		maxDistance = this.options.maxDistance
	): { seen: Track<T>[]; lost: number[] } {
		const pairs: { t: number; p: number; d: number }[] = [];
		for (let t = 0; t < this.#tracks.length; t++) {
			const from = centre(this.#tracks[t]!.last.box);
			for (let p = 0; p < people.length; p++) {
				const d = dist(from, centre(people[p]!.box));
				if (d <= maxDistance) pairs.push({ t, p, d });
			}
		}
		pairs.sort((a, b) => a.d - b.d || a.t - b.t || a.p - b.p);
		const trackOf = new Array<Track<T> | null>(people.length).fill(null);
		const usedTracks = new Set<number>();
		for (const { t, p } of pairs) {
			if (usedTracks.has(t) || trackOf[p]) continue;
			usedTracks.add(t);
			const track = this.#tracks[t]!;
			track.last = people[p]!;
			track.hits++;
			track.missed = 0;
			trackOf[p] = track;
		}
		const lost: number[] = [];
		this.#tracks = this.#tracks.filter((track, t) => {
			if (usedTracks.has(t)) return true;
			track.missed++;
			if (track.missed > this.options.maxMissed) {
				lost.push(track.id);
				return false;
			}
			return true;
		});
		const seen = people.map((person, p) => {
			let track = trackOf[p];
			if (!track) {
				track = { id: this.#nextId++, last: person, hits: 1, missed: 0 };
				this.#tracks.push(track);
			}
			return track;
		});
		return { seen, lost };
	}

	reset(): void {
		this.#tracks = [];
	}
}

// ---------------------------------------------------------------------------------------------
// The alert rule.

/** A hard-hat reading as the rule needs it (the vision worker's PpeObservation fits). */
export interface PpeReading {
	worn: boolean | 'unknown';
	confidence: number;
}

export interface RuleObservation {
	trackId: number;
	feet: NPoint;
	feetVisible: boolean;
	ppe: PpeReading;
}

export type AlertKind = 'intrusion' | 'ppe_violation';

export interface RuleOptions {
	/** Consecutive analysed frames a condition must hold before it becomes an alert. */
	enterFrames: number;
	/** Consecutive analysed frames without the condition that end a stay. */
	leaveFrames: number;
	/** At least this long between two alerts of one (person, zone, kind), even after leaving. */
	cooldownMs: number;
	/** A "not worn" reading counts as a violation only at this confidence or above. */
	ppeConfidence: number;
}

export const DEFAULT_RULE: RuleOptions = {
	enterFrames: 3,
	leaveFrames: 10,
	cooldownMs: 60_000,
	ppeConfidence: DEFAULT_SITE_RULES.ppeMinConfidence
};

/**
 * Whether a work permit covers this person in this zone. The default knows no permits: every
 * intrusion alerts. The monitor passes `coveredByActivePermits` instead.
 */
export function permitCoversIntrusion(zone: Zone, observation: RuleObservation): boolean {
	void zone;
	void observation;
	return false;
}

/**
 * Permits as the monitor sees them: a camera cannot tell who a person is, so an intrusion into a
 * danger zone is covered while a permit for the site zone it shows is active (the work there is
 * permitted and watched by its guardian). Someone wandering in during that work is not alerted:
 * the permit's guardian answers for the zone then.
 */
export function coveredByActivePermits(
	activeSiteZones: () => ReadonlySet<string>
): typeof permitCoversIntrusion {
	return (zone) => !!zone.siteZone && activeSiteZones().has(zone.siteZone);
}

/** What one person's presence means in one zone this frame. */
export type ZoneState =
	| 'intrusion'
	| 'covered'
	/** In a hard-hat zone, the check says not worn (above the confidence threshold). */
	| 'no_hardhat'
	/** In a hard-hat zone, the check could not tell, or is not sure enough: shown, never alerted. */
	| 'ppe_unknown'
	| 'ok';

export interface PersonZoneState {
	trackId: number;
	zoneId: string;
	state: ZoneState;
}

export interface RuleAlert {
	kind: AlertKind;
	trackId: number;
	zone: Zone;
	observation: RuleObservation;
	/** When the condition first held in this stay (ms). */
	since: number;
	at: number;
}

interface Stay {
	inside: number;
	outside: number;
	since: number;
	/** An alert was raised during this stay. */
	alerted: boolean;
	lastAlertAt: number | null;
}

/** Per-zone state of a person for the overlay, and whether the hard hat reading counts. */
export function zoneState(
	zone: Zone,
	o: RuleObservation,
	options: Pick<RuleOptions, 'ppeConfidence'> = DEFAULT_RULE,
	covers: typeof permitCoversIntrusion = permitCoversIntrusion
): ZoneState | null {
	if (!pointInPolygon(o.feet, zone.polygon)) return null;
	if (zone.kind === 'danger') return covers(zone, o) ? 'covered' : 'intrusion';
	const verdict = ppeVerdict(o.ppe, options.ppeConfidence);
	if (verdict === 'missing') return 'no_hardhat';
	if (verdict === 'worn') return 'ok';
	return 'ppe_unknown';
}

/**
 * Debounced alerts per (track, zone, kind): the condition must hold for `enterFrames` analysed
 * frames in a row; one alert per stay; the stay ends after `leaveFrames` frames without it, and
 * a new alert also needs `cooldownMs` since the previous one. A track that is lost hands its
 * state to a new track appearing near where it was (a flickering detection is not a new person).
 */
export class ZoneAlertRule {
	readonly options: RuleOptions;
	#stays = new Map<string, Stay>();
	#lastFeet = new Map<number, NPoint>();
	#covers: typeof permitCoversIntrusion;
	/** Stays of lost tracks, for a new track that reappears nearby (inherits them). */
	#orphans: { feet: NPoint; at: number; stays: Map<string, Stay> }[] = [];
	/** How near (normalised) a new track must appear to inherit a lost track's stays. */
	readonly inheritDistance: number;

	constructor(
		options: Partial<RuleOptions> = {},
		extra: { covers?: typeof permitCoversIntrusion; inheritDistance?: number } = {}
	) {
		this.options = { ...DEFAULT_RULE, ...options };
		this.#covers = extra.covers ?? permitCoversIntrusion;
		this.inheritDistance = extra.inheritDistance ?? DEFAULT_TRACKER.maxDistance;
	}

	/**
	 * One analysed frame: the zones, every tracked person seen in it, the ids of tracks the tracker
	 * dropped, and the frame's time (ms). Returns the alerts to raise now and each person's state.
	 */
	step(
		zones: readonly Zone[],
		people: readonly RuleObservation[],
		lost: readonly number[],
		at: number
	): { alerts: RuleAlert[]; states: PersonZoneState[] } {
		for (const id of lost) this.#orphan(id, at);
		this.#orphans = this.#orphans.filter((o) => at - o.at <= this.options.cooldownMs);
		const alerts: RuleAlert[] = [];
		const states: PersonZoneState[] = [];
		const active = new Set<string>();
		for (const o of people) {
			if (!this.#lastFeet.has(o.trackId)) this.#adopt(o);
			this.#lastFeet.set(o.trackId, o.feet);
			for (const zone of zones) {
				const state = zoneState(zone, o, this.options, this.#covers);
				if (state) states.push({ trackId: o.trackId, zoneId: zone.id, state });
				const kind: AlertKind | null =
					state === 'intrusion' ? 'intrusion' : state === 'no_hardhat' ? 'ppe_violation' : null;
				if (!kind) continue;
				const key = `${o.trackId}|${zone.id}|${kind}`;
				active.add(key);
				let stay = this.#stays.get(key);
				if (!stay) {
					stay = { inside: 0, outside: 0, since: at, alerted: false, lastAlertAt: null };
					this.#stays.set(key, stay);
				}
				if (stay.inside === 0) stay.since = at;
				stay.inside++;
				stay.outside = 0;
				const cooled =
					stay.lastAlertAt === null || at - stay.lastAlertAt >= this.options.cooldownMs;
				if (!stay.alerted && stay.inside >= this.options.enterFrames && cooled) {
					stay.alerted = true;
					stay.lastAlertAt = at;
					alerts.push({ kind, trackId: o.trackId, zone, observation: o, since: stay.since, at });
				}
			}
		}
		// Everyone seen whose condition did not hold this frame: counting towards leaving.
		const seen = new Set(people.map((o) => o.trackId));
		for (const [key, stay] of this.#stays) {
			if (active.has(key)) continue;
			const trackId = Number(key.slice(0, key.indexOf('|')));
			if (!seen.has(trackId)) continue; // unseen this frame: neither inside nor outside
			stay.inside = 0;
			stay.outside++;
			if (stay.outside >= this.options.leaveFrames) stay.alerted = false;
		}
		return { alerts, states };
	}

	#orphan(trackId: number, at: number) {
		const feet = this.#lastFeet.get(trackId);
		this.#lastFeet.delete(trackId);
		const mine = new Map<string, Stay>();
		const prefix = `${trackId}|`;
		for (const [key, stay] of this.#stays) {
			if (!key.startsWith(prefix)) continue;
			this.#stays.delete(key);
			if (stay.lastAlertAt !== null) mine.set(key.slice(prefix.length), stay);
		}
		if (feet && mine.size > 0) this.#orphans.push({ feet, at, stays: mine });
	}

	#adopt(o: RuleObservation) {
		let best = -1;
		let bestD = this.inheritDistance;
		for (let i = 0; i < this.#orphans.length; i++) {
			const d = dist(this.#orphans[i]!.feet, o.feet);
			if (d <= bestD) {
				bestD = d;
				best = i;
			}
		}
		if (best < 0) return;
		const [orphan] = this.#orphans.splice(best, 1);
		for (const [rest, stay] of orphan!.stays) {
			this.#stays.set(`${o.trackId}|${rest}`, { ...stay, inside: 0, outside: 0 });
		}
	}

	reset(): void {
		this.#stays.clear();
		this.#lastFeet.clear();
		this.#orphans = [];
	}
}

/**
 * The association gate for two analysed frames `dtMs` apart: DEFAULT_TRACKER's distance holds up to
 * 200 ms (5 fps and faster); slower, it grows with the time (a walker crosses ~0.1 of a typical
 * view per second), capped at 0.5 so two people are still told apart.
 */
export function gateForInterval(dtMs: number, base = DEFAULT_TRACKER.maxDistance): number {
	if (!Number.isFinite(dtMs) || dtMs <= 200) return base;
	return Math.min(0.5, base * (dtMs / 200));
}
