// The site dashboard from month summaries and the site's contractor and control documents, and
// HQ's view as the exact sum of sites' dashboards (`mergeDashboards`). Pure functions over plain
// data; `dashboard-live.svelte.ts` keeps the inputs current.
import type { LocationPing } from '../events';
import type { GeoZone } from '../../domain/geo';
import { diffDays, type IsoDate } from '../../domain/dates';
import { approvalMetrics, type ApplicationApprovals } from '../approvals';
import type { LedgerRow } from '../ledger';
import { zoneOfPing } from '../sitemap';
import { MAX_STAY_HOURS, zeroContractor } from './month';
import { dayOf, dayStart } from './time';
import {
	ALERT_BUCKETS,
	CERT_BUCKETS,
	UNKNOWN,
	type ApprovalStats,
	type ApprovalStepStats,
	type CertBucketName,
	type CertificateStats,
	type CertItem,
	type ContractorMonth,
	type Dashboard,
	type DaySeriesPoint,
	type EdgePassage,
	type HourlyHeadcount,
	type MonthSummary,
	type OnSiteNow,
	type OverdueItem,
	type TradeStats
} from './types';

const HOUR = 3_600_000;

/** What a worker is, for grouping (from the contractor documents: `workerDirectory`). */
export interface WorkerInfo {
	contractorId: string;
	trade: string | null;
}

/** Today's admitted passage of a worker (`MonthFold.passagesBetween`). */
export interface DayPassage extends EdgePassage {
	workerId: string;
}

export interface DashboardInput {
	siteId: string;
	timeZone: string;
	at: Date;
	/** Month summaries of the site, any order (a year: 12). */
	months: readonly MonthSummary[];
	/** Today's admitted passages (any order): `MonthFold.passagesBetween`. */
	today: readonly DayPassage[];
	/** Each worker's last passage before today in the current month: `MonthFold.lastBefore`. */
	beforeToday?: ReadonlyMap<string, EdgePassage>;
	workers: ReadonlyMap<string, WorkerInfo>;
	/** Each worker's last ping (`lastPings`) and the site's zones (`geoZones`). */
	pings: ReadonlyMap<string, LocationPing>;
	zones: readonly GeoZone[];
	/** The ledger rows of the site's contractors (certificates judged, `ledgerFromDocs`). */
	ledger: readonly LedgerRow[];
	/** `siteApprovals` of the site. */
	approvals: readonly ApplicationApprovals[];
	contractorNames?: Record<string, string>;
}

const inc = (r: Record<string, number>, k: string, n = 1) => {
	r[k] = (r[k] ?? 0) + n;
};

/**
 * Each worker's last admitted passage over the months given (the newest month naming them wins):
 * the same answer as `Presence` over those documents.
 */
export function lastPassages(months: readonly MonthSummary[]): Map<string, EdgePassage> {
	const last = new Map<string, EdgePassage>();
	for (const m of [...months].sort((a, b) => (a.month < b.month ? -1 : 1)))
		for (const w in m.last) {
			const p = m.last[w]!;
			const prev = last.get(w);
			if (!prev || prev.t < p.t || (prev.t === p.t && prev.id < p.id)) last.set(w, p);
		}
	return last;
}

/** Who is on site now, by contractor, trade and zone (zone of the last ping, else unknown). */
export function onSiteNow(
	present: Iterable<string>,
	workers: ReadonlyMap<string, WorkerInfo>,
	pings: ReadonlyMap<string, LocationPing>,
	zones: readonly GeoZone[]
): OnSiteNow {
	const out: OnSiteNow = { total: 0, byContractor: {}, byTrade: {}, byZone: {} };
	for (const w of present) {
		const info = workers.get(w);
		out.total++;
		inc(out.byContractor, info?.contractorId ?? UNKNOWN);
		inc(out.byTrade, info?.trade || UNKNOWN);
		inc(out.byZone, zoneOfPing(pings.get(w), zones)?.id ?? UNKNOWN);
	}
	return out;
}

