// A month of a site's events folded into a `MonthSummary` (hours, alerts, incidents, ratings per
// day and per contractor) and kept current by folding only the keys a change touched: a late or
// out-of-order passage recomputes just that worker's month (about 50 passages), an alert action
// just that alert. The pairing rule for hours lives here, once (`staysOf`).
import type * as Y from 'yjs';
import type { IsoDate } from '../../domain/dates';
import {
	Alert,
	AlertAction,
	AttendanceEvent,
	INCIDENT_SEVERITIES,
	JobRating,
	SafetyIncident,
	type IncidentSeverity
} from '../events';
import { jobKey } from '../ratings';
import { readRecord } from '../records';
import { dayOf, localDayBounds } from './time';
import {
	ALERT_BUCKETS,
	UNKNOWN,
	type AlertBucket,
	type AlertCounts,
	type ContractorMonth,
	type DayStats,
	type EdgePassage,
	type HoursCell,
	type MonthSummary,
	type WorkerMonth
} from './types';

/** An exit more than this after the entry does not close it (a forgotten exit, not a shift). */
export const MAX_STAY_HOURS = 16;
const MAX_STAY_MS = MAX_STAY_HOURS * 3_600_000;

/** The maps of an events document the fold reads. */
export const FOLDED_MAPS = [
	'attendance',
	'alerts',
	'alertActions',
	'ratings',
	'incidents'
] as const;

export interface FoldOptions {
	siteId: string;
	/** 'YYYY-MM' of the document. */
	month: string;
	timeZone?: string;
	/** A worker's contractor when their passages do not name it (the contractor documents). */
	contractorOf?: (workerId: string) => string | null | undefined;
}

/** A piece of a worker's time on one site-local day. */
export interface StayPart {
	day: IsoDate;
	ms: number;
	/** The entry had no matching exit: the day counts, its hours do not. */
	unclosed: boolean;
	/** The passages behind it (entry id, exit id). */
	entryId: string;
	exitId: string | null;
}

export interface Passage extends EdgePassage {
	contractorId: string | null;
}

/**
 * The hours rule. A worker's admitted passages in time order: an entry is closed by the next exit
 * within 16 h (a stay; split at site-local midnight, so a night shift counts on both days); a
 * repeated entry while in is a double scan and ignored; an exit with no open entry (or more than
 * 16 h after it) counts nothing (`strayExits`); an entry never closed counts its day with 0 hours
 * (`unclosed`, shown on the dashboard) — hours are never guessed.
 */
export function staysOf(
	passages: readonly EdgePassage[],
	timeZone: string
): { parts: StayPart[]; strayExits: number } {
	const parts: StayPart[] = [];
	let strayExits = 0;
	let open: EdgePassage | null = null;
	const unclosed = (p: EdgePassage) =>
		parts.push({ day: dayOf(p.t, timeZone), ms: 0, unclosed: true, entryId: p.id, exitId: null });
	for (const p of passages) {
		if (p.direction === 'in') {
			if (!open) open = p;
			continue;
		}
		if (!open) {
			strayExits++;
			continue;
		}
		if (p.t - open.t > MAX_STAY_MS) {
			unclosed(open);
			strayExits++;
		} else splitStay(open, p, timeZone, parts);
		open = null;
	}
	if (open) unclosed(open);
	return { parts, strayExits };
}

function splitStay(entry: EdgePassage, exit: EdgePassage, timeZone: string, out: StayPart[]) {
	let t = entry.t;
	const end = Math.max(entry.t, exit.t);
	for (;;) {
		const { day, end: dayEnd } = localDayBounds(t, timeZone);
		const stop = Math.min(end, dayEnd);
		out.push({ day, ms: stop - t, unclosed: false, entryId: entry.id, exitId: exit.id });
		if (stop >= end) return;
		t = stop;
	}
}

const byTime = (a: EdgePassage, b: EdgePassage) => a.t - b.t || (a.id < b.id ? -1 : 1);

