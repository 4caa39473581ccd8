// Job ratings and safety incidents (issue 11): what site staff say about a contractor's work, the
// scorecard's ratings and incidents. Both are append-only records in the site's monthly events
// document (`ratings`, `incidents`), in the month of their `at` (site-local), written by staff in
// their own name.
//
// Corrections: a rating is never edited. Rating the same job again (same contractor, same job —
// its permit, or its title for a job without permit — by the same person) in the same month's
// document replaces the earlier rating in every count: the latest (by `at`, then by key) counts.
// A correction is written into the document of the rating it corrects (`rateJob`'s `corrects`),
// even in a later month, so the month the job was rated in keeps one rating per job and rater
// (the stats layer folds each month on its own). Two different staff members' ratings of one job
// both count. An incident recorded by mistake stays on record (append-only).
import type * as Y from 'yjs';
import { putRecord, type Actor } from './commands';
import { parseDocName } from './documents';
import { eventsDocFor, newUlid } from './event-commands';
import {
	EVENT_FUTURE_ALLOWANCE_MS,
	INCIDENT_SEVERITIES,
	JobRating,
	SafetyIncident,
	type IncidentSeverity
} from './events';
import { Permit, permitActions, type DocLike } from './permits';
import { readRecord } from './records';

export { JobRating, SafetyIncident, INCIDENT_SEVERITIES, type IncidentSeverity };

export const RATING_ERRORS = [
	/** The document is not this site's events document of the record's month. */
	'WRONG_DOCUMENT',
	/** Dated ahead of this device's clock. */
	'IN_FUTURE',
	/** A job needs a title (or a permit, whose number and work give it one). */
	'TITLE_REQUIRED',
	/** Marks are whole numbers 1-5. */
	'BAD_MARK',
	/** The rating to correct is not in this document, or is about another job. */
	'NOT_A_CORRECTION',
	/** An incident names its severity and what happened. */
	'BAD_INCIDENT'
] as const;
export type RatingErrorCode = (typeof RATING_ERRORS)[number];

/** Why a rating or an incident was not recorded (the UI says it in Chinese: `scorecard.err.*`). */
export class RatingError extends RangeError {
	constructor(readonly code: RatingErrorCode) {
		super(code);
		this.name = 'RatingError';
	}
}

function checkPlace(
	eventsName: string,
	siteId: string,
	at: Date,
	timeZone: string,
	anyMonth = false
) {
	const ref = parseDocName(eventsName);
	if (
		!ref ||
		ref.kind !== 'events' ||
		ref.siteId !== siteId ||
		(!anyMonth && eventsDocFor(siteId, at, timeZone) !== eventsName)
	)
		throw new RatingError('WRONG_DOCUMENT');
	if (at.getTime() > Date.now() + EVENT_FUTURE_ALLOWANCE_MS) throw new RatingError('IN_FUTURE');
}

export interface RateJobInput {
	siteId: string;
	contractorId: string;
	job: { permitId?: string; title: string };
	quality: number;
	safety: number;
	tidiness: number;
	comment?: string;
	workerIds?: string[];
	byName: string;
	/**
	 * The key of the rating this one corrects (the same job and contractor). `events` must then be
	 * the document holding it, whatever its month.
	 */
	corrects?: string;
}

const isMark = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 5;

/**
 * Rates a finished job of a contractor, in the actor's name. `events` is the site's events
 * document of the month of `at` (`eventsDocFor(siteId, at, timeZone)`), or, for a correction
 * (`corrects`), the document of the rating corrected. The latest rating by the same person of the
 * same job in one document counts.
 */
