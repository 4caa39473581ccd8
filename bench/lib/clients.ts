// Node-side sync clients for the benchmarks: the stock y-websocket provider as the app uses it
// (ws polyfill, no BroadcastChannel so every byte goes through the relay), plus seeding helpers.
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { roomName, syncEndpoint } from '../../src/lib/data/relay-protocol';
import type { Ledger } from './ledger';

// Every provider adds a process 'exit' listener; the throughput benchmark opens 50 of them.
process.setMaxListeners(0);

export interface NodeClient {
	doc: Y.Doc;
	provider: WebsocketProvider;
	/** Resolves once the provider has synced with the relay. */
	synced(timeoutMs?: number): Promise<void>;
	/** The final close the relay sent, if any (refusals are 4400–4499). */
	closedWith: { code: number; reason: string } | null;
	destroy(): void;
}

export function connectClient(origin: string, docName: string, token: string): NodeClient {
	const doc = new Y.Doc();
	const provider = new WebsocketProvider(syncEndpoint(origin), roomName(docName), doc, {
		params: { token },
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		disableBc: true,
		maxBackoffTime: 500
	});
	const client: NodeClient = {
		doc,
		provider,
		closedWith: null,
		synced: (timeoutMs = 30_000) =>
			new Promise<void>((done, fail) => {
				if (provider.synced) return done();
				const timer = setTimeout(
					() => fail(new Error(`${docName}: not synced within ${timeoutMs} ms`)),
					timeoutMs
				);
				const onSync = (state: boolean) => {
					if (!state) return;
					clearTimeout(timer);
					provider.off('sync', onSync);
					done();
				};
				provider.on('sync', onSync);
			}),
		destroy: () => {
			provider.destroy();
			doc.destroy();
		}
	};
	provider.on('closed', (event: { code: number; reason: string }) => {
		client.closedWith = { code: event.code, reason: event.reason };
	});
	return client;
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000) {
	const start = Date.now();
	while (!check()) {
		if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 5));
	}
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The org the benchmarks assume: site S1 and contractors C1..Cn working there. */
export async function seedOrg(origin: string, adminToken: string, contractors: number) {
	const admin = connectClient(origin, 'org', adminToken);
	try {
		await admin.synced();
		const at = new Date().toISOString();
		admin.doc.transact(() => {
			admin.doc.getMap('sites').set('S1', {
				schema: 1,
				id: 'S1',
				name: '上海浦东某项目',
				kind: 'construction',
				timeZone: 'Asia/Shanghai',
				createdAt: at
			});
			const map = admin.doc.getMap('contractors');
			for (let i = 1; i <= contractors; i++) {
				map.set(`C${i}`, {
					schema: 1,
					id: `C${i}`,
					name: `承包商${i}建设工程有限公司`,
					sites: ['S1'],
					createdAt: at
				});
			}
		});
		// Read it back through a second socket: the relay holds it once another device sees it.
		const check = connectClient(origin, 'org', adminToken);
		try {
			await check.synced();
			await waitFor(
				() => check.doc.getMap('contractors').size >= contractors,
				'org contractors at the relay'
			);
		} finally {
			check.destroy();
		}
	} finally {
		admin.destroy();
	}
}

/**
 * Writes a ledger into `contractor:<id>` the way an import would: batches of records, one
 * transaction (one sync message) each, below the relay's message limit. Returns the elapsed ms
 * until a second device sees every record at the relay.
 */
export async function seedLedger(
	origin: string,
	token: string,
	ledger: Ledger,
	batch = 1000
): Promise<number> {
	const name = `contractor:${ledger.contractorId}`;
	const start = performance.now();
	const writer = connectClient(origin, name, token);
	try {
		await writer.synced();
		const workers = writer.doc.getMap('workers');
		const certificates = writer.doc.getMap('certificates');
		for (let i = 0; i < ledger.workers.length; i += batch) {
			writer.doc.transact(() => {
				for (const w of ledger.workers.slice(i, i + batch)) workers.set(w.id, w);
				for (const c of ledger.certificates.slice(i, i + batch)) certificates.set(c.id, c);
			});
			// Let the socket drain a little between batches, as a real import would.
			await sleep(0);
		}
		const reader = connectClient(origin, name, token);
		try {
			await reader.synced(60_000);
			await waitFor(
				() =>
					reader.doc.getMap('workers').size === ledger.workers.length &&
					reader.doc.getMap('certificates').size === ledger.certificates.length,
				`${name} complete at the relay`,
				60_000
			);
		} finally {
			reader.destroy();
		}
		if (writer.closedWith) throw new Error(`relay refused the import: ${writer.closedWith.reason}`);
		return performance.now() - start;
	} finally {
		writer.destroy();
	}
}
