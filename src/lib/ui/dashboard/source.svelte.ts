/* eslint-disable svelte/prefer-svelte-reactivity -- local Maps, Sets and Dates inside one read, never reactive state */
// Where the dashboard pages get their data: which sites a person may look at, the live dashboard
// of one site or of several merged (HQ), and zone names. The counting is in src/lib/data/stats.
import type * as Y from 'yjs';
import { docAccess, type Claims } from '$lib/data/access';
import { siteApprovals, type Forgery } from '$lib/data/approvals';
import { contractorDoc, controlDoc, eventsDoc, monthOf } from '$lib/data/documents';
import { CertificateRecord } from '$lib/data/contractor';
import { Contractor, orgViewOf, Site } from '$lib/data/org';
import type { Locale } from '$lib/i18n/messages';
import { certificateName } from '$lib/i18n/reasons';
import { readRecord } from '$lib/data/records';
import { SiteZone } from '$lib/data/permits';
import { keyBindings } from '$lib/data/signing';
import { IdbSummaryCache, type SummaryCache } from '$lib/data/stats/cache';
import { mergeDashboards } from '$lib/data/stats/dashboard';
import { LiveDashboard as SiteDashboard } from '$lib/data/stats/dashboard-live.svelte';
import type { Dashboard } from '$lib/data/stats/types';
import { last12Months } from '$lib/domain/scorecard';
import { approvalReturns, certificateLapses, type ScorecardSources } from '$lib/data/scorecard';
import { sync } from '$lib/sync/sync.svelte';

/** The `?site=` value of the merged view (全部工地). */
export const ALL = 'all';

/**
 * The site a dashboard page shows: the `?site=` asked for when this person may see it (全部工地
 * only with more than one site), else 全部工地 for HQ, else the first of their sites.
 */
export function pickSite(
	param: string | null,
	mySites: readonly string[],
	role: Claims['role'] | undefined
): string {
	if (param === ALL && mySites.length > 1) return ALL;
	if (param && mySites.includes(param)) return param;
	if (role === 'hq' && mySites.length > 1) return ALL;
	return mySites[0] ?? '';
}

/**
 * The sites this person may look at: staff their own sites (those whose control document they
 * may read), HQ and admins every site of the org. `version` only makes callers reactive.
 */
export function dashboardSites(claims: Claims, org: Y.Doc, version?: number): string[] {
	void version;
	const all = [...org.getMap('sites').keys()].sort();
	const view = orgViewOf(org);
	const candidates = claims.role === 'hq' || claims.role === 'admin' ? all : (claims.sites ?? []);
	return candidates.filter((s) => all.includes(s) && docAccess(claims, controlDoc(s), view).read);
}

/**
 * A certificate as the ledger names it: the catalogue item's name and the card's number (e.g.
 * 熔化焊接与热切割作业 T-0012), from the contractor's document; its id where it is not held.
 */
export function certificateLabel(
	ref: { contractorId: string; certificateId: string },
	locale: Locale
): string {
	if (!sync.has(contractorDoc(ref.contractorId))) return ref.certificateId;
	const read = readRecord(
		CertificateRecord,
		sync.doc(contractorDoc(ref.contractorId)).getMap('certificates').get(ref.certificateId)
	);
	return read.ok
		? `${certificateName(read.record.code, locale)} ${read.record.number}`
		: ref.certificateId;
}

/** Zone id → name over the sites' control documents. */
export function zoneNames(siteIds: readonly string[], version?: number): Map<string, string> {
	void version;
	const out = new Map<string, string>();
	for (const s of siteIds) {
		if (!sync.has(controlDoc(s))) continue;
		for (const [id, raw] of sync.doc(controlDoc(s)).getMap('zones').entries()) {
			const read = readRecord(SiteZone, raw);
			if (read.ok) out.set(id, read.record.name);
		}
	}
	return out;
}

/**
 * The live dashboard of one site, or of several merged (HQ: `mergeDashboards`, the exact sum).
 * Each site is a `stats/dashboard-live` `LiveDashboard`: closed months come from the summary
 * cache in IndexedDB, the current month is folded key by key as events arrive, the ledger and
 * approvals are read again only when their documents change. Opens the events months it needs
 * through the sync manager (HQ devices do not keep event months by default).
 */
export function openDashboard(options: {
	claims: Claims;
	org: Y.Doc;
	siteIds: readonly string[];
	/** How many months back (the current one included) to read: 2 for 30 days, 12 for trends. */
	months?: number;
	throttleMs?: number;
	/** Also gather the scorecards' sources (certificate lapses, approval returns). */
	scorecard?: boolean;
}): LiveDashboard {
	return new LiveDashboard(options);
}

