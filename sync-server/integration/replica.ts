// What the integration API reads: the relay's own replica of a site (org, control, blacklist, the
// contractors working there, this and last month's events), held in memory and indexed per
// worker, so a door's question reads one worker's records instead of scanning 20,000. Each index
// is built lazily from a document's content and thrown away when the relay reports a commit to
// that document; the rules themselves (authorize, entryInputFor, sitePermits) are the app's, fed
// small per-worker views of the documents.
import type * as Y from 'yjs';
import type { Forgery } from '../../src/lib/data/approvals';
import { Presence, type Passage } from '../../src/lib/data/attendance';
import {
	blacklistDoc,
	contractorDoc,
	controlDoc,
	eventsDoc,
	monthOf
} from '../../src/lib/data/documents';
import { AttendanceEvent } from '../../src/lib/data/events';
import { Contractor, Site } from '../../src/lib/data/org';
import {
	Permit,
	PermitAction,
	permitSubject,
	permitView,
	type PermitView
} from '../../src/lib/data/permits';
import { readRecord } from '../../src/lib/data/records';
import { keyBindings, type KeyBinding } from '../../src/lib/data/signing';
import type { Relay } from '../relay';
import { changedKeys } from '../update-keys';
import { orgChanged } from './http';

export interface MapLike {
	get(key: string): unknown;
	values(): Iterable<unknown>;
	entries(): Iterable<[string, unknown]>;
}
export interface DocLike {
	getMap(name: string): MapLike;
}

/** A read-only map over a few records (one worker's), shaped like the Y.Map the rules read. */
export class ListMap implements MapLike {
	constructor(private readonly items: readonly (readonly [string, unknown])[]) {}
	get(key: string): unknown {
		for (const [k, v] of this.items) if (k === key) return v;
		return undefined;
	}
	*values(): Iterable<unknown> {
		for (const [, v] of this.items) yield v;
	}
	*entries(): Iterable<[string, unknown]> {
		for (const [k, v] of this.items) yield [k, v];
	}
	get size(): number {
		return this.items.length;
	}
}

const EMPTY = new ListMap([]);

/** A document seen through some replaced maps; the others are the live document's. */
export class DocView implements DocLike {
	constructor(
		private readonly maps: Record<string, MapLike>,
		private readonly live: DocLike | null
	) {}
	getMap(name: string): MapLike {
		return this.maps[name] ?? this.live?.getMap(name) ?? EMPTY;
	}
}

type Entry = [string, unknown];

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
	const list = map.get(key);
	if (list) list.push(value);
	else map.set(key, [value]);
}

const field = (raw: unknown, name: string): unknown =>
	raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[name] : undefined;

/** ID numbers as typed at a door: spaces dropped, a trailing check character x taken as X. */
export function normaliseDocNumber(value: string): string {
	return value.replace(/\s+/g, '').toUpperCase();
}

/** One contractor document, by worker. Raw values: the rules validate what they read. */
export interface WorkerRecords {
	contractorId: string;
	workerId: string;
	worker: unknown;
	certificates: Entry[];
	training: Entry[];
	medical: Entry[];
	applications: Entry[];
}

interface ContractorIndex {
	version: number;
	workers: Map<string, WorkerRecords>;
	byDocNumber: Map<string, string[]>;
}

function indexContractor(contractorId: string, doc: Y.Doc, version: number): ContractorIndex {
	const workers = new Map<string, WorkerRecords>();
	const byDocNumber = new Map<string, string[]>();
	const of = (workerId: unknown): WorkerRecords | undefined =>
		typeof workerId === 'string' ? workers.get(workerId) : undefined;
	for (const [key, raw] of doc.getMap('workers').entries()) {
		workers.set(key, {
			contractorId,
			workerId: key,
			worker: raw,
			certificates: [],
			training: [],
			medical: [],
			applications: []
		});
		// v1 workers kept a resident ID in idNumber (migrated on read).
		const number = field(raw, 'docNumber') ?? field(raw, 'idNumber');
		if (typeof number === 'string') push(byDocNumber, normaliseDocNumber(number), key);
	}
	for (const name of ['certificates', 'training', 'medical'] as const) {
		for (const [key, raw] of doc.getMap(name).entries())
			of(field(raw, 'workerId'))?.[name].push([key, raw]);
	}
	for (const [key, raw] of doc.getMap('applications').entries()) {
		const listed = field(raw, 'workers');
		if (!Array.isArray(listed)) continue;
		const seen = new Set<WorkerRecords>();
		for (const w of listed) {
			const records = of(field(w, 'workerId'));
			if (records && !seen.has(records)) {
				seen.add(records);
				records.applications.push([key, raw]);
			}
		}
	}
	return { version, workers, byDocNumber };
}

