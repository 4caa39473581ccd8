// The dashboard's read models as plain, serialisable data (issue 11): a month of a site's events
// folded into a `MonthSummary`, and the site (or HQ) dashboard built from summaries plus the
// contractor and control documents. Every count is an integer (hours are kept in milliseconds), so
// HQ's numbers are exactly the sum of the sites' numbers, in any order.
import type { IsoDate } from '../../domain/dates';
import type { CertificateStatus } from '../../domain';
import type { IncidentSeverity } from '../events';

/** The dashboard's alert kinds: the `Alert.kind`s, with `gate` and `other` shown together. */
export const ALERT_BUCKETS = ['ppe', 'zone', 'geofence', 'other'] as const;
export type AlertBucket = (typeof ALERT_BUCKETS)[number];
export type AlertCounts = Record<AlertBucket, number>;

/** The key for a contractor, trade or zone nobody knows (shown as 未知/未登记). */
export const UNKNOWN = 'unknown';

/** Hours (as ms) and worker-days; `unclosed` counts entries without a matching exit (0 hours). */
export interface HoursCell {
	ms: number;
	workerDays: number;
	unclosed: number;
}

export interface DayStats extends HoursCell {
	byContractor: Record<string, HoursCell>;
	/** Alerts raised that site-local day, false alarms excluded. */
	alerts: AlertCounts;
	falseAlarms: number;
}

/** Sums of the ratings that count (the latest per job and rater), so averages merge exactly. */
export interface RatingSums {
	count: number;
	quality: number;
	safety: number;
	tidiness: number;
}

/** One contractor in one month at one site (or summed over sites): what the scorecard reads. */
export interface ContractorMonth extends HoursCell {
	/** Distinct workers with at least one worker-day (summed over sites at HQ). */
	workers: number;
	/** Alerts attributed through the alert's worker, false alarms excluded. */
	alerts: number;
	alertsByKind: AlertCounts;
	falseAlarms: number;
	incidents: Record<IncidentSeverity, number>;
	ratings: RatingSums;
}

export interface WorkerMonth extends HoursCell {
	contractorId: string;
}

/** A worker's admitted passage as the fold keeps it (`t`: epoch ms of `at`). */
export interface EdgePassage {
	id: string;
	t: number;
	direction: 'in' | 'out';
}

/** One site's events document for one month, folded. JSON-safe (cached as is). */
export interface MonthSummary {
	v: 1;
	siteId: string;
	/** 'YYYY-MM' */
	month: string;
	timeZone: string;
	days: Record<IsoDate, DayStats>;
	contractors: Record<string, ContractorMonth>;
	workers: Record<string, WorkerMonth>;
	/**
	 * Each worker's first and last admitted passage of the month: who was in when the month (or
	 * today) began, and an entry at the month's end whose exit is in the next month's document.
	 */
	first: Record<string, EdgePassage>;
	last: Record<string, EdgePassage>;
	counts: {
		attendance: number;
		admitted: number;
		/** Exits without an entry before them (not counted as hours). */
		strayExits: number;
		alerts: number;
		falseAlarms: number;
		ratings: number;
		incidents: number;
		/** Records this build cannot read, per map (kept, never counted). */
		unreadable: Record<string, number>;
	};
}

/** People on site now (who the gates say is in: `Presence`), grouped. */
export interface OnSiteNow {
	total: number;
	byContractor: Record<string, number>;
	byTrade: Record<string, number>;
	/** By the zone of the worker's last ping (zone id), else `UNKNOWN`. */
	byZone: Record<string, number>;
}

/** Headcount at the end of each site-local hour of today (null for hours still to come). */
export type HourlyHeadcount = (number | null)[];

export const CERT_BUCKETS = ['lapsed', 'd30', 'd60', 'd90'] as const;
/** lapsed = expired / review overdue / revoked; dN = next deadline within (N-30, N] days. */
export type CertBucketName = (typeof CERT_BUCKETS)[number];

export interface CertItem {
	siteId: string;
	contractorId: string;
	workerId: string;
	certificateId: string;
	status: CertificateStatus;
	/** The deadline that put it here (expiry or review), null for revoked without dates. */
	dueOn: IsoDate | null;
	daysLeft: number | null;
}

export interface CertBucket {
	count: number;
	byContractor: Record<string, number>;
	/** The certificates behind the count (the list one click away), soonest first. */
	items: CertItem[];
}

export type CertificateStats = Record<CertBucketName, CertBucket>;

export interface TradeStats {
	/** Registered workers (contractor documents of the site's contractors) by `Worker.trade`. */
	registered: Record<string, number>;
	onSite: Record<string, number>;
}

export interface ApprovalStepStats {
	stepId: string;
	decided: number;
	medianHours: number | null;
	p90Hours: number | null;
	overdueNow: number;
	/** The decided durations in hours, sorted (kept so HQ recomputes the median exactly). */
	hours: number[];
}

export interface OverdueItem {
	siteId: string;
	contractorId: string;
	applicationId: string;
	workerId: string;
	stepId: string;
	deadline: string;
}

export interface ApprovalStats {
	steps: ApprovalStepStats[];
	overdue: OverdueItem[];
}

export interface DaySeriesPoint extends AlertCounts {
	date: IsoDate;
	/** Hours worked (h, from ms) and worker-days. */
	hours: number;
	workerDays: number;
	unclosed: number;
	falseAlarms: number;
}

/** A site's dashboard (or HQ's: `mergeDashboards`). Plain data. */
export interface Dashboard {
	siteIds: string[];
	/** The instant it describes. */
	at: string;
	/** Site-local date of `at` (HQ: of the first site). */
	today: IsoDate;
	onSite: OnSiteNow;
	todayByHour: HourlyHeadcount;
	/**
	 * Hours so far today of the workers inside now (entry, or midnight, to `at`; stays older than
	 * `MAX_STAY_HOURS` left out). Not in `days`: a stay counts there once its exit pairs it.
	 */
	openHoursToday: number;
	certificates: CertificateStats;
	trades: TradeStats;
	approvals: ApprovalStats;
	/** Per day over the months given, oldest first. */
	days: DaySeriesPoint[];
	/** month → contractor → numbers (the scorecard's input). */
	contractorMonths: Record<string, Record<string, ContractorMonth>>;
	/** Hours (ms) per contractor and per worker over the months given. */
	hoursByContractor: Record<string, number>;
	hoursByWorker: Record<string, number>;
	/** Contractor id → name, for labels. */
	contractorNames: Record<string, string>;
}
