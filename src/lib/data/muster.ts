// Emergency muster (issue 10): one click lists everyone on site, grouped by where they were last
// seen, with how to reach them; supervisors on several devices tick people off together.
//
// events.musters[ulid]: the muster, with the roster the starting device saw (who was on site
// then). events.rollcall[ulid]: one tick (or untick) of one person, append-only, in the ticker's
// own name. Both live in the events document of the muster's start month, so one muster is one
// document however long it runs. The list is a pure function of those records, attendance, pings
// and the contractor documents: every device holding the same updates shows the same list.
import * as v from 'valibot';
import type * as Y from 'yjs';
import type { GeoZone } from '../domain';
import type { Claims } from './access';
import type { Presence } from './attendance';
import { putRecord, type Actor } from './commands';
import { EmergencyContact, HealthRecord, Worker } from './contractor';
import { newUlid } from './event-commands';
import { ulidSchema, type LocationPing } from './events';
import { Contractor } from './org';
import { mayReadHealth } from './privacy';
import { defineRecord, id, isoTime, readRecord, text } from './records';
import { zoneOfPing } from './sitemap';

export const MAX_ROSTER = 50_000;

/** events.musters[ulid] */
export const Muster = defineRecord({
	name: 'Muster',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: ulidSchema,
		siteId: id,
		/** A drill or a real emergency (the record says which, for the audit). */
		drill: v.boolean(),
		reason: text(200),
		startedAt: isoTime,
		startedBy: id,
		startedByName: text(50),
		/** Who the starting device saw on site (entered, not exited). */
		roster: v.pipe(v.array(id), v.maxLength(MAX_ROSTER)),
		endedAt: v.nullable(isoTime),
		endedBy: v.nullable(id),
		endedByName: v.nullable(text(50))
	})
});
export type Muster = v.InferOutput<typeof Muster.validate>;

export const ROLLCALL_STATUSES = ['accounted', 'absent', 'missing', 'cleared'] as const;
export type RollCallStatus = (typeof ROLLCALL_STATUSES)[number];

/** events.rollcall[ulid]: accounted (seen at the muster point), absent (not on site after all),
 * missing (searched for), cleared (an earlier tick taken back). The latest per person counts. */
export const RollCallMark = defineRecord({
	name: 'RollCallMark',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: ulidSchema,
		musterId: ulidSchema,
		workerId: id,
		status: v.picklist(ROLLCALL_STATUSES),
		by: id,
		byName: text(50),
		at: isoTime,
		note: v.optional(text(200))
	})
});
export type RollCallMark = v.InferOutput<typeof RollCallMark.validate>;

export function musters(events: Y.Doc): Muster[] {
	const out: Muster[] = [];
	for (const [key, raw] of events.getMap('musters').entries()) {
		const read = readRecord(Muster, raw);
		if (read.ok && read.record.id === key) out.push(read.record);
	}
	return out.sort((a, b) => (a.id < b.id ? 1 : -1));
}

/** The muster still running (the newest one not ended), if any. */
export function activeMuster(events: readonly Y.Doc[]): { muster: Muster; doc: Y.Doc } | null {
	let best: { muster: Muster; doc: Y.Doc } | null = null;
	for (const doc of events)
		for (const m of musters(doc))
			if (!m.endedAt && (!best || m.id > best.muster.id)) best = { muster: m, doc };
	return best;
}

export function startMuster(
	events: Y.Doc,
	eventsName: string,
	actor: Actor,
	input: { siteId: string; drill: boolean; reason: string; roster: string[]; byName: string },
	at = new Date()
): Muster {
	const muster_id = newUlid(at.getTime());
	return putRecord(events, eventsName, actor, 'musters', muster_id, Muster, {
		schema: 1,
		id: muster_id,
		siteId: input.siteId,
		drill: input.drill,
		reason: input.reason,
		startedAt: at.toISOString(),
		startedBy: actor.claims.sub,
		startedByName: input.byName,
		roster: [...new Set(input.roster)].sort(),
		endedAt: null,
		endedBy: null,
		endedByName: null
	});
}

/** Ends a muster; its record and every tick stay. Ending twice keeps the first end. */
export function endMuster(
	events: Y.Doc,
	eventsName: string,
	actor: Actor,
	musterId: string,
	byName: string,
	at = new Date()
): Muster {
	const read = readRecord(Muster, events.getMap('musters').get(musterId));
	if (!read.ok) throw new Error(`no muster ${musterId} in ${eventsName}`);
	if (read.record.endedAt) return read.record;
	return putRecord(events, eventsName, actor, 'musters', musterId, Muster, {
		...read.record,
		endedAt: at.toISOString(),
		endedBy: actor.claims.sub,
		endedByName: byName
	});
}

