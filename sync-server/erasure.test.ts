// Consent withdrawal erases for real: the withdrawn health data is searched for as raw bytes in every
// file of the relay's data folder and in every value of the devices' IndexedDB (fake-indexeddb).
import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Claims, OrgView } from '../src/lib/data/access';
import type { Actor } from '../src/lib/data/commands';
import { withdrawConsent } from '../src/lib/data/consent-commands';
import { contractorDoc } from '../src/lib/data/documents';
import { registerWorker } from '../src/lib/data/ledger-commands';
import { syncEndpoint } from '../src/lib/data/relay-protocol';
import { Replica } from '../src/lib/sync/replica';
import {
	connect,
	makeRoot,
	seedOrg,
	startRelay,
	stored,
	token,
	waitFor,
	type Client,
	type TestRelay
} from './testing';

const MARKER = 'ERASE-ME-7f3a花生过敏';
/** Split once anywhere, the marker still leaves one of these whole (a page boundary, a frame). */
const NEEDLES = [MARKER, 'ERASE-ME-7f3a', '花生过敏'].map((s) => Buffer.from(s, 'utf8'));
const DOC = contractorDoc('C1');

const running: TestRelay[] = [];
const clients: Client[] = [];
const replicas: Replica[] = [];
afterEach(async () => {
	for (const r of replicas.splice(0)) await r.destroy();
	for (const c of clients.splice(0)) c.destroy();
	for (const r of running.splice(0)) await r.server.close();
});

async function start(root = makeRoot()) {
	const r = await startRelay({ root });
	running.push(r);
	seedOrg(r.server);
	return r;
}
const open = (...args: Parameters<typeof connect>) => {
	const c = connect(...args);
	clients.push(c);
	return c;
};
type TokenClaims = Parameters<typeof token>[1];
const contractorClaims: TokenClaims = { sub: 'c1-admin', role: 'contractor', contractor: 'C1' };
const staffClaims: TokenClaims = {
	sub: 'lead1',
	role: 'staff',
	staffRole: 'project_lead',
	sites: ['S1']
};
const org: OrgView = {
	contractorSites: (c) => ({ C1: ['S1'], C3: ['S1', 'S2'] })[c as 'C1' | 'C3']
};
const actor = (claims: Omit<Claims, 'iss' | 'jti' | 'iat' | 'exp'>): Actor => ({
	claims: { iss: 'test', jti: 'j', iat: 0, exp: 0, ...claims },
	org
});

function containsMarker(bytes: Uint8Array): boolean {
	const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	return NEEDLES.some((n) => buf.includes(n));
}

/** Files under the relay's data folder (database, -wal, -shm, keys, blobs) holding the marker. */
function relayFilesWithMarker(dataDir: string): string[] {
	const hits: string[] = [];
	const walk = (dir: string) => {
		for (const name of readdirSync(dir)) {
			const path = join(dir, name);
			if (statSync(path).isDirectory()) walk(path);
			else if (containsMarker(readFileSync(path))) hits.push(name);
		}
	};
	walk(dataDir);
	return hits;
}

/** Every value in every object store of an IndexedDB database, through the raw API, as bytes. */
async function idbValues(name: string): Promise<Uint8Array[]> {
	const db = await new Promise<IDBDatabase>((done, fail) => {
		const req = indexedDB.open(name);
		req.onsuccess = () => done(req.result);
		req.onerror = () => fail(req.error);
	});
	const out: Uint8Array[] = [];
	try {
		for (const store of Array.from(db.objectStoreNames)) {
			const values = await new Promise<unknown[]>((done, fail) => {
				const req = db.transaction(store, 'readonly').objectStore(store).getAll();
				req.onsuccess = () => done(req.result);
				req.onerror = () => fail(req.error);
			});
			for (const v of values) {
				if (v instanceof Uint8Array) out.push(v);
				else if (v instanceof ArrayBuffer) out.push(new Uint8Array(v));
				else out.push(new TextEncoder().encode(JSON.stringify(v)));
			}
		}
	} finally {
		db.close();
	}
	return out;
}
const idbHasMarker = async (name: string) => (await idbValues(name)).some(containsMarker);