/**
 * Headcount at the end of each site-local hour of `day` (a step function of the passages): who
 * was in at the day's start (`before`: each worker's last passage before it), then every passage
 * of the day in time order. Hours after `at` are null.
 */
export function hourlyHeadcount(
	day: IsoDate,
	timeZone: string,
	before: ReadonlyMap<string, EdgePassage>,
	passages: readonly DayPassage[],
	at: Date
): HourlyHeadcount {
	const start = dayStart(day, timeZone);
	const inside = new Set<string>();
	for (const [w, p] of before) if (p.t < start && p.direction === 'in') inside.add(w);
	const sorted = passages
		.filter((p) => p.t >= start)
		.sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1));
	const out: HourlyHeadcount = [];
	let i = 0;
	for (let h = 0; h < 24; h++) {
		const end = start + (h + 1) * HOUR;
		if (start + h * HOUR > at.getTime()) {
			out.push(null);
			continue;
		}
		const until = Math.min(end, at.getTime() + 1);
		while (i < sorted.length && sorted[i]!.t < until) {
			const p = sorted[i++]!;
			if (p.direction === 'in') inside.add(p.workerId);
			else inside.delete(p.workerId);
		}
		out.push(inside.size);
	}
	return out;
}

const LAPSED = new Set(['expired', 'review_overdue', 'revoked']);

/**
 * Certificates by how soon they lapse: `lapsed` (expired, review overdue, revoked), and the next
 * deadline (expiry, or the 复审 date) within 30, 31–60 and 61–90 days. Bands do not overlap; the
 * UI adds them up for "within 60 days".
 */
export function certificateStats(siteId: string, rows: readonly LedgerRow[]): CertificateStats {
	const out = Object.fromEntries(
		CERT_BUCKETS.map((b) => [b, { count: 0, byContractor: {}, items: [] as CertItem[] }])
	) as unknown as CertificateStats;
	for (const row of rows)
		for (const c of row.certificates) {
			const s = c.status;
			let bucket: CertBucketName | null = null;
			let days: number | null = null;
			let dueOn: IsoDate | null = null;
			const candidates: [number | null, IsoDate | null][] = [
				[s.daysToExpiry, s.expiresOn],
				[s.daysToReview, s.reviewDueOn]
			];
			for (const [d, on] of candidates)
				if (d !== null && (days === null || d < days)) {
					days = d;
					dueOn = on;
				}
			if (LAPSED.has(s.status)) bucket = 'lapsed';
			else if (days !== null && days >= 0 && days <= 90)
				bucket = days <= 30 ? 'd30' : days <= 60 ? 'd60' : 'd90';
			if (!bucket) continue;
			const b = out[bucket];
			b.count++;
			inc(b.byContractor, row.contractorId);
			b.items.push({
				siteId,
				contractorId: row.contractorId,
				workerId: row.worker.id,
				certificateId: c.record.id,
				status: s.status,
				dueOn: s.status === 'revoked' ? (s.revokedOn ?? dueOn) : dueOn,
				daysLeft: days
			});
		}
	for (const b of CERT_BUCKETS) out[b].items.sort(byDue);
	return out;
}

const byDue = (a: CertItem, b: CertItem) =>
	(a.daysLeft ?? -1e9) - (b.daysLeft ?? -1e9) ||
	(a.certificateId < b.certificateId ? -1 : a.certificateId > b.certificateId ? 1 : 0);

export function tradeStats(
	rows: readonly LedgerRow[],
	present: Iterable<string>,
	workers: ReadonlyMap<string, WorkerInfo>
): TradeStats {
	let registered = registeredMemo.get(rows);
	if (!registered) {
		registered = {};
		for (const r of rows) inc(registered, r.worker.trade || UNKNOWN);
		registeredMemo.set(rows, registered);
	}
	const onSite: Record<string, number> = {};
	for (const w of present) inc(onSite, workers.get(w)?.trade || UNKNOWN);
	return { registered: { ...registered }, onSite };
}