let summaryCache: { iss: string; cache: SummaryCache } | null = null;

/** The device's month-summary cache (IndexedDB, per org), or none where there is no IndexedDB. */
function cacheFor(iss: string): SummaryCache | undefined {
	if (typeof indexedDB === 'undefined') return undefined;
	if (summaryCache?.iss !== iss)
		summaryCache = { iss, cache: new IdbSummaryCache(`sitepass:${iss}:~stats`) };
	return summaryCache.cache;
}

export class LiveDashboard {
	readonly #sites: SiteDashboard[] = [];
	/** The site's dashboard, or the sites' sum; null until every site has folded. */
	readonly dashboard: Dashboard | null = $derived.by(() => {
		const all = this.#sites.map((s) => s.dashboard);
		if (all.length === 0 || all.some((d) => d === null)) return null;
		return all.length === 1 ? all[0]! : mergeDashboards(all as Dashboard[]);
	});
	#lapses = $state.raw<ScorecardSources['certificates'] | null>(null);
	#returns = $state.raw<ScorecardSources['approvals'] | null>(null);
	/** What the scorecards read (with `scorecard: true`). */
	readonly sources: ScorecardSources | null = $derived.by(() =>
		this.dashboard && this.#lapses && this.#returns
			? {
					contractorMonths: this.dashboard.contractorMonths,
					certificates: this.#lapses,
					approvals: this.#returns
				}
			: null
	);
	/**
	 * Workers' approvals waiting for a decision now (any step, overdue or not), summed over the
	 * sites: `siteApprovals`' own status, counted when a contractor, control or org document changes.
	 */
	pending = $state<number | null>(null);
	/** Moves when any document read changes (zone names and other lookups follow it). */
	version = $state(0);
	readonly docNames: string[] = [];
	#stops: (() => void)[] = [];
	#timer: ReturnType<typeof setTimeout> | null = null;
	/** A contractor or control document changed since the scorecard's sources were read. */
	#sourcesDirty = true;
	/** Decisions' signature checks, kept between reads (as the stats layer keeps its own). */
	readonly #signatures = new Map<string, true | Forgery>();
	#opts: {
		org: Y.Doc;
		siteIds: readonly string[];
		months: number;
		throttleMs: number;
		scorecard: boolean;
	};

	constructor(options: {
		claims: Claims;
		org: Y.Doc;
		siteIds: readonly string[];
		months?: number;
		throttleMs?: number;
		scorecard?: boolean;
	}) {
		this.#opts = {
			org: options.org,
			siteIds: options.siteIds,
			months: options.months ?? 2,
			throttleMs: options.throttleMs ?? 250,
			scorecard: options.scorecard ?? false
		};
		const org = options.org;
		const cache = cacheFor(options.claims.iss);
		for (const siteId of options.siteIds) {
			const timeZone = siteTimeZone(org, siteId);
			const contractors = contractorsAt(org, siteId).map((c) => ({
				contractorId: c.id,
				contractorName: c.name,
				doc: sync.doc(contractorDoc(c.id))
			}));
			const events = recentMonths(monthOf(new Date(), timeZone), this.#opts.months).map(
				(month) => ({
					name: eventsDoc(siteId, month),
					month,
					doc: sync.doc(eventsDoc(siteId, month))
				})
			);
			this.#sites.push(
				new SiteDashboard({
					siteId,
					timeZone,
					org,
					control: sync.doc(controlDoc(siteId)),
					blacklist: sync.doc('blacklist'),
					contractors,
					events,
					cache,
					batchMs: this.#opts.throttleMs
				})
			);
		}
		const watch = (doc: Y.Doc, feedsSources: boolean) => {
			const onUpdate = () => {
				if (feedsSources) this.#sourcesDirty = true;
				this.#schedule();
			};
			doc.on('update', onUpdate);
			this.#stops.push(() => doc.off('update', onUpdate));
		};
		watch(org, true);
		for (const name of this.#names()) {
			this.docNames.push(name);
			watch(sync.doc(name), !name.includes(':events:'));
		}
		this.#refresh();
	}

	#names(): string[] {
		const org = this.#opts.org;
		const names = new Set<string>(['blacklist']);
		for (const s of this.#opts.siteIds) {
			names.add(controlDoc(s));
			for (const m of recentMonths(monthOf(new Date(), siteTimeZone(org, s)), this.#opts.months))
				names.add(eventsDoc(s, m));
			for (const c of contractorsAt(org, s)) names.add(contractorDoc(c.id));
		}
		return [...names];
	}

	#schedule() {
		if (this.#timer) return;
		this.#timer = setTimeout(() => {
			this.#timer = null;
			this.#refresh();
		}, this.#opts.throttleMs);
	}

	/**
	 * The scorecard's certificate lapses and approval returns, read again only when a contractor,
	 * control or org document changed (an event never changes them); the dashboard itself is
	 * kept by each site's LiveDashboard.
	 */
	#refresh() {
		if (this.#sourcesDirty) {
			this.#sourcesDirty = false;
			const { org, siteIds, months, scorecard } = this.#opts;
			const now = new Date();
			const keys = keyBindings(org.getMap('keys'));
			const certificates: ScorecardSources['certificates'][] = [];
			const approvals: ScorecardSources['approvals'][] = [];
			let pending = 0;
			for (const siteId of siteIds) {
				const timeZone = siteTimeZone(org, siteId);
				const contractors = contractorsAt(org, siteId);
				const control = sync.doc(controlDoc(siteId));
				const items = siteApprovals(
					siteId,
					control,
					contractors.map((c) => sync.doc(contractorDoc(c.id))),
					keys,
					this.#signatures
				);
				for (const { workers } of items)
					for (const w of workers) if (w.status === 'pending') pending++;
				if (!scorecard) continue;
				const monthList = recentMonths(monthOf(now, timeZone), months);
				certificates.push(
					certificateLapses(
						contractors.map((c) => ({ contractorId: c.id, doc: sync.doc(contractorDoc(c.id)) })),
						[control],
						monthList,
						{ now, timeZone }
					)
				);
				approvals.push(approvalReturns(items, timeZone));
			}
			this.pending = pending;
			if (!scorecard) {
				this.version++;
				return;
			}
			this.#lapses = mergeByMonth(certificates, (a, b) => ({
				held: [...new Set([...a.held, ...b.held])],
				lapses: [...a.lapses, ...b.lapses]
			}));
			this.#returns = mergeByMonth(approvals, (a, b) => ({
				decisions: [...a.decisions, ...b.decisions],
				returns: [...a.returns, ...b.returns]
			}));
		}
		this.version++;
	}

	destroy() {
		for (const stop of this.#stops) stop();
		this.#stops = [];
		for (const site of this.#sites) site.destroy();
		if (this.#timer) clearTimeout(this.#timer);
	}
}

/** month → contractor → T over sites, joining the same contractor's month with `join`. */
function mergeByMonth<T>(
	parts: readonly Readonly<Record<string, Readonly<Record<string, T>>>>[],
	join: (a: T, b: T) => T
): Record<string, Record<string, T>> {
	const out: Record<string, Record<string, T>> = {};
	for (const part of parts)
		for (const [month, byContractor] of Object.entries(part))
			for (const [c, v] of Object.entries(byContractor)) {
				const m = (out[month] ??= {});
				m[c] = m[c] ? join(m[c], v) : v;
			}
	return out;
}

/** The site's time zone (Asia/Shanghai where the site names none). */
export function siteTimeZone(org: Y.Doc, siteId: string): string {
	const read = readRecord(Site, org.getMap('sites').get(siteId));
	return read.ok ? (read.record.timeZone ?? 'Asia/Shanghai') : 'Asia/Shanghai';
}

/**
 * Worker → contractor over the contractor documents of the sites' contractors: what the stats
 * fold is told (`FoldOptions.contractorOf`) when a passage or alert does not name the contractor.
 */
export function contractorOfWorkers(org: Y.Doc, siteIds: readonly string[]): Map<string, string> {
	const out = new Map<string, string>();
	for (const s of siteIds)
		for (const c of contractorsAt(org, s))
			for (const w of sync.doc(contractorDoc(c.id)).getMap('workers').keys()) out.set(w, c.id);
	return out;
}

/** The contractors the admin lists at this site (org.contractors[C].sites). */
export function contractorsAt(org: Y.Doc, siteId: string): { id: string; name: string }[] {
	const out: { id: string; name: string }[] = [];
	for (const [id, raw] of org.getMap('contractors').entries()) {
		const read = readRecord(Contractor, raw);
		if (read.ok && read.record.sites.includes(siteId)) out.push({ id, name: read.record.name });
	}
	return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** The `count` months ending with `month`, oldest first. */
export function recentMonths(month: string, count: number): string[] {
	return last12Months(month, count);
}