const zeroAlerts = (): AlertCounts => ({ ppe: 0, zone: 0, geofence: 0, other: 0 });
const zeroCell = (): HoursCell => ({ ms: 0, workerDays: 0, unclosed: 0 });
const zeroDay = (): DayStats => ({
	...zeroCell(),
	byContractor: {},
	alerts: zeroAlerts(),
	falseAlarms: 0
});
export const zeroContractor = (): ContractorMonth => ({
	...zeroCell(),
	workers: 0,
	alerts: 0,
	alertsByKind: zeroAlerts(),
	falseAlarms: 0,
	incidents: Object.fromEntries(INCIDENT_SEVERITIES.map((s) => [s, 0])) as Record<
		IncidentSeverity,
		number
	>,
	ratings: { count: 0, quality: 0, safety: 0, tidiness: 0 }
});

/** One job rated by one person (ratings.ts `jobKey`): a later rating of it corrects the earlier. */
export function ratingGroup(r: Pick<JobRating, 'contractorId' | 'job' | 'by'>): string {
	return `${jobKey(r)}|${r.by}`;
}

export function alertBucket(kind: string): AlertBucket {
	return (ALERT_BUCKETS as readonly string[]).includes(kind) ? (kind as AlertBucket) : 'other';
}

interface WorkerState {
	passages: Passage[];
	/** What the worker adds now: per day (ms, unclosed entries), and their contractor. */
	days: Map<IsoDate, { ms: number; unclosed: number }>;
	contractorId: string;
	strayExits: number;
	/** What the summary shows of the worker, made when they change (shared by summaries). */
	shown: { first: EdgePassage; last: EdgePassage; month: WorkerMonth | null } | null;
}

interface AlertState {
	day: IsoDate;
	bucket: AlertBucket;
	workerId: string | null;
	falseAlarm: boolean;
}

interface RatingState {
	contractorId: string;
	quality: number;
	safety: number;
	tidiness: number;
}

/**
 * The fold of one events document. `load` reads everything once; `apply` folds changed keys (from
 * a Y.Map event's `keysChanged`); `summary()` returns a fresh JSON-safe copy.
 */
export class MonthFold {
	readonly siteId: string;
	readonly month: string;
	readonly timeZone: string;
	readonly #contractorOf: (workerId: string) => string | null | undefined;

	#workers = new Map<string, WorkerState>();
	/** attendance key → worker id (so a replaced or deleted record leaves the right worker). */
	#attendanceWorker = new Map<string, string>();
	#attendanceCount = 0;
	#days = new Map<IsoDate, DayStats>();
	#alerts = new Map<string, AlertState>();
	#latestAction = new Map<string, { at: string; id: string; action: string }>();
	/** alerts (not false alarms) per worker ('' = nobody named) and bucket. */
	#alertsByWorker = new Map<string, AlertCounts>();
	#falseByWorker = new Map<string, number>();
	/** Ratings: the latest per job and rater counts. */
	#ratingRecords = new Map<string, { group: string; at: string; state: RatingState }>();
	#ratingLatest = new Map<string, string>();
	#incidents = new Map<string, { contractorId: string; severity: IncidentSeverity }>();
	#unreadable = new Map<string, Set<string>>();

	constructor(options: FoldOptions) {
		this.siteId = options.siteId;
		this.month = options.month;
		this.timeZone = options.timeZone ?? 'Asia/Shanghai';
		this.#contractorOf = options.contractorOf ?? (() => null);
	}

	/** Folds the whole document (first look). Workers are computed once each, at the end. */
	load(doc: Y.Doc): this {
		const touched = new Set<string>();
		const att = doc.getMap('attendance');
		for (const [key, raw] of att.entries()) this.#takeAttendance(key, raw, touched, false);
		for (const w of touched) this.#recomputeWorker(w);
		const actions = doc.getMap('alertActions');
		for (const [key, raw] of actions.entries()) this.#takeAction(key, raw, null);
		const alerts = doc.getMap('alerts');
		for (const [key, raw] of alerts.entries()) this.#takeAlert(key, raw);
		const ratings = doc.getMap('ratings');
		for (const [key, raw] of ratings.entries()) this.#takeRating(key, raw);
		const incidents = doc.getMap('incidents');
		for (const [key, raw] of incidents.entries()) this.#takeIncident(key, raw);
		return this;
	}

