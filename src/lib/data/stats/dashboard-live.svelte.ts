// The site dashboard kept current from the documents it is given: closed months from the summary
// cache (folded once when missing), the current month folded key by key as events arrive, the
// ledger and approvals recomputed when a contractor, control, org or blacklist document changes.
// Rebuilds are batched (one per 250 ms at most) and the clock advances the day's chart each minute.
import type * as Y from 'yjs';
import type { Forgery } from '../approvals';
import { siteApprovals } from '../approvals';
import { Worker } from '../contractor';
import { ledgerFromDocs, type LedgerRow } from '../ledger';
import { readRecord } from '../records';
import { keyBindings } from '../signing';
import { geoZones, lastPings } from '../sitemap';
import { cachedSummary, summaryKey, type SummaryCache } from './cache';
import { buildDashboard, type WorkerInfo } from './dashboard';
import { FOLDED_MAPS, MonthFold } from './month';
import { dayOf, dayStart } from './time';
import type { Dashboard, MonthSummary } from './types';

export interface LiveDashboardOptions {
	siteId: string;
	timeZone: string;
	org: Y.Doc;
	control: Y.Doc;
	blacklist: Y.Doc | null;
	contractors: { contractorId: string; contractorName: string; doc: Y.Doc }[];
	/** The site's events documents to count (e.g. the last twelve months), any order. */
	events: { name: string; month: string; doc: Y.Doc }[];
	cache?: SummaryCache;
	now?: () => Date;
	/** Rebuilds at most this often (ms). */
	batchMs?: number;
}

interface MonthState {
	name: string;
	month: string;
	doc: Y.Doc;
	summary: MonthSummary | null;
	fold: MonthFold | null;
	off: (() => void) | null;
}

export class LiveDashboard {
	dashboard = $state.raw<Dashboard | null>(null);
	/** Month summaries (oldest first), for drill-downs and the scorecard. */
	months = $state.raw<MonthSummary[]>([]);
	/** The ledger rows behind the certificate numbers (the list one click away). */
	ledger = $state.raw<LedgerRow[]>([]);
	error = $state<string | null>(null);

	readonly #o: LiveDashboardOptions;
	readonly #now: () => Date;
	#months: MonthState[] = [];
	#workers = new Map<string, WorkerInfo>();
	#approvals: ReturnType<typeof siteApprovals> = [];
	#signatures = new Map<string, true | Forgery>();
	#offs: (() => void)[] = [];
	#timer: ReturnType<typeof setTimeout> | null = null;
	#clock: ReturnType<typeof setInterval> | null = null;
	#dirtyDocs = true;
	#destroyed = false;

	constructor(options: LiveDashboardOptions) {
		this.#o = options;
		this.#now = options.now ?? (() => new Date());
		const watch = (doc: Y.Doc) => {
			const fn = () => {
				this.#dirtyDocs = true;
				this.#schedule();
			};
			doc.on('afterTransaction', fn);
			this.#offs.push(() => doc.off('afterTransaction', fn));
		};
		for (const c of options.contractors) watch(c.doc);
		watch(options.control);
		watch(options.org);
		if (options.blacklist) watch(options.blacklist);
		this.#clock = setInterval(() => this.#schedule(), 60_000);
		void this.#start();
	}

