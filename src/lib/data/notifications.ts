// The notification centre's read model (issue 5): which certificate warnings and digests a person
// sees, and which of them they have read. One rule, here: contractor admins see every warning about
// their own workers; safety staff see each day's digest for their sites plus the urgent findings
// (a card the registry refutes or has revoked) at once, instead of hundreds of single alerts.
import type * as Y from 'yjs';
import type { Claims } from './access';
import { putRecord, type Actor } from './commands';
import { alertViews, type AlertView } from './monitor';
import { readRecord } from './records';
import {
	Acknowledgement,
	ackKey,
	CertificateWarning,
	URGENT_WARNINGS,
	WarningDigest
} from './warnings';

export interface NotificationItem {
	/** Unique across sites: `<siteId>/<record id>`. */
	key: string;
	/** The record's key in its control document (what an acknowledgement names). */
	item: string;
	siteId: string;
	kind: 'warning' | 'digest' | 'alert';
	at: string;
	urgent: boolean;
	read: boolean;
	warning?: CertificateWarning;
	digest?: WarningDigest;
	/** For a digest: its warnings, as far as this device holds them. */
	warnings?: CertificateWarning[];
	/** A monitor alert (issue 8) with its actions; read = somebody acted on it. */
	alert?: AlertView;
}

export interface SiteControl {
	siteId: string;
	doc: Y.Doc;
}

/** A site's events documents this device holds (this month's, usually). */
export interface SiteEvents {
	siteId: string;
	docs: Y.Doc[];
}

/**
 * Whether a person is told of the monitor's alerts (zone intrusions, hard-hat violations): the
 * safety officers of the site. Everyone else with access sees them on the monitor page.
 */
export function receivesAlerts(claims: Claims): boolean {
	return claims.role === 'staff' && claims.staffRole === 'safety';
}

/** Whether a person is shown warnings at all, and which. */
export function notificationAudience(claims: Claims): {
	warnings: 'own_contractor' | 'urgent' | 'none';
	digests: boolean;
} {
	switch (claims.role) {
		case 'contractor':
			return { warnings: 'own_contractor', digests: false };
		case 'staff':
			return { warnings: 'urgent', digests: true };
		case 'hq':
		case 'admin':
			return { warnings: 'none', digests: true };
		default:
			return { warnings: 'none', digests: false };
	}
}

/** The person's notifications, newest first (urgent unread ones on top). */
export function notificationsFor(
	claims: Claims,
	controls: SiteControl[],
	events: SiteEvents[] = []
): NotificationItem[] {
	const audience = notificationAudience(claims);
	const out: NotificationItem[] = [];
	if (receivesAlerts(claims)) {
		for (const { siteId, docs } of events) {
			if (!(claims.sites ?? []).includes(siteId)) continue;
			for (const view of alertViews(docs)) {
				out.push({
					key: `${siteId}/${view.alert.id}`,
					item: view.alert.id,
					siteId,
					kind: 'alert',
					at: view.alert.at,
					urgent: view.unhandled,
					read: !view.unhandled,
					alert: view
				});
			}
		}
	}
	for (const { siteId, doc } of controls) {
		const acks = doc.getMap('acks');
		const read = (item: string) => acks.has(ackKey(item, claims.sub));
		const warnings = new Map<string, CertificateWarning>();
		for (const raw of doc.getMap('warnings').values()) {
			const r = readRecord(CertificateWarning, raw);
			if (r.ok) warnings.set(r.record.id, r.record);
		}
		for (const w of warnings.values()) {
			const urgent = URGENT_WARNINGS.includes(w.kind);
			const show =
				audience.warnings === 'own_contractor'
					? w.contractorId === claims.contractor
					: audience.warnings === 'urgent' && urgent;
			if (!show) continue;
			out.push({
				key: `${siteId}/${w.id}`,
				item: w.id,
				siteId,
				kind: 'warning',
				at: w.createdAt,
				urgent,
				read: read(w.id),
				warning: w
			});
		}
		if (!audience.digests) continue;
		for (const raw of doc.getMap('digests').values()) {
			const r = readRecord(WarningDigest, raw);
			if (!r.ok) continue;
			const d = r.record;
			out.push({
				key: `${siteId}/${d.id}`,
				item: d.id,
				siteId,
				kind: 'digest',
				at: d.createdAt,
				urgent: false,
				read: read(d.id),
				digest: d,
				warnings: d.newWarnings.flatMap((id) => warnings.get(id) ?? [])
			});
		}
	}
	return out.sort((a, b) => {
		const rank = (n: NotificationItem) => (n.read ? 2 : n.urgent ? 0 : 1);
		if (rank(a) !== rank(b)) return rank(a) - rank(b);
		return a.at < b.at ? 1 : a.at > b.at ? -1 : a.key < b.key ? -1 : 1;
	});
}

export function unreadCount(items: readonly NotificationItem[]): number {
	return items.filter((n) => !n.read).length;
}

/** Marks items read for this person (each site's acknowledgements in one transaction). */
export function acknowledge(
	controls: (siteId: string) => { doc: Y.Doc; name: string } | null,
	actor: Actor,
	items: readonly (Pick<NotificationItem, 'item' | 'siteId' | 'read'> &
		Partial<Pick<NotificationItem, 'kind'>>)[],
	at = new Date()
): number {
	let n = 0;
	const bySite = new Map<string, string[]>();
	for (const i of items) {
		// An alert is read when an officer acts on it (acknowledge, false alarm, resolve).
		if (i.read || i.kind === 'alert') continue;
		const list = bySite.get(i.siteId) ?? [];
		list.push(i.item);
		bySite.set(i.siteId, list);
	}
	for (const [siteId, list] of bySite) {
		const target = controls(siteId);
		if (!target) continue;
		target.doc.transact(() => {
			for (const item of list) {
				const key = ackKey(item, actor.claims.sub);
				if (target.doc.getMap('acks').has(key)) continue;
				putRecord(target.doc, target.name, actor, 'acks', key, Acknowledgement, {
					schema: 1,
					item,
					by: actor.claims.sub,
					at: at.toISOString()
				});
				n++;
			}
		});
	}
	return n;
}
