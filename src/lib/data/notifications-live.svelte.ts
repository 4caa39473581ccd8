// The notification centre as a live read model: recomputed (at most once per frame) when warnings,
// digests or acknowledgements change in the control documents this device holds.
import type { Claims } from './access';
import {
	notificationsFor,
	unreadCount,
	type NotificationItem,
	type SiteControl,
	type SiteEvents
} from './notifications';

export class LiveNotifications {
	items = $state.raw<NotificationItem[]>([]);
	unread = $derived(unreadCount(this.items));
	#claims: Claims | null = null;
	#controls: SiteControl[] = [];
	#events: SiteEvents[] = [];
	#stops: (() => void)[] = [];
	#scheduled = false;

	set(claims: Claims | null, controls: SiteControl[], events: SiteEvents[] = []) {
		for (const stop of this.#stops.splice(0)) stop();
		this.#claims = claims;
		this.#controls = claims ? controls : [];
		this.#events = claims ? events : [];
		for (const doc of this.#events.flatMap((e) => e.docs)) {
			for (const name of ['alerts', 'alertActions']) {
				const map = doc.getMap(name);
				const observer = () => this.#schedule();
				map.observe(observer);
				this.#stops.push(() => map.unobserve(observer));
			}
		}
		for (const { doc } of this.#controls) {
			for (const name of ['warnings', 'digests', 'acks']) {
				const map = doc.getMap(name);
				const observer = () => this.#schedule();
				map.observe(observer);
				this.#stops.push(() => map.unobserve(observer));
			}
		}
		this.#compute();
	}

	#compute() {
		this.items = this.#claims ? notificationsFor(this.#claims, this.#controls, this.#events) : [];
	}

	#schedule() {
		if (this.#scheduled) return;
		this.#scheduled = true;
		const run = () => {
			this.#scheduled = false;
			this.#compute();
		};
		if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
		else setTimeout(run, 0);
	}

	destroy() {
		for (const stop of this.#stops.splice(0)) stop();
	}
}
