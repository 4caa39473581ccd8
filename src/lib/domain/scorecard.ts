// The contractor scorecard (issue 11): one score 0-100 a safety manager can explain line by line,
// and that the next tender (招标依据) looks at. Pure: the data layer counts the records per
// contractor and period; this turns counts into sub-scores, weights and a score.
//
// The formula, in one paragraph (the app and the README print it from these same constants):
// each of five components scores 0-100. Incidents: 100 − 20 × (severity-weighted incidents per
// 1,000 hours worked), with a near miss counting 1, a minor injury 3 and a serious incident 10,
// never below 0. Alerts: 100 − 5 × (alerts per 1,000 hours; false alarms are not counted), never
// below 0. Certificates: 100 × (1 − lapses ÷ certificates held). Approvals: 100 × (1 − returned or
// rejected decisions ÷ all decisions). Ratings: (average rating − 1) ÷ 4 × 100, the average taken
// over the three dimensions (quality, safety conduct, tidiness) of every rating. The score is the
// weighted average of the components; a component without data (no hours worked, no certificate
// held, no decision, no rating) is left out and the other weights are scaled up to 100 %.

/** The components, in the order screens list them. */
export const SCORECARD_COMPONENTS = [
	'incidents',
	'alerts',
	'certificates',
	'approvals',
	'ratings'
] as const;
export type ScorecardComponentKey = (typeof SCORECARD_COMPONENTS)[number];

export type ScorecardWeights = Record<ScorecardComponentKey, number>;

/** Default weights (they sum to 100, so each reads as a percentage). */
export const DEFAULT_SCORECARD_WEIGHTS: Readonly<ScorecardWeights> = Object.freeze({
	incidents: 30,
	alerts: 15,
	certificates: 20,
	approvals: 10,
	ratings: 25
});

/** How much one incident of each severity counts in the incident rate. */
export const INCIDENT_SEVERITY_WEIGHTS = Object.freeze({ near_miss: 1, minor: 3, serious: 10 });
/** Points lost per severity-weighted incident per 1,000 hours. */
export const INCIDENT_POINTS_PER_RATE = 20;
/** Points lost per alert per 1,000 hours. */
export const ALERT_POINTS_PER_RATE = 5;
/** Rates are per this many hours worked. */
export const RATE_HOURS = 1000;
/** The rating scale. */
export const RATING_MIN = 1;
export const RATING_MAX = 5;
export const RATING_DIMENSIONS = ['quality', 'safety', 'tidiness'] as const;
export type RatingDimension = (typeof RATING_DIMENSIONS)[number];

export type IncidentCounts = Record<keyof typeof INCIDENT_SEVERITY_WEIGHTS, number>;

/** What the data layer counted for one contractor over one period (a month, or several). */
export interface ScorecardInput {
	/** Hours worked on site (paired entry/exit passages). */
	hours: number;
	incidents: IncidentCounts;
	/** Alerts about the contractor's workers, false alarms excluded. */
	alerts: number;
	/** Certificates of the contractor's workers held during the period. */
	certificatesHeld: number;
	/** Of those, how many lapsed during the period (expired or review overdue, not renewed). */
	certificateLapses: number;
	/** Approval decisions on the contractor's entry applications. */
	approvalDecisions: number;
	/** Of those, how many returned or rejected the application. */
	approvalReturns: number;
	/** Job ratings: how many, and the sum of each dimension's marks. */
	ratings: { count: number } & Record<RatingDimension, number>;
}

/**
 * Whether the contractor did anything in the period that the score is about: hours, a rating, an
 * incident, an alert, an approval decision or a certificate lapse. Certificates merely held are
 * not activity: a month without work gets no score in the trend (shown as a gap), not a full 100.
 */
export function hasActivity(input: ScorecardInput): boolean {
	const incidents = input.incidents.near_miss + input.incidents.minor + input.incidents.serious;
	return (
		input.hours > 0 ||
		input.ratings.count > 0 ||
		incidents > 0 ||
		input.alerts > 0 ||
		input.approvalDecisions > 0 ||
		input.certificateLapses > 0
	);
}

export function emptyScorecardInput(): ScorecardInput {
	return {
		hours: 0,
		incidents: { near_miss: 0, minor: 0, serious: 0 },
		alerts: 0,
		certificatesHeld: 0,
		certificateLapses: 0,
		approvalDecisions: 0,
		approvalReturns: 0,
		ratings: { count: 0, quality: 0, safety: 0, tidiness: 0 }
	};
}

/**
 * Adds up inputs (e.g. months into a period). Certificates held are summed too, which counts a
 * certificate once per month: a period's distinct count, when it matters, comes from the data layer.
 */
