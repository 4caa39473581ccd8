// Browser side of ledger-load: opens a contractor document with the app's own Replica (Yjs +
// y-indexeddb + y-websocket) and times it until every record is there, from the relay or IndexedDB.
import * as Y from 'yjs';
import { Replica, type DocSyncStatus } from '../../src/lib/sync/replica';

export interface OpenOptions {
	doc: string;
	storeName: string;
	relayUrl: string;
	token: string;
	expected: number;
	timeoutMs: number;
}

export interface OpenResult {
	/** From `new Replica(…)` to the condition (synced + all records, or loaded + all records). */
	ms: number;
	/** From `new Replica(…)` to the provider's first `synced` / y-indexeddb's whenSynced. */
	signalMs: number;
	/** From `new Replica(…)` to the first task that runs after the condition held. */
	freeMs: number;
	workers: number;
	certificates: number;
	state: DocSyncStatus['state'];
}

let open: Replica | null = null;

function counts(doc: Y.Doc) {
	return { workers: doc.getMap('workers').size, certificates: doc.getMap('certificates').size };
}

/** Opens the replica and resolves when `ready` holds, checked after every status and update. */
function openUntil(
	o: OpenOptions,
	ready: (status: DocSyncStatus, doc: Y.Doc, signalled: boolean) => boolean,
	signal: 'synced' | 'loaded'
): Promise<OpenResult> {
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		let signalMs = NaN;
		let done = false;
		let replica: Replica | null = null;
		const check = () => {
			if (done || !replica) return;
			const status = replica.status;
			if (
				Number.isNaN(signalMs) &&
				(signal === 'synced' ? status.state === 'synced' : status.loaded)
			) {
				signalMs = performance.now() - t0;
			}
			if (!ready(status, replica.doc, !Number.isNaN(signalMs))) return;
			done = true;
			const ms = performance.now() - t0;
			const result = { ms, signalMs, ...counts(replica.doc), state: status.state };
			// The next task runs once the main thread is free again (what a UI would wait for).
			setTimeout(() => resolve({ ...result, freeMs: performance.now() - t0 }), 0);
		};
		setTimeout(() => {
			if (!done)
				reject(new Error(`not ready within ${o.timeoutMs} ms: ${JSON.stringify(replica?.status)}`));
		}, o.timeoutMs);
		replica = new Replica(o.doc, {
			storeName: o.storeName,
			relayUrl: o.relayUrl,
			token: o.token,
			onStatus: () => queueMicrotask(check)
		});
		open = replica;
		replica.doc.on('update', () => queueMicrotask(check));
		void replica.whenLoaded.then(check);
		check();
	});
}

const full = (o: OpenOptions) => (doc: Y.Doc) => {
	const c = counts(doc);
	return c.workers >= o.expected && c.certificates >= o.expected;
};

/** A fresh device: empty IndexedDB, the document comes from the relay. */
function loadFromRelay(o: OpenOptions): Promise<OpenResult> {
	const isFull = full(o);
	return openUntil(o, (status, doc, synced) => synced && isFull(doc), 'synced');
}

/** The same device again with the relay unreachable: the document comes from IndexedDB. */
function loadFromIndexedDb(o: OpenOptions): Promise<OpenResult> {
	const isFull = full(o);
	return openUntil(o, (status, doc) => status.loaded && isFull(doc), 'loaded');
}

/**
 * Waits until everything the replica handed to IndexedDB is committed: a read-write transaction on
 * the same store, opened later, runs only after the earlier ones (IndexedDB orders them), then closes.
 */
async function flushStore(storeName: string): Promise<number> {
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const req = indexedDB.open(storeName);
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
	});
	const entries = await new Promise<number>((resolve, reject) => {
		const tx = db.transaction('updates', 'readwrite');
		const req = tx.objectStore('updates').count();
		tx.oncomplete = () => resolve(req.result);
		tx.onerror = () => reject(tx.error);
	});
	db.close();
	await open?.destroy();
	open = null;
	return entries;
}

/**
 * Where (b)'s time goes, in a freshly started browser: reading the stored updates with a bare
 * IndexedDB getAll, then Yjs applying them to a new document (no Replica, no y-indexeddb).
 */
async function breakdown(
	storeName: string
): Promise<{ readMs: number; applyMs: number; bytes: number }> {
	const t0 = performance.now();
	const db = await new Promise<IDBDatabase>((resolve, reject) => {
		const req = indexedDB.open(storeName);
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
	});
	const updates = await new Promise<Uint8Array[]>((resolve, reject) => {
		const req = db.transaction('updates', 'readonly').objectStore('updates').getAll();
		req.onsuccess = () => resolve(req.result as Uint8Array[]);
		req.onerror = () => reject(req.error);
	});
	db.close();
	const t1 = performance.now();
	const doc = new Y.Doc();
	Y.transact(doc, () => {
		for (const u of updates) Y.applyUpdate(doc, u);
	});
	const t2 = performance.now();
	if (doc.getMap('workers').size === 0) throw new Error('nothing stored');
	doc.destroy();
	return {
		readMs: t1 - t0,
		applyMs: t2 - t1,
		bytes: updates.reduce((n, u) => n + u.byteLength, 0)
	};
}

const api = { loadFromRelay, loadFromIndexedDb, flushStore, breakdown };
export type BenchApi = typeof api;
(window as unknown as { sitepassBench: BenchApi }).sitepassBench = api;
