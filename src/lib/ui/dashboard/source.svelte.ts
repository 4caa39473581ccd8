/* eslint-disable svelte/prefer-svelte-reactivity -- local Maps, Sets and Dates inside one rebuild, never reactive state */
// Where the dashboard pages get their data: which sites a person may look at, the live dashboard
// of one site or of several merged (HQ), and zone names. The counting is in src/lib/data/stats.
import type * as Y from 'yjs';
import { docAccess, type Claims } from '$lib/data/access';
import { siteApprovals } from '$lib/data/approvals';
import { contractorDoc, controlDoc, eventsDoc, monthOf } from '$lib/data/documents';
import { ledgerFromDocs } from '$lib/data/ledger';
import { Contractor, orgViewOf, Site } from '$lib/data/org';
import { readRecord } from '$lib/data/records';
import { SiteZone } from '$lib/data/permits';
import { keyBindings } from '$lib/data/signing';
import { geoZones, lastPings } from '$lib/data/sitemap';
import { buildDashboard, mergeDashboards, type WorkerInfo } from '$lib/data/stats/dashboard';
import { MonthFold } from '$lib/data/stats/month';
import { dayStart, localDayBounds } from '$lib/data/stats/time';
import type { Dashboard } from '$lib/data/stats/types';
import { last12Months } from '$lib/domain/scorecard';
import { approvalReturns, certificateLapses, type ScorecardSources } from '$lib/data/scorecard';
import { sync } from '$lib/sync/sync.svelte';

/** The `?site=` value of the merged view (全部工地). */
export const ALL = 'all';

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
 * Opens the events months it needs through the sync manager (HQ devices do not keep event
 * months by default), and rebuilds when any of the documents it reads changes (at most every
 * `throttleMs`, and each minute so "now" moves).
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

export class LiveDashboard {
	dashboard = $state.raw<Dashboard | null>(null);
	/** What the scorecards read (with `scorecard: true`). */
	sources = $state.raw<ScorecardSources | null>(null);
	/** Moves on every rebuild (zone names and other lookups follow it). */
	version = $state(0);
	readonly docNames: string[] = [];
	#stops: (() => void)[] = [];
	#timer: ReturnType<typeof setTimeout> | null = null;
	#tick: ReturnType<typeof setInterval> | null = null;
	#opts: {
		org: Y.Doc;
		siteIds: readonly string[];
		months: number;
		throttleMs: number;
		scorecard: boolean;
	};

	constructor(options: {
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
		const watch = (doc: Y.Doc) => {
			const onUpdate = () => this.#schedule();
			doc.on('update', onUpdate);
			this.#stops.push(() => doc.off('update', onUpdate));
		};
		watch(options.org);
		for (const name of this.#names()) {
			this.docNames.push(name);
			watch(sync.doc(name));
		}
		this.#rebuild();
		this.#tick = setInterval(() => this.#schedule(), 60_000);
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
			this.#rebuild();
		}, this.#opts.throttleMs);
	}

	#rebuild() {
		const { org, siteIds, months } = this.#opts;
		const now = new Date();
		const keys = keyBindings(org.getMap('keys'));
		const certificates: ScorecardSources['certificates'][] = [];
		const approvals: ScorecardSources['approvals'][] = [];
		const dashboards = siteIds.map((siteId) => {
			const timeZone = siteTimeZone(org, siteId);
			const contractors = contractorsAt(org, siteId);
			const control = sync.doc(controlDoc(siteId));
			const ledger = ledgerFromDocs(
				contractors.map((c) => ({
					contractorId: c.id,
					contractorName: c.name,
					doc: sync.doc(contractorDoc(c.id))
				})),
				sync.doc('blacklist'),
				now,
				[control]
			);
			const workers = new Map<string, WorkerInfo>(
				ledger.map((r) => [
					r.worker.id,
					{ contractorId: r.contractorId, trade: r.worker.trade ?? null }
				])
			);
			const contractorOf = (w: string) => workers.get(w)?.contractorId ?? null;
			const monthList = recentMonths(monthOf(now, timeZone), months);
			const eventDocs = monthList.map((m) => sync.doc(eventsDoc(siteId, m)));
			const folds = monthList.map((month, i) =>
				new MonthFold({ siteId, month, timeZone, contractorOf }).load(eventDocs[i]!)
			);
			const current = folds[folds.length - 1]!;
			const { day } = localDayBounds(now.getTime(), timeZone);
			const start = dayStart(day, timeZone);
			const siteApproval = siteApprovals(
				siteId,
				control,
				contractors.map((c) => sync.doc(contractorDoc(c.id))),
				keys
			);
			if (this.#opts.scorecard) {
				certificates.push(
					certificateLapses(
						contractors.map((c) => ({ contractorId: c.id, doc: sync.doc(contractorDoc(c.id)) })),
						[control],
						monthList,
						{ now, timeZone }
					)
				);
				approvals.push(approvalReturns(siteApproval, timeZone));
			}
			return buildDashboard({
				siteId,
				timeZone,
				at: now,
				months: folds.map((f) => f.summary()),
				today: current.passagesBetween(start, now.getTime() + 1),
				beforeToday: current.lastBefore(start),
				workers,
				pings: lastPings(eventDocs.slice(-1)),
				zones: geoZones(control),
				ledger,
				approvals: siteApproval,
				contractorNames: Object.fromEntries(contractors.map((c) => [c.id, c.name]))
			});
		});
		const dashboard = dashboards.length === 1 ? dashboards[0]! : mergeDashboards(dashboards);
		if (this.#opts.scorecard)
			this.sources = {
				contractorMonths: dashboard.contractorMonths,
				certificates: mergeByMonth(certificates, (a, b) => ({
					held: [...new Set([...a.held, ...b.held])],
					lapses: [...a.lapses, ...b.lapses]
				})),
				approvals: mergeByMonth(approvals, (a, b) => ({
					decisions: [...a.decisions, ...b.decisions],
					returns: [...a.returns, ...b.returns]
				}))
			};
		this.dashboard = dashboard;
		this.version++;
	}

	destroy() {
		for (const stop of this.#stops) stop();
		this.#stops = [];
		if (this.#timer) clearTimeout(this.#timer);
		if (this.#tick) clearInterval(this.#tick);
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

function siteTimeZone(org: Y.Doc, siteId: string): string {
	const read = readRecord(Site, org.getMap('sites').get(siteId));
	return read.ok ? (read.record.timeZone ?? 'Asia/Shanghai') : 'Asia/Shanghai';
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