async function waitForAsync(check: () => Promise<boolean>, what: string, timeoutMs = 8000) {
	const startedAt = Date.now();
	while (!(await check())) {
		if (Date.now() - startedAt > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** The phone registration's submit: worker, consent and the health record carrying the marker. */
function register(doc: Y.Doc, docNumber = 'E1234567'): string {
	return registerWorker(
		doc,
		'C1',
		actor(contractorClaims),
		{ name: '王建国', docType: 'passport', docNumber },
		null,
		{
			emergency: { name: '李秀英', phone: '13900001111' },
			health: {
				consentText: '本人同意收集血型与过敏史，用于应急救援。',
				consentVersion: 'health-1',
				bloodType: 'O',
				allergies: MARKER
			}
		}
	).id;
}

const erasureLogged =
	(r: TestRelay, from = 0) =>
	() => {
		const lines = r.logs.slice(from);
		return (
			lines.some((l) => l.startsWith(`erasure: ${DOC} compacted`)) &&
			lines.some((l) => l === 'erasure: WAL checkpointed')
		);
	};

function replica(r: TestRelay, storeName: string, claims: TokenClaims) {
	const rep = new Replica(DOC, {
		storeName,
		relayUrl: syncEndpoint(r.server.url),
		token: token(r.server, claims),
		WebSocketPolyfill: WebSocket,
		disableBc: true
	});
	replicas.push(rep);
	return rep;
}
const synced = (rep: Replica) => () => rep.status.state === 'synced';

describe('relay: withdrawal erases from the database files', () => {
	it('leaves no trace in sitepass.db, -wal, -shm or anywhere in the data folder', async () => {
		const root = makeRoot();
		let r = await start(root);
		const c1 = open(r.server, DOC, token(r.server, contractorClaims));
		const lead = open(r.server, DOC, token(r.server, staffClaims));
		await Promise.all([c1.synced(), lead.synced()]);

		const workerId = register(c1.doc);
		await waitFor(() => lead.map('health').has(workerId), 'health record at staff');
		await waitFor(() => !!stored(r.server, DOC, 'health')[workerId], 'health record stored');
		// The control: the marker is found as raw bytes where the relay keeps it.
		expect(relayFilesWithMarker(r.dataDir).length).toBeGreaterThan(0);
		expect(containsMarker(Y.encodeStateAsUpdate(lead.doc))).toBe(true);

		const { erased } = withdrawConsent(c1.doc, 'C1', actor(contractorClaims), workerId, 'health');
		expect(erased).toBe(true);
		await waitFor(erasureLogged(r), 'erasure compaction and WAL checkpoint');
		await waitFor(() => !lead.map('health').has(workerId), 'deletion at staff');

		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
		expect(r.server.relay.storage.logLength(DOC)).toBe(0);
		// The staff device that had the record keeps no content of it in its state.
		expect(containsMarker(Y.encodeStateAsUpdate(lead.doc))).toBe(false);
		expect(containsMarker(Y.encodeStateAsUpdate(c1.doc))).toBe(false);
		// A device joining now gets the relay's live copy: it has nothing to send either.
		const late = open(r.server, DOC, token(r.server, { ...staffClaims, sub: 'late' }));
		await late.synced();
		expect(late.map('workers').has(workerId)).toBe(true);
		expect(containsMarker(Y.encodeStateAsUpdate(late.doc))).toBe(false);

		// Everything else survives a restart; the consent history shows grant and withdrawal.
		for (const c of clients.splice(0)) c.destroy();
		await r.server.close();
		running.splice(0);
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
		r = await startRelay({ root });
		running.push(r);
		expect(stored(r.server, DOC, 'workers')[workerId]).toMatchObject({ name: '王建国' });
		expect(stored(r.server, DOC, 'emergency')[workerId]).toMatchObject({ name: '李秀英' });
		expect(stored(r.server, DOC, 'health')[workerId]).toBeUndefined();
		const consents = Object.values(stored(r.server, DOC, 'consents')) as { granted: boolean }[];
		expect(consents.map((c) => c.granted).sort()).toEqual([false, true]);
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
	});

	it('an overwritten health record leaves no old value behind', async () => {
		const r = await start();
		const c1 = open(r.server, DOC, token(r.server, contractorClaims));
		await c1.synced();
		const workerId = register(c1.doc);
		await waitFor(() => !!stored(r.server, DOC, 'health')[workerId], 'stored');
		expect(relayFilesWithMarker(r.dataDir).length).toBeGreaterThan(0);
		const health = c1.map('health');
		health.set(workerId, { ...(health.get(workerId) as object), allergies: '青霉素' });
		await waitFor(erasureLogged(r), 'erasure after the overwrite');
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
		expect(stored(r.server, DOC, 'health')[workerId]).toMatchObject({ allergies: '青霉素' });
	});

	it('a reader in another process delays the WAL checkpoint without blocking the relay', async () => {
		const r = await start();
		const c1 = open(r.server, DOC, token(r.server, contractorClaims));
		await c1.synced();
		const workerId = register(c1.doc);
		await waitFor(() => !!stored(r.server, DOC, 'health')[workerId], 'stored');
		// e.g. a backup holding a read transaction on the database
		const reader = new Database(join(r.dataDir, 'sitepass.db'), { readonly: true });
		reader.prepare('BEGIN').run();
		reader.prepare('SELECT count(*) FROM updates').get();
		try {
			const t0 = Date.now();
			withdrawConsent(c1.doc, 'C1', actor(contractorClaims), workerId, 'health');
			await waitFor(
				() => r.logs.includes('erasure: WAL checkpoint not done, retrying'),
				'a blocked checkpoint'
			);
			expect(Date.now() - t0).toBeLessThan(1000);
			expect(r.logs).not.toContain('erasure: WAL checkpointed');
		} finally {
			reader.prepare('COMMIT').run();
			reader.close();
		}
		await waitFor(erasureLogged(r), 'the checkpoint retried', 5000);
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
	});

	it('a log still holding erased content (relay stopped before erasing) is purged on load', async () => {
		const r = await start();
		const storage = r.server.relay.storage;
		// Written straight into the log, as if the relay had stopped between storing and erasing.
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		const workerId = register(doc);
		doc.getMap('health').delete(workerId);
		for (const u of updates) storage.append(DOC, u);
		expect(relayFilesWithMarker(r.dataDir).length).toBeGreaterThan(0);

		const c = open(r.server, DOC, token(r.server, staffClaims));
		await c.synced();
		await waitFor(erasureLogged(r), 'erasure on load');
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
		expect(c.map('workers').has(workerId)).toBe(true);
		expect(containsMarker(Y.encodeStateAsUpdate(c.doc))).toBe(false);
	});
});

describe('devices: withdrawal erases from IndexedDB', () => {
	it('a local withdrawal rewrites the store without the old updates', async () => {
		const r = await start();
		const phone = replica(r, 'erasure-local', contractorClaims);
		await phone.whenLoaded;
		await waitFor(synced(phone), 'phone synced');
		const workerId = register(phone.doc);
		await waitForAsync(() => idbHasMarker('erasure-local'), 'marker stored on the phone');
		await waitFor(() => !!stored(r.server, DOC, 'health')[workerId], 'stored at the relay');

		withdrawConsent(phone.doc, 'C1', actor(contractorClaims), workerId, 'health');
		await phone.whenPurged;
		expect(await idbHasMarker('erasure-local')).toBe(false);
		await waitFor(erasureLogged(r), 'relay erased');
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);

		// The rewritten store still holds the rest of the document.
		const reloaded = new Y.Doc();
		for (const v of await idbValues('erasure-local')) Y.applyUpdate(reloaded, v);
		expect(reloaded.getMap('workers').has(workerId)).toBe(true);
		expect(reloaded.getMap('consents').size).toBe(2);
		expect(reloaded.getMap('health').has(workerId)).toBe(false);
	});

	it('a withdrawal arriving from another client through the relay is purged too', async () => {
		const r = await start();
		const laptop = replica(r, 'erasure-remote', staffClaims);
		await laptop.whenLoaded;
		await waitFor(synced(laptop), 'laptop synced');
		const c1 = open(r.server, DOC, token(r.server, contractorClaims));
		await c1.synced();
		const workerId = register(c1.doc);
		await waitForAsync(() => idbHasMarker('erasure-remote'), 'marker stored on the laptop');

		withdrawConsent(c1.doc, 'C1', actor(contractorClaims), workerId, 'health');
		await waitForAsync(async () => !(await idbHasMarker('erasure-remote')), 'laptop purged');
		expect(laptop.doc.getMap('workers').has(workerId)).toBe(true);
		expect(containsMarker(Y.encodeStateAsUpdate(laptop.doc))).toBe(false);
	});

	it('a device offline at the withdrawal purges on reconnecting and cannot bring it back', async () => {
		const r = await start();
		const gate = replica(r, 'erasure-offline', { sub: 'gate1', role: 'gate', sites: ['S1'] });
		await gate.whenLoaded;
		await waitFor(synced(gate), 'gate synced');
		const c1 = open(r.server, DOC, token(r.server, contractorClaims));
		await c1.synced();
		const workerId = register(c1.doc);
		await waitForAsync(() => idbHasMarker('erasure-offline'), 'marker stored on the gate');

		gate.disconnect();
		withdrawConsent(c1.doc, 'C1', actor(contractorClaims), workerId, 'health');
		await waitFor(erasureLogged(r), 'relay erased');
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
		// Out of reach, the gate still holds it: nothing reaches a device that is offline.
		expect(await idbHasMarker('erasure-offline')).toBe(true);

		const logsBefore = r.logs.length;
		gate.reconnect();
		await waitForAsync(async () => !(await idbHasMarker('erasure-offline')), 'gate purged');
		await waitFor(synced(gate), 'gate synced again');
		// Its sync sent the relay nothing it lacked: the content stays gone there.
		expect(r.logs.slice(logsBefore).filter((l) => l.startsWith('refused'))).toEqual([]);
		expect(relayFilesWithMarker(r.dataDir)).toEqual([]);
		expect(r.server.relay.storage.logLength(DOC)).toBe(0);
	});

	it('a store left with erased content (closed before the purge) is purged when opened', async () => {
		// Plain y-indexeddb, as a build without the purge leaves it: the record and its deletion.
		const doc = new Y.Doc();
		const idb = new IndexeddbPersistence('erasure-reopen', doc);
		await idb.whenSynced;
		const workerId = register(doc);
		doc.getMap('health').delete(workerId);
		await waitForAsync(() => idbHasMarker('erasure-reopen'), 'old updates stored');
		await idb.destroy();
		doc.destroy();

		const rep = new Replica(DOC, { storeName: 'erasure-reopen' });
		replicas.push(rep);
		await rep.whenLoaded;
		await rep.whenPurged;
		expect(await idbHasMarker('erasure-reopen')).toBe(false);
		expect(rep.doc.getMap('workers').has(workerId)).toBe(true);
	});
});