export function addScorecardInputs(...inputs: readonly ScorecardInput[]): ScorecardInput {
	const out = emptyScorecardInput();
	for (const i of inputs) {
		out.hours += i.hours;
		out.alerts += i.alerts;
		out.certificatesHeld += i.certificatesHeld;
		out.certificateLapses += i.certificateLapses;
		out.approvalDecisions += i.approvalDecisions;
		out.approvalReturns += i.approvalReturns;
		for (const k of Object.keys(out.incidents) as (keyof IncidentCounts)[])
			out.incidents[k] += i.incidents[k];
		out.ratings.count += i.ratings.count;
		for (const d of RATING_DIMENSIONS) out.ratings[d] += i.ratings[d];
	}
	return out;
}

/** Why a component was left out of the score. */
export type ScorecardGap = 'no_hours' | 'no_certificates' | 'no_decisions' | 'no_ratings';

export interface ScorecardComponent {
	key: ScorecardComponentKey;
	/** The raw numbers behind it (counts, sums), for the screen to show as they are. */
	raw: Record<string, number>;
	/** Per 1,000 hours (incidents: severity-weighted), else the ratio or average the sub-score uses. */
	rate: number | null;
	/** 0-100, null when left out. */
	subScore: number | null;
	/** The configured weight. */
	weight: number;
	/** The weight after leaving out components without data, as a share of 1 (0 when left out). */
	share: number;
	/** Points this component adds to the score (share × sub-score). */
	contribution: number;
	/** Left out for lack of data (its weight goes to the others). */
	missing: ScorecardGap | null;
}

export interface Scorecard {
	/** 0-100; null when no component with a weight has data. */
	score: number | null;
	components: ScorecardComponent[];
	weights: ScorecardWeights;
}

export class ScorecardWeightsError extends RangeError {
	constructor(readonly problem: 'negative' | 'not_a_number' | 'all_zero' | 'unknown_key') {
		super(`scorecard weights: ${problem}`);
	}
}

/** Null when usable; else what is wrong (weights non-negative, finite, not all zero). */
export function weightsProblem(
	weights: Partial<Record<string, unknown>>
): ScorecardWeightsError['problem'] | null {
	for (const k of Object.keys(weights))
		if (!(SCORECARD_COMPONENTS as readonly string[]).includes(k)) return 'unknown_key';
	let total = 0;
	for (const k of SCORECARD_COMPONENTS) {
		const w = weights[k];
		if (typeof w !== 'number' || !Number.isFinite(w)) return 'not_a_number';
		if (w < 0) return 'negative';
		total += w;
	}
	return total > 0 ? null : 'all_zero';
}

/** The weights checked, or a ScorecardWeightsError. */
export function checkWeights(weights: Partial<Record<string, unknown>>): ScorecardWeights {
	const problem = weightsProblem(weights);
	if (problem) throw new ScorecardWeightsError(problem);
	return Object.fromEntries(
		SCORECARD_COMPONENTS.map((k) => [k, weights[k] as number])
	) as ScorecardWeights;
}

const clamp100 = (x: number) => Math.min(100, Math.max(0, x));

/** Severity-weighted incident count (near miss 1, minor 3, serious 10). */
export function weightedIncidents(incidents: IncidentCounts): number {
	return (
		incidents.near_miss * INCIDENT_SEVERITY_WEIGHTS.near_miss +
		incidents.minor * INCIDENT_SEVERITY_WEIGHTS.minor +
		incidents.serious * INCIDENT_SEVERITY_WEIGHTS.serious
	);
}

/** The average of all marks of all ratings (1-5), or null without ratings. */
export function averageRating(ratings: ScorecardInput['ratings']): number | null {
	if (ratings.count <= 0) return null;
	const sum = RATING_DIMENSIONS.reduce((s, d) => s + ratings[d], 0);
	return sum / (ratings.count * RATING_DIMENSIONS.length);
}

type Partial0 = Omit<ScorecardComponent, 'weight' | 'share' | 'contribution'>;

