// The muster screen's read model: who is on site (this month's and last month's attendance), the
// site's musters, and the list of the one shown, kept current from the local documents. A tick
// re-sorts the list without re-reading anyone (assembleView); anything else rebuilds it, batched.
import type * as Y from 'yjs';
import type { Claims } from './access';
import { Presence } from './attendance';
import { contractorDoc, controlDoc, eventsDoc, monthOf } from './documents';
import {
	assembleView,
	describePeople,
	musters,
	pingsAt,
	presenceAt,
	RollCall,
	type Muster,
	type MusterInput,
	type MusterPeople,
	type MusterView
} from './muster';
import { Contractor } from './org';
import { readRecord } from './records';
import { geoZones, lastPings } from './sitemap';

export interface MusterEntry {
	muster: Muster;
	/** The events document it lives in (its start month). */
	docName: string;
}

/** The events documents "who is on site" reads: the month of `at` and the one before. */
export function musterEventNames(siteId: string, at: Date, timeZone: string): string[] {
	const month = monthOf(at, timeZone);
	const [y, m] = month.split('-').map(Number) as [number, number];
	const prev = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
	return [eventsDoc(siteId, prev), eventsDoc(siteId, month)];
}

export interface LiveMusterOptions {
	siteId: string;
	timeZone: string;
	org: Y.Doc;
	/** Opens (or returns) the device's replica of a document. */
	open: (name: string) => Y.Doc;
	claims: Claims;
	/** The muster shown read-only instead of the running one (a past muster). */
	selected?: string | null;
}

export class LiveMuster {
	/** Newest first, from this month's and last month's events. */
	list = $state.raw<MusterEntry[]>([]);
	/** The list shown: the selected muster's, the running one's, or who is on site now. */
	view = $state.raw<MusterView | null>(null);
	/** The muster shown (null: none running, the preview). */
	shown = $state.raw<MusterEntry | null>(null);
	/** Final counts of ended musters, filled in one by one after the list is up. */
	finals = $state.raw<Record<string, MusterView['counts']>>({});
	/** The names of the documents read (for the sync status). */
	readonly docNames: string[];

	readonly #o: LiveMusterOptions;
	readonly #events: { name: string; doc: Y.Doc }[];
	readonly #control: Y.Doc;
	readonly #presence: Presence;
	#contractors = new Map<string, Y.Doc>();
	#base: MusterPeople | null = null;
	#rollCall: RollCall | null = null;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#finalsTimer: ReturnType<typeof setTimeout> | null = null;
	#offs: (() => void)[] = [];
	#destroyed = false;

