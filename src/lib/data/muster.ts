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
import type { Passage } from './attendance';
import { putRecord, type Actor } from './commands';
import { EmergencyContact, HealthRecord, Worker } from './contractor';
import { newUlid } from './event-commands';
import { AttendanceEvent, LocationPing, ulidSchema } from './events';
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
	// What this person sees is what the tick replaces: a tick already here dated later (another
	// device's clock running fast) must not outrank it, so this one is dated just after.
	let latest = at.getTime();
	for (const raw of events.getMap('rollcall').values()) {
		const r = raw as { musterId?: unknown; workerId?: unknown; at?: unknown };
		if (r?.musterId !== input.musterId || r.workerId !== input.workerId) continue;
		const t = typeof r.at === 'string' ? Date.parse(r.at) : NaN;
		if (t >= latest) latest = t + 1;
	}
	at = new Date(latest);
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

/** Whether mark `a` supersedes `b`: later time, then larger id (the same on every device). */
export const supersedes = (a: RollCallMark, b: RollCallMark) =>
	a.at > b.at || (a.at === b.at && a.id > b.id);

/** The latest mark per person of one muster (by time, then id: the same on every device). */
export function latestMarks(events: Y.Doc, musterId: string): Map<string, RollCallMark> {
	const out = new Map<string, RollCallMark>();
	for (const [key, raw] of events.getMap('rollcall').entries()) takeMark(out, musterId, key, raw);
	return out;
}

function takeMark(out: Map<string, RollCallMark>, musterId: string, key: string, raw: unknown) {
	if ((raw as { musterId?: string })?.musterId !== musterId) return false;
	const read = readRecord(RollCallMark, raw);
	if (!read.ok || read.record.id !== key) return false;
	const m = read.record;
	const prev = out.get(m.workerId);
	if (prev && !supersedes(m, prev)) return false;
	out.set(m.workerId, m);
	return true;
}

/**
 * The roll call of one muster kept current as ticks arrive: only the changed keys are read (the
 * log is append-only), so a tick on another device costs one record, not the whole log.
 */
export class RollCall {
	readonly marks: Map<string, RollCallMark>;
	#off: () => void;

	constructor(
		events: Y.Doc,
		readonly musterId: string,
		onChange: (workers: string[]) => void = () => {}
	) {
		this.marks = latestMarks(events, musterId);
		const map = events.getMap('rollcall');
		const observer = (event: Y.YMapEvent<unknown>) => {
			const changed: string[] = [];
			for (const key of event.keysChanged) {
				const raw = map.get(key);
				if (takeMark(this.marks, musterId, key, raw))
					changed.push((raw as { workerId: string }).workerId);
			}
			if (changed.length) onChange(changed);
		};
		map.observe(observer);
		this.#off = () => map.unobserve(observer);
	}