function components(input: ScorecardInput): Partial0[] {
	const perK = (n: number) => (n * RATE_HOURS) / input.hours;
	const noHours = !(input.hours > 0);
	const weighted = weightedIncidents(input.incidents);
	const incidentRate = noHours ? null : perK(weighted);
	const alertRate = noHours ? null : perK(input.alerts);
	const lapseRatio =
		input.certificatesHeld > 0 ? input.certificateLapses / input.certificatesHeld : null;
	const returnRatio =
		input.approvalDecisions > 0 ? input.approvalReturns / input.approvalDecisions : null;
	const avg = averageRating(input.ratings);
	return [
		{
			key: 'incidents',
			raw: { ...input.incidents, weighted, hours: input.hours },
			rate: incidentRate,
			subScore:
				incidentRate === null ? null : clamp100(100 - INCIDENT_POINTS_PER_RATE * incidentRate),
			missing: noHours ? 'no_hours' : null
		},
		{
			key: 'alerts',
			raw: { alerts: input.alerts, hours: input.hours },
			rate: alertRate,
			subScore: alertRate === null ? null : clamp100(100 - ALERT_POINTS_PER_RATE * alertRate),
			missing: noHours ? 'no_hours' : null
		},
		{
			key: 'certificates',
			raw: { held: input.certificatesHeld, lapses: input.certificateLapses },
			rate: lapseRatio,
			subScore: lapseRatio === null ? null : clamp100(100 * (1 - lapseRatio)),
			missing: lapseRatio === null ? 'no_certificates' : null
		},
		{
			key: 'approvals',
			raw: { decisions: input.approvalDecisions, returns: input.approvalReturns },
			rate: returnRatio,
			subScore: returnRatio === null ? null : clamp100(100 * (1 - returnRatio)),
			missing: returnRatio === null ? 'no_decisions' : null
		},
		{
			key: 'ratings',
			raw: { ...input.ratings },
			rate: avg,
			subScore:
				avg === null ? null : clamp100(((avg - RATING_MIN) / (RATING_MAX - RATING_MIN)) * 100),
			missing: avg === null ? 'no_ratings' : null
		}
	];
}

/**
 * The score of one contractor over one period: each component's sub-score, weighted; components
 * without data are left out and the remaining weights renormalised to sum to 1.
 */
export function computeScorecard(
	input: ScorecardInput,
	weights: ScorecardWeights = DEFAULT_SCORECARD_WEIGHTS
): Scorecard {
	const w = checkWeights(weights);
	const parts = components(input);
	const total = parts.reduce((s, p) => (p.missing ? s : s + w[p.key]), 0);
	const out: ScorecardComponent[] = parts.map((p) => {
		const share = p.missing || total === 0 ? 0 : w[p.key] / total;
		return {
			...p,
			weight: w[p.key],
			share,
			contribution: share * (p.subScore ?? 0)
		};
	});
	const score = total > 0 ? out.reduce((s, c) => s + c.contribution, 0) : null;
	return { score, components: out, weights: w };
}

export interface ScorecardTrendPoint {
	/** 'YYYY-MM'. */
	month: string;
	score: number | null;
}

/** The 12 months ending with `lastMonth` ('YYYY-MM'), oldest first. */
export function last12Months(lastMonth: string, count = 12): string[] {
	const m = /^(\d{4})-(\d{2})$/.exec(lastMonth);
	if (!m) throw new RangeError(`not a month (YYYY-MM): ${lastMonth}`);
	let y = Number(m[1]);
	let mo = Number(m[2]);
	const out: string[] = [];
	for (let i = 0; i < count; i++) {
		out.unshift(`${y}-${String(mo).padStart(2, '0')}`);
		mo -= 1;
		if (mo === 0) {
			mo = 12;
			y -= 1;
		}
	}
	return out;
}

/** The score per month for the 12 months ending with `lastMonth` (null where nothing was scored). */
export function scorecardTrend(
	byMonth: ReadonlyMap<string, ScorecardInput> | Record<string, ScorecardInput>,
	lastMonth: string,
	weights: ScorecardWeights = DEFAULT_SCORECARD_WEIGHTS,
	count = 12
): ScorecardTrendPoint[] {
	const get = (k: string) =>
		byMonth instanceof Map
			? byMonth.get(k)
			: (byMonth as Record<string, ScorecardInput | undefined>)[k];
	return last12Months(lastMonth, count).map((month) => {
		const input = get(month);
		return {
			month,
			score: input && hasActivity(input) ? computeScorecard(input, weights).score : null
		};
	});
}

/** The numbers the formula's text is written from, so text and code cannot drift. */
export function scorecardFormulaParams(weights: ScorecardWeights = DEFAULT_SCORECARD_WEIGHTS) {
	const total = SCORECARD_COMPONENTS.reduce((s, k) => s + weights[k], 0);
	const pct = (k: ScorecardComponentKey) =>
		total > 0 ? Math.round((weights[k] / total) * 1000) / 10 : 0;
	return {
		rateHours: RATE_HOURS.toLocaleString('en-US'),
		nearMiss: INCIDENT_SEVERITY_WEIGHTS.near_miss,
		minor: INCIDENT_SEVERITY_WEIGHTS.minor,
		serious: INCIDENT_SEVERITY_WEIGHTS.serious,
		incidentK: INCIDENT_POINTS_PER_RATE,
		alertK: ALERT_POINTS_PER_RATE,
		ratingMin: RATING_MIN,
		ratingSpan: RATING_MAX - RATING_MIN,
		wIncidents: pct('incidents'),
		wAlerts: pct('alerts'),
		wCertificates: pct('certificates'),
		wApprovals: pct('approvals'),
		wRatings: pct('ratings')
	};
}
