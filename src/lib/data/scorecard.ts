// The contractor scorecard from the records (issue 11): certificate lapses and approval returns
// per contractor and month, the weights (org.settings['scorecard']), and `contractorScorecard`
// assembling them with the stats layer's monthly numbers (hours, alerts, incidents, ratings:
// stats/month.ts) into the domain's score (domain/scorecard.ts). Every component carries what
// opens the records behind it.
import * as v from 'valibot';
import type * as Y from 'yjs';
import {
	addScorecardInputs,
	certificateStatus,
	checkWeights,
	computeScorecard,
	DEFAULT_SCORECARD_WEIGHTS,
	emptyScorecardInput,
	last12Months,
	localDate,
	SCORECARD_COMPONENTS,
	scorecardFormulaParams,
	scorecardTrend,
	weightsProblem,
	type CertificateStatus,
	type Scorecard,
	type ScorecardInput,
	type ScorecardTrendPoint,
	type ScorecardWeights
} from '../domain';
import { format, type Locale, type MessageKey } from '../i18n/messages';
import { siteApprovals, type ApplicationApprovals, type Decision, type Forgery } from './approvals';
import { putRecord, type Actor } from './commands';
import { CertificateRecord, Worker } from './contractor';
import { monthOf, orgDoc } from './documents';
import type { DocLike } from './permits';
import { allRatings, currentRatings, incidents, type Keyed } from './ratings';
import type { JobRating, SafetyIncident } from './events';
import { defineRecord, isoTime, readRecord, text } from './records';
import { keyBindings, type KeyBinding } from './signing';
import type { ContractorMonth } from './stats/types';
import { verificationIndexOf, verifiedCertificate } from './verification';

export {
	DEFAULT_SCORECARD_WEIGHTS,
	SCORECARD_COMPONENTS,
	type Scorecard,
	type ScorecardInput,
	type ScorecardWeights
};

// ---------------------------------------------------------------------------------------------
// Weights: org.settings['scorecard'], written by the admin (the only writer of the org document).

const weight = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1000));

export const ScorecardSettings = defineRecord({
	name: 'ScorecardSettings',
	version: 1,
	validate: v.pipe(
		v.object({
			schema: v.literal(1),
			weights: v.object({
				incidents: weight,
				alerts: weight,
				certificates: weight,
				approvals: weight,
				ratings: weight
			}),
			updatedAt: isoTime,
			updatedBy: text(64)
		}),
		v.check((s) => weightsProblem(s.weights) === null, 'weights are all zero')
	)
});
export type ScorecardSettings = v.InferOutput<typeof ScorecardSettings.validate>;

export const SCORECARD_SETTINGS_KEY = 'scorecard';

/** The weights in force: the org's, or the defaults when none (or an unreadable record) is set. */
export function scorecardSettings(org: DocLike): {
	weights: ScorecardWeights;
	updatedAt: string | null;
	updatedBy: string | null;
	isDefault: boolean;
} {
	const read = readRecord(ScorecardSettings, org.getMap('settings').get(SCORECARD_SETTINGS_KEY));
	if (!read.ok)
		return {
			weights: { ...DEFAULT_SCORECARD_WEIGHTS },
			updatedAt: null,
			updatedBy: null,
			isDefault: true
		};
	return {
		weights: { ...read.record.weights },
		updatedAt: read.record.updatedAt,
		updatedBy: read.record.updatedBy,
		isDefault: false
	};
}

/**
 * Saves the org's weights (admin only: the access rules refuse anyone else). Throws a
 * ScorecardWeightsError (`scorecard.err.weights.<problem>`) for negative, non-numeric or all-zero
 * weights, an AccessError for anyone but the admin.
 */
