// Names of the Yjs documents (DESIGN.md "Documents"): parsing and formatting in one place, so the
// relay, the devices and every integration agree on what a name means and refuse what it isn't.
import { localDate } from '../domain/dates';

/** Ids of sites, contractors, users: short, URL- and file-safe, no separators of ours inside. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export type DocRef =
	| { kind: 'org' }
	| { kind: 'blacklist' }
	| { kind: 'contractor'; contractorId: string }
	| { kind: 'control'; siteId: string }
	| { kind: 'events'; siteId: string; month: string };

export type DocKind = DocRef['kind'];

export const MAX_DOC_NAME_LENGTH = 160;

/** `contractor:C1`, `site:S1:control`, `site:S1:events:2026-11`, `org`, `blacklist`; else null. */
export function parseDocName(name: string): DocRef | null {
	if (typeof name !== 'string' || name.length === 0 || name.length > MAX_DOC_NAME_LENGTH)
		return null;
	if (name === 'org') return { kind: 'org' };
	if (name === 'blacklist') return { kind: 'blacklist' };
	const parts = name.split(':');
	if (parts.length === 2 && parts[0] === 'contractor' && ID_PATTERN.test(parts[1]!)) {
		return { kind: 'contractor', contractorId: parts[1]! };
	}
	if (parts[0] === 'site' && parts.length >= 3 && ID_PATTERN.test(parts[1]!)) {
		if (parts.length === 3 && parts[2] === 'control') return { kind: 'control', siteId: parts[1]! };
		if (parts.length === 4 && parts[2] === 'events' && MONTH_PATTERN.test(parts[3]!)) {
			return { kind: 'events', siteId: parts[1]!, month: parts[3]! };
		}
	}
	return null;
}

export function docName(ref: DocRef): string {
	switch (ref.kind) {
		case 'org':
			return 'org';
		case 'blacklist':
			return 'blacklist';
		case 'contractor':
			return `contractor:${ref.contractorId}`;
		case 'control':
			return `site:${ref.siteId}:control`;
		case 'events':
			return `site:${ref.siteId}:events:${ref.month}`;
	}
}

export const orgDoc = 'org';
export const blacklistDoc = 'blacklist';
export const contractorDoc = (contractorId: string) =>
	docName({ kind: 'contractor', contractorId });
export const controlDoc = (siteId: string) => docName({ kind: 'control', siteId });
export const eventsDoc = (siteId: string, month: string) =>
	docName({ kind: 'events', siteId, month });

/** The month partition ('YYYY-MM') an instant falls in, in the site's time zone. */
export function monthOf(at: Date, timeZone = 'Asia/Shanghai'): string {
	// The domain's site-local date (one cached formatter per zone), not a new formatter per call.
	return localDate(at, timeZone).slice(0, 7);
}