interface ControlIndex {
	version: number;
	/** Every decision, by hash (a permit's chain check needs the signers' earlier records). */
	decisions: Map<string, unknown>;
	/** Decisions by `<application>\n<worker>` (an entry application's worker, or a permit). */
	bySubject: Map<string, Entry[]>;
	verifications: Map<string, Entry[]>;
	checks: Map<string, Entry>;
	permits: { permit: Permit; actions: PermitAction[]; decisions: Map<string, unknown> }[];
	/** Permits naming a worker, by `<contractorId>/<workerId>`. */
	permitsOf: Map<string, number[]>;
}

/**
 * The records a subject's decisions chain to: subjectApproval accepts a record only if its `prev`
 * is one of the same signer's records, so a view holding the subject's records also holds those.
 */
function withPrev(records: readonly Entry[], all: ReadonlyMap<string, unknown>): Entry[] {
	const out = new Map<string, unknown>(records);
	for (const [, raw] of records) {
		const prev = field(raw, 'prev');
		if (typeof prev === 'string' && !out.has(prev) && all.has(prev)) out.set(prev, all.get(prev));
	}
	return [...out];
}

function indexControl(doc: Y.Doc, version: number): ControlIndex {
	const decisions = new Map<string, unknown>();
	const bySubject = new Map<string, Entry[]>();
	for (const [hash, raw] of doc.getMap('decisions').entries()) {
		decisions.set(hash, raw);
		const app = field(raw, 'application');
		const worker = field(raw, 'worker');
		if (typeof app === 'string' && typeof worker === 'string')
			push(bySubject, `${app}\n${worker}`, [hash, raw] as Entry);
	}
	const verifications = new Map<string, Entry[]>();
	for (const [key, raw] of doc.getMap('verifications').entries()) {
		const cert = field(raw, 'certificateId');
		if (typeof cert === 'string') push(verifications, cert, [key, raw] as Entry);
	}
	const checks = new Map<string, Entry>();
	for (const [key, raw] of doc.getMap('checks').entries()) {
		const cert = field(raw, 'certificateId');
		if (typeof cert === 'string') checks.set(cert, [key, raw]);
	}
	const actions = new Map<string, PermitAction[]>();
	for (const raw of doc.getMap('permitActions').values()) {
		const read = readRecord(PermitAction, raw);
		if (read.ok) push(actions, read.record.permitId, read.record);
	}
	const permits: ControlIndex['permits'] = [];
	const permitsOf = new Map<string, number[]>();
	for (const raw of doc.getMap('permits').values()) {
		const read = readRecord(Permit, raw);
		if (!read.ok) continue;
		const p = read.record;
		const subject = bySubject.get(`${permitSubject(p.id)}\n${p.id}`) ?? [];
		permits.push({
			permit: p,
			actions: (actions.get(p.id) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1)),
			decisions: new Map(withPrev(subject, decisions))
		});
		for (const person of new Set(p.people.map((x) => `${x.contractorId}/${x.workerId}`)))
			push(permitsOf, person, permits.length - 1);
	}
	return { version, decisions, bySubject, verifications, checks, permits, permitsOf };
}

interface EventsState {
	name: string;
	/** The document version Presence was last fed up to; -1 before the first (whole) read. */
	version: number;
}

export interface OnSitePerson {
	workerId: string;
	contractorId: string | null;
	name: string | null;
	since: string;
	via: AttendanceEvent['method'] | null;
}

