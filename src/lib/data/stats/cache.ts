// A cache of month summaries keyed by the document's name and a hash of its state vector: a month
// nobody wrote to since it was folded is not folded again (a first render folds only the months
// that changed — usually just the current one). In memory, or in IndexedDB across reloads.
import * as Y from 'yjs';
import { foldMonth, type FoldOptions } from './month';
import type { MonthSummary } from './types';

/** Bump when the fold's rules or the summary's shape change: old entries then never match. */
export const SUMMARY_RULES_VERSION = 1;

export interface SummaryCache {
	get(key: string): Promise<MonthSummary | undefined>;
	set(key: string, summary: MonthSummary): Promise<void>;
	delete(prefix: string): Promise<void>;
}

/** FNV-1a (32 bit) twice with different seeds: a 64-bit fingerprint of the bytes, as hex. */
function fingerprint(bytes: Uint8Array): string {
	let a = 0x811c9dc5;
	let b = 0x01000193 ^ bytes.length;
	for (let i = 0; i < bytes.length; i++) {
		a = Math.imul(a ^ bytes[i]!, 0x01000193);
		b = Math.imul(b ^ bytes[i]!, 0x5bd1e995);
	}
	return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/**
 * The cache key of a document's summary: name, rules version, zone, and its state vector's
 * fingerprint. The state vector grows with every insertion from any device; events documents are
 * append-only for every folded map, so a deletion (which a state vector does not show) cannot
 * change a summary — pings, which the relay deletes, are not folded.
 */
export function summaryKey(name: string, doc: Y.Doc, timeZone: string): string {
	return `${name}|r${SUMMARY_RULES_VERSION}|${timeZone}|${fingerprint(Y.encodeStateVector(doc))}`;
}

export class MemorySummaryCache implements SummaryCache {
	readonly #entries = new Map<string, MonthSummary>();
	hits = 0;
	misses = 0;

	async get(key: string) {
		const s = this.#entries.get(key);
		if (s) this.hits++;
		else this.misses++;
		return s;
	}

	async set(key: string, summary: MonthSummary) {
		// One entry per document: a newer state replaces the older one.
		await this.delete(key.slice(0, key.indexOf('|') + 1));
		this.#entries.set(key, summary);
	}

	async delete(prefix: string) {
		for (const k of [...this.#entries.keys()]) if (k.startsWith(prefix)) this.#entries.delete(k);
	}

	get size() {
		return this.#entries.size;
	}
}

/** The same in IndexedDB (one object store, key → summary), for a device's next start. */
export class IdbSummaryCache implements SummaryCache {
	#db: Promise<IDBDatabase>;

	constructor(name = 'sitepass:stats', idb: IDBFactory = globalThis.indexedDB) {
		this.#db = new Promise((resolve, reject) => {
			const req = idb.open(name, 1);
			req.onupgradeneeded = () => req.result.createObjectStore('summaries');
			req.onsuccess = () => resolve(req.result);
			req.onerror = () => reject(req.error);
		});
	}

	async #run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T> | void) {
		const db = await this.#db;
		return new Promise<T | undefined>((resolve, reject) => {
			const tx = db.transaction('summaries', mode);
			const req = fn(tx.objectStore('summaries'));
			tx.oncomplete = () => resolve(req ? req.result : undefined);
			tx.onerror = () => reject(tx.error);
		});
	}

	async get(key: string) {
		return (await this.#run<MonthSummary>('readonly', (s) => s.get(key))) ?? undefined;
	}

	async set(key: string, summary: MonthSummary) {
		await this.delete(key.slice(0, key.indexOf('|') + 1));
		await this.#run('readwrite', (s) => s.put(summary, key));
	}

	async delete(prefix: string) {
		await this.#run('readwrite', (s) => {
			s.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
		});
	}
}

/** A month's summary from the cache when its document has not changed, else folded and stored. */
export async function cachedSummary(
	cache: SummaryCache,
	name: string,
	doc: Y.Doc,
	options: FoldOptions
): Promise<{ summary: MonthSummary; hit: boolean }> {
	const key = summaryKey(name, doc, options.timeZone ?? 'Asia/Shanghai');
	const hit = await cache.get(key);
	if (hit) return { summary: hit, hit: true };
	const summary = foldMonth(doc, options);
	await cache.set(key, summary);
	return { summary, hit: false };
}
