// The relay's receive time for each attendance event (issue 7): a gate's clock can be wrong or
// set back, so the relay stamps `received[<event id>]` when it first stores the event. Stamps are
// the relay's own writes (RELAY_ONLY), batched per document: a gate coming back online with
// thousands of queued events gets them stamped in one write, not thousands.
import type { Relay } from '../relay';
import { parseDocName } from '../../src/lib/data/documents';
import { unreceived } from '../../src/lib/data/attendance';

export class AttendanceReceipts {
	private readonly pending = new Set<string>();
	private timer: NodeJS.Timeout | null = null;
	private readonly unlisten: () => void;

	constructor(
		private readonly relay: Relay,
		private readonly opts: { now?: () => number; delayMs?: number } = {}
	) {
		this.unlisten = relay.onCommit((name, byRelay) => {
			if (byRelay || parseDocName(name)?.kind !== 'events') return;
			this.pending.add(name);
			this.timer ??= setTimeout(() => this.flush(), this.opts.delayMs ?? 50);
		});
	}

	/** Stamps every unstamped attendance event of the documents changed since the last flush. */
	flush(): number {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		const names = [...this.pending];
		this.pending.clear();
		const at = new Date((this.opts.now ?? Date.now)()).toISOString();
		let stamped = 0;
		for (const name of names) {
			try {
				this.relay.write(name, (doc) => {
					const received = doc.getMap('received');
					for (const id of unreceived(doc)) {
						received.set(id, at);
						stamped++;
					}
				});
			} catch (err) {
				// A document that cannot be written now is stamped on its next change.
				console.error(`attendance receipts: ${name}: ${(err as Error).message}`);
			}
		}
		return stamped;
	}

	stop(): void {
		this.unlisten();
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}
}