/** The documents of one site the API answers from, and their indexes. */
export class SiteReplica {
	private readonly holds = new Map<string, () => void>();
	private contractorIds: string[] = [];
	private orgVersion = -1;
	private readonly contractors = new Map<string, ContractorIndex>();
	private control: ControlIndex | null = null;
	private blacklist: { version: number; byDocNumber: Map<string, Entry[]> } | null = null;
	private presence: Presence;
	private events: EventsState[] = [];

	constructor(
		private readonly replica: IntegrationReplica,
		readonly id: string
	) {
		this.presence = new Presence(id);
		this.hold(controlDoc(id));
		this.hold(blacklistDoc);
	}

	private hold(name: string): void {
		if (!this.holds.has(name)) this.holds.set(name, this.replica.relay.hold(name));
	}

	private release(name: string): void {
		this.holds.get(name)?.();
		this.holds.delete(name);
	}

	/** The live document (held, so this is the relay's own copy, not a temporary one). */
	doc(name: string): Y.Doc {
		this.hold(name);
		return this.replica.relay.read(name, (d) => d);
	}

	/** Contractors working at the site (org `contractors[].sites`), their documents held. */
	contractorsHere(): string[] {
		const v = this.replica.version('org');
		if (v === this.orgVersion) return this.contractorIds;
		const ids: string[] = [];
		for (const raw of this.replica.relay.orgDoc().getMap('contractors').values()) {
			const read = readRecord(Contractor, raw);
			if (read.ok && read.record.sites.includes(this.id)) ids.push(read.record.id);
		}
		ids.sort();
		for (const gone of this.contractorIds.filter((c) => !ids.includes(c))) {
			this.release(contractorDoc(gone));
			this.contractors.delete(gone);
		}
		for (const c of ids) this.hold(contractorDoc(c));
		this.contractorIds = ids;
		this.orgVersion = v;
		return ids;
	}

	private contractorIndex(contractorId: string): ContractorIndex | null {
		if (!this.contractorsHere().includes(contractorId)) return null;
		const name = contractorDoc(contractorId);
		const v = this.replica.version(name);
		let index = this.contractors.get(contractorId);
		if (!index || index.version !== v) {
			index = indexContractor(contractorId, this.doc(name), v);
			this.contractors.set(contractorId, index);
		}
		return index;
	}

	private controlIndex(): ControlIndex {
		const name = controlDoc(this.id);
		const v = this.replica.version(name);
		if (!this.control || this.control.version !== v) this.control = indexControl(this.doc(name), v);
		return this.control;
	}

	/** The worker's records, or null when no contractor at this site has them. */
	worker(contractorId: string, workerId: string): WorkerRecords | null {
		return this.contractorIndex(contractorId)?.workers.get(workerId) ?? null;
	}

	/** Workers with this ID number among the site's contractors (more than one: ambiguous). */
	workersByDocNumber(docNumber: string): WorkerRecords[] {
		const key = normaliseDocNumber(docNumber);
		const out: WorkerRecords[] = [];
		for (const c of this.contractorsHere()) {
			const index = this.contractorIndex(c)!;
			for (const w of index.byDocNumber.get(key) ?? []) out.push(index.workers.get(w)!);
		}
		return out;
	}

	/** Workers with this id among the site's contractors (ids are per contractor document). */
	workersById(workerId: string): WorkerRecords[] {
		const out: WorkerRecords[] = [];
		for (const c of this.contractorsHere()) {
			const w = this.contractorIndex(c)!.workers.get(workerId);
			if (w) out.push(w);
		}
		return out;
	}

	/** The contractor's whole live document (a pass check reads its `passes` and `workers`). */
	contractorDoc(contractorId: string): Y.Doc | null {
		return this.contractorsHere().includes(contractorId)
			? this.doc(contractorDoc(contractorId))
			: null;
	}