export function markRollCall(
	events: Y.Doc,
	eventsName: string,
	actor: Actor,
	input: {
		musterId: string;
		workerId: string;
		status: RollCallStatus;
		byName: string;
		note?: string;
	},
	at = new Date()
): RollCallMark {
	const markId = newUlid(at.getTime());
	return putRecord(events, eventsName, actor, 'rollcall', markId, RollCallMark, {
		schema: 1,
		id: markId,
		musterId: input.musterId,
		workerId: input.workerId,
		status: input.status,
		by: actor.claims.sub,
		byName: input.byName,
		at: at.toISOString(),
		...(input.note ? { note: input.note } : {})
	});
}

/** The latest mark per person of one muster (by time, then id: the same on every device). */
export function latestMarks(events: Y.Doc, musterId: string): Map<string, RollCallMark> {
	const out = new Map<string, RollCallMark>();
	for (const [key, raw] of events.getMap('rollcall').entries()) {
		if ((raw as { musterId?: string })?.musterId !== musterId) continue;
		const read = readRecord(RollCallMark, raw);
		if (!read.ok || read.record.id !== key) continue;
		const m = read.record;
		const prev = out.get(m.workerId);
		if (!prev || m.at > prev.at || (m.at === prev.at && m.id > prev.id)) out.set(m.workerId, m);
	}
	return out;
}

// ——— The list ———

export type MusterStatus = 'unaccounted' | 'accounted' | 'absent' | 'missing' | 'exited';

export interface MusterRow {
	workerId: string;
	contractorId: string | null;
	contractorName: string;
	name: string;
	trade: string | null;
	phone: string | null;
	/** Null when this role may not read health data, or none was recorded (with consent). */
	health: { bloodType: string | null; rh: string | null; allergies: string | null } | null;
	emergency: { name: string; relation: string | null; phone: string } | null;
	zone: Pick<GeoZone, 'id' | 'name' | 'kind'> | null;
	lastPing: { at: string; ageSeconds: number; accuracy: number | null } | null;
	enteredAt: string | null;
	/** False: entered after the muster started (not on the starting device's roster). */
	onRoster: boolean;
	status: MusterStatus;
	mark: RollCallMark | null;
	/** The mark was made after the muster had ended (an offline device catching up). */
	lateMark: boolean;
}

export interface MusterGroup {
	zone: Pick<GeoZone, 'id' | 'name' | 'kind'> | null;
	rows: MusterRow[];
	unaccounted: number;
}

export interface ContractorLead {
	contractorId: string | null;
	name: string;
	contactName: string | null;
	contactPhone: string | null;
	total: number;
	unaccounted: number;
}

export interface MusterView {
	muster: Muster | null;
	rows: MusterRow[];
	groups: MusterGroup[];
	/** Contractor supervisors first: whom to call about each crew. */
	leads: ContractorLead[];
	counts: Record<MusterStatus, number> & { total: number };
}

export interface MusterInput {
	muster: Muster | null;
	/** The muster's events document (rolls call); null for a preview before one starts. */
	musterDoc: Y.Doc | null;
	presence: Presence;
	pings: Map<string, LocationPing>;
	zones: readonly GeoZone[];
	/** contractor id → its document. */
	contractors: ReadonlyMap<string, Y.Doc>;
	org: Y.Doc;
	claims: Claims;
	now: Date;
}

const STATUS_ORDER: Record<MusterStatus, number> = {
	unaccounted: 0,
	missing: 1,
	absent: 2,
	exited: 3,
	accounted: 4
};

/** Still to find: nobody has ticked them and no gate saw them leave. */
export const needsFinding = (s: MusterStatus) => s === 'unaccounted' || s === 'missing';