/** The p-th percentile (0–1) of sorted numbers, nearest rank (the median is p = 0.5, lower). */
export function percentile(sorted: readonly number[], p: number): number | null {
	if (sorted.length === 0) return null;
	const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
	return sorted[i]!;
}

function stepStats(stepId: string, hours: number[], overdueNow: number): ApprovalStepStats {
	const sorted = [...hours].sort((a, b) => a - b);
	return {
		stepId,
		decided: sorted.length,
		// The same median approvalMetrics gives (lower middle).
		medianHours: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : null,
		p90Hours: percentile(sorted, 0.9),
		overdueNow,
		hours: sorted
	};
}

/** Approval time per step (median, p90) and what waits past its deadline now (approvals.ts). */
export function approvalStats(
	siteId: string,
	items: readonly ApplicationApprovals[],
	now: Date
): ApprovalStats {
	const metrics = approvalMetrics(items, now);
	const at = now.toISOString();
	const hours = new Map<string, number[]>();
	const overdue: OverdueItem[] = [];
	for (const { application, workers } of items)
		for (const a of workers)
			for (const s of a.steps) {
				if (s.decided && s.since) {
					const list = hours.get(s.step.id) ?? hours.set(s.step.id, []).get(s.step.id)!;
					list.push((Date.parse(s.decided.record.at) - Date.parse(s.since)) / HOUR);
				}
				if (a.status === 'pending' && a.current === s.index && s.deadline && at >= s.deadline)
					overdue.push({
						siteId,
						contractorId: application.contractorId,
						applicationId: application.id,
						workerId: a.worker,
						stepId: s.step.id,
						deadline: s.deadline
					});
			}
	overdue.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
	return {
		steps: metrics.steps.map((m) => stepStats(m.stepId, hours.get(m.stepId) ?? [], m.overdueNow)),
		overdue
	};
}

export function addContractorMonth(into: ContractorMonth, c: ContractorMonth): void {
	into.ms += c.ms;
	into.workerDays += c.workerDays;
	into.unclosed += c.unclosed;
	into.workers += c.workers;
	into.alerts += c.alerts;
	into.falseAlarms += c.falseAlarms;
	for (const b of ALERT_BUCKETS) into.alertsByKind[b] += c.alertsByKind[b];
	for (const s of Object.keys(c.incidents) as (keyof ContractorMonth['incidents'])[])
		into.incidents[s] += c.incidents[s];
	into.ratings.count += c.ratings.count;
	into.ratings.quality += c.ratings.quality;
	into.ratings.safety += c.ratings.safety;
	into.ratings.tidiness += c.ratings.tidiness;
}

/** A day with nothing on it. */
export const emptyPoint = (date: IsoDate): DaySeriesPoint => ({
	date,
	hours: 0,
	workerDays: 0,
	unclosed: 0,
	falseAlarms: 0,
	ppe: 0,
	zone: 0,
	geofence: 0,
	other: 0
});

/** The per-day series, per-contractor months and hours from month summaries (any sites). */
export function seriesOf(months: readonly MonthSummary[]): Pick<
	Dashboard,
	'days' | 'contractorMonths' | 'hoursByContractor' | 'hoursByWorker'