	/** The documents authorize() reads, narrowed to one worker. */
	workerDocs(w: WorkerRecords): {
		org: DocLike;
		contractor: DocLike;
		control: DocLike;
		blacklist: DocLike;
	} {
		const control = this.controlIndex();
		const liveControl = this.doc(controlDoc(this.id));
		const decisions: Entry[] = [];
		for (const [, raw] of w.applications) {
			const id = field(raw, 'id');
			if (typeof id === 'string')
				decisions.push(...(control.bySubject.get(`${w.contractorId}/${id}\n${w.workerId}`) ?? []));
		}
		const verifications: Entry[] = [];
		const checks: Entry[] = [];
		for (const [certId] of w.certificates) {
			verifications.push(...(control.verifications.get(certId) ?? []));
			const check = control.checks.get(certId);
			if (check) checks.push(check);
		}
		return {
			org: this.replica.relay.orgDoc(),
			contractor: new DocView(
				{
					workers: new ListMap([[w.workerId, w.worker]]),
					certificates: new ListMap(w.certificates),
					training: new ListMap(w.training),
					medical: new ListMap(w.medical),
					applications: new ListMap(w.applications)
				},
				null
			),
			control: new DocView(
				{
					decisions: new ListMap(withPrev(decisions, control.decisions)),
					verifications: new ListMap(verifications),
					checks: new ListMap(checks)
				},
				liveControl
			),
			blacklist: new DocView({ entries: new ListMap(this.blacklistOf(w)) }, null)
		};
	}

	private blacklistOf(w: WorkerRecords): Entry[] {
		const v = this.replica.version(blacklistDoc);
		if (!this.blacklist || this.blacklist.version !== v) {
			const byDocNumber = new Map<string, Entry[]>();
			for (const [key, raw] of this.doc(blacklistDoc).getMap('entries').entries()) {
				const number = field(raw, 'docNumber');
				if (typeof number === 'string') push(byDocNumber, number, [key, raw] as Entry);
			}
			this.blacklist = { version: v, byDocNumber };
		}
		const number = field(w.worker, 'docNumber') ?? field(w.worker, 'idNumber');
		return typeof number === 'string' ? (this.blacklist.byDocNumber.get(number) ?? []) : [];
	}

	/** The site's permits as they stand at `at`: all of them, or those naming the worker. */
	permits(
		at: Date,
		timeZone: string,
		worker?: { contractorId: string; workerId: string }
	): PermitView[] {
		const control = this.controlIndex();
		const liveControl = this.doc(controlDoc(this.id));
		const chosen = worker
			? (control.permitsOf.get(`${worker.contractorId}/${worker.workerId}`) ?? []).map(
					(i) => control.permits[i]!
				)
			: control.permits;
		const keys = this.replica.keys();
		return chosen.map((p) =>
			permitView(
				p.permit,
				{
					control: liveControl,
					org: this.replica.relay.orgDoc(),
					timeZone,
					cache: this.replica.cache,
					decisions: p.decisions,
					keys
				},
				at,
				p.actions
			)
		);
	}

	/** Who is on site now: last admitted passage an entry, over this month and the previous one. */
	onSite(at: Date, timeZone: string): OnSitePerson[] {
		this.followEvents(at, timeZone);
		const out: OnSitePerson[] = [];
		for (const p of this.presence.present()) {
			let record: AttendanceEvent | null = null;
			for (const e of this.events) {
				const read = readRecord(AttendanceEvent, this.doc(e.name).getMap('attendance').get(p.id));
				if (read.ok) record = read.record;
			}
			let contractorId = record?.contractorId ?? null;
			let w = contractorId ? this.worker(contractorId, p.workerId) : null;
			if (!w) {
				const found = this.workersById(p.workerId);
				if (found.length === 1) w = found[0]!;
			}
			contractorId ??= w?.contractorId ?? null;
			const name = field(w?.worker, 'name');
			out.push({
				workerId: p.workerId,
				contractorId,
				name: typeof name === 'string' ? name : null,
				since: p.at,
				via: record?.method ?? null
			});
		}
		return out.sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0));
	}

	/** The worker's last admitted passage at this site (this month and the previous one). */
	lastPassage(workerId: string, at: Date, timeZone: string): Passage | null {
		this.followEvents(at, timeZone);
		return this.presence.last(workerId) ?? null;
	}

	/** Whether the worker's last admitted passage at this site was an entry. */
	isOnSite(workerId: string, at: Date, timeZone: string): boolean {
		this.followEvents(at, timeZone);
		return this.presence.onSite(workerId);
	}

	/**
	 * Feeds Presence the attendance records it has not seen (the logs are append-only, so a key
	 * seen once never changes). A new month starts a new Presence over the two months now current.
	 */
	private followEvents(at: Date, timeZone: string): void {
		const names = eventNames(this.id, at, timeZone);
		if (names.join() !== this.events.map((e) => e.name).join()) {
			for (const e of this.events)
				if (!names.includes(e.name)) {
					this.release(e.name);
					this.replica.takeAttendance(e.name, false);
				}
			this.presence = new Presence(this.id);
			this.events = names.map((name) => ({ name, version: -1 }));
		}
		for (const e of this.events) {
			const v = this.replica.version(e.name);
			if (v === e.version) continue;
			const map = this.doc(e.name).getMap('attendance');
			// The first look reads the whole month; after it, only the keys commits brought (the log
			// is append-only: a key never changes), not a walk of every record per question.
			const keys = this.replica.takeAttendance(e.name, true);
			const entries: Iterable<[string, unknown]> =
				e.version === -1 ? map.entries() : keys.map((k): [string, unknown] => [k, map.get(k)]);
			for (const [key, raw] of entries) {
				const read = readRecord(AttendanceEvent, raw);
				if (read.ok && read.record.id === key) this.presence.note(read.record);
			}
			e.version = v;
		}
	}

	close(): void {
		for (const release of this.holds.values()) release();
		this.holds.clear();
	}
}

