// Web Push on this device: subscribe through the service worker with the relay's VAPID key and tell
// the relay (POST /api/push/subscribe), or undo it. Many phones in use on site have no push service
// (browsers without Google services, or no route to one); that is an expected answer here, not an
// error, and the in-app notification centre still shows everything.
import type { MessageKey } from '../i18n/messages';

export type PushFailure =
	/** No service worker, PushManager or Notification in this browser. */
	| 'unsupported'
	/** The user (or a policy) refused notifications. */
	| 'denied'
	/** The service worker is not installed yet (first visit still caching, or a dev build). */
	| 'no-service-worker'
	/** The browser has no push service to subscribe with (subscribe() rejected). */
	| 'no-push-service'
	/** The relay could not be reached. */
	| 'offline'
	/** The relay answered with an error; `detail` has its code. */
	| 'refused';

export type PushResult = { ok: true } | { ok: false; code: PushFailure; detail?: string };

export type PushStatus = 'unsupported' | 'denied' | 'on' | 'off';

/** How long `enablePush` waits for the service worker to become active. */
const SW_WAIT_MS = 10_000;
/**
 * How long `enablePush` waits for the browser's push service. Chromium that cannot reach its push
 * service (Google's) neither resolves nor rejects `subscribe()` — it waits for a connection that
 * may never come, as in mainland China — so no answer in time means no push service.
 */
const SUBSCRIBE_WAIT_MS = 20_000;

/** Whether this browser can do Web Push at all (it may still lack a push service). */
export function pushSupport(): boolean {
	return (
		typeof navigator !== 'undefined' &&
		'serviceWorker' in navigator &&
		typeof window !== 'undefined' &&
		'PushManager' in window &&
		'Notification' in window
	);
}

/** The message to show for a result; `refused` takes `{reason}`. */
export function pushMessageKey(result: PushResult): MessageKey {
	if (result.ok) return 'push.enabled';
	const keys: Record<PushFailure, MessageKey> = {
		unsupported: 'push.unsupported',
		denied: 'push.denied',
		'no-service-worker': 'push.noServiceWorker',
		'no-push-service': 'push.noPushService',
		offline: 'push.offline',
		refused: 'push.refused'
	};
	return keys[result.code];
}

const fail = (code: PushFailure, detail?: string): PushResult =>
	detail ? { ok: false, code, detail } : { ok: false, code };

async function relay(
	path: string,
	init: RequestInit
): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; result: PushResult }> {
	let res: Response;
	try {
		res = await fetch(path, init);
	} catch {
		return { ok: false, result: fail('offline') };
	}
	const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
	if (!res.ok || !body || body.ok !== true) {
		const error = body?.error as { code?: string } | undefined;
		return { ok: false, result: fail('refused', error?.code ?? `HTTP_${res.status}`) };
	}
	return { ok: true, body };
}

function post(path: string, token: string, body: unknown) {
	return relay(path, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
		body: JSON.stringify(body)
	});
}

function decodeKey(base64url: string): Uint8Array<ArrayBuffer> {
	const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
	const bytes = new Uint8Array(new ArrayBuffer(text.length));
	for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
	return bytes;
}

function sameBytes(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
	if (!a || a.byteLength !== b.length) return false;
	const view = new Uint8Array(a);
	return view.every((x, i) => x === b[i]);
}

/** The promise's value, or null when it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<null>((done) => (timer = setTimeout(() => done(null), ms)));
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}

/** Whether push is on for this device (a subscription exists and notifications are allowed). */
export async function pushStatus(): Promise<PushStatus> {
	if (!pushSupport()) return 'unsupported';
	if (Notification.permission === 'denied') return 'denied';
	const registration = await navigator.serviceWorker.getRegistration('/');
	const subscription = await registration?.pushManager.getSubscription();
	return subscription && Notification.permission === 'granted' ? 'on' : 'off';
}

export interface EnableOptions {
	/** Shown to admins next to the subscription (e.g. the enrolled device name). */
	deviceLabel?: string;
	/** How long to wait for the service worker (default 10 s). */
	waitMs?: number;
	/** How long to wait for the browser's push service (default 20 s). */
	subscribeWaitMs?: number;
}

