// Who is on site: the attendance log read in order (ULIDs sort by time), kept up to date as events
// arrive instead of rescanning the month on every gate decision. Anti-passback asks it whether a
// worker's last admitted passage here was an entry; the muster and the integration API ask who is
// in. Only allowed passages count: a refused attempt moves nobody.
import type * as Y from 'yjs';
import { AttendanceEvent } from './events';
import { readRecord } from './records';

export interface Passage {
	id: string;
	workerId: string;
	direction: 'in' | 'out';
	at: string;
}

export class Presence {
	/** Per worker, their latest allowed passage (by event id = time order). */
	#last = new Map<string, Passage>();
	#docs: Y.Doc[] = [];
	#observers: (() => void)[] = [];

	constructor(readonly siteId: string) {}

	/** Follows one events document (a month); call for the previous month too across month ends. */
	follow(doc: Y.Doc): void {
		if (this.#docs.includes(doc)) return;
		this.#docs.push(doc);
		const map = doc.getMap('attendance');
		for (const [key, raw] of map.entries()) this.#take(key, raw);
		const observer = (event: Y.YMapEvent<unknown>) => {
			for (const key of event.keysChanged) this.#take(key, map.get(key));
		};
		map.observe(observer);
		this.#observers.push(() => map.unobserve(observer));
	}

	#take(key: string, raw: unknown) {
		const read = readRecord(AttendanceEvent, raw);
		if (!read.ok) return;
		const e = read.record;
		if (!e.allow || !e.workerId || e.siteId !== this.siteId || e.id !== key) return;
		const before = this.#last.get(e.workerId);
		if (before && before.id >= e.id) return;
		this.#last.set(e.workerId, {
			id: e.id,
			workerId: e.workerId,
			direction: e.direction,
			at: e.at
		});
	}

	/** Whether the worker's last admitted passage was an entry. */
	onSite(workerId: string): boolean {
		return this.#last.get(workerId)?.direction === 'in';
	}

	last(workerId: string): Passage | undefined {
		return this.#last.get(workerId);
	}

	/** Everyone whose last admitted passage was an entry. */
	present(): Passage[] {
		return [...this.#last.values()].filter((p) => p.direction === 'in');
	}

	/** Records a passage this device just wrote (the observer will see it too; idempotent). */
	note(event: AttendanceEvent): void {
		this.#take(event.id, event);
	}

	stop(): void {
		for (const off of this.#observers) off();
		this.#observers = [];
		this.#docs = [];
	}
}

/** attendance ids in `doc` the relay has not stamped with its receive time yet. */
export function unreceived(doc: Y.Doc): string[] {
	const received = doc.getMap('received');
	const out: string[] = [];
	for (const key of doc.getMap('attendance').keys()) if (!received.has(key)) out.push(key);
	return out;
}