export function musterView(input: MusterInput): MusterView {
	const { muster, presence, now } = input;
	const end = muster?.endedAt ?? null;
	const start = muster?.startedAt ?? null;
	const marks = muster && input.musterDoc ? latestMarks(input.musterDoc, muster.id) : new Map();

	// Who: the starting device's roster, anyone the gates say is in (an entry that synced late, or
	// made during the muster), and anyone ticked.
	const roster = new Set<string>(muster?.roster ?? []);
	const ids = new Set<string>(roster);
	for (const p of presence.present()) if (!end || p.at <= end) ids.add(p.workerId);
	for (const w of marks.keys()) ids.add(w);

	// Where each worker is registered: one pass over the contractor documents' keys.
	const contractorOf = new Map<string, string>();
	for (const [cid, doc] of input.contractors)
		for (const w of doc.getMap('workers').keys()) if (ids.has(w)) contractorOf.set(w, cid);

	const contractorRecords = new Map<string, Contractor>();
	for (const [key, raw] of input.org.getMap('contractors').entries()) {
		const read = readRecord(Contractor, raw);
		if (read.ok && read.record.id === key) contractorRecords.set(key, read.record);
	}

	const rows: MusterRow[] = [];
	for (const workerId of ids) {
		const cid = contractorOf.get(workerId) ?? null;
		const doc = cid ? input.contractors.get(cid) : undefined;
		const w = doc ? readRecord(Worker, doc.getMap('workers').get(workerId)) : null;
		const worker = w?.ok ? w.record : null;
		const mark = marks.get(workerId) ?? null;
		const last = presence.last(workerId);
		const exited =
			!!start && last?.direction === 'out' && last.at >= start && (!end || last.at <= end);
		let status: MusterStatus = 'unaccounted';
		if (mark && mark.status !== 'cleared') status = mark.status;
		else if (exited) status = 'exited';
		const ping = input.pings.get(workerId);
		const zone = zoneOfPing(ping, input.zones);
		let health: MusterRow['health'] = null;
		if (doc && cid && mayReadHealth(input.claims, cid)) {
			const h = readRecord(HealthRecord, doc.getMap('health').get(workerId));
			if (h.ok)
				health = {
					bloodType: h.record.bloodType ?? null,
					rh: h.record.rh ?? null,
					allergies: h.record.allergies ?? null
				};
		}
		const e = doc ? readRecord(EmergencyContact, doc.getMap('emergency').get(workerId)) : null;
		rows.push({
			workerId,
			contractorId: cid,
			contractorName: (cid && contractorRecords.get(cid)?.name) || '—',
			name: worker?.name ?? workerId,
			trade: worker?.trade ?? null,
			phone: worker?.phone ?? null,
			health,
			emergency: e?.ok
				? { name: e.record.name, relation: e.record.relation ?? null, phone: e.record.phone }
				: null,
			zone: zone ? { id: zone.id, name: zone.name, kind: zone.kind } : null,
			lastPing: ping
				? {
						at: ping.at,
						ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(ping.at)) / 1000)),
						accuracy: ping.accuracy ?? null
					}
				: null,
			enteredAt: last?.direction === 'in' ? last.at : null,
			onRoster: !muster || roster.has(workerId),
			status,
			mark,
			lateMark: !!mark && !!end && mark.at > end
		});
	}
	rows.sort(
		(a, b) =>
			STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
			a.contractorName.localeCompare(b.contractorName, 'zh') ||
			a.name.localeCompare(b.name, 'zh') ||
			(a.workerId < b.workerId ? -1 : 1)
	);

	const groupsById = new Map<string, MusterGroup>();
	for (const r of rows) {
		const key = r.zone?.id ?? '';
		let g = groupsById.get(key);
		if (!g) groupsById.set(key, (g = { zone: r.zone, rows: [], unaccounted: 0 }));
		g.rows.push(r);
		if (needsFinding(r.status)) g.unaccounted++;
	}
	// Zones with people still to find first (most first), then the rest; "unknown" last of equals.
	const groups = [...groupsById.values()].sort(
		(a, b) =>
			b.unaccounted - a.unaccounted ||
			Number(a.zone === null) - Number(b.zone === null) ||
			(a.zone?.name ?? '').localeCompare(b.zone?.name ?? '', 'zh')
	);

	const leadsById = new Map<string, ContractorLead>();
	for (const r of rows) {
		const key = r.contractorId ?? '';
		let l = leadsById.get(key);
		if (!l) {
			const c = r.contractorId ? contractorRecords.get(r.contractorId) : undefined;
			leadsById.set(
				key,
				(l = {
					contractorId: r.contractorId,
					name: r.contractorName,
					contactName: c?.contactName ?? null,
					contactPhone: c?.contactPhone ?? null,
					total: 0,
					unaccounted: 0
				})
			);
		}
		l.total++;
		if (needsFinding(r.status)) l.unaccounted++;
	}
	const leads = [...leadsById.values()].sort(
		(a, b) => b.unaccounted - a.unaccounted || a.name.localeCompare(b.name, 'zh')
	);

	const counts = {
		total: rows.length,
		unaccounted: 0,
		accounted: 0,
		absent: 0,
		missing: 0,
		exited: 0
	};
	for (const r of rows) counts[r.status]++;
	return { muster, rows, groups, leads, counts };
}