	/** Folds the keys of one map that changed (added, updated or deleted). */
	apply(doc: Y.Doc, mapName: string, keys: Iterable<string>): void {
		const map = doc.getMap(mapName);
		switch (mapName) {
			case 'attendance': {
				const touched = new Set<string>();
				for (const key of keys) this.#takeAttendance(key, map.get(key), touched, true);
				for (const w of touched) this.#recomputeWorker(w);
				return;
			}
			case 'alerts':
				for (const key of keys) this.#takeAlert(key, map.get(key));
				return;
			case 'alertActions': {
				const alerts = doc.getMap('alerts');
				for (const key of keys) this.#takeAction(key, map.get(key), alerts);
				return;
			}
			case 'ratings':
				for (const key of keys) this.#takeRating(key, map.get(key));
				return;
			case 'incidents':
				for (const key of keys) this.#takeIncident(key, map.get(key));
				return;
		}
	}

	/** Follows the document: folds each change of a folded map, then calls `onChange`. */
	observe(doc: Y.Doc, onChange: () => void): () => void {
		const offs = FOLDED_MAPS.map((name) => {
			const map = doc.getMap(name);
			const fn = (e: Y.YMapEvent<unknown>) => {
				this.apply(doc, name, e.keysChanged);
				onChange();
			};
			map.observe(fn);
			return () => map.unobserve(fn);
		});
		return () => offs.forEach((off) => off());
	}