export function saveScorecardSettings(
	org: Y.Doc,
	actor: Actor,
	weights: Partial<Record<string, unknown>>,
	at = new Date()
): ScorecardSettings {
	const checked = checkWeights(weights);
	return putRecord(org, orgDoc, actor, 'settings', SCORECARD_SETTINGS_KEY, ScorecardSettings, {
		schema: 1,
		weights: checked,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

/** The formula as sentences (intro, one per component, the missing-data rule), from the constants. */
export function scorecardFormula(
	locale: Locale,
	weights: ScorecardWeights = DEFAULT_SCORECARD_WEIGHTS
): string[] {
	const params = scorecardFormulaParams(weights);
	const keys: MessageKey[] = [
		'scorecard.formula.intro',
		...SCORECARD_COMPONENTS.map((k) => `scorecard.formula.${k}` as MessageKey),
		'scorecard.formula.missing'
	];
	return keys.map((k) => format(locale, k, params));
}

// ---------------------------------------------------------------------------------------------
// Certificate lapses.

/** Statuses that mean a certificate no longer covers its holder. */
export const LAPSED_STATUSES: readonly CertificateStatus[] = [
	'expired',
	'review_overdue',
	'revoked'
];

export interface LapseItem {
	contractorId: string;
	workerId: string;
	certificateId: string;
	code: string;
	number: string;
	/** expired, review_overdue or revoked at the month's end (or today in the current month). */
	status: CertificateStatus;
	/** The deadline that passed: expiry, review date or revocation date. */
	dueOn: string | null;
}

export interface CertificateMonth {
	/** Certificates of the contractor's workers that covered them at some time in the month. */
	held: string[];
	/** Of those, the ones that lapsed in the month with no renewal of the same item by month end. */
	lapses: LapseItem[];
}

const lastDayOf = (month: string) => {
	const [y, m] = month.split('-').map(Number) as [number, number];
	const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
	return `${month}-${String(d).padStart(2, '0')}`;
};

/**
 * Per month and contractor: certificates held and those that lapsed, judged by the domain's
 * `certificateStatus` (with the verification the site's control documents establish) at the end of
 * each month (today for the current month). A certificate is held in a month when it was issued by
 * the month's end and had not lapsed by the end of the month before; it lapses in the month when it
 * is lapsed (expired, review overdue, revoked) at the month's end and was not at the previous
 * month's end, unless the worker then holds another certificate of the same catalogue item that is
 * not lapsed (a renewal).
 *
 * A lapse never heals (the deadlines do not move with the day asked about), so each certificate is
 * judged once at the period's end, and only a lapsed one again, by halving, to find its month:
 * 6,000 certificates over 12 months cost about 6,000 judgements, not 150,000.
 */
export function certificateLapses(
	contractors: readonly { contractorId: string; doc: DocLike }[],
	controls: readonly DocLike[],
	months: readonly string[],
	opts: { now?: Date; timeZone?: string } = {}
): Record<string, Record<string, CertificateMonth>> {
	const timeZone = opts.timeZone ?? 'Asia/Shanghai';
	const now = opts.now ?? new Date();
	const thisMonth = monthOf(now, timeZone);
	const todayDate = localDate(now, timeZone);
	const index = verificationIndexOf(controls as Parameters<typeof verificationIndexOf>[0]);
	const out: Record<string, Record<string, CertificateMonth>> = {};
	for (const month of months) out[month] = {};
	const scored = [...new Set(months)].filter((m) => m <= thisMonth).sort();
	if (scored.length === 0) return out;
	// ends[0] is the end of the month before the first; ends[i + 1] the end of scored[i].
	const ends = [
		lastDayOf(last12Months(scored[0]!, 2)[0]!),
		...scored.map((m) => (m === thisMonth ? todayDate : lastDayOf(m)))
	];
	const final = ends.length - 1;
	const judge = (c: CertificateRecord, i: number) => certificateStatus(c, ends[i]!, { timeZone });
	for (const { contractorId, doc } of contractors) {
		const workers = new Map<string, Worker>();
		for (const raw of doc.getMap('workers').values()) {
			const read = readRecord(Worker, raw);
			if (read.ok) workers.set(read.record.id, read.record);
		}
		/** Per certificate: the first end (index into `ends`) at which it is lapsed, or Infinity. */
		const certs: { c: CertificateRecord; lapsedFrom: number }[] = [];
		const byWorker = new Map<string, typeof certs>();
		for (const raw of doc.getMap('certificates').values()) {
			const read = readRecord(CertificateRecord, raw);
			const holder = read.ok ? workers.get(read.record.workerId) : undefined;
			if (!read.ok || !holder) continue;
			const c = verifiedCertificate(read.record, holder, index);
			let lapsedFrom = Infinity;
			if (LAPSED_STATUSES.includes(judge(c, final).status)) {
				let lo = 0;
				let hi = final;
				while (lo < hi) {
					const mid = (lo + hi) >> 1;
					if (LAPSED_STATUSES.includes(judge(c, mid).status)) hi = mid;
					else lo = mid + 1;
				}
				lapsedFrom = lo;
			}
			const entry = { c, lapsedFrom };
			certs.push(entry);
			(byWorker.get(c.workerId) ?? byWorker.set(c.workerId, []).get(c.workerId)!).push(entry);
		}
		scored.forEach((month, m) => {
			const end = m + 1;
			const last = ends[end]!;
			const cell: CertificateMonth = { held: [], lapses: [] };
			for (const j of certs) {
				if (j.c.issuedOn > last || j.lapsedFrom <= end - 1) continue;
				cell.held.push(j.c.id);
				if (j.lapsedFrom !== end) continue;
				const renewed = byWorker
					.get(j.c.workerId)!
					.some(
						(o) => o !== j && o.c.code === j.c.code && o.c.issuedOn <= last && o.lapsedFrom > end
					);
				if (renewed) continue;
				const s = judge(j.c, end);
				cell.lapses.push({
					contractorId,
					workerId: j.c.workerId,
					certificateId: j.c.id,
					code: j.c.code,
					number: j.c.number,
					status: s.status,
					dueOn:
						s.status === 'revoked'
							? s.revokedOn
							: s.status === 'review_overdue'
								? s.reviewDueOn
								: s.expiresOn
				});
			}
			cell.held.sort();
			cell.lapses.sort((a, b) => (a.certificateId < b.certificateId ? -1 : 1));
			if (cell.held.length) out[month]![contractorId] = cell;
		});
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// Approval returns.

export interface DecisionItem {
	/** The decision record's key (its hash) in `site:<S>:control.decisions`. */
	hash: string;
	contractorId: string;
	applicationId: string;
	workerId: string;
	stepId: string;
	decision: Decision;
	at: string;
	signer: string;
}

export interface ApprovalMonth {
	decisions: DecisionItem[];
	/** Decisions `return` or `reject`. */
	returns: DecisionItem[];
}

/**
 * Per month (of the decision, site-local) and contractor: the signed decisions on the contractor's
 * entry applications that count (`siteApprovals`: forged ones are left out; decisions of earlier
 * rounds — the returns that led to a resubmission — included), and the returns or rejections.
 */
export function approvalReturns(
	approvals: readonly ApplicationApprovals[],
	timeZone = 'Asia/Shanghai'
): Record<string, Record<string, ApprovalMonth>> {
	const out: Record<string, Record<string, ApprovalMonth>> = {};
	for (const { application, workers } of approvals) {
		const seen = new Set<string>();
		for (const w of workers) {
			const records = [...w.steps.flatMap((s) => (s.decided ? [s.decided] : [])), ...w.earlier];
			for (const { hash, record } of records) {
				if (seen.has(hash)) continue;
				seen.add(hash);
				const month = monthOf(new Date(record.at), timeZone);
				const byC = out[month] ?? (out[month] = {});
				const cell =
					byC[application.contractorId] ??
					(byC[application.contractorId] = { decisions: [], returns: [] });
				const item: DecisionItem = {
					hash,
					contractorId: application.contractorId,
					applicationId: application.id,
					workerId: record.worker,
					stepId: record.stepId,
					decision: record.decision,
					at: record.at,
					signer: record.signer
				};
				cell.decisions.push(item);
				if (record.decision === 'return' || record.decision === 'reject') cell.returns.push(item);
			}
		}
	}
	for (const byC of Object.values(out))
		for (const cell of Object.values(byC)) {
			const order = (a: DecisionItem, b: DecisionItem) =>
				a.at < b.at ? -1 : a.at > b.at ? 1 : a.hash < b.hash ? -1 : 1;
			cell.decisions.sort(order);
			cell.returns.sort(order);
		}
	return out;
}

// ---------------------------------------------------------------------------------------------
// The scorecard.

export interface ScorecardSources {
	/** month → contractor → the stats layer's numbers (`Dashboard.contractorMonths`). */
	contractorMonths: Readonly<Record<string, Readonly<Record<string, ContractorMonth>>>>;
	/** `certificateLapses(...)`. */
	certificates: Readonly<Record<string, Readonly<Record<string, CertificateMonth>>>>;
	/** `approvalReturns(...)`. */
	approvals: Readonly<Record<string, Readonly<Record<string, ApprovalMonth>>>>;
}

/** Approval months of several sites added up (HQ: one contractor works at several sites). */
export function mergeApprovalReturns(
	parts: readonly Readonly<Record<string, Readonly<Record<string, ApprovalMonth>>>>[]
): Record<string, Record<string, ApprovalMonth>> {
	const out: Record<string, Record<string, ApprovalMonth>> = {};
	for (const part of parts)
		for (const [month, byC] of Object.entries(part))
			for (const [c, cell] of Object.entries(byC)) {
				const into = ((out[month] ??= {})[c] ??= { decisions: [], returns: [] });
				into.decisions.push(...cell.decisions);
				into.returns.push(...cell.returns);
			}
	return out;
}

/**
 * The scorecard's sources from the documents a device holds: the stats layer's contractor months
 * (`Dashboard.contractorMonths`, a site's or HQ's merged one), the contractors' certificates
 * (contractor documents are not per site: judged once) and the approvals of each site given.
 */
export function scorecardSources(input: {
	contractorMonths: ScorecardSources['contractorMonths'];
	sites: readonly { siteId: string; control: DocLike }[];
	contractors: readonly { contractorId: string; doc: DocLike }[];
	/** The org document (signing keys of the approvers), or the bindings already read. */
	org: DocLike | ReadonlyMap<string, KeyBinding>;
	/** 'YYYY-MM' of the period's last month, and how many months (default 12). */
	lastMonth: string;
	count?: number;
	timeZone?: string;
	now?: Date;
	cache?: Map<string, true | Forgery>;
}): ScorecardSources {
	const timeZone = input.timeZone ?? 'Asia/Shanghai';
	const keys =
		input.org instanceof Map
			? (input.org as ReadonlyMap<string, KeyBinding>)
			: keyBindings((input.org as DocLike).getMap('keys'));
	const docs = input.contractors.map((c) => c.doc);
	const approvals = mergeApprovalReturns(
		input.sites.map((s) =>
			approvalReturns(
				siteApprovals(
					s.siteId,
					s.control as Parameters<typeof siteApprovals>[1],
					docs,
					keys,
					input.cache
				),
				timeZone
			)
		)
	);
	const certificates = certificateLapses(
		input.contractors,
		input.sites.map((s) => s.control),
		last12Months(input.lastMonth, input.count ?? 12),
		{ timeZone, now: input.now }
	);
	return { contractorMonths: input.contractorMonths, certificates, approvals };
}

/** What opens the records behind each component (the UI's drill-down). */
export interface ScorecardRecords {
	/** Hours and alerts: the months to scan with the stats drill-downs for this contractor. */
	months: string[];
	/** Certificate lapses (worker and certificate ids) and the certificates held. */
	lapses: LapseItem[];
	held: string[];
	/** Approval decisions, and the returns or rejections among them. */
	decisions: DecisionItem[];
	returns: DecisionItem[];
}

export interface ContractorScorecard {
	contractorId: string;
	/** The months scored, oldest first (the period). */
	months: string[];
	/** The summed numbers for the period (certificates held: distinct over the period). */
	input: ScorecardInput;
	card: Scorecard;
	/** Per month of the period: that month's numbers (the trend's inputs). */
	byMonth: Record<string, ScorecardInput>;
	/** The score per month, oldest first. */
	trend: ScorecardTrendPoint[];
	records: ScorecardRecords;
}

const HOUR_MS = 3_600_000;

/** One contractor's numbers for one month, from the three sources. */
export function scorecardInputFor(
	sources: ScorecardSources,
	contractorId: string,
	month: string
): ScorecardInput {
	const input = emptyScorecardInput();
	const c = sources.contractorMonths[month]?.[contractorId];
	if (c) {
		input.hours = c.ms / HOUR_MS;
		input.alerts = c.alerts;
		input.incidents = { ...input.incidents, ...c.incidents };
		input.ratings = { ...c.ratings };
	}
	const certs = sources.certificates[month]?.[contractorId];
	if (certs) {
		input.certificatesHeld = certs.held.length;
		input.certificateLapses = certs.lapses.length;
	}
	const a = sources.approvals[month]?.[contractorId];
	if (a) {
		input.approvalDecisions = a.decisions.length;
		input.approvalReturns = a.returns.length;
	}
	return input;
}

/**
 * A contractor's scorecard over the `count` months ending with `lastMonth` (default 12): the score
 * of the period (months summed; a certificate held in several months counts once), each month's
 * score (the trend), and the records behind every number.
 */
export function contractorScorecard(
	sources: ScorecardSources,
	contractorId: string,
	lastMonth: string,
	weights: ScorecardWeights = DEFAULT_SCORECARD_WEIGHTS,
	count = 12
): ContractorScorecard {
	const months = last12Months(lastMonth, count);
	const byMonth: Record<string, ScorecardInput> = {};
	const held = new Set<string>();
	const lapses: LapseItem[] = [];
	const decisions: DecisionItem[] = [];
	const returns: DecisionItem[] = [];
	for (const m of months) {
		byMonth[m] = scorecardInputFor(sources, contractorId, m);
		const certs = sources.certificates[m]?.[contractorId];
		for (const id of certs?.held ?? []) held.add(id);
		lapses.push(...(certs?.lapses ?? []));
		const a = sources.approvals[m]?.[contractorId];
		decisions.push(...(a?.decisions ?? []));
		returns.push(...(a?.returns ?? []));
	}
	const input = addScorecardInputs(...months.map((m) => byMonth[m]!));
	input.certificatesHeld = held.size;
	const trend = scorecardTrend(byMonth, months[months.length - 1]!, weights, months.length);
	return {
		contractorId,
		months,
		input,
		card: computeScorecard(input, weights),
		byMonth,
		trend,
		records: { months, lapses, held: [...held].sort(), decisions, returns }
	};
}

/** Every contractor with any number in the sources over the period, best score first. */
export function contractorScorecards(
	sources: ScorecardSources,
	lastMonth: string,
	weights: ScorecardWeights = DEFAULT_SCORECARD_WEIGHTS,
	count = 12
): ContractorScorecard[] {
	const months = last12Months(lastMonth, count);
	const ids = new Set<string>();
	for (const m of months)
		for (const src of [sources.contractorMonths, sources.certificates, sources.approvals])
			for (const id of Object.keys(src[m] ?? {})) ids.add(id);
	return [...ids]
		.map((id) => contractorScorecard(sources, id, lastMonth, weights, count))
		.sort(
			(a, b) =>
				(b.card.score ?? -1) - (a.card.score ?? -1) || (a.contractorId < b.contractorId ? -1 : 1)
		);
}

/** The incidents behind a contractor's incident count (events documents of the period). */
export function contractorIncidents(
	events: readonly DocLike[],
	contractorId: string,
	names?: readonly string[]
): Keyed<SafetyIncident>[] {
	return incidents(events, names).filter((i) => i.contractorId === contractorId);
}

/**
 * The ratings behind a contractor's ratings (with comments): those that count, and the corrected
 * ones (shown as superseded).
 */
export function contractorRatings(
	events: readonly DocLike[],
	contractorId: string,
	names?: readonly string[]
): { current: Keyed<JobRating>[]; superseded: Keyed<JobRating>[] } {
	// Per document, as the stats layer counts them (a correction sits in its rating's document).
	const current: Keyed<JobRating>[] = [];
	const superseded: Keyed<JobRating>[] = [];
	events.forEach((doc, i) => {
		const all = allRatings(doc, names ? [names[i]!] : undefined).filter(
			(r) => r.contractorId === contractorId
		);
		const counted = currentRatings(all);
		const gone = new Set(counted.superseded);
		current.push(...counted.current);
		superseded.push(...all.filter((r) => gone.has(r.key)));
	});
	return { current, superseded };
}