	async #start() {
		const current = dayOf(this.#now().getTime(), this.#o.timeZone).slice(0, 7);
		const contractorOf = (w: string) => this.#workers.get(w)?.contractorId;
		this.#readDocs();
		try {
			for (const e of [...this.#o.events].sort((a, b) => (a.month < b.month ? -1 : 1))) {
				if (this.#destroyed) return;
				const m: MonthState = { ...e, summary: null, fold: null, off: null };
				const options = {
					siteId: this.#o.siteId,
					month: e.month,
					timeZone: this.#o.timeZone,
					contractorOf
				};
				if (e.month >= current || !this.#o.cache) this.#follow(m);
				else {
					m.summary = (await cachedSummary(this.#o.cache, e.name, e.doc, options)).summary;
					// A late event in a closed month: fold it from then on, key by key.
					const first = (tr: Y.Transaction) => {
						// Pings deleted by the retention and receipts do not change the numbers.
						const folded: unknown[] = FOLDED_MAPS.map((n) => e.doc.getMap(n));
						if (![...tr.changed.keys()].some((t) => folded.includes(t))) return;
						e.doc.off('afterTransaction', first);
						m.off = null;
						this.#follow(m);
						this.#schedule();
					};
					e.doc.on('afterTransaction', first);
					m.off = () => e.doc.off('afterTransaction', first);
				}
				this.#months.push(m);
			}
		} catch (err) {
			this.error = `统计数据读取失败：${(err as Error).message}。请刷新页面重试。`;
		}
		this.#rebuild();
	}

	#follow(m: MonthState) {
		const fold = new MonthFold({
			siteId: this.#o.siteId,
			month: m.month,
			timeZone: this.#o.timeZone,
			contractorOf: (w) => this.#workers.get(w)?.contractorId
		}).load(m.doc);
		m.fold = fold;
		m.summary = fold.summary();
		const off = fold.observe(m.doc, () => {
			m.summary = null; // summarised again at the next rebuild
			this.#schedule();
		});
		m.off = () => {
			off();
			if (this.#o.cache && m.summary)
				void this.#o.cache.set(summaryKey(m.name, m.doc, this.#o.timeZone), m.summary);
		};
	}

	#readDocs() {
		const workers = new Map<string, WorkerInfo>();
		for (const c of this.#o.contractors)
			for (const raw of c.doc.getMap('workers').values()) {
				const read = readRecord(Worker, raw);
				if (read.ok)
					workers.set(read.record.id, {
						contractorId: c.contractorId,
						trade: read.record.trade ?? null
					});
			}
		this.#workers = workers;
		this.ledger = ledgerFromDocs(this.#o.contractors, this.#o.blacklist, this.#now(), [
			this.#o.control
		]);
		this.#approvals = siteApprovals(
			this.#o.siteId,
			this.#o.control,
			this.#o.contractors.map((c) => c.doc),
			keyBindings(this.#o.org.getMap('keys')),
			this.#signatures
		);
		this.#dirtyDocs = false;
	}

	#schedule() {
		if (this.#timer || this.#destroyed) return;
		this.#timer = setTimeout(() => {
			this.#timer = null;
			this.#rebuild();
		}, this.#o.batchMs ?? 250);
	}

	#rebuild() {
		if (this.#destroyed) return;
		if (this.#dirtyDocs) this.#readDocs();
		const at = this.#now();
		const start = dayStart(dayOf(at.getTime(), this.#o.timeZone), this.#o.timeZone);
		for (const m of this.#months) if (!m.summary && m.fold) m.summary = m.fold.summary();
		const months = this.#months.map((m) => m.summary!).filter(Boolean);
		const today = this.#months.find((m) => m.fold && m.month === months.at(-1)?.month)?.fold;
		const docs = this.#months.slice(-2).map((m) => m.doc);
		this.months = months;
		this.dashboard = buildDashboard({
			siteId: this.#o.siteId,
			timeZone: this.#o.timeZone,
			at,
			months,
			today: today?.passagesBetween(start, start + 86_400_000) ?? [],
			beforeToday: today?.lastBefore(start),
			workers: this.#workers,
			pings: lastPings(docs),
			zones: geoZones(this.#o.control),
			ledger: this.ledger,
			approvals: this.#approvals,
			contractorNames: Object.fromEntries(
				this.#o.contractors.map((c) => [c.contractorId, c.contractorName])
			)
		});
	}

	destroy() {
		this.#destroyed = true;
		if (this.#timer) clearTimeout(this.#timer);
		if (this.#clock) clearInterval(this.#clock);
		for (const off of this.#offs) off();
		for (const m of this.#months) m.off?.();
		this.#offs = [];
	}
}