> & {
	/** Day → hours in ms (exact; `days[].hours` is this / 3.6e6). */
	msByDay: Record<IsoDate, number>;
} {
	const points = new Map<IsoDate, DaySeriesPoint>();
	const msByDay: Record<IsoDate, number> = {};
	const contractorMonths: Dashboard['contractorMonths'] = {};
	const hoursByContractor: Record<string, number> = {};
	const hoursByWorker: Record<string, number> = {};
	for (const m of months) {
		for (const [date, d] of Object.entries(m.days)) {
			const p = points.get(date) ?? points.set(date, emptyPoint(date)).get(date)!;
			msByDay[date] = (msByDay[date] ?? 0) + d.ms;
			p.workerDays += d.workerDays;
			p.unclosed += d.unclosed;
			p.falseAlarms += d.falseAlarms;
			for (const b of ALERT_BUCKETS) p[b] += d.alerts[b];
		}
		const cm = contractorMonths[m.month] ?? (contractorMonths[m.month] = {});
		for (const [id, c] of Object.entries(m.contractors)) {
			addContractorMonth(cm[id] ?? (cm[id] = zeroContractor()), c);
			inc(hoursByContractor, id, c.ms);
		}
		for (const id in m.workers) inc(hoursByWorker, id, m.workers[id]!.ms);
	}
	const days = [...points.values()]
		.sort((a, b) => (a.date < b.date ? -1 : 1))
		.map((p) => ({ ...p, hours: msByDay[p.date]! / HOUR }));
	return { days, contractorMonths, hoursByContractor, hoursByWorker, msByDay };
}

// The ledger and approvals change with contractor and control documents, not with events: their
// numbers are kept per input array, so an appended passage does not judge 2,000 certificates again.
const certificateMemo = new WeakMap<readonly LedgerRow[], Map<string, CertificateStats>>();
const registeredMemo = new WeakMap<readonly LedgerRow[], Record<string, number>>();

function memoCertificates(siteId: string, rows: readonly LedgerRow[]): CertificateStats {
	let bySite = certificateMemo.get(rows);
	if (!bySite) certificateMemo.set(rows, (bySite = new Map()));
	let stats = bySite.get(siteId);
	if (!stats) bySite.set(siteId, (stats = certificateStats(siteId, rows)));
	return stats;
}

// An update touches the newest month only: what the closed months add up to is kept per site
// while the same summary objects are passed (a late event in a closed month gives a new object).
const memos = new Map<string, { refs: readonly object[]; extra: unknown; value: unknown }>();
function memo<T>(key: string, refs: readonly object[], extra: unknown, compute: () => T): T {
	const m = memos.get(key);
	if (
		m &&
		m.extra === extra &&
		m.refs.length === refs.length &&
		m.refs.every((r, i) => r === refs[i])
	)
		return m.value as T;
	const value = compute();
	memos.set(key, { refs: [...refs], extra, value });
	return value;
}

type Series = ReturnType<typeof seriesOf>;

/** Two series added (days, contractor months, hours), as new objects. */
function addSeries(a: Series, b: Series): Series {
	const msByDay = { ...a.msByDay };
	for (const [d, ms] of Object.entries(b.msByDay)) msByDay[d] = (msByDay[d] ?? 0) + ms;
	const points = new Map(a.days.map((p) => [p.date, { ...p }]));
	for (const p of b.days) {
		const q = points.get(p.date);
		if (!q) points.set(p.date, { ...p });
		else {
			q.workerDays += p.workerDays;
			q.unclosed += p.unclosed;
			q.falseAlarms += p.falseAlarms;
			for (const k of ALERT_BUCKETS) q[k] += p[k];
		}
	}
	const contractorMonths = { ...a.contractorMonths };
	for (const [month, cs] of Object.entries(b.contractorMonths)) {
		if (!contractorMonths[month]) {
			contractorMonths[month] = cs;
			continue;
		}
		const into: Record<string, ContractorMonth> = {};
		for (const src of [contractorMonths[month]!, cs])
			for (const [id, c] of Object.entries(src))
				addContractorMonth(into[id] ?? (into[id] = zeroContractor()), c);
		contractorMonths[month] = into;
	}
	const sum = (x: Record<string, number>, y: Record<string, number>) => {
		const out = { ...x };
		for (const k in y) inc(out, k, y[k]!);
		return out;
	};
	return {
		days: [...points.values()]
			.sort((x, y) => (x.date < y.date ? -1 : 1))
			.map((p) => ({ ...p, hours: msByDay[p.date]! / HOUR })),
		contractorMonths,
		hoursByContractor: sum(a.hoursByContractor, b.hoursByContractor),
		hoursByWorker: sum(a.hoursByWorker, b.hoursByWorker),
		msByDay
	};
}