	constructor(options: LiveMusterOptions) {
		this.#o = options;
		const names = musterEventNames(options.siteId, new Date(), options.timeZone);
		this.#events = names.map((name) => ({ name, doc: options.open(name) }));
		this.#control = options.open(controlDoc(options.siteId));
		this.#presence = new Presence(options.siteId);
		for (const e of this.#events) this.#presence.follow(e.doc);
		this.docNames = [...names, controlDoc(options.siteId)];

		const full = () => this.#schedule();
		for (const e of this.#events) {
			this.#watch(e.doc.getMap('attendance'), full);
			// Positions move people between zone groups; every few seconds is enough, and a past
			// muster's list does not move at all.
			this.#watch(e.doc.getMap('pings'), () => {
				if (!this.shown?.muster.endedAt) this.#schedule(3000);
			});
			this.#watch(e.doc.getMap('musters'), () => {
				this.#readList();
				this.#schedule();
			});
		}
		this.#watch(this.#control.getMap('zones'), full);
		this.#watch(options.org.getMap('contractors'), () => {
			this.#openContractors();
			this.#schedule();
		});
		this.#openContractors();
		this.#readList();
		this.#rebuild();
	}

	/** The current month's events document: where a new muster goes. */
	get currentEvents(): { name: string; doc: Y.Doc } {
		return this.#events[this.#events.length - 1]!;
	}

	docOf(entry: MusterEntry): Y.Doc {
		return this.#events.find((e) => e.name === entry.docName)?.doc ?? this.#o.open(entry.docName);
	}

	/** Who is in now (the roster a muster started here gets). */
	presentNow(): string[] {
		return this.#presence.present().map((p) => p.workerId);
	}

	/** Show a past muster read-only (or null: the running one / the preview). */
	select(id: string | null) {
		this.#o.selected = id;
		this.#rebuild();
	}

	#watch(map: Y.Map<unknown>, fn: () => void) {
		map.observe(fn);
		this.#offs.push(() => map.unobserve(fn));
	}

	#openContractors() {
		for (const [key, raw] of this.#o.org.getMap('contractors').entries()) {
			if (this.#contractors.has(key)) continue;
			const read = readRecord(Contractor, raw);
			if (!read.ok || !read.record.sites.includes(this.#o.siteId)) continue;
			const doc = this.#o.open(contractorDoc(key));
			this.#contractors.set(key, doc);
			const changed = () => this.#schedule();
			doc.on('update', changed);
			this.#offs.push(() => doc.off('update', changed));
		}
	}

	#readList() {
		const out: MusterEntry[] = [];
		for (const e of this.#events)
			for (const m of musters(e.doc))
				if (m.siteId === this.#o.siteId) out.push({ muster: m, docName: e.name });
		this.list = out.sort((a, b) => (a.muster.id < b.muster.id ? 1 : -1));
		this.#scheduleFinals();
	}

	/** Many changes arrive together (a sync, a gate's queue): one rebuild for them. */
	#schedule(delay = 120) {
		if (this.#timer || this.#destroyed) return;
		this.#timer = setTimeout(() => {
			this.#timer = null;
			this.#rebuild();
		}, delay);
	}

	#input(entry: MusterEntry | null): MusterInput {
		const muster = entry?.muster ?? null;
		const end = muster?.endedAt ?? null;
		const docs = this.#events.map((e) => e.doc);
		return {
			muster,
			musterDoc: entry ? this.docOf(entry) : null,
			presence: end ? presenceAt(docs, this.#o.siteId, end) : this.#presence,
			pings: end ? pingsAt(docs, end) : lastPings(docs),
			zones: geoZones(this.#control),
			contractors: this.#contractors,
			org: this.#o.org,
			claims: this.#o.claims,
			now: end ? new Date(end) : new Date()
		};
	}

	#rebuild() {
		if (this.#destroyed) return;
		const selected = this.#o.selected
			? (this.list.find((e) => e.muster.id === this.#o.selected) ?? null)
			: null;
		let entry = selected ?? this.list.find((e) => !e.muster.endedAt) ?? null;
		// The running muster just ended (here or on another device): keep its final list on screen.
		if (!entry && this.shown && !this.shown.muster.endedAt) {
			entry = this.list.find((e) => e.muster.id === this.shown!.muster.id) ?? null;
			if (entry) this.#o.selected = entry.muster.id;
		}
		if (entry?.muster.id !== this.#rollCall?.musterId) {
			this.#rollCall?.destroy();
			this.#rollCall = entry
				? new RollCall(this.docOf(entry), entry.muster.id, (w) => this.#ticked(w))
				: null;
		}
		this.shown = entry;
		const input = { ...this.#input(entry), marks: this.#rollCall?.marks };
		this.#base = describePeople(input);
		this.#presenceUsed = input.presence;
		this.view = assembleView(this.#base, input);
	}

	#presenceUsed: MusterInput['presence'] | null = null;

	#ticked(workers: string[]) {
		const base = this.#base;
		if (!base || !this.#presenceUsed || workers.some((w) => !base.people.has(w)))
			return this.#schedule(0);
		this.view = assembleView(base, {
			muster: this.shown?.muster ?? null,
			musterDoc: null,
			marks: this.#rollCall?.marks,
			presence: this.#presenceUsed
		});
	}

	/** Final counts of ended musters, one per turn of the event loop (each reads the month). */
	#scheduleFinals() {
		if (this.#finalsTimer || this.#destroyed) return;
		const next = this.list.find((e) => e.muster.endedAt && !this.finals[e.muster.id]);
		if (!next) return;
		this.#finalsTimer = setTimeout(() => {
			this.#finalsTimer = null;
			if (this.#destroyed) return;
			const input = this.#input(next);
			const view = assembleView(describePeople(input), input);
			this.finals = { ...this.finals, [next.muster.id]: view.counts };
			this.#scheduleFinals();
		}, 50);
	}

	destroy() {
		this.#destroyed = true;
		if (this.#timer) clearTimeout(this.#timer);
		if (this.#finalsTimer) clearTimeout(this.#finalsTimer);
		for (const off of this.#offs) off();
		this.#rollCall?.destroy();
		this.#presence.stop();
	}
}
