// The worker's phone on site (issue 10): with the worker's consent, between the gates letting them
// in and out, it watches its position, keeps pings in its own replica of the site's events
// document (synced when the relay is reachable), and alarms at once — sound, vibration, full
// screen — when the worker walks into a danger zone no permit of theirs covers, with no network
// needed: the rule runs here, on the last pass the relay handed over (data/geofence-pass.ts).
// The alarm is also written as an alert for safety staff, which reaches them when the phone syncs.
//
// Rate: the browser's position watch drives the alarm (high accuracy only near a forbidden zone
// or with battery to spare); pings are kept at `pingIntervalSeconds` (near a zone often, far and
// still seldom, less on a low battery); a fix is asked for when the watch has been quiet that long.
import type { Claims } from '../data/access';
import { putRecord, type Actor } from '../data/commands';
import { ConsentRecord } from '../data/contractor';
import { currentConsent } from '../data/consent-commands';
import { contractorDoc, eventsDoc, monthOf } from '../data/documents';
import { newUlid } from '../data/event-commands';
import { Alert, LocationPing } from '../data/events';
import {
	checkFix,
	GeofenceAlarm,
	parseGeofencePass,
	shouldTrack,
	type GeofencePass
} from '../data/geofence-pass';
import { orgViewOf } from '../data/org';
import { newId } from '../data/org-commands';
import {
	distanceM,
	pingIntervalSeconds,
	type GeofenceBreach,
	type GeofenceResult,
	type LatLng
} from '../domain';
import { format } from '../i18n/messages';
import { audioReady, startAlarm, stopAlarm, unlockAudio, type AlarmOutput } from './alarm-sound';
import { sync } from './sync.svelte';

export const LOCATION_CONSENT_VERSION = 'location-1';
/** How often the pass is asked for again while the relay is reachable. */
const PASS_REFRESH_MS = 60_000;
/** How often the phone re-decides whether to track (entry, exit, consent, a stale pass). */
const DECIDE_MS = 15_000;

export interface Fix {
	lat: number;
	lng: number;
	accuracy: number | null;
	at: string;
}

export interface ActiveAlarm {
	breaches: GeofenceBreach[];
	raisedAt: string;
	output: AlarmOutput;
	silenced: boolean;
}

export type TrackWhy = ReturnType<typeof shouldTrack>['why'];

export class GeofencePhone {
	pass = $state.raw<GeofencePass | null>(null);
	passFetchedAt = $state<string | null>(null);
	passError = $state<string | null>(null);
	localConsent = $state.raw<{ granted: boolean; at: string } | null>(null);
	why = $state<TrackWhy>('NO_PASS');
	watching = $state(false);
	highAccuracy = $state(false);
	fix = $state.raw<Fix | null>(null);
	result = $state.raw<GeofenceResult | null>(null);
	alarm = $state.raw<ActiveAlarm | null>(null);
	geoError = $state<string | null>(null);
	battery = $state.raw<{ level: number; charging: boolean } | null>(null);
	pingEverySeconds = $state(60);
	pingsKept = $state(0);
	alertsRaised = $state(0);
	/** Whether an alarm would sound now (see `unlockSound`). */
	soundReady = $state(false);

	#claims: Claims | null = null;
	#token: string | null = null;
	#siteId: string | null = null;
	#watchId: number | null = null;
	#timers: ReturnType<typeof setInterval>[] = [];
	#alarmMemory = new GeofenceAlarm();
	#lastPingAt = 0;
	#lastFixAt = 0;
	#asking = false;
	#previous: Fix | null = null;
	#moving = false;
	#onOnline = () => void this.refresh();

