// Location pings are whereabouts, sensitive personal information (个人信息保护法): kept no longer
// than the site's retention (`MapSettings.pingRetentionDays`, 7 days unless the site says
// otherwise). The relay deletes older ones from every events document of the site, so they leave
// the current state of every replica that syncs (a Y.Map delete keeps no content, only a tombstone).
// Phones prune their own outbox the same way. Runs at start (every month stored) and hourly after
// (the months a retention can still reach).
import { controlDoc, parseDocName } from '../../src/lib/data/documents';
import {
	expiredPings,
	MAX_PING_RETENTION_DAYS,
	pingRetentionDays
} from '../../src/lib/data/sitemap';
import type { Relay } from '../relay';

export interface RetentionOptions {
	relay: Relay;
	now?: () => Date;
	tickMs?: number;
	log?: (line: string) => void;
}

export class PingRetention {
	private timer: ReturnType<typeof setInterval> | null = null;
	private swept = false;
	private readonly now: () => Date;

	constructor(private readonly opts: RetentionOptions) {
		this.now = opts.now ?? (() => new Date());
	}

	start(): void {
		this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 3_600_000);
		this.timer.unref();
		this.tick();
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
	}

	/** One pass; returns how many pings were deleted, per document. */
	tick(): Map<string, number> {
		const deleted = new Map<string, number>();
		try {
			const now = this.now();
			// After the first full sweep, months that ended before the longest retention are done.
			const oldest = new Date(now.getTime() - (MAX_PING_RETENTION_DAYS + 31) * 86_400_000)
				.toISOString()
				.slice(0, 7);
			const days = new Map<string, number>();
			for (const name of this.opts.relay.docNames()) {
				const ref = parseDocName(name);
				if (ref?.kind !== 'events') continue;
				if (this.swept && ref.month < oldest) continue;
				let retention = days.get(ref.siteId);
				if (retention === undefined) {
					retention = this.opts.relay.read(controlDoc(ref.siteId), (d) => pingRetentionDays(d));
					days.set(ref.siteId, retention);
				}
				// One document that cannot be read must not stop the others' retention.
				try {
					const keys = this.opts.relay.read(name, (d) => expiredPings(d, retention, now));
					if (keys.length === 0) continue;
					this.opts.relay.write(name, (d) => {
						const pings = d.getMap('pings');
						d.transact(() => {
							for (const key of keys) pings.delete(key);
						});
					});
					deleted.set(name, keys.length);
					this.opts.log?.(
						`pings: deleted ${keys.length} older than ${retention} days from ${name}`
					);
				} catch (err) {
					this.opts.log?.(`pings: retention failed for ${name}: ${String(err)}`);
				}
			}
			this.swept = true;
		} catch (err) {
			this.opts.log?.(`pings: retention pass failed: ${String(err)}`);
		}
		return deleted;
	}
}
