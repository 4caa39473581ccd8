// Web Push in the SitePass service worker. The generated worker (workbox generateSW, see
// vite.config.ts) loads this file with importScripts. The relay sends { title, body, url, tag }
// (sync-server/push.ts): short text, never ID numbers or health data; details are in the app.
// No `pushsubscriptionchange` handler: the token lives in the page, so the app re-registers its
// subscription with refreshPush() when it next starts.

/** Only paths of this app: a notice must never open another site. */
function sitepassPushUrl(value) {
	try {
		const url = new URL(typeof value === 'string' ? value : '/', self.location.origin);
		return url.origin === self.location.origin ? url.href : self.location.origin + '/';
	} catch {
		return self.location.origin + '/';
	}
}

self.addEventListener('push', (event) => {
	let data = {};
	try {
		data = event.data ? event.data.json() : {};
	} catch {
		data = { body: event.data ? event.data.text() : '' };
	}
	if (typeof data !== 'object' || data === null) data = {};
	const title = typeof data.title === 'string' && data.title ? data.title : 'SitePass';
	const tag = typeof data.tag === 'string' && data.tag ? data.tag : undefined;
	event.waitUntil(
		self.registration.showNotification(title, {
			body: typeof data.body === 'string' ? data.body : '',
			tag,
			// A newer notice with the same tag replaces the old one; let it alert again.
			renotify: !!tag,
			lang: 'zh-CN',
			icon: '/icons/icon-192.png',
			badge: '/icons/icon-192.png',
			data: { url: sitepassPushUrl(data.url) }
		})
	);
});

self.addEventListener('notificationclick', (event) => {
	event.notification.close();
	const url = sitepassPushUrl(event.notification.data && event.notification.data.url);
	event.waitUntil(
		(async () => {
			const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
			const open =
				windows.find((c) => c.url === url) ||
				windows.find((c) => new URL(c.url).origin === self.location.origin);
			if (open) {
				await open.focus();
				if (open.url !== url && 'navigate' in open) await open.navigate(url).catch(() => null);
				return;
			}
			await self.clients.openWindow(url);
		})()
	);
});
