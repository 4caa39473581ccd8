// The device's replicas: opens every document its role may read (org first, then what org says
// it may see), keeps them in IndexedDB, syncs them with the relay that served the app, and
// gathers their statuses for the header.
import type * as Y from 'yjs';
import { readableDocs, type Claims } from '../data/access';
import { eventsDoc, monthOf } from '../data/documents';
import { orgViewOf } from '../data/org';
import { CLOSE, parseCloseReason } from '../data/relay-protocol';
import { BlobStore } from './blobs';
import { Replica, type DocSyncStatus } from './replica';

export interface SyncSummary {
	state: 'none' | 'local' | 'connecting' | 'synced' | 'offline' | 'refused';
	relay: string | null;
	/** The oldest "synced at" across documents: everything is at least this fresh. */
	syncedAt: number | null;
	refusal: { doc: string; code: number; reason: string } | null;
	docs: number;
}

export function summarize(statuses: DocSyncStatus[]): SyncSummary {
	if (statuses.length === 0) {
		return { state: 'none', relay: null, syncedAt: null, refusal: null, docs: 0 };
	}
	const refused = statuses.find((s) => s.state === 'refused');
	const relay = statuses.find((s) => s.relay)?.relay ?? null;
	const times = statuses.map((s) => s.syncedAt);
	const syncedAt = times.every((t) => t !== null) ? Math.min(...(times as number[])) : null;
	let state: SyncSummary['state'];
	if (refused) state = 'refused';
	else if (!relay) state = 'local';
	else if (statuses.every((s) => s.state === 'synced')) state = 'synced';
	else if (statuses.some((s) => s.state === 'connecting' || s.state === 'syncing'))
		state = 'connecting';
	else state = 'offline';
	return {
		state,
		relay,
		syncedAt,
		refusal: refused?.refusal ? { doc: refused.doc, ...refused.refusal } : null,
		docs: statuses.length
	};
}

export class SyncManager {
	statuses = $state<Record<string, DocSyncStatus>>({});
	/** Set when the relay revoked this device and its local copies were erased. */
	wiped = $state<null | 'revoked'>(null);
	readonly summary: SyncSummary = $derived(summarize(Object.values(this.statuses)));
	// Replicas hold Y.Docs, which must never be proxied; the statuses above are the reactive part.
	#replicas = new Map<string, Replica>();
	#claims: Claims | null = null;
	#token: string | null = null;
	#relayUrl: string | null = null;
	#stopOrgWatch: (() => void) | null = null;
	#stopBlobFlush: (() => void) | null = null;
	/** Photos and scans of this org, kept on the device and uploaded when the relay is reachable. */
	blobs: BlobStore | null = null;