const newer = (prev: EdgePassage | undefined, p: EdgePassage) =>
	!prev || prev.t < p.t || (prev.t === p.t && prev.id < p.id);

/** One site's dashboard at `input.at`. */
export function buildDashboard(input: DashboardInput): Dashboard {
	const today = dayOf(input.at.getTime(), input.timeZone);
	const start = dayStart(today, input.timeZone);
	const sorted = [...input.months].sort((a, b) => (a.month < b.month ? -1 : 1));
	const closed = sorted.slice(0, -1);
	const newest = sorted.slice(-1);
	const site = input.siteId;
	// Each worker's last passage (= Presence over these documents), and the last before today.
	const last = new Map(memo(`${site}|last`, closed, null, () => lastPassages(closed)));
	const before = new Map(
		memo(`${site}|before`, closed, start, () => beforeDay(closed, new Map(), start))
	);
	for (const m of newest)
		for (const w in m.last) {
			const p = m.last[w]!;
			if (newer(last.get(w), p)) last.set(w, p);
			if (p.t < start && newer(before.get(w), p)) before.set(w, p);
		}
	for (const p of input.today) if (newer(last.get(p.workerId), p)) last.set(p.workerId, p);
	for (const [w, p] of input.beforeToday ?? [])
		if (p.t < start && newer(before.get(w), p)) before.set(w, p);
	const present = [...last].filter(([, p]) => p.direction === 'in').map(([w]) => w);
	// Today's hours so far of those inside now: from their entry (or midnight) to now. A stay has
	// no hours until its exit pairs it; the tile of today should not read 0 with 30 people inside.
	const at = input.at.getTime();
	let openMs = 0;
	for (const w of present) {
		const p = last.get(w)!;
		if (at - p.t <= MAX_STAY_HOURS * HOUR) openMs += Math.max(0, at - Math.max(p.t, start));
	}
	const series = addSeries(
		memo(`${site}|series`, closed, null, () => seriesOf(closed)),
		seriesOf(newest)
	);
	return {
		siteIds: [input.siteId],
		at: input.at.toISOString(),
		today,
		onSite: onSiteNow(present, input.workers, input.pings, input.zones),
		todayByHour: hourlyHeadcount(today, input.timeZone, before, input.today, input.at),
		openHoursToday: openMs / HOUR,
		certificates: memoCertificates(input.siteId, input.ledger),
		trades: tradeStats(input.ledger, present, input.workers),
		approvals: approvalStats(input.siteId, input.approvals, input.at),
		days: series.days,
		contractorMonths: series.contractorMonths,
		hoursByContractor: series.hoursByContractor,
		hoursByWorker: series.hoursByWorker,
		contractorNames: { ...(input.contractorNames ?? {}) }
	};
}

/**
 * Each worker's last passage before `start`: the months' last passages that are earlier, then
 * the current month's fold (`MonthFold.lastBefore`), which knows the passages before today of a
 * worker whose month-last passage is today.
 */
function beforeDay(
	months: readonly MonthSummary[],
	foldBefore: ReadonlyMap<string, EdgePassage>,
	start: number
): Map<string, EdgePassage> {
	const out = lastPassages(
		months.map((m) => ({
			...m,
			last: Object.fromEntries(Object.entries(m.last).filter(([, p]) => p.t < start))
		}))
	);
	for (const [w, p] of foldBefore) {
		const prev = out.get(w);
		if (p.t < start && (!prev || prev.t < p.t || (prev.t === p.t && prev.id < p.id))) out.set(w, p);
	}
	return out;
}

