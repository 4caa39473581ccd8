// The records behind a dashboard number: a contractor's hours in a month (the passages paired into
// stays), the alerts counted, the incidents and the ratings that count. Each reads just that
// month's document, through the same fold as the numbers, so the list always adds up to the number.
import type * as Y from 'yjs';
import type { IsoDate } from '../../domain/dates';
import {
	Alert,
	AlertAction,
	AttendanceEvent,
	JobRating,
	SafetyIncident,
	type IncidentSeverity
} from '../events';
import { readRecord } from '../records';
import { MonthFold, ratingGroup, type FoldOptions } from './month';
import type { AlertBucket } from './types';

export interface DrillFilter {
	contractorId?: string;
	workerId?: string;
	day?: IsoDate;
}

export interface StayRecord {
	workerId: string;
	contractorId: string;
	day: IsoDate;
	ms: number;
	unclosed: boolean;
	entry: AttendanceEvent;
	exit: AttendanceEvent | null;
}

const foldOf = (doc: Y.Doc, options: FoldOptions | MonthFold) =>
	options instanceof MonthFold ? options : new MonthFold(options).load(doc);

function read<T>(type: Parameters<typeof readRecord<T>>[0], raw: unknown): T | null {
	const r = readRecord(type, raw);
	return r.ok ? r.record : null;
}

/**
 * The stays (per site-local day) behind hours and worker-days, oldest first. Pass the live fold
 * of the current month to skip folding it again.
 */
export function hoursRecords(
	doc: Y.Doc,
	options: FoldOptions | MonthFold,
	filter: DrillFilter = {}
): StayRecord[] {
	const fold = foldOf(doc, options);
	const att = doc.getMap('attendance');
	const out: StayRecord[] = [];
	for (const { workerId, contractorId, parts } of fold.stays()) {
		if (filter.workerId && filter.workerId !== workerId) continue;
		if (filter.contractorId && filter.contractorId !== contractorId) continue;
		for (const p of parts) {
			if (filter.day && filter.day !== p.day) continue;
			const entry = read(AttendanceEvent, att.get(p.entryId));
			if (!entry) continue;
			const exit = p.exitId ? read(AttendanceEvent, att.get(p.exitId)) : null;
			out.push({ workerId, contractorId, day: p.day, ms: p.ms, unclosed: p.unclosed, entry, exit });
		}
	}
	return out.sort((a, b) => (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0));
}

export interface AlertRecord {
	alert: Alert;
	contractorId: string;
	bucket: AlertBucket;
	day: IsoDate;
	falseAlarm: boolean;
	latest: AlertAction | null;
}

/** The alerts behind the alert counts (false alarms only when asked), oldest first. */
export function alertRecords(
	doc: Y.Doc,
	options: FoldOptions | MonthFold,
	filter: DrillFilter & { bucket?: AlertBucket; falseAlarms?: boolean } = {}
): AlertRecord[] {
	const fold = foldOf(doc, options);
	const alerts = doc.getMap('alerts');
	const latest = new Map<string, AlertAction>();
	for (const raw of doc.getMap('alertActions').values()) {
		const a = read(AlertAction, raw);
		if (!a) continue;
		const prev = latest.get(a.alertId);
		if (!prev || prev.at < a.at || (prev.at === a.at && prev.id < a.id)) latest.set(a.alertId, a);
	}
	const out: AlertRecord[] = [];
	for (const s of fold.alertStates()) {
		if (s.falseAlarm !== (filter.falseAlarms ?? false)) continue;
		if (filter.bucket && filter.bucket !== s.bucket) continue;
		if (filter.day && filter.day !== s.day) continue;
		if (filter.contractorId && filter.contractorId !== s.contractorId) continue;
		if (filter.workerId && filter.workerId !== s.workerId) continue;
		const alert = read(Alert, alerts.get(s.id));
		if (!alert) continue;
		out.push({
			alert,
			contractorId: s.contractorId,
			bucket: s.bucket,
			day: s.day,
			falseAlarm: s.falseAlarm,
			latest: latest.get(s.id) ?? null
		});
	}
	return out.sort((a, b) => (a.alert.id < b.alert.id ? -1 : 1));
}

/** The site's incidents in this document (of one contractor, of one severity), oldest first. */
export function incidentRecords(
	doc: Y.Doc,
	siteId: string,
	filter: { contractorId?: string; severity?: IncidentSeverity } = {}
): { key: string; incident: SafetyIncident }[] {
	const out: { key: string; incident: SafetyIncident }[] = [];
	for (const [key, raw] of doc.getMap('incidents').entries()) {
		const r = read(SafetyIncident, raw);
		if (!r || r.siteId !== siteId) continue;
		if (filter.contractorId && r.contractorId !== filter.contractorId) continue;
		if (filter.severity && r.severity !== filter.severity) continue;
		out.push({ key, incident: r });
	}
	return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * The site's ratings in this document, each marked whether it counts (the latest rating of a job
 * by one rater, by time then key — the fold's rule); superseded ones are listed for the trail.
 */
export function ratingRecords(
	doc: Y.Doc,
	siteId: string,
	filter: { contractorId?: string } = {}
): { key: string; rating: JobRating; counts: boolean }[] {
	const all: { key: string; rating: JobRating; group: string }[] = [];
	for (const [key, raw] of doc.getMap('ratings').entries()) {
		const r = read(JobRating, raw);
		if (!r || r.siteId !== siteId) continue;
		if (filter.contractorId && r.contractorId !== filter.contractorId) continue;
		const group = ratingGroup(r);
		all.push({ key, rating: r, group });
	}
	const winner = new Map<string, { key: string; at: string }>();
	for (const { key, rating, group } of all) {
		const w = winner.get(group);
		if (!w || w.at < rating.at || (w.at === rating.at && w.key < key))
			winner.set(group, { key, at: rating.at });
	}
	return all
		.map(({ key, rating, group }) => ({ key, rating, counts: winner.get(group)!.key === key }))
		.sort((a, b) => (a.key < b.key ? -1 : 1));
}