	/** Start syncing as `claims`; `relayUrl` defaults to the relay that served this page. */
	start(token: string, claims: Claims, relayUrl: string | null = defaultRelayUrl()) {
		if (this.#token === token) return;
		this.stop();
		this.wiped = null;
		this.#token = token;
		this.#claims = claims;
		this.#relayUrl = relayUrl;
		if (typeof indexedDB !== 'undefined' && relayUrl) {
			const blobs = new BlobStore({
				baseUrl: relayUrl.replace(/^ws/, 'http').replace(/\/sync$/, ''),
				token,
				dbName: `sitepass:${claims.iss}:~blobs`
			});
			this.blobs = blobs;
			const flush = () => void blobs.flush().catch(() => {});
			const flushNow = () => void blobs.flush({ force: true }).catch(() => {});
			window.addEventListener('online', flushNow);
			const timer = setInterval(flush, 30_000);
			flush();
			this.#stopBlobFlush = () => {
				window.removeEventListener('online', flushNow);
				clearInterval(timer);
				void blobs.close();
			};
		}
		const org = this.open('org');
		const refresh = () => this.#openReadable(org.doc);
		org.doc.getMap('contractors').observe(refresh);
		org.doc.getMap('sites').observe(refresh);
		this.#stopOrgWatch = () => {
			org.doc.getMap('contractors').unobserve(refresh);
			org.doc.getMap('sites').unobserve(refresh);
		};
		org.whenLoaded.then(refresh);
	}

	/** The replica of one document, opened on first use (in memory only until enrolled). */
	open(name: string): Replica {
		// Not started: nothing to sync with and nowhere to keep it; never cache such a replica,
		// or it would shadow the real one once the session starts.
		if (!this.#claims) return new Replica(name);
		let replica = this.#replicas.get(name);
		if (!replica) {
			const claims = this.#claims;
			replica = new Replica(name, {
				storeName: claims ? `sitepass:${claims.iss}:${name}` : undefined,
				relayUrl: this.#relayUrl,
				token: this.#token,
				onStatus: (status) => {
					this.statuses[name] = status;
					if (status.refusal) this.#onRefused(name, status.refusal);
					// Back in touch with the relay: send the photos and scans taken meanwhile.
					if (status.state === 'synced') void this.blobs?.flush({ force: true }).catch(() => {});
				}
			});
			this.#replicas.set(name, replica);
			this.statuses[name] = replica.status;
		}
		return replica;
	}

	doc(name: string): Y.Doc {
		return this.open(name).doc;
	}

	/** Whether this device keeps a replica of `name` (without opening one). */
	has(name: string): boolean {
		return this.#replicas.has(name);
	}

	#openReadable(orgDoc: Y.Doc) {
		const claims = this.#claims;
		if (!claims) return;
		const siteIds = [...orgDoc.getMap('sites').keys()];
		const contractorIds = [...orgDoc.getMap('contractors').keys()];
		const view = orgViewOf(orgDoc);
		for (const name of readableDocs(claims, siteIds, contractorIds, view)) this.open(name);
		// Staff and gates also keep this month's events of their sites.
		if (claims.role === 'staff' || claims.role === 'gate') {
			const month = monthOf(new Date());
			for (const site of claims.sites ?? []) this.open(eventsDoc(site, month));
		}
	}

	/**
	 * What a device must not keep: after a revocation (lost or stolen device) or a disabled user,
	 * every local copy is erased; a document the role may no longer read is erased alone.
	 */
	#onRefused(name: string, refusal: { code: number; reason: string }) {
		const { code } = parseCloseReason(refusal.reason);
		if (
			refusal.code === CLOSE.UNAUTHORIZED &&
			(code === 'TOKEN_REVOKED' || code === 'PRINCIPAL_DISABLED')
		) {
			void this.wipe();
		} else if (refusal.code === CLOSE.FORBIDDEN && code === 'FORBIDDEN_DOC') {
			void this.#erase(name);
		}
	}

	async #erase(name: string) {
		const replica = this.#replicas.get(name);
		if (!replica) return;
		this.#replicas.delete(name);
		delete this.statuses[name];
		await replica.erase();
	}

	/** Erases every document of this device's org from this device. */
	async wipe() {
		const org = this.#claims?.iss;
		const replicas = [...this.#replicas.values()];
		this.stop();
		await Promise.all(replicas.map((r) => r.erase()));
		// Also copies this session has not opened (documents of another month, say).
		const all = (await indexedDB.databases?.()) ?? [];
		await Promise.all(
			all
				.filter((d) => d.name?.startsWith(`sitepass:${org}:`))
				.map(
					(d) =>
						new Promise<void>((done) => {
							const req = indexedDB.deleteDatabase(d.name!);
							req.onsuccess = req.onerror = req.onblocked = () => done();
						})
				)
		);
		this.wiped = 'revoked';
	}

	stop() {
		this.#stopOrgWatch?.();
		this.#stopOrgWatch = null;
		this.#stopBlobFlush?.();
		this.#stopBlobFlush = null;
		this.blobs = null;
		for (const replica of this.#replicas.values()) void replica.destroy();
		this.#replicas.clear();
		this.statuses = {};
		this.#token = null;
		this.#claims = null;
	}
}

export function defaultRelayUrl(): string | null {
	if (typeof location === 'undefined') return null;
	return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
}

export const sync = new SyncManager();