	#markUnreadable(map: string, key: string, bad: boolean) {
		let set = this.#unreadable.get(map);
		if (bad) {
			if (!set) this.#unreadable.set(map, (set = new Set()));
			set.add(key);
		} else set?.delete(key);
	}

	// Attendance -------------------------------------------------------------------------------

	#takeAttendance(key: string, raw: unknown, touched: Set<string>, replace: boolean) {
		if (replace) {
			const before = this.#attendanceWorker.get(key);
			if (before !== undefined) {
				const w = this.#workers.get(before);
				if (w) {
					const i = w.passages.findIndex((p) => p.id === key);
					if (i >= 0) w.passages.splice(i, 1);
				}
				this.#attendanceWorker.delete(key);
				touched.add(before);
			}
		}
		if (raw === undefined) {
			if (this.#countedAttendance.delete(key)) this.#attendanceCount--;
			this.#markUnreadable('attendance', key, false);
			return;
		}
		if (!this.#countedAttendance.has(key)) {
			this.#countedAttendance.add(key);
			this.#attendanceCount++;
		}
		// Peek at the plain fields first: refused passages (most of a busy gate's noise) and other
		// sites' records are skipped without validating them.
		const peek = raw as { allow?: unknown; siteId?: unknown } | null;
		if (peek && typeof peek === 'object' && (peek.allow === false || peek.siteId !== this.siteId)) {
			this.#markUnreadable('attendance', key, false);
			return;
		}
		const read = readRecord(AttendanceEvent, raw);
		if (!read.ok || read.record.id !== key) {
			this.#markUnreadable('attendance', key, true);
			return;
		}
		this.#markUnreadable('attendance', key, false);
		const e = read.record;
		if (!e.allow || !e.workerId || e.siteId !== this.siteId) return;
		const t = Date.parse(e.at);
		let w = this.#workers.get(e.workerId);
		if (!w) {
			w = {
				passages: [],
				days: new Map(),
				contractorId: UNKNOWN,
				strayExits: 0,
				shown: null
			};
			this.#workers.set(e.workerId, w);
		}
		const p: Passage = { id: key, t, direction: e.direction, contractorId: e.contractorId ?? null };
		const list = w.passages;
		// Passages mostly arrive in time order; a late one is inserted where it belongs.
		if (list.length === 0 || byTime(list[list.length - 1]!, p) < 0) list.push(p);
		else {
			let lo = 0;
			let hi = list.length;
			while (lo < hi) {
				const mid = (lo + hi) >> 1;
				if (byTime(list[mid]!, p) < 0) lo = mid + 1;
				else hi = mid;
			}
			list.splice(lo, 0, p);
		}
		this.#attendanceWorker.set(key, e.workerId);
		touched.add(e.workerId);
	}

	#countedAttendance = new Set<string>();

	/** A worker's contractor this month: the newest passage naming one, else the directory. */
	#contractorOfWorker(workerId: string, w: WorkerState | undefined): string {
		if (w)
			for (let i = w.passages.length - 1; i >= 0; i--) {
				const c = w.passages[i]!.contractorId;
				if (c) return c;
			}
		return this.#contractorOf(workerId) || UNKNOWN;
	}

	#recomputeWorker(workerId: string) {
		const w = this.#workers.get(workerId);
		if (!w) return;
		// Take out what the worker added before…
		for (const [day, c] of w.days) this.#addHours(day, w.contractorId, -c.ms, -c.unclosed, -1);
		// …and add what the rule says now.
		const { parts, strayExits } = staysOf(w.passages, this.timeZone);
		w.strayExits = strayExits;
		w.contractorId = this.#contractorOfWorker(workerId, w);
		const days = new Map<IsoDate, { ms: number; unclosed: number }>();
		for (const part of parts) {
			const d = days.get(part.day) ?? days.set(part.day, { ms: 0, unclosed: 0 }).get(part.day)!;
			d.ms += part.ms;
			if (part.unclosed) d.unclosed++;
		}
		w.days = days;
		for (const [day, c] of days) this.#addHours(day, w.contractorId, c.ms, c.unclosed, 1);
		if (w.passages.length === 0) {
			this.#workers.delete(workerId);
			return;
		}
		const f = w.passages[0]!;
		const l = w.passages[w.passages.length - 1]!;
		let ms = 0;
		let unclosed = 0;
		for (const d of days.values()) {
			ms += d.ms;
			unclosed += d.unclosed;
		}
		w.shown = {
			first: { id: f.id, t: f.t, direction: f.direction },
			last: { id: l.id, t: l.t, direction: l.direction },
			month: days.size
				? { contractorId: w.contractorId, ms, workerDays: days.size, unclosed }
				: null
		};
	}

	#day(day: IsoDate): DayStats {
		let d = this.#days.get(day);
		if (!d) this.#days.set(day, (d = zeroDay()));
		return d;
	}

	#addHours(day: IsoDate, contractorId: string, ms: number, unclosed: number, workerDays: number) {
		const d = this.#day(day);
		d.ms += ms;
		d.unclosed += unclosed;
		d.workerDays += workerDays;
		const c = d.byContractor[contractorId] ?? (d.byContractor[contractorId] = zeroCell());
		c.ms += ms;
		c.unclosed += unclosed;
		c.workerDays += workerDays;
		if (c.workerDays === 0 && c.ms === 0 && c.unclosed === 0) delete d.byContractor[contractorId];
	}

	// Alerts -----------------------------------------------------------------------------------

	#takeAlert(key: string, raw: unknown) {
		this.#setAlert(key, null);
		if (raw === undefined) {
			this.#markUnreadable('alerts', key, false);
			return;
		}
		const read = readRecord(Alert, raw);
		const ok = read.ok && read.record.id === key && read.record.siteId === this.siteId;
		this.#markUnreadable('alerts', key, !read.ok || read.record.id !== key);
		if (!ok) return;
		const a = read.record;
		this.#setAlert(key, {
			day: dayOf(Date.parse(a.at), this.timeZone),
			bucket: alertBucket(a.kind),
			workerId: a.workerId ?? null,
			falseAlarm: this.#latestAction.get(key)?.action === 'false_alarm'
		});
	}

	/** Replaces an alert's contribution (null: none). */
	#setAlert(key: string, next: AlertState | null) {
		const before = this.#alerts.get(key);
		if (before) this.#countAlert(before, -1);
		if (next) {
			this.#alerts.set(key, next);
			this.#countAlert(next, 1);
		} else this.#alerts.delete(key);
	}

	#countAlert(a: AlertState, n: number) {
		const d = this.#day(a.day);
		const w = a.workerId ?? '';
		if (a.falseAlarm) {
			d.falseAlarms += n;
			this.#falseByWorker.set(w, (this.#falseByWorker.get(w) ?? 0) + n);
		} else {
			d.alerts[a.bucket] += n;
			let c = this.#alertsByWorker.get(w);
			if (!c) this.#alertsByWorker.set(w, (c = zeroAlerts()));
			c[a.bucket] += n;
		}
	}

	#takeAction(key: string, raw: unknown, alerts: Y.Map<unknown> | null) {
		if (raw === undefined) return; // append-only: never deleted by any role
		const read = readRecord(AlertAction, raw);
		this.#markUnreadable('alertActions', key, !read.ok);
		if (!read.ok || read.record.id !== key) return;
		const x = read.record;
		const prev = this.#latestAction.get(x.alertId);
		// The latest action counts: by time, then id (as monitor.ts alertViews orders them).
		if (prev && (prev.at > x.at || (prev.at === x.at && prev.id >= x.id))) return;
		this.#latestAction.set(x.alertId, { at: x.at, id: x.id, action: x.action });
		const a = this.#alerts.get(x.alertId);
		if (a && a.falseAlarm !== (x.action === 'false_alarm'))
			this.#setAlert(x.alertId, { ...a, falseAlarm: x.action === 'false_alarm' });
		else if (!a && alerts?.has(x.alertId)) this.#takeAlert(x.alertId, alerts.get(x.alertId));
	}

	// Ratings and incidents -------------------------------------------------------------------

	#takeRating(key: string, raw: unknown) {
		if (raw === undefined) return; // append-only
		const read = readRecord(JobRating, raw);
		this.#markUnreadable('ratings', key, !read.ok);
		if (!read.ok || read.record.siteId !== this.siteId) return;
		const r = read.record;
		// One job rated by one person: a later rating corrects the earlier (events.ts JobRating).
		const group = ratingGroup(r);
		const state = {
			contractorId: r.contractorId,
			quality: r.quality,
			safety: r.safety,
			tidiness: r.tidiness
		};
		this.#ratingRecords.set(key, { group, at: r.at, state });
		const latestKey = this.#ratingLatest.get(group);
		const latest = latestKey ? this.#ratingRecords.get(latestKey) : undefined;
		if (latest && (latest.at > r.at || (latest.at === r.at && latestKey! > key))) return;
		if (latest) this.#rate(latest.state, -1);
		this.#ratingLatest.set(group, key);
		this.#rate(state, 1);
	}

	#ratingSums = new Map<string, ContractorMonth['ratings']>();

	#rate(s: RatingState, n: number) {
		let sums = this.#ratingSums.get(s.contractorId);
		if (!sums)
			this.#ratingSums.set(
				s.contractorId,
				(sums = { count: 0, quality: 0, safety: 0, tidiness: 0 })
			);
		sums.count += n;
		sums.quality += n * s.quality;
		sums.safety += n * s.safety;
		sums.tidiness += n * s.tidiness;
	}

	#takeIncident(key: string, raw: unknown) {
		if (raw === undefined) {
			this.#incidents.delete(key);
			return;
		}
		const read = readRecord(SafetyIncident, raw);
		this.#markUnreadable('incidents', key, !read.ok);
		if (!read.ok || read.record.siteId !== this.siteId) {
			this.#incidents.delete(key);
			return;
		}
		this.#incidents.set(key, {
			contractorId: read.record.contractorId,
			severity: read.record.severity
		});
	}

	/** The worker's contractor as the numbers count it (newest passage naming one, else directory). */
	contractorOfWorker(workerId: string): string {
		return this.#contractorOfWorker(workerId, this.#workers.get(workerId));
	}

	/** Every worker's stays as the hours rule pairs them (for drill-downs). */
	*stays(): Generator<{ workerId: string; contractorId: string; parts: StayPart[] }> {
		for (const [workerId, w] of this.#workers)
			yield {
				workerId,
				contractorId: w.contractorId,
				parts: staysOf(w.passages, this.timeZone).parts
			};
	}

	/** Every alert of the site in this document as counted (for drill-downs). */
	*alertStates(): Generator<{
		id: string;
		day: IsoDate;
		bucket: AlertBucket;
		workerId: string | null;
		contractorId: string;
		falseAlarm: boolean;
	}> {
		for (const [id, a] of this.#alerts)
			yield {
				id,
				...a,
				contractorId: a.workerId
					? this.#contractorOfWorker(a.workerId, this.#workers.get(a.workerId))
					: UNKNOWN
			};
	}

	/** Admitted passages with `from <= t < to`, each with its worker (today's, for the chart). */
	passagesBetween(from: number, to: number): (EdgePassage & { workerId: string })[] {
		const out: (EdgePassage & { workerId: string })[] = [];
		for (const [workerId, w] of this.#workers)
			for (let i = w.passages.length - 1; i >= 0; i--) {
				const p = w.passages[i]!;
				if (p.t < from) break;
				if (p.t < to) out.push({ id: p.id, t: p.t, direction: p.direction, workerId });
			}
		return out;
	}

	/** Each worker's last admitted passage before instant `t` in this month. */
	lastBefore(t: number): Map<string, EdgePassage> {
		const out = new Map<string, EdgePassage>();
		for (const [workerId, w] of this.#workers)
			for (let i = w.passages.length - 1; i >= 0; i--) {
				const p = w.passages[i]!;
				if (p.t >= t) continue;
				out.set(workerId, { id: p.id, t: p.t, direction: p.direction });
				break;
			}
		return out;
	}

	// The summary ------------------------------------------------------------------------------

	/** A fresh JSON-safe copy of the numbers now. */
	summary(): MonthSummary {
		const days: MonthSummary['days'] = {};
		for (const day of [...this.#days.keys()].sort()) {
			const d = this.#days.get(day)!;
			if (
				d.workerDays === 0 &&
				d.falseAlarms === 0 &&
				ALERT_BUCKETS.every((b) => d.alerts[b] === 0)
			)
				continue;
			const byContractor: DayStats['byContractor'] = {};
			for (const c of Object.keys(d.byContractor).sort())
				byContractor[c] = { ...d.byContractor[c]! };
			days[day] = {
				ms: d.ms,
				workerDays: d.workerDays,
				unclosed: d.unclosed,
				byContractor,
				alerts: { ...d.alerts },
				falseAlarms: d.falseAlarms
			};
		}
		const contractors: MonthSummary['contractors'] = {};
		const contractor = (id: string) => contractors[id] ?? (contractors[id] = zeroContractor());
		const workers: MonthSummary['workers'] = {};
		const first: MonthSummary['first'] = {};
		const last: MonthSummary['last'] = {};
		let strayExits = 0;
		let admitted = 0;
		for (const [workerId, w] of this.#workers) {
			admitted += w.passages.length;
			strayExits += w.strayExits;
			const shown = w.shown!;
			first[workerId] = shown.first;
			last[workerId] = shown.last;
			const m = shown.month;
			if (!m) continue;
			workers[workerId] = m;
			const c = contractor(w.contractorId);
			c.ms += m.ms;
			c.unclosed += m.unclosed;
			c.workerDays += m.workerDays;
			c.workers++;
		}
		let alerts = 0;
		let falseAlarms = 0;
		for (const [w, counts] of this.#alertsByWorker) {
			const total = ALERT_BUCKETS.reduce((s, b) => s + counts[b], 0);
			if (total === 0) continue;
			alerts += total;
			const c = contractor(w ? this.#contractorOfWorker(w, this.#workers.get(w)) : UNKNOWN);
			c.alerts += total;
			for (const b of ALERT_BUCKETS) c.alertsByKind[b] += counts[b];
		}
		for (const [w, n] of this.#falseByWorker) {
			if (n === 0) continue;
			falseAlarms += n;
			contractor(w ? this.#contractorOfWorker(w, this.#workers.get(w)) : UNKNOWN).falseAlarms += n;
		}
		for (const { contractorId, severity } of this.#incidents.values())
			contractor(contractorId).incidents[severity]++;
		let ratings = 0;
		for (const [id, sums] of this.#ratingSums) {
			if (sums.count === 0) continue;
			ratings += sums.count;
			contractor(id).ratings = { ...sums };
		}
		const sortedContractors: MonthSummary['contractors'] = {};
		for (const id of Object.keys(contractors).sort()) sortedContractors[id] = contractors[id]!;
		const unreadable: Record<string, number> = {};
		for (const [map, set] of this.#unreadable) if (set.size) unreadable[map] = set.size;
		return {
			v: 1,
			siteId: this.siteId,
			month: this.month,
			timeZone: this.timeZone,
			days,
			contractors: sortedContractors,
			workers,
			first,
			last,
			counts: {
				attendance: this.#attendanceCount,
				admitted,
				strayExits,
				alerts,
				falseAlarms,
				ratings,
				incidents: this.#incidents.size,
				unreadable
			}
		};
	}
}

/** Folds a whole events document once (a closed month, or the first look at this one). */
export function foldMonth(doc: Y.Doc, options: FoldOptions): MonthSummary {
	return new MonthFold(options).load(doc).summary();
}
