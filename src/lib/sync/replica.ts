// One document on this device: a Y.Doc kept in IndexedDB (works with no network) and, when a
// relay and a token are known, synced through the stock y-websocket provider. Reports a status
// the UI shows: local only / connecting / syncing / synced at T with relay R / refused: reason.
// Erased consent-bound data (src/lib/data/erasure.ts) is also purged from the IndexedDB log.
import * as Y from 'yjs';
import { IndexeddbPersistence, storeState } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import { parseDocName } from '../data/documents';
import { erasesContent, erasureMaps } from '../data/erasure';

export type SyncState = 'local' | 'connecting' | 'syncing' | 'synced' | 'offline' | 'refused';

export interface DocSyncStatus {
	doc: string;
	state: SyncState;
	/** The local copy has been read from IndexedDB. */
	loaded: boolean;
	relay: string | null;
	/** Last moment this replica was known to match the relay (ms since epoch). */
	syncedAt: number | null;
	/** Why the relay refused this device (close code and reason), until it reconnects. */
	refusal: { code: number; reason: string } | null;
}

export interface ReplicaOptions {
	/** IndexedDB database name; omit to keep the document in memory only. */
	storeName?: string;
	/** e.g. ws://127.0.0.1:8787/sync */
	relayUrl?: string | null;
	token?: string | null;
	/** For tests in Node. */
	WebSocketPolyfill?: unknown;
	/** One process standing in for two devices must not sync over BroadcastChannel. */
	disableBc?: boolean;
	onStatus?: (status: DocSyncStatus) => void;
}

export class Replica {
	/** gc on (the default, stated): deleted content is dropped from the state, not kept hidden. */
	readonly doc = new Y.Doc({ gc: true });
	readonly whenLoaded: Promise<void>;
	#idb: IndexeddbPersistence | null = null;
	#provider: WebsocketProvider | null = null;
	#status: DocSyncStatus;
	#purge: Promise<void> = Promise.resolve();
	#purgeQueued = false;

	constructor(
		readonly name: string,
		private readonly options: ReplicaOptions = {}
	) {
		this.#status = {
			doc: name,
			state: 'local',
			loaded: !options.storeName,
			relay: options.relayUrl ? relayLabel(options.relayUrl) : null,
			syncedAt: null,
			refusal: null
		};
		if (options.storeName) {
			this.#idb = new IndexeddbPersistence(options.storeName, this.doc);
			this.whenLoaded = this.#idb.whenSynced.then(() => this.#set({ loaded: true }));
			const maps = erasureMaps(parseDocName(name)?.kind);
			if (maps.length > 0) {
				// Local or remote (or found while loading a log an earlier purge did not finish).
				this.doc.on('afterTransaction', (tr: Y.Transaction) => {
					if (erasesContent(tr, maps)) this.#purgeStore();
				});
			}
		} else {
			this.whenLoaded = Promise.resolve();
		}
		if (options.relayUrl && options.token) this.#connect(options.relayUrl, options.token);
	}

	get status(): DocSyncStatus {
		return this.#status;
	}

	#set(patch: Partial<DocSyncStatus>) {
		this.#status = { ...this.#status, ...patch };
		this.options.onStatus?.(this.#status);
	}

	#connect(relayUrl: string, token: string) {
		const provider = new WebsocketProvider(relayUrl, encodeURIComponent(this.name), this.doc, {
			params: { token },
			disableBc: this.options.disableBc ?? false,
			maxBackoffTime: 5000,
			...(this.options.WebSocketPolyfill
				? { WebSocketPolyfill: this.options.WebSocketPolyfill as typeof WebSocket }
				: {})
		});
		this.#provider = provider;
		provider.on('status', ({ status }) => {
			if (status === 'connecting') this.#set({ state: 'connecting' });
			else if (status === 'connected') this.#set({ state: 'syncing', refusal: null });
			else if (this.#status.state !== 'refused') this.#set({ state: 'offline' });
		});
		provider.on('sync', (synced: boolean) => {
			if (synced) this.#set({ state: 'synced', syncedAt: Date.now() });
		});
		provider.on('closed', ({ code, reason }) => {
			this.#set({ state: 'refused', refusal: { code, reason } });
		});
		// Anything arriving from the relay while synced means we matched it at that moment.
		this.doc.on('update', (_update: Uint8Array, origin: unknown) => {
			if (origin === provider && this.#status.state === 'synced')
				this.#set({ syncedAt: Date.now() });
		});
	}

	/** Settles when the stored copy no longer holds anything erased so far (see #purgeStore). */
	get whenPurged(): Promise<void> {
		return this.#purge;
	}

	/**
	 * Consent-bound data was deleted: y-indexeddb keeps every update it was sent, so the update
	 * that wrote the data would stay in IndexedDB. Once the transaction is over (its deletion
	 * logged, and the content garbage-collected from the doc), rewrite the store as the current
	 * state alone: y-indexeddb's storeState(…, true) adds the state and deletes every older entry.
	 */
	#purgeStore() {
		const idb = this.#idb;
		if (!idb || this.#purgeQueued) return;
		this.#purgeQueued = true;
		this.#purge = this.#purge
			.then(() => idb.whenSynced)
			.then(async () => {
				this.#purgeQueued = false;
				if (idb._destroyed || !idb.db) return;
				await storeState(idb, true);
				// storeState resolves before its writes commit; a later read-write transaction on the
				// same store completes only after them.
				await new Promise<void>((done, fail) => {
					const tx = idb.db!.transaction(['updates'], 'readwrite');
					tx.oncomplete = () => done();
					tx.onerror = tx.onabort = () => fail(tx.error);
				});
			})
			.catch((err) => {
				this.#purgeQueued = false;
				console.error(`purging erased data from the stored ${this.name} failed`, err);
			});
	}

	/** Reconnect after a refusal (e.g. with a new token) or after `disconnect`. */
	reconnect() {
		this.#provider?.connect();
	}

	disconnect() {
		this.#provider?.disconnect();
	}

	async destroy() {
		this.#provider?.destroy();
		await this.#idb?.destroy();
		this.doc.destroy();
	}

	/** Closes the replica and deletes this device's stored copy of the document. */
	async erase() {
		this.#provider?.destroy();
		this.#provider = null;
		await this.#idb?.clearData();
		this.#idb = null;
		this.doc.destroy();
	}
}

function relayLabel(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return url;
	}
}
