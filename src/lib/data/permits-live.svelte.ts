// Rune read models for the permit screens: one site's permits as everybody sees them now (kept
// current as records arrive and as time passes: a permit starts, and drops off at its end, by
// itself), and the workers of the contractors at the site with their certificates.
import type * as Y from 'yjs';
import type { Forgery } from './approvals';
import { Contractor, Site } from './org';
import {
	permitCalendar,
	siteEquipment,
	sitePermits,
	siteZones,
	type Equipment,
	type PermitView,
	type SiteZone
} from './permits';
import { readRecord } from './records';
import { keyBindings, type KeyBinding } from './signing';
import { CertificateRecord, Worker } from './contractor';
import { workerCertificates } from './verification';
import type { PermitCalendar, PermitPerson, Certificate } from '../domain';

/** Longest wait between two recomputations, even when no boundary is near. */
const TICK_MS = 30_000;

export class LivePermits {
	views = $state.raw<PermitView[]>([]);
	zones = $state.raw<SiteZone[]>([]);
	equipment = $state.raw<Equipment[]>([]);
	calendar = $state.raw<PermitCalendar>({ timeZone: 'Asia/Shanghai' });
	/** The org's key bindings (who may sign, and whether this device's key counts). */
	keys = $state.raw<ReadonlyMap<string, KeyBinding>>(new Map());
	/** The instant the views were computed for. */
	now = $state.raw(new Date());
	#control: Y.Doc;
	#org: Y.Doc;
	#siteId: string;
	#cache = new Map<string, true | Forgery>();
	#timer: ReturnType<typeof setTimeout> | null = null;
	#queued = false;
	#onUpdate = () => this.#queue();

	constructor(siteId: string, control: Y.Doc, org: Y.Doc) {
		this.#siteId = siteId;
		this.#control = control;
		this.#org = org;
		control.on('update', this.#onUpdate);
		org.on('update', this.#onUpdate);
		this.refresh();
	}

	get timeZone(): string {
		const read = readRecord(Site, this.#org.getMap('sites').get(this.#siteId));
		return read.ok ? read.record.timeZone : 'Asia/Shanghai';
	}

	#queue() {
		if (this.#queued) return;
		this.#queued = true;
		queueMicrotask(() => {
			this.#queued = false;
			this.refresh();
		});
	}

	/** Recompute now, and again at the next instant something changes by itself. */
	refresh() {
		const now = new Date();
		const timeZone = this.timeZone;
		const keys = keyBindings(this.#org.getMap('keys'));
		const views = sitePermits(
			{ control: this.#control, org: this.#org, timeZone, cache: this.#cache, keys },
			now
		);
		this.keys = keys;
		this.now = now;
		this.views = views;
		this.zones = siteZones(this.#control);
		this.equipment = siteEquipment(this.#control);
		this.calendar = permitCalendar(this.#control, timeZone);
		if (this.#timer) clearTimeout(this.#timer);
		const t = now.getTime();
		let next = t + TICK_MS;
		for (const v of views) {
			for (const iso of [v.permit.validFrom, v.timeline.until]) {
				const at = Date.parse(iso);
				if (at > t && at < next) next = at;
			}
		}
		this.#timer = setTimeout(() => this.refresh(), Math.max(50, next - t + 20));
	}

	get(permitId: string): PermitView | undefined {
		return this.views.find((v) => v.permit.id === permitId);
	}

	zoneName(zoneId: string): string {
		return this.zones.find((z) => z.id === zoneId)?.name ?? zoneId;
	}

	destroy() {
		this.#control.off('update', this.#onUpdate);
		this.#org.off('update', this.#onUpdate);
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
	}
}

export interface SiteWorker {
	contractorId: string;
	contractorName: string;
	id: string;
	name: string;
	trade: string;
	/** Certificate item codes held (for the picker's hint). */
	certificates: string[];
}

/**
 * The workers of every contractor working at the site whose document this device holds, and a
 * `certificatesOf` for the permit check (registry answers from the site's control document).
 */
export class LiveSiteWorkers {
	workers = $state.raw<SiteWorker[]>([]);
	/** Bumped on every change, so checks that call `certificatesOf` re-run. */
	version = $state(0);
	#org: Y.Doc;
	#control: Y.Doc;
	#siteId: string;
	#open: (contractorId: string) => Y.Doc | null;
	#docs = new Map<string, Y.Doc>();
	#queued = false;
	#onUpdate = () => {
		if (this.#queued) return;
		this.#queued = true;
		queueMicrotask(() => {
			this.#queued = false;
			this.refresh();
		});
	};

	/** `open` gives a contractor's document, or null when this device may not read it. */
	constructor(
		siteId: string,
		org: Y.Doc,
		control: Y.Doc,
		open: (contractorId: string) => Y.Doc | null
	) {
		this.#siteId = siteId;
		this.#org = org;
		this.#control = control;
		this.#open = open;
		org.on('update', this.#onUpdate);
		control.on('update', this.#onUpdate);
		this.refresh();
	}

	refresh() {
		const contractors: Contractor[] = [];
		for (const raw of this.#org.getMap('contractors').values()) {
			const read = readRecord(Contractor, raw);
			if (read.ok && read.record.sites.includes(this.#siteId)) contractors.push(read.record);
		}
		const out: SiteWorker[] = [];
		for (const c of contractors) {
			let doc = this.#docs.get(c.id);
			if (!doc) {
				doc = this.#open(c.id) ?? undefined;
				if (!doc) continue;
				this.#docs.set(c.id, doc);
				doc.on('update', this.#onUpdate);
			}
			const codes = new Map<string, string[]>();
			for (const raw of doc.getMap('certificates').values()) {
				const read = readRecord(CertificateRecord, raw);
				if (read.ok)
					(
						codes.get(read.record.workerId) ??
						codes.set(read.record.workerId, []).get(read.record.workerId)!
					).push(read.record.code);
			}
			for (const raw of doc.getMap('workers').values()) {
				const read = readRecord(Worker, raw);
				if (!read.ok) continue;
				out.push({
					contractorId: c.id,
					contractorName: c.name,
					id: read.record.id,
					name: read.record.name,
					trade: read.record.trade ?? '',
					certificates: codes.get(read.record.id) ?? []
				});
			}
		}
		this.workers = out.sort(
			(a, b) =>
				a.contractorName.localeCompare(b.contractorName, 'zh') || a.name.localeCompare(b.name, 'zh')
		);
		this.version++;
	}

	/** The person's certificates with the registry's answers; null when this device lacks them. */
	certificatesOf = (
		person: Pick<PermitPerson, 'contractorId' | 'workerId'>
	): Certificate[] | null => {
		const doc = this.#docs.get(person.contractorId);
		if (!doc || !doc.getMap('workers').has(person.workerId)) return null;
		return workerCertificates(doc, [this.#control], person.workerId);
	};

	destroy() {
		this.#org.off('update', this.#onUpdate);
		this.#control.off('update', this.#onUpdate);
		for (const doc of this.#docs.values()) doc.off('update', this.#onUpdate);
		this.#docs.clear();
	}
}
