// The gate's attendance journal (issue 7): every decision is committed to its own IndexedDB store
// and awaited BEFORE the screen says anything, then written into the events document. y-indexeddb
// stores document updates asynchronously with nothing to await, so a crash or power cut between a
// decision and its storage could lose an event the worker already walked past; the journal closes
// that gap. An entry leaves the journal only once the relay has stamped the event as received, so
// a lost IndexedDB copy of the events document is also healed by replaying the journal.
import type * as Y from 'yjs';
import { AttendanceEvent } from '../data/events';
import { readRecord } from '../data/records';

interface Entry {
	id: string;
	doc: string;
	event: AttendanceEvent;
}

const STORE = 'events';

function done(req: IDBRequest | IDBTransaction): Promise<void> {
	return new Promise((resolve, reject) => {
		if ('oncomplete' in req) {
			req.oncomplete = () => resolve();
			req.onerror = () => reject(req.error);
			req.onabort = () => reject(req.error ?? new Error('transaction aborted'));
		} else {
			req.onsuccess = () => resolve();
			req.onerror = () => reject(req.error);
		}
	});
}

export class GateJournal {
	private constructor(private readonly db: IDBDatabase) {}

	static open(name: string, factory: IDBFactory = indexedDB): Promise<GateJournal> {
		return new Promise((resolve, reject) => {
			const req = factory.open(name, 1);
			req.onupgradeneeded = () => {
				const store = req.result.createObjectStore(STORE, { keyPath: 'id' });
				store.createIndex('doc', 'doc');
			};
			req.onsuccess = () => resolve(new GateJournal(req.result));
			req.onerror = () => reject(req.error);
		});
	}

	/** Stores one event durably (the transaction has committed when this resolves). */
	async append(doc: string, event: AttendanceEvent): Promise<void> {
		// 'strict' durability: committed to disk, not just to the OS, before the screen speaks.
		const tx = this.db.transaction(STORE, 'readwrite', { durability: 'strict' });
		tx.objectStore(STORE).put({ id: event.id, doc, event } satisfies Entry);
		await done(tx);
	}

	/** Events not yet confirmed by the relay, oldest first. */
	async pending(): Promise<Entry[]> {
		const tx = this.db.transaction(STORE, 'readonly');
		const req = tx.objectStore(STORE).getAll();
		await done(req);
		return (req.result as Entry[]).sort((a, b) => (a.id < b.id ? -1 : 1));
	}

	async count(): Promise<number> {
		const req = this.db.transaction(STORE, 'readonly').objectStore(STORE).count();
		await done(req);
		return req.result;
	}

	/**
	 * Puts journal entries missing from their document back (after an IndexedDB loss or a crash
	 * between journal and document), and drops those the relay has stamped as received.
	 * Returns how many were replayed and how many confirmed.
	 */
	async reconcile(
		docs: (name: string) => Y.Doc | null,
		put: (doc: Y.Doc, name: string, event: AttendanceEvent) => void
	): Promise<{ replayed: number; confirmed: number }> {
		const entries = await this.pending();
		const confirmed: string[] = [];
		let replayed = 0;
		for (const entry of entries) {
			const doc = docs(entry.doc);
			if (!doc) continue;
			if (doc.getMap('received').has(entry.id)) {
				confirmed.push(entry.id);
			} else if (!doc.getMap('attendance').has(entry.id)) {
				const read = readRecord(AttendanceEvent, entry.event);
				if (!read.ok) continue;
				put(doc, entry.doc, read.record);
				replayed++;
			}
		}
		if (confirmed.length > 0) {
			const tx = this.db.transaction(STORE, 'readwrite');
			const store = tx.objectStore(STORE);
			for (const id of confirmed) store.delete(id);
			await done(tx);
		}
		return { replayed, confirmed: confirmed.length };
	}

	close(): void {
		this.db.close();
	}
}
