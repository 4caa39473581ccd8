// The device's notification centre: follows the person and the sites their role may read (watching
// the org directory itself), keeps the live list for the bell and the page.
import type * as Y from 'yjs';
import { docAccess, type Claims } from '$lib/data/access';
import { controlDoc, eventsDoc, monthOf } from '$lib/data/documents';
import { receivesAlerts } from '$lib/data/notifications';
import { LiveNotifications } from '$lib/data/notifications-live.svelte';
import { orgViewOf } from '$lib/data/org';
import { sync } from './sync.svelte';

class NotificationCentre {
	readonly live = new LiveNotifications();
	#key = '';
	#claims: Claims | null = null;
	#org: Y.Doc | null = null;
	#stop: (() => void) | null = null;

	/** Follow this person (null: nobody); call again after the session changes. */
	follow(claims: Claims | null) {
		const org = claims ? sync.doc('org') : null;
		if (claims === this.#claims && org === this.#org) return;
		this.#stop?.();
		this.#stop = null;
		this.#claims = claims;
		this.#org = org;
		if (org) {
			// Which control documents one may read depends on the sites and where one's contractor works.
			const refresh = () => this.#refresh();
			org.getMap('sites').observe(refresh);
			org.getMap('contractors').observe(refresh);
			// A new month opens a new events document (alerts): look again now and then.
			const timer = setInterval(refresh, 60_000);
			this.#stop = () => {
				clearInterval(timer);
				org.getMap('sites').unobserve(refresh);
				org.getMap('contractors').unobserve(refresh);
			};
		}
		this.#refresh();
	}

	#refresh() {
		const claims = this.#claims;
		const org = this.#org;
		const readable =
			claims && org
				? [...org.getMap('sites').keys()]
						.sort()
						.filter((s) => docAccess(claims, controlDoc(s), orgViewOf(org)).read)
				: [];
		// Safety officers also hear of the monitor's alerts: this month's events of their sites.
		const month = monthOf(new Date());
		const alertSites =
			claims && org && receivesAlerts(claims)
				? (claims.sites ?? []).filter(
						(s) => docAccess(claims, eventsDoc(s, month), orgViewOf(org)).read
					)
				: [];
		const key = `${claims?.jti ?? ''}|${readable.join(',')}|${month}:${alertSites.join(',')}`;
		if (key === this.#key) return;
		this.#key = key;
		this.live.set(
			claims,
			readable.map((siteId) => ({ siteId, doc: sync.doc(controlDoc(siteId)) })),
			alertSites.map((siteId) => ({ siteId, docs: [sync.doc(eventsDoc(siteId, month))] }))
		);
	}
}

export const notificationCentre = new NotificationCentre();