	/** Starts for this worker (idempotent per token). */
	start(token: string, claims: Claims): void {
		if (this.#token === token) return;
		this.stop();
		if (claims.role !== 'worker' || !claims.contractor) return;
		this.#token = token;
		this.#claims = claims;
		this.#siteId = claims.sites?.[0] ?? null;
		const cached = parseGeofencePass(safeJson(localStorage.getItem(this.#passKey())));
		if (cached) {
			this.pass = cached;
			this.passFetchedAt = cached.issuedAt;
		}
		// The phone's own consent records live in its write-only replica of the contractor document.
		const replica = sync.open(contractorDoc(claims.contractor));
		void replica.whenLoaded.then(() => {
			const mine = currentConsent(replica.doc, claims.sub, 'location');
			if (mine) this.localConsent = { granted: mine.granted, at: mine.at };
			this.decide();
		});
		void this.#readBattery();
		void this.#forgetOldMonths();
		// Pings and alarms kept offline at the end of last month still have to reach the relay.
		if (this.#siteId) {
			const now = new Date();
			const last = new Date(now.getFullYear(), now.getMonth() - 1, 15);
			const tz = this.pass?.site.timeZone ?? 'Asia/Shanghai';
			for (const at of [last, now]) sync.open(eventsDoc(this.#siteId, monthOf(at, tz)));
		}
		window.addEventListener('online', this.#onOnline);
		this.#timers.push(setInterval(() => void this.refresh(), PASS_REFRESH_MS));
		this.#timers.push(setInterval(() => this.decide(), DECIDE_MS));
		this.#timers.push(setInterval(() => this.#pollIfQuiet(), 5_000));
		void this.refresh();
		this.decide();
	}

	stop(): void {
		window.removeEventListener?.('online', this.#onOnline);
		for (const t of this.#timers) clearInterval(t);
		this.#timers = [];
		this.#stopWatch();
		stopAlarm();
		this.alarm = null;
		this.#token = null;
		this.#claims = null;
		// Nothing of one worker's session carries into the next (a shared phone).
		this.#siteId = null;
		this.pass = null;
		this.passFetchedAt = null;
		this.passError = null;
		this.localConsent = null;
		this.why = 'NO_PASS';
		this.fix = null;
		this.result = null;
		this.pingsKept = 0;
		this.alertsRaised = 0;
		this.#alarmMemory.reset();
		this.#previous = null;
		this.#lastFixAt = 0;
		this.#lastPingAt = 0;
	}

	#passKey(): string {
		return `sitepass:${this.#claims?.iss}:geofence-pass:${this.#claims?.sub}`;
	}

	/** Asks the relay for a fresh pass; keeps the last one when it cannot be reached. */
	async refresh(): Promise<void> {
		if (!this.#token || !this.#siteId) return;
		try {
			const res = await fetch(`/api/worker/geofence?site=${encodeURIComponent(this.#siteId)}`, {
				headers: { authorization: `Bearer ${this.#token}` },
				cache: 'no-store'
			});
			const body = await res.json().catch(() => null);
			if (!res.ok) {
				this.passError = body?.error?.code ?? `HTTP_${res.status}`;
				return;
			}
			const pass = parseGeofencePass(body);
			if (!pass) {
				this.passError = 'BAD_PASS';
				return;
			}
			this.pass = pass;
			this.passFetchedAt = new Date().toISOString();
			this.passError = null;
			localStorage.setItem(this.#passKey(), JSON.stringify(pass));
			this.decide();
		} catch {
			// Offline: the last pass stands.
			this.passError = 'OFFLINE';
		}
	}

	/** Records the worker's consent (or its withdrawal) with the text shown, in their own name. */
	setConsent(granted: boolean, textShown: string): void {
		const claims = this.#claims;
		if (!claims?.contractor) return;
		if (granted) this.unlockSound();
		const name = contractorDoc(claims.contractor);
		const at = new Date().toISOString();
		const id = newId('consent');
		putRecord(sync.doc(name), name, this.#actor(), 'consents', id, ConsentRecord, {
			schema: 1,
			id,
			workerId: claims.sub,
			purpose: 'location',
			granted,
			textShown,
			textVersion: LOCATION_CONSENT_VERSION,
			at,
			recordedBy: claims.sub
		});
		this.localConsent = { granted, at };
		this.decide();
	}

	/** Whether to watch now; starts or stops the position watch accordingly. */
	decide(): void {
		const verdict = shouldTrack(this.pass, this.localConsent, new Date());
		this.why = verdict.why;
		if (verdict.track) this.#startWatch(this.#wantHighAccuracy());
		else {
			this.#stopWatch();
			if (this.alarm) this.silence(true);
			this.#alarmMemory.reset();
			this.result = null;
		}
	}

	/** Asks for a fix now (the worker's "locate me" button, or a quiet watch). */
	locateNow(): void {
		if (!this.watching || this.#asking) return;
		this.#asking = true;
		navigator.geolocation?.getCurrentPosition(
			(p) => {
				this.#asking = false;
				this.#onPosition(p);
			},
			(e) => {
				this.#asking = false;
				this.#onError(e);
			},
			{ enableHighAccuracy: this.highAccuracy, maximumAge: 2_000, timeout: 30_000 }
		);
	}

	/**
	 * Arms the siren: browsers let a page sound only after a tap since it loaded, so the page calls
	 * this on any tap (after a reload the consent is already given and there is no consent tap).
	 */
	unlockSound(): void {
		unlockAudio();
		this.soundReady = audioReady();
		setTimeout(() => (this.soundReady = audioReady()), 300);
	}

	/** Stops the sound (the warning stays while the worker is still inside). */
	silence(clear = false): void {
		stopAlarm();
		if (this.alarm) this.alarm = clear ? null : { ...this.alarm, silenced: true };
	}

	#actor(): Actor {
		return { claims: this.#claims!, org: orgViewOf(sync.doc('org')) };
	}

	#wantHighAccuracy(): boolean {
		const near = (this.result?.nearestForbiddenM ?? 0) <= 150;
		const low = !!this.battery && this.battery.level < 0.2 && !this.battery.charging;
		return near || !low;
	}

	#startWatch(high: boolean): void {
		if (!navigator.geolocation) {
			this.geoError = 'UNSUPPORTED';
			return;
		}
		if (this.#watchId !== null && this.highAccuracy === high) return;
		this.#stopWatch();
		this.highAccuracy = high;
		this.#watchId = navigator.geolocation.watchPosition(
			(p) => this.#onPosition(p),
			(e) => this.#onError(e),
			{ enableHighAccuracy: high, maximumAge: 5_000, timeout: 60_000 }
		);
		this.watching = true;
	}

	#stopWatch(): void {
		if (this.#watchId !== null) navigator.geolocation?.clearWatch(this.#watchId);
		this.#watchId = null;
		this.watching = false;
	}

	#pollIfQuiet(): void {
		if (!this.watching) return;
		if (Date.now() - this.#lastFixAt >= this.pingEverySeconds * 1000) this.locateNow();
	}

	#onError(e: GeolocationPositionError): void {
		this.geoError =
			e.code === e.PERMISSION_DENIED
				? 'DENIED'
				: e.code === e.POSITION_UNAVAILABLE
					? 'UNAVAILABLE'
					: 'TIMEOUT';
	}

	#onPosition(p: GeolocationPosition): void {
		const pass = this.pass;
		const claims = this.#claims;
		if (!pass || !claims || !this.watching) return;
		this.geoError = null;
		const now = new Date();
		const fix: Fix = {
			lat: p.coords.latitude,
			lng: p.coords.longitude,
			accuracy: Number.isFinite(p.coords.accuracy) ? p.coords.accuracy : null,
			at: now.toISOString()
		};
		const point: LatLng = [fix.lat, fix.lng];
		if (this.#previous)
			this.#moving =
				distanceM([this.#previous.lat, this.#previous.lng], point) > Math.max(5, fix.accuracy ?? 5);
		this.#previous = fix;
		this.#lastFixAt = now.getTime();
		this.fix = fix;
		const result = checkFix(pass, point, now);
		this.result = result;
		const { raised, ongoing } = this.#alarmMemory.update(result, point, fix.accuracy);
		this.pingEverySeconds = pingIntervalSeconds({
			nearestForbiddenM: result.nearestForbiddenM,
			battery: this.battery?.level ?? null,
			charging: this.battery?.charging ?? null,
			moving: this.#moving
		});
		if (raised.length > 0) this.#raise(raised, ongoing, fix, pass);
		else if (ongoing.length === 0 && this.alarm) this.silence(true);
		else if (this.alarm) this.alarm = { ...this.alarm, breaches: ongoing };
		if (raised.length > 0 || now.getTime() - this.#lastPingAt >= this.pingEverySeconds * 1000 - 500)
			this.#keepPing(fix, pass);
		// Near a zone the watch needs the GPS; far away on a low battery the network fix will do.
		this.#startWatch(this.#wantHighAccuracy());
	}

	#eventsName(pass: GeofencePass, at: Date): string {
		return eventsDoc(pass.site.id, monthOf(at, pass.site.timeZone));
	}

	#keepPing(fix: Fix, pass: GeofencePass): void {
		const at = new Date(fix.at);
		const name = this.#eventsName(pass, at);
		const id = newUlid(at.getTime());
		putRecord(sync.doc(name), name, this.#actor(), 'pings', id, LocationPing, {
			schema: 1,
			id,
			workerId: this.#claims!.sub,
			at: fix.at,
			lat: fix.lat,
			lng: fix.lng,
			...(fix.accuracy !== null ? { accuracy: fix.accuracy } : {})
		});
		this.#lastPingAt = at.getTime();
		this.pingsKept++;
	}

	#raise(raised: GeofenceBreach[], ongoing: GeofenceBreach[], fix: Fix, pass: GeofencePass): void {
		const output = startAlarm();
		this.alarm = { breaches: ongoing, raisedAt: fix.at, output, silenced: false };
		const at = new Date(fix.at);
		const name = this.#eventsName(pass, at);
		for (const b of raised) {
			const id = newUlid(at.getTime());
			putRecord(sync.doc(name), name, this.#actor(), 'alerts', id, Alert, {
				schema: 1,
				id,
				siteId: pass.site.id,
				kind: 'geofence',
				at: fix.at,
				workerId: this.#claims!.sub,
				zoneId: b.zone.id,
				zoneName: b.zone.name,
				zoneKind: 'danger',
				deviceId: `phone:${this.#claims!.jti}`.slice(0, 64),
				// In the org's language (zh-CN): staff read it in the notification centre.
				message: format('zh-CN', 'geofence.alertMessage', {
					name: pass.worker.name ?? this.#claims!.sub,
					zone: b.zone.name,
					reason: format('zh-CN', `geofence.alarm.reason.${b.reason}`, { zone: b.zone.name })
				})
			});
			this.alertsRaised++;
		}
		// A phone in a pocket with the screen off: a system notification too, where allowed.
		if (document.visibilityState !== 'visible' && Notification?.permission === 'granted')
			void navigator.serviceWorker?.ready
				.then((r) =>
					r.showNotification('SitePass', {
						body: raised.map((b) => b.zone.name).join('、'),
						tag: 'geofence',
						requireInteraction: true
					})
				)
				.catch(() => {});
	}

	/**
	 * The phone's own pings of months before last: long synced (the relay keeps them only for the
	 * site's retention), so the phone's copies go too. Last month stays, in case the phone was
	 * offline across the month's end.
	 */
	async #forgetOldMonths(): Promise<void> {
		const claims = this.#claims;
		if (!claims || !this.#siteId) return;
		const prefix = `sitepass:${claims.iss}:${eventsDoc(this.#siteId, '')}`;
		const now = new Date();
		const last = monthOf(new Date(now.getFullYear(), now.getMonth() - 1, 15));
		try {
			const all = (await indexedDB.databases?.()) ?? [];
			for (const d of all) {
				const month = d.name?.startsWith(prefix) ? d.name.slice(prefix.length) : null;
				if (month && /^\d{4}-\d{2}$/.test(month) && month < last) indexedDB.deleteDatabase(d.name!);
			}
		} catch {
			/* best effort: the next start tries again */
		}
	}

	async #readBattery(): Promise<void> {
		const nav = navigator as Navigator & {
			getBattery?: () => Promise<{
				level: number;
				charging: boolean;
				addEventListener(type: string, f: () => void): void;
			}>;
		};
		try {
			const b = await nav.getBattery?.();
			if (!b) return;
			const read = () => (this.battery = { level: b.level, charging: b.charging });
			read();
			b.addEventListener('levelchange', read);
			b.addEventListener('chargingchange', read);
		} catch {
			this.battery = null;
		}
	}
}

function safeJson(text: string | null): unknown {
	if (!text) return null;
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

export const geofencePhone = new GeofencePhone();