export function rateJob(
	events: Y.Doc,
	eventsName: string,
	actor: Actor,
	input: RateJobInput,
	at = new Date(),
	timeZone = 'Asia/Shanghai'
): JobRating {
	checkPlace(eventsName, input.siteId, at, timeZone, !!input.corrects);
	const title = input.job.title.trim();
	if (!title) throw new RatingError('TITLE_REQUIRED');
	if (input.corrects) {
		const read = readRecord(JobRating, events.getMap('ratings').get(input.corrects));
		const job = input.job.permitId ? { permitId: input.job.permitId, title } : { title };
		if (
			!read.ok ||
			jobKey(read.record) !== jobKey({ contractorId: input.contractorId, job }) ||
			read.record.at >= at.toISOString()
		)
			throw new RatingError('NOT_A_CORRECTION');
	}
	if (![input.quality, input.safety, input.tidiness].every(isMark))
		throw new RatingError('BAD_MARK');
	const comment = input.comment?.trim();
	const workerIds = input.workerIds ? [...new Set(input.workerIds)].sort() : undefined;
	const key = newUlid(at.getTime());
	return putRecord(events, eventsName, actor, 'ratings', key, JobRating, {
		schema: 1,
		siteId: input.siteId,
		contractorId: input.contractorId,
		job: input.job.permitId ? { permitId: input.job.permitId, title } : { title },
		quality: input.quality,
		safety: input.safety,
		tidiness: input.tidiness,
		...(comment ? { comment } : {}),
		...(workerIds?.length ? { workerIds } : {}),
		at: at.toISOString(),
		by: actor.claims.sub,
		byName: input.byName
	});
}

export interface RecordIncidentInput {
	siteId: string;
	contractorId: string;
	workerIds: string[];
	severity: IncidentSeverity;
	title: string;
	note?: string;
	byName: string;
}

/**
 * Records a safety incident of a contractor's people. `at` is when it happened; `events` is the
 * site's events document of that month (an incident written down on the 2nd about the 30th goes
 * into the previous month's document, where the scorecard counts it).
 */
export function recordIncident(
	events: Y.Doc,
	eventsName: string,
	actor: Actor,
	input: RecordIncidentInput,
	at = new Date(),
	timeZone = 'Asia/Shanghai'
): SafetyIncident {
	checkPlace(eventsName, input.siteId, at, timeZone);
	const title = input.title.trim();
	if (!title || !(INCIDENT_SEVERITIES as readonly string[]).includes(input.severity))
		throw new RatingError('BAD_INCIDENT');
	const note = input.note?.trim();
	const key = newUlid(at.getTime());
	return putRecord(events, eventsName, actor, 'incidents', key, SafetyIncident, {
		schema: 1,
		siteId: input.siteId,
		contractorId: input.contractorId,
		workerIds: [...new Set(input.workerIds)].sort(),
		severity: input.severity,
		title,
		...(note ? { note } : {}),
		at: at.toISOString(),
		by: actor.claims.sub,
		byName: input.byName
	});
}

// ---------------------------------------------------------------------------------------------
// Reading.

/** A record with the key it is stored under (the id the UI opens it by) and its document. */
export type Keyed<T> = T & { key: string; doc?: string };

function readMap<T>(
	doc: DocLike,
	map: string,
	type: typeof JobRating | typeof SafetyIncident,
	name?: string
): Keyed<T>[] {
	const out: Keyed<T>[] = [];
	for (const [key, raw] of doc.getMap(map).entries()) {
		const read = readRecord(type as Parameters<typeof readRecord<T>>[0], raw);
		if (read.ok) out.push({ ...(read.record as T), key, ...(name ? { doc: name } : {}) });
	}
	return out;
}

/** Every rating in these events documents (corrections included), oldest first. */
export function allRatings(
	events: readonly DocLike[] | DocLike,
	names?: readonly string[]
): Keyed<JobRating>[] {
	const docs = Array.isArray(events) ? events : [events as DocLike];
	return docs
		.flatMap((d, i) => readMap<JobRating>(d, 'ratings', JobRating, names?.[i]))
		.sort(byTime);
}

/** Every safety incident in these events documents, oldest first. */
export function incidents(
	events: readonly DocLike[] | DocLike,
	names?: readonly string[]
): Keyed<SafetyIncident>[] {
	const docs = Array.isArray(events) ? events : [events as DocLike];
	return docs
		.flatMap((d, i) => readMap<SafetyIncident>(d, 'incidents', SafetyIncident, names?.[i]))
		.sort(byTime);
}

