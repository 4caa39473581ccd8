// What the site map shows of one site, live: its map settings and zones (control document), each
// worker's last ping in this and last month's events documents (updated per changed worker, not
// recomputed), today's open geofence and zone alerts, and the permits active now per zone.
/* eslint-disable svelte/prefer-svelte-reactivity -- `last` and the change sets are private
   indexes published through `pingVersion` (thousands of workers: no proxies). */
import type * as Y from 'yjs';
import { alertViews, type AlertView } from '$lib/data/monitor';
import { siteZones, type SiteZone } from '$lib/data/permits';
import { foldPings, mapSettings, type MapSettings } from '$lib/data/sitemap';
import type { LocationPing } from '$lib/data/events';
import { localDate } from '$lib/domain';

export class LiveMap {
	settings = $state.raw<MapSettings | null>(null);
	zones = $state.raw<SiteZone[]>([]);
	alerts = $state.raw<AlertView[]>([]);
	/** Bumped whenever a worker's last position changes (the list re-reads `last`). */
	pingVersion = $state(0);
	/** Each worker's latest ping (read `pingVersion` to react). */
	readonly last = new Map<string, LocationPing>();
	#events: Y.Doc[];
	#onPings: (changed: Set<string>) => void;
	#stop: (() => void)[] = [];

	/** `events`: the months to read, oldest first; `onPings` hears which workers moved. */
	constructor(control: Y.Doc, events: Y.Doc[], onPings: (changed: Set<string>) => void) {
		this.#events = events;
		this.#onPings = onPings;
		const settings = control.getMap('settings');
		const readSettings = (e?: Y.YMapEvent<unknown>) => {
			if (!e || e.keysChanged.has('map')) this.settings = mapSettings(control);
		};
		readSettings();
		settings.observe(readSettings);
		this.#stop.push(() => settings.unobserve(readSettings));
		const zones = control.getMap('zones');
		const readZones = () => (this.zones = siteZones(control));
		readZones();
		zones.observe(readZones);
		this.#stop.push(() => zones.unobserve(readZones));

		for (const doc of events) {
			const pings = doc.getMap('pings');
			const onPing = (e: Y.YMapEvent<unknown>) =>
				this.#moved(foldPings(this.last, pings, e.keysChanged));
			pings.observe(onPing);
			this.#stop.push(() => pings.unobserve(onPing));
			const maps = [doc.getMap('alerts'), doc.getMap('alertActions')];
			const readAlerts = () => this.#readAlerts();
			for (const m of maps) m.observe(readAlerts);
			this.#stop.push(() => maps.forEach((m) => m.unobserve(readAlerts)));
		}
		const all = new Set<string>();
		for (const doc of events)
			for (const id of foldPings(this.last, doc.getMap('pings'))) all.add(id);
		this.#moved(all);
		this.#readAlerts();
	}

	#moved(changed: Set<string>) {
		if (changed.size === 0) return;
		this.pingVersion++;
		this.#onPings(changed);
	}

	#readAlerts() {
		const today = localDate(new Date());
		this.alerts = alertViews(this.#events).filter(
			(v) =>
				v.open &&
				(v.alert.kind === 'geofence' || v.alert.kind === 'zone') &&
				localDate(v.alert.at) === today
		);
	}

	destroy() {
		for (const stop of this.#stop) stop();
		this.#stop = [];
	}
}