/**
 * Asks for notification permission, subscribes with the relay's key and registers the
 * subscription with the relay. Call it from a click: Safari and some Android browsers only ask
 * for permission inside a user gesture. Never throws; the result says what happened.
 */
export async function enablePush(token: string, options: EnableOptions = {}): Promise<PushResult> {
	if (!pushSupport()) return fail('unsupported');
	try {
		let permission = Notification.permission;
		if (permission === 'default') permission = await Notification.requestPermission();
		if (permission !== 'granted') return fail('denied');

		const registration = await within(navigator.serviceWorker.ready, options.waitMs ?? SW_WAIT_MS);
		if (!registration) return fail('no-service-worker');

		const key = await relay('/api/push/key', { method: 'GET' });
		if (!key.ok) return key.result;
		const serverKey = decodeKey(String(key.body.publicKey));

		let subscription = await registration.pushManager.getSubscription();
		// Made for another key (the relay's data folder was replaced): the push service would
		// refuse our messages for it, so start over.
		if (subscription && !sameBytes(subscription.options.applicationServerKey, serverKey)) {
			await subscription.unsubscribe().catch(() => false);
			subscription = null;
		}
		if (!subscription) {
			const subscribing = registration.pushManager.subscribe({
				userVisibleOnly: true,
				applicationServerKey: serverKey
			});
			try {
				subscription = await within(subscribing, options.subscribeWaitMs ?? SUBSCRIBE_WAIT_MS);
				if (!subscription) {
					// Should the push service answer after all, do what was asked: register it then.
					void subscribing
						.then((late) => post('/api/push/subscribe', token, late.toJSON()))
						.catch(() => {});
					return fail('no-push-service', 'timeout');
				}
			} catch (err) {
				// Notifications are allowed (checked above), so a refusal here is the browser's push
				// service: AbortError "Registration failed - push service error" (Chromium without
				// Google's service or a route to it), NotAllowedError "permission denied" (headless
				// Chromium, browsers with push switched off). Only a permission taken back meanwhile
				// is 'denied'.
				if (Notification.permission !== 'granted') return fail('denied');
				const e = err as DOMException;
				return fail('no-push-service', `${e?.name}: ${e?.message}`);
			}
		}
		const sent = await post('/api/push/subscribe', token, {
			...subscription.toJSON(),
			...(options.deviceLabel ? { deviceLabel: options.deviceLabel } : {})
		});
		return sent.ok ? { ok: true } : sent.result;
	} catch (err) {
		return fail('no-push-service', (err as Error)?.message);
	}
}

/**
 * Sends this device's subscription to the relay again, if there is one and notifications are
 * allowed: after a new token (re-enrolment) it must carry the new holder. No prompt, no subscribe.
 */
export async function refreshPush(token: string): Promise<PushResult> {
	if (!pushSupport()) return fail('unsupported');
	if (Notification.permission !== 'granted') return fail('denied');
	try {
		const registration = await navigator.serviceWorker.getRegistration('/');
		const subscription = await registration?.pushManager.getSubscription();
		if (!subscription) return fail('no-push-service');
		const sent = await post('/api/push/subscribe', token, subscription.toJSON());
		return sent.ok ? { ok: true } : sent.result;
	} catch (err) {
		return fail('no-push-service', (err as Error)?.message);
	}
}

/**
 * Turns push off on this device: the browser's subscription is dropped first (that alone stops
 * delivery), then the relay is told. If the relay cannot be reached it still forgets the
 * subscription the next time it sends, when the push service answers 410.
 */
export async function disablePush(token: string): Promise<PushResult> {
	if (!pushSupport()) return fail('unsupported');
	try {
		const registration = await navigator.serviceWorker.getRegistration('/');
		const subscription = await registration?.pushManager.getSubscription();
		if (!subscription) return { ok: true };
		const endpoint = subscription.endpoint;
		await subscription.unsubscribe();
		await post('/api/push/unsubscribe', token, { endpoint });
		return { ok: true };
	} catch (err) {
		return fail('no-push-service', (err as Error)?.message);
	}
}