function byTime(a: { at: string; key: string }, b: { at: string; key: string }) {
	return a.at < b.at ? -1 : a.at > b.at ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * What identifies a job for corrections: its permit, else its title as written (rateJob trims it).
 * The same rule as the stats fold's (stats/month.ts), so counts and lists agree.
 */
export function jobKey(r: Pick<JobRating, 'contractorId' | 'job'>): string {
	return r.job.permitId
		? `${r.contractorId}|permit:${r.job.permitId}`
		: `${r.contractorId}|title:${r.job.title}`;
}

/**
 * The ratings that count: for each job and rater, the latest (by `at`, then key). `superseded`
 * lists the keys of the earlier ones (shown as corrected, never counted).
 */
export function currentRatings<T extends Keyed<JobRating>>(
	ratings: readonly T[]
): { current: T[]; superseded: string[] } {
	const latest = new Map<string, T>();
	const superseded: string[] = [];
	for (const r of [...ratings].sort(byTime)) {
		const k = `${jobKey(r)}|${r.by}`;
		const prev = latest.get(k);
		if (prev) superseded.push(prev.key);
		latest.set(k, r);
	}
	return { current: [...latest.values()].sort(byTime), superseded };
}

/** A finished job waiting for a rating: one per closed permit and contractor on it. */
export interface JobToRate {
	siteId: string;
	contractorId: string;
	/** Contractor's people on the permit (the rating's `workerIds`). */
	workerIds: string[];
	job: { permitId: string; title: string };
	/** When the permit was closed. */
	closedAt: string;
	permitNumber: string;
	zone: string;
}

/** The title a closed permit's job is rated under: its number and work. */
export function permitJobTitle(permit: Pick<Permit, 'number' | 'work'>): string {
	return `${permit.number} ${permit.work}`.trim().slice(0, 200);
}

/**
 * Closed permits of the site not yet rated (作业已关闭，请评价): one entry per permit and contractor
 * named on it, closed at or after `since` (default: 31 days before `now`), newest first. A job
 * counts as rated once any staff member rated it (pass `rater` to ask "not yet rated by me").
 * `events` are the months that may hold the ratings (the month of `since` to now).
 */
export function jobsToRate(
	control: DocLike,
	events: readonly DocLike[],
	opts: { siteId: string; now?: Date; since?: Date; rater?: string } = { siteId: '' }
): JobToRate[] {
	const now = opts.now ?? new Date();
	const since = (opts.since ?? new Date(now.getTime() - 31 * 86_400_000)).toISOString();
	const rated = new Set(
		allRatings(events)
			.filter((r) => r.siteId === opts.siteId && (!opts.rater || r.by === opts.rater))
			.map((r) => jobKey(r))
	);
	const closedAt = new Map<string, string>();
	for (const a of permitActions(control))
		if (a.action === 'close' && !closedAt.has(a.permitId)) closedAt.set(a.permitId, a.at);
	const out: JobToRate[] = [];
	for (const raw of control.getMap('permits').values()) {
		const read = readRecord(Permit, raw);
		if (!read.ok) continue;
		const p = read.record;
		const closed = closedAt.get(p.id);
		if (p.siteId !== opts.siteId || !closed || closed < since) continue;
		const people = new Map<string, string[]>();
		for (const person of p.people)
			(
				people.get(person.contractorId) ??
				people.set(person.contractorId, []).get(person.contractorId)!
			).push(person.workerId);
		for (const [contractorId, workers] of people) {
			const job = { permitId: p.id, title: permitJobTitle(p) };
			if (rated.has(jobKey({ contractorId, job }))) continue;
			out.push({
				siteId: p.siteId,
				contractorId,
				workerIds: [...new Set(workers)].sort(),
				job,
				closedAt: closed,
				permitNumber: p.number,
				zone: p.zone
			});
		}
	}
	return out.sort((a, b) =>
		a.closedAt < b.closedAt
			? 1
			: a.closedAt > b.closedAt
				? -1
				: a.contractorId < b.contractorId
					? -1
					: 1
	);
}