/** The events documents "who is on site" reads: the month of `at` and the one before (site time). */
export function eventNames(siteId: string, at: Date, timeZone: string): string[] {
	const month = monthOf(at, timeZone);
	const [y, m] = month.split('-').map(Number) as [number, number];
	const prev = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
	return [eventsDoc(siteId, prev), eventsDoc(siteId, month)];
}

/** Every site's replica, the document versions (bumped on each commit) and shared caches. */
export class IntegrationReplica {
	/** Signature verdicts by record hash: the relay's, shared with its intake and timers. */
	get cache(): Map<string, true | Forgery> {
		return this.relay.verdicts;
	}
	private readonly versions = new Map<string, number>();
	/** Attendance keys committed to followed events documents, not yet given to a Presence. */
	private readonly attendance = new Map<string, string[]>();
	private readonly sites = new Map<string, SiteReplica>();
	private keyCache: { version: number; keys: Map<string, KeyBinding> } | null = null;
	private readonly unlisten: () => void;

	constructor(
		readonly relay: Relay,
		readonly orgId: string
	) {
		this.unlisten = relay.onCommit((name, _byRelay, update) => {
			this.versions.set(name, (this.versions.get(name) ?? 0) + 1);
			// Attendance the followed events documents received: Presence takes just these.
			const pending = this.attendance.get(name);
			if (pending)
				for (const key of changedKeys(update, ['attendance']).get('attendance')!) pending.push(key);
			if (name === 'org') orgChanged(relay);
		});
	}

	version(name: string): number {
		return this.versions.get(name) ?? 0;
	}

	/**
	 * Starts collecting the attendance keys committed to an events document (or stops, with
	 * null); returns and clears what was collected.
	 */
	takeAttendance(name: string, follow: boolean): string[] {
		const keys = this.attendance.get(name) ?? [];
		if (follow) this.attendance.set(name, []);
		else this.attendance.delete(name);
		return keys;
	}

	keys(): Map<string, KeyBinding> {
		const v = this.version('org');
		if (!this.keyCache || this.keyCache.version !== v)
			this.keyCache = { version: v, keys: keyBindings(this.relay.orgDoc().getMap('keys')) };
		return this.keyCache.keys;
	}

	/** The org's record of a site, or null when the org has no such site. */
	siteRecord(siteId: string): Site | null {
		const read = readRecord(Site, this.relay.orgDoc().getMap('sites').get(siteId));
		return read.ok ? read.record : null;
	}

	/** The site's replica (its documents held from the first question on), or null if unknown. */
	site(siteId: string): SiteReplica | null {
		if (!this.siteRecord(siteId)) return null;
		let site = this.sites.get(siteId);
		if (!site) {
			site = new SiteReplica(this, siteId);
			this.sites.set(siteId, site);
		}
		return site;
	}

	close(): void {
		this.unlisten();
		for (const site of this.sites.values()) site.close();
		this.sites.clear();
	}
}
