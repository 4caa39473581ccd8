// How the permit screens (board, form, detail, QR page) group, order and colour permits, and read
// the site's wall clock in datetime inputs. Pure: the rules themselves are the domain's and the
// data layer's; this file only arranges their answers for people.
import { docAccess, type Claims, type OrgView } from '$lib/data/access';
import { controlDoc } from '$lib/data/documents';
import { approvalQueue, type ApplicationApprovals } from '$lib/data/approvals';
import type { EntryApplication } from '$lib/data/contractor';
import type { PermitView, SiteZone } from '$lib/data/permits';
import {
	effectiveGrade,
	permitKind,
	windowFacts,
	type PermitCalendar,
	type PermitStatus
} from '$lib/domain';
import type { Tone } from './Badge.svelte';

export function permitTone(status: PermitStatus): Tone {
	switch (status) {
		case 'active':
			return 'ok';
		case 'pending':
		case 'scheduled':
		case 'suspended':
		case 'returned':
			return 'warn';
		case 'rejected':
			return 'deny';
		default:
			return 'muted';
	}
}

/** What the live board shows: being worked now, stopped for now, or approved to start later. */
export const BOARD_STATUSES: readonly PermitStatus[] = ['active', 'suspended', 'scheduled'];

export interface BoardZone {
	zoneId: string;
	zone: SiteZone | null;
	permits: PermitView[];
}

/**
 * The board: every zone of the site in its order (empty ones too, so "nothing here" is visible),
 * then zones a permit names that this device does not know; in each, active permits first, then
 * suspended, then scheduled, each by start.
 */
export function boardByZone(views: readonly PermitView[], zones: readonly SiteZone[]): BoardZone[] {
	const rank = (s: PermitStatus) => BOARD_STATUSES.indexOf(s);
	const live = views
		.filter((v) => rank(v.timeline.status) >= 0)
		.sort(
			(a, b) =>
				rank(a.timeline.status) - rank(b.timeline.status) ||
				(a.permit.validFrom < b.permit.validFrom
					? -1
					: a.permit.validFrom > b.permit.validFrom
						? 1
						: 0)
		);
	const out: BoardZone[] = zones.map((zone) => ({ zoneId: zone.id, zone, permits: [] }));
	const byId = new Map(out.map((z) => [z.zoneId, z]));
	for (const v of live) {
		let row = byId.get(v.permit.zone);
		if (!row) {
			row = { zoneId: v.permit.zone, zone: null, permits: [] };
			byId.set(row.zoneId, row);
			out.push(row);
		}
		row.permits.push(v);
	}
	return out;
}

/**
 * Whether a permit waits for this person's signature now: the approvals' own queue rule (the
 * step's role, or the next level after a missed deadline where the chain allows), applied to the
 * permit as the one subject of a pseudo-application at its site.
 */
export function waitsFor(claims: Claims | null, view: PermitView, now: Date): boolean {
	if (!claims) return false;
	const item: ApplicationApprovals = {
		application: { siteId: view.permit.siteId } as EntryApplication,
		workers: [view.approval]
	};
	return approvalQueue(claims, [item], now).length > 0;
}

const TABLE_ORDER: readonly PermitStatus[] = [
	'pending',
	'active',
	'suspended',
	'scheduled',
	'returned',
	'draft',
	'rejected',
	'expired',
	'closed',
	'cancelled'
];

/** The table: what waits for me first, then the rest by status, the latest start first. */
export function tableOrder(
	views: readonly PermitView[],
	claims: Claims | null,
	now: Date
): PermitView[] {
	const mine = new Set(views.filter((v) => waitsFor(claims, v, now)).map((v) => v.permit.id));
	return [...views].sort(
		(a, b) =>
			Number(mine.has(b.permit.id)) - Number(mine.has(a.permit.id)) ||
			TABLE_ORDER.indexOf(a.timeline.status) - TABLE_ORDER.indexOf(b.timeline.status) ||
			(a.permit.validFrom < b.permit.validFrom
				? 1
				: a.permit.validFrom > b.permit.validFrom
					? -1
					: 0)
	);
}

// ---------------------------------------------------------------------------------------------
// Site wall clock in <input type="datetime-local"> (the device may be in another time zone).

const partFormats = new Map<string, Intl.DateTimeFormat>();
function wallClock(at: number, timeZone: string) {
	let f = partFormats.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
			hourCycle: 'h23'
		});
		partFormats.set(timeZone, f);
	}
	const p: Record<string, string> = {};
	for (const part of f.formatToParts(at)) p[part.type] = part.value;
	return p as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string>;
}

/** An instant as 'YYYY-MM-DDTHH:mm' on the site's clock. */
export function siteLocalInput(iso: string, timeZone: string): string {
	const t = Date.parse(iso);
	if (!Number.isFinite(t)) return '';
	const p = wallClock(t, timeZone);
	return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** 'YYYY-MM-DDTHH:mm' read on the site's clock, as an ISO instant; null when not a time. */
export function instantOfLocal(value: string, timeZone: string): string | null {
	const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
	if (!m) return null;
	const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
	const offsetAt = (t: number) => {
		const p = wallClock(t, timeZone);
		return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - t;
	};
	// Twice: the offset at the guess may differ from the offset at the answer (a DST change).
	let t = asUtc - offsetAt(asUtc);
	t = asUtc - offsetAt(t);
	return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/**
 * The default end of a window starting at `from`: the grade's longest validity, or the raised
 * grade's when a window that long would touch the night or a holiday.
 */
export function defaultUntil(
	kindCode: string,
	gradeCode: string,
	from: string,
	calendar: PermitCalendar
): string | null {
	const kind = permitKind(kindCode);
	const grade = kind?.grades.find((g) => g.code === gradeCode);
	const start = Date.parse(from);
	if (!kind || !grade || !Number.isFinite(start)) return null;
	const longest = new Date(start + grade.maxHours * 3_600_000).toISOString();
	const graded = effectiveGrade(kind, gradeCode, windowFacts(from, longest, calendar));
	const hours = Math.min(grade.maxHours, graded?.grade.maxHours ?? grade.maxHours);
	return new Date(start + hours * 3_600_000).toISOString();
}

/** The sites whose permits this person may read (their control documents). */
export function permitSites<S extends { id: string }>(
	claims: Claims | null,
	sites: readonly S[],
	view: OrgView
): S[] {
	return claims ? sites.filter((s) => docAccess(claims, controlDoc(s.id), view).read) : [];
}
