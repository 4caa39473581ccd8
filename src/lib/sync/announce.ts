// The browser's own notifications for warnings that reached this device (issue 5): shown once per
// item per person where the person allowed notifications, whether the item came by Web Push or by
// the next sync of an offline device. More than a few at once become one summary, not a flood.
import type { NotificationItem } from '$lib/data/notifications';

const KEY = (sub: string) => `sitepass.announced.${sub}`;
/** Ids remembered per person; older ones fall off (they are long read or acknowledged). */
const REMEMBER = 2000;
const SINGLE_MAX = 3;

export interface Announcement {
	title: string;
	body: string;
	tag: string;
}

function remembered(sub: string): string[] {
	try {
		const value = JSON.parse(localStorage.getItem(KEY(sub)) ?? '[]');
		return Array.isArray(value) ? value.filter((x) => typeof x === 'string') : [];
	} catch {
		return [];
	}
}

/**
 * Unread items this person has not been told about on this device yet; marks them told. Returns
 * what to show (a summary when there are many). Pure apart from localStorage.
 */
export function pendingAnnouncements(
	sub: string,
	items: readonly NotificationItem[],
	describe: (item: NotificationItem) => Announcement,
	summary: (count: number) => Announcement
): Announcement[] {
	const told = remembered(sub);
	const known = new Set(told);
	const fresh = items.filter((i) => !i.read && !known.has(i.key));
	if (fresh.length === 0) return [];
	localStorage.setItem(
		KEY(sub),
		JSON.stringify([...told, ...fresh.map((i) => i.key)].slice(-REMEMBER))
	);
	return fresh.length <= SINGLE_MAX ? fresh.map(describe) : [summary(fresh.length)];
}

/** Shows them through the service worker (works on Android) or the page, where permitted. */
export async function showAnnouncements(list: readonly Announcement[]): Promise<number> {
	if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return 0;
	let shown = 0;
	const registration = await navigator.serviceWorker?.getRegistration?.().catch(() => undefined);
	for (const a of list) {
		const options = {
			body: a.body,
			tag: a.tag,
			icon: '/icons/icon-192.png',
			data: { url: '/notifications' }
		};
		try {
			if (registration) await registration.showNotification(a.title, options);
			else new Notification(a.title, options);
			shown++;
		} catch {
			// A browser that refuses (e.g. page notifications on Android): the centre still lists it.
		}
	}
	return shown;
}
