// A read model the UI subscribes to: the records of one Y.Map, validated on read, kept current
// as the document changes (only changed keys are re-read), with unreadable records listed apart.
import type * as Y from 'yjs';
import { readRecord, type ReadResult, type RecordType } from './records';

export interface Unreadable {
	key: string;
	result: Extract<ReadResult<unknown>, { ok: false }>;
}

export class LiveRecords<T> {
	/** Replaced as a whole on change; not deeply reactive, so 20,000 records stay cheap. */
	records = $state.raw<T[]>([]);
	unreadable = $state.raw<Unreadable[]>([]);
	// Plain Maps on purpose: private indexes, published through `records` / `unreadable`.
	#good = new Map<string, T>();
	#bad = new Map<string, Unreadable>();
	#map: Y.Map<unknown>;
	#observer: (event: Y.YMapEvent<unknown>) => void;

	constructor(map: Y.Map<unknown>, type: RecordType<T>) {
		this.#map = map;
		const read = (key: string) => {
			this.#good.delete(key);
			this.#bad.delete(key);
			if (!map.has(key)) return;
			const result = readRecord(type, map.get(key));
			if (result.ok) this.#good.set(key, result.record);
			else this.#bad.set(key, { key, result });
		};
		for (const key of map.keys()) read(key);
		this.#publish();
		this.#observer = (event) => {
			for (const key of event.keysChanged) read(key);
			this.#publish();
		};
		map.observe(this.#observer);
	}

	/** Reading through `get` subscribes the caller, like reading `records` does. */
	get(key: string): T | undefined {
		void this.#version;
		return this.#good.get(key);
	}

	#version = $state(0);

	#publish() {
		this.#version++;
		this.records = [...this.#good.values()];
		this.unreadable = [...this.#bad.values()];
	}

	destroy() {
		this.#map.unobserve(this.#observer);
	}
}
