// The device's notification centre: follows the person and the sites their role may read (watching
// the org directory itself), keeps the live list for the bell and the page.
import type * as Y from 'yjs';
import { docAccess, type Claims } from '$lib/data/access';
import { controlDoc } from '$lib/data/documents';
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
			this.#stop = () => {
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
		const key = `${claims?.jti ?? ''}|${readable.join(',')}`;
		if (key === this.#key) return;
		this.#key = key;
		this.live.set(
			claims,
			readable.map((siteId) => ({ siteId, doc: sync.doc(controlDoc(siteId)) }))
		);
	}
}

export const notificationCentre = new NotificationCentre();