/** HQ: several sites' dashboards as one; every number is the sum of the sites' numbers. */
export function mergeDashboards(dashboards: readonly Dashboard[]): Dashboard {
	const sum = (rs: Record<string, number>[]) => {
		const out: Record<string, number> = {};
		for (const r of rs) for (const k in r) inc(out, k, r[k]!);
		return out;
	};
	const certificates = Object.fromEntries(
		CERT_BUCKETS.map((b) => [
			b,
			{
				count: dashboards.reduce((s, d) => s + d.certificates[b].count, 0),
				byContractor: sum(dashboards.map((d) => d.certificates[b].byContractor)),
				items: dashboards.flatMap((d) => d.certificates[b].items).sort(byDue)
			}
		])
	) as CertificateStats;
	const stepIds = [...new Set(dashboards.flatMap((d) => d.approvals.steps.map((s) => s.stepId)))];
	const steps = stepIds.map((id) => {
		const parts = dashboards.flatMap((d) => d.approvals.steps.filter((s) => s.stepId === id));
		return stepStats(
			id,
			parts.flatMap((s) => s.hours),
			parts.reduce((n, s) => n + s.overdueNow, 0)
		);
	});
	const points = new Map<IsoDate, DaySeriesPoint>();
	for (const d of dashboards)
		for (const p of d.days) {
			const q = points.get(p.date) ?? points.set(p.date, emptyPoint(p.date)).get(p.date)!;
			q.hours += p.hours;
			q.workerDays += p.workerDays;
			q.unclosed += p.unclosed;
			q.falseAlarms += p.falseAlarms;
			for (const b of ALERT_BUCKETS) q[b] += p[b];
		}
	const contractorMonths: Dashboard['contractorMonths'] = {};
	for (const d of dashboards)
		for (const [month, cs] of Object.entries(d.contractorMonths)) {
			const into = contractorMonths[month] ?? (contractorMonths[month] = {});
			for (const [id, c] of Object.entries(cs))
				addContractorMonth(into[id] ?? (into[id] = zeroContractor()), c);
		}
	const hourly: HourlyHeadcount = Array.from({ length: 24 }, (_, h) => {
		const vals = dashboards.map((d) => d.todayByHour[h] ?? null);
		return vals.every((v) => v === null) ? null : vals.reduce<number>((s, v) => s + (v ?? 0), 0);
	});
	const first = dashboards[0];
	return {
		siteIds: dashboards.flatMap((d) => d.siteIds),
		at: first?.at ?? new Date(0).toISOString(),
		today: first?.today ?? '1970-01-01',
		onSite: {
			total: dashboards.reduce((s, d) => s + d.onSite.total, 0),
			byContractor: sum(dashboards.map((d) => d.onSite.byContractor)),
			byTrade: sum(dashboards.map((d) => d.onSite.byTrade)),
			byZone: sum(dashboards.map((d) => d.onSite.byZone))
		},
		todayByHour: hourly,
		openHoursToday: dashboards.reduce((n, d) => n + d.openHoursToday, 0),
		certificates,
		trades: {
			registered: sum(dashboards.map((d) => d.trades.registered)),
			onSite: sum(dashboards.map((d) => d.trades.onSite))
		},
		approvals: {
			steps,
			overdue: dashboards
				.flatMap((d) => d.approvals.overdue)
				.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0))
		},
		days: [...points.values()].sort((a, b) => (a.date < b.date ? -1 : 1)),
		contractorMonths,
		hoursByContractor: sum(dashboards.map((d) => d.hoursByContractor)),
		hoursByWorker: sum(dashboards.map((d) => d.hoursByWorker)),
		contractorNames: Object.assign({}, ...dashboards.map((d) => d.contractorNames))
	};
}

/** Days between two dates, for the UI's "in N days". */
export const daysUntil = (from: IsoDate, to: IsoDate) => diffDays(from, to);
