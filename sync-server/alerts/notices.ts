// Web Push for the monitor's alerts (issue 8): when an alert reaches the relay (a monitor tablet
// syncing its events document), the site's safety officers get one notice per alert at once, like
// the urgent certificate findings (verification/scheduler.ts). Each alert is pushed once, ever:
// the ids are kept in the relay's SQLite (`alert_notices`), so a restart or a second sync of the
// same document sends nothing again. Alerts older than a day (a tablet's backlog after a long
// time offline) are recorded without a push: the notification centre lists them.
import type { Relay } from '../relay';
import type { PushAudience, PushPayload, SendOptions, SendSummary } from '../push';
import { parseDocName } from '../../src/lib/data/documents';
import { Alert } from '../../src/lib/data/events';
import { Site } from '../../src/lib/data/org';
import { readRecord } from '../../src/lib/data/records';

export const ALERT_PUSH_MAX_AGE_MS = 24 * 3600_000;
/** A phone's geofence alarms for one worker and zone are pushed at most this often. */
export const GEOFENCE_PUSH_INTERVAL_MS = 10 * 60_000;

/** More new alerts than this from one document at once become one summary notice. */
const SINGLE_MAX = 3;

export interface AlertNoticeOptions {
	push?: (
		audience: PushAudience,
		payload: PushPayload,
		options?: SendOptions
	) => Promise<SendSummary | unknown>;
	log?: (line: string) => void;
	now?: () => number;
	delayMs?: number;
	maxAgeMs?: number;
}

/** The notice for one alert: no names, no picture, only what and where (it passes a push service). */
export function alertNotice(alert: Alert, siteName: string): PushPayload {
	const where = alert.zoneName ? `${siteName} · ${alert.zoneName}` : siteName;
	const title =
		alert.kind === 'ppe'
			? '未戴安全帽'
			: alert.kind === 'zone'
				? '危险区域闯入'
				: alert.kind === 'geofence'
					? '定位报警'
					: '现场告警';
	const what =
		alert.kind === 'ppe'
			? '有人未戴安全帽进入安全帽区域'
			: alert.kind === 'zone'
				? '有人进入危险区域'
				: alert.kind === 'geofence'
					? '有工人的手机定位在禁入区域内'
					: '现场告警';
	return {
		title,
		body: `${where}：${what}，请立即查看处理。`,
		url: '/notifications',
		tag: `alert-${alert.id}`
	};
}

export class AlertNotices {
	private readonly pending = new Set<string>();
	private timer: NodeJS.Timeout | null = null;
	private readonly unlisten: () => void;
	private running: Promise<number> = Promise.resolve(0);

	constructor(
		private readonly relay: Relay,
		private readonly opts: AlertNoticeOptions = {}
	) {
		this.relay.storage.db.exec(`
			CREATE TABLE IF NOT EXISTS alert_notices (
				id TEXT PRIMARY KEY, site TEXT NOT NULL, at INTEGER NOT NULL, pushed INTEGER NOT NULL);
		`);
		this.unlisten = relay.onCommit((name, byRelay) => {
			if (byRelay || parseDocName(name)?.kind !== 'events') return;
			this.pending.add(name);
			this.timer ??= setTimeout(() => void this.flush(), this.opts.delayMs ?? 100);
		});
	}

	/** Pushes the new alerts of the documents changed since the last flush; resolves with the count. */
	flush(): Promise<number> {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		const names = [...this.pending];
		this.pending.clear();
		this.running = this.running.then(() => this.send(names)).catch(() => 0);
		return this.running;
	}

	/** Per worker and zone, when a phone's geofence alarm was last pushed. */
	private readonly geofencePushed = new Map<string, number>();

	/**
	 * A phone's alarms are written by the worker's own token: a worker pacing along a boundary (or
	 * a tampered phone) must not page every safety officer each minute. One push per worker and
	 * zone per 10 minutes; every alert is still listed in the notification centre.
	 */
	private repeatedGeofence(a: Alert, now: number): boolean {
		if (a.kind !== 'geofence') return false;
		const key = `${a.workerId ?? ''}|${a.zoneId ?? ''}`;
		const last = this.geofencePushed.get(key);
		if (last !== undefined && now - last < GEOFENCE_PUSH_INTERVAL_MS) return true;
		if (this.geofencePushed.size > 10_000) this.geofencePushed.clear();
		this.geofencePushed.set(key, now);
		return false;
	}

	private async send(names: string[]): Promise<number> {
		const db = this.relay.storage.db;
		const known = db.prepare('SELECT 1 FROM alert_notices WHERE id = ?');
		const insert = db.prepare(
			'INSERT OR IGNORE INTO alert_notices (id, site, at, pushed) VALUES (?, ?, ?, ?)'
		);
		const now = (this.opts.now ?? Date.now)();
		const maxAge = this.opts.maxAgeMs ?? ALERT_PUSH_MAX_AGE_MS;
		let pushed = 0;
		for (const name of names) {
			const ref = parseDocName(name);
			if (ref?.kind !== 'events') continue;
			let fresh: Alert[];
			try {
				fresh = this.relay.read(name, (doc) => {
					const out: Alert[] = [];
					for (const raw of doc.getMap('alerts').values()) {
						const read = readRecord(Alert, raw);
						if (read.ok && read.record.siteId === ref.siteId && !known.get(read.record.id))
							out.push(read.record);
					}
					return out;
				});
			} catch (err) {
				this.opts.log?.(`alert notices: ${name}: ${(err as Error).message}`);
				continue;
			}
			if (fresh.length === 0) continue;
			const recent = fresh.filter(
				(a) => now - Date.parse(a.at) <= maxAge && !this.repeatedGeofence(a, now)
			);
			db.transaction(() => {
				for (const a of fresh) insert.run(a.id, ref.siteId, now, recent.includes(a) ? 1 : 0);
			})();
			if (recent.length === 0 || !this.opts.push) continue;
			// The site's name is a nicety: the push goes out without it rather than not at all.
			let siteName = ref.siteId;
			try {
				const siteRead = this.relay.read('org', (doc) =>
					readRecord(Site, doc.getMap('sites').get(ref.siteId))
				);
				if (siteRead.ok) siteName = siteRead.record.name;
			} catch (err) {
				this.opts.log?.(`alert notices: site name: ${(err as Error).message}`);
			}
			const audience: PushAudience = {
				site: ref.siteId,
				roles: ['staff'],
				staffRoles: ['safety']
			};
			const payloads =
				recent.length <= SINGLE_MAX
					? recent.map((a) => alertNotice(a, siteName))
					: [
							{
								title: '现场告警',
								body: `${siteName}：${recent.length} 条新的现场告警，请立即查看处理。`,
								url: '/notifications',
								tag: `alerts-${ref.siteId}`
							}
						];
			for (const payload of payloads) {
				await this.opts.push(audience, payload, { urgency: 'high', ttlSeconds: 3600 });
				pushed++;
			}
		}
		return pushed;
	}

	stop(): void {
		this.unlisten();
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}
}