	destroy() {
		this.#off();
	}
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

/** Who is in and each one's latest passage: the live `Presence`, or one as of a past moment. */
export interface PresenceLike {
	present(): Iterable<Passage>;
	last(workerId: string): Passage | undefined;
}

export interface MusterInput {
	muster: Muster | null;
	/** The muster's events document (its roll call); null for a preview before one starts. */
	musterDoc: Y.Doc | null;
	/** The latest marks when the caller keeps them current (`RollCall`); else read from musterDoc. */
	marks?: ReadonlyMap<string, RollCallMark>;
	presence: PresenceLike;
	pings: ReadonlyMap<string, LocationPing>;
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

/** One collator for every comparison (a locale argument to localeCompare builds one per call). */
const zh = new Intl.Collator('zh-CN');

type Person = Omit<MusterRow, 'status' | 'mark' | 'lateMark'> & { order: number };

/**
 * What a tick does not change: who is listed, how to reach them, where they were last seen, and
 * their place in the list (contractor, then name). Built once; `assembleView` adds the statuses.
 */
export interface MusterPeople {
	people: Map<string, Person>;
	contractors: Map<string, Contractor>;
}

function marksOf(input: Pick<MusterInput, 'muster' | 'musterDoc' | 'marks'>) {
	if (!input.muster) return new Map<string, RollCallMark>();
	return (
		input.marks ?? (input.musterDoc ? latestMarks(input.musterDoc, input.muster.id) : new Map())
	);
}

export function describePeople(input: MusterInput): MusterPeople {
	const { muster, presence, now } = input;
	const end = muster?.endedAt ?? null;
	const marks = marksOf(input);

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

	const contractors = new Map<string, Contractor>();
	for (const [key, raw] of input.org.getMap('contractors').entries()) {
		const read = readRecord(Contractor, raw);
		if (read.ok && read.record.id === key) contractors.set(key, read.record);
	}

	const list: Person[] = [];
	for (const workerId of ids) {
		const cid = contractorOf.get(workerId) ?? null;
		const doc = cid ? input.contractors.get(cid) : undefined;
		const w = doc ? readRecord(Worker, doc.getMap('workers').get(workerId)) : null;
		const worker = w?.ok ? w.record : null;
		const last = presence.last(workerId);
		let ping = input.pings.get(workerId);
		// A ping from before this visit's entry says where they were on another day.
		if (ping && last?.direction === 'in' && Date.parse(ping.at) < Date.parse(last.at))
			ping = undefined;
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
		list.push({
			workerId,
			contractorId: cid,
			contractorName: (cid && contractors.get(cid)?.name) || '—',
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
			order: 0
		});
	}
	list.sort(
		(a, b) =>
			zh.compare(a.contractorName, b.contractorName) ||
			zh.compare(a.name, b.name) ||
			(a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0)
	);
	const people = new Map<string, Person>();
	list.forEach((p, i) => {
		p.order = i;
		people.set(p.workerId, p);
	});
	return { people, contractors };
}

/**
 * The statuses, order, groups, leads and counts from the people and the latest marks: cheap
 * enough to run on every tick. A mark for someone not among `people` needs `describePeople` again.
 */
export function assembleView(
	base: MusterPeople,
	input: Pick<MusterInput, 'muster' | 'musterDoc' | 'marks' | 'presence'>
): MusterView {
	const { muster, presence } = input;
	const end = muster?.endedAt ?? null;
	const marks = marksOf(input);

	const rows: (MusterRow & { order: number })[] = [];
	for (const p of base.people.values()) {
		const mark = marks.get(p.workerId) ?? null;
		const last = presence.last(p.workerId);
		// A gate saw them leave (before the muster too: an exit that synced after it started).
		const exited = !!muster && last?.direction === 'out' && (!end || last.at <= end);
		let status: MusterStatus = 'unaccounted';
		if (mark && mark.status !== 'cleared') status = mark.status;
		else if (exited) status = 'exited';
		// Field by field: a spread of a 15-field object is V8's slow path, 5,000 times per tick.
		rows.push({
			workerId: p.workerId,
			contractorId: p.contractorId,
			contractorName: p.contractorName,
			name: p.name,
			trade: p.trade,
			phone: p.phone,
			health: p.health,
			emergency: p.emergency,
			zone: p.zone,
			lastPing: p.lastPing,
			enteredAt: p.enteredAt,
			onRoster: p.onRoster,
			order: p.order,
			status,
			mark,
			lateMark: !!mark && !!end && mark.at > end
		});
	}
	rows.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.order - b.order);

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
			zh.compare(a.zone?.name ?? '', b.zone?.name ?? '') ||
			((a.zone?.id ?? '') < (b.zone?.id ?? '') ? -1 : 1)
	);

	const leadsById = new Map<string, ContractorLead>();
	for (const r of rows) {
		const key = r.contractorId ?? '';
		let l = leadsById.get(key);
		if (!l) {
			const c = r.contractorId ? base.contractors.get(r.contractorId) : undefined;
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
		(a, b) =>
			b.unaccounted - a.unaccounted ||
			zh.compare(a.name, b.name) ||
			((a.contractorId ?? '') < (b.contractorId ?? '') ? -1 : 1)
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

export function musterView(input: MusterInput): MusterView {
	return assembleView(describePeople(input), input);
}

// ——— A past muster, as it stood when it ended ———

/**
 * Who was in as of `until` (each worker's latest admitted passage at or before it), from the
 * attendance of `docs`: an ended muster's list does not move when people come and go later.
 */
export function presenceAt(docs: readonly Y.Doc[], siteId: string, until: string): PresenceLike {
	const last = new Map<string, Passage>();
	const limit = Date.parse(until);
	for (const doc of docs)
		for (const [key, raw] of doc.getMap('attendance').entries()) {
			const r = raw as { workerId?: unknown; at?: unknown };
			if (typeof r?.workerId !== 'string') continue;
			const before = last.get(r.workerId);
			if ((before && before.id >= key) || !(Date.parse(String(r.at)) <= limit)) continue;
			const read = readRecord(AttendanceEvent, raw);
			if (!read.ok) continue;
			const e = read.record;
			if (!e.allow || !e.workerId || e.siteId !== siteId || e.id !== key) continue;
			last.set(e.workerId, { id: e.id, workerId: e.workerId, direction: e.direction, at: e.at });
		}
	return {
		present: () => [...last.values()].filter((p) => p.direction === 'in'),
		last: (workerId) => last.get(workerId)
	};
}

/** Each worker's latest ping at or before `until` (see `lastPings` for the live one). */
export function pingsAt(docs: readonly Y.Doc[], until: string): Map<string, LocationPing> {
	const last = new Map<string, LocationPing>();
	const limit = Date.parse(until);
	for (const doc of docs)
		for (const [key, raw] of doc.getMap('pings').entries()) {
			const r = raw as { workerId?: unknown; at?: unknown };
			const prev = last.get(String(r?.workerId));
			if ((prev && prev.id >= key) || !(Date.parse(String(r?.at)) <= limit)) continue;
			const read = readRecord(LocationPing, raw);
			if (!read.ok || read.record.id !== key) continue;
			last.set(read.record.workerId, read.record);
		}
	return last;
}
