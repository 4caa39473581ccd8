// Consent withdrawal in real Chromium: health data synced to a contractor's browser is searched for
// in every IndexedDB value of the origin, and in every file of the relay, before and after erasure.
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { Actor } from '../src/lib/data/commands';
import { withdrawConsent } from '../src/lib/data/consent-commands';
import { contractorDoc } from '../src/lib/data/documents';
import { registerWorker } from '../src/lib/data/ledger-commands';
import { roomName, syncEndpoint } from '../src/lib/data/relay-protocol';
import { serve, type RunningServer } from '../sync-server/server';
import { seedSiteAndContractor } from './helpers';

const MARKER = 'ERASE-ME-7f3a花生过敏';
/** Split once anywhere, the marker still leaves one of these whole. */
const NEEDLES = [MARKER, 'ERASE-ME-7f3a', '花生过敏'];
const DOC = contractorDoc('C1');

function relayFilesWithMarker(dir: string): string[] {
	const needles = NEEDLES.map((s) => Buffer.from(s, 'utf8'));
	const hits: string[] = [];
	for (const name of readdirSync(dir)) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) hits.push(...relayFilesWithMarker(path));
		else if (needles.some((n) => readFileSync(path).includes(n))) hits.push(name);
	}
	return hits;
}

interface StoreHits {
	db: string;
	store: string;
	values: number;
	withMarker: number;
}

/** Every value of every object store of every IndexedDB database of the page's origin. */
function browserStores(page: Page): Promise<StoreHits[]> {
	return page.evaluate(async (needleTexts: string[]) => {
		const needles = needleTexts.map((s) => new TextEncoder().encode(s));
		const includes = (hay: Uint8Array, n: Uint8Array) => {
			outer: for (let i = 0; i + n.length <= hay.length; i++) {
				for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
				return true;
			}
			return false;
		};
		const bytesOf = async (v: unknown): Promise<Uint8Array> => {
			if (v instanceof Uint8Array) return v;
			if (v instanceof ArrayBuffer) return new Uint8Array(v);
			if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
			if (v instanceof Blob) return new Uint8Array(await v.arrayBuffer());
			return new TextEncoder().encode(JSON.stringify(v) ?? String(v));
		};
		const request = <T>(req: IDBRequest<T>) =>
			new Promise<T>((done, fail) => {
				req.onsuccess = () => done(req.result);
				req.onerror = () => fail(req.error);
			});
		const out: StoreHits[] = [];
		for (const { name } of await indexedDB.databases()) {
			if (!name) continue;
			const db = await request(indexedDB.open(name));
			for (const store of Array.from(db.objectStoreNames)) {
				const values = await request(db.transaction(store, 'readonly').objectStore(store).getAll());
				let withMarker = 0;
				for (const v of values) {
					const bytes = await bytesOf(v);
					if (needles.some((n) => includes(bytes, n))) withMarker++;
				}
				out.push({ db: name, store, values: values.length, withMarker });
			}
			db.close();
		}
		return out;
	}, NEEDLES);
}

const markerCount = async (page: Page) =>
	(await browserStores(page)).reduce((n, s) => n + s.withMarker, 0);

/** The contractor's office PC: a stock y-websocket client in Node, writing through the relay. */
async function office(relay: RunningServer) {
	const doc = new Y.Doc();
	const provider = new WebsocketProvider(syncEndpoint(relay.url), roomName(DOC), doc, {
		params: {
			token: relay.issueToken({ sub: 'c1-office', role: 'contractor', contractor: 'C1' })
		},
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		disableBc: true
	});
	await new Promise<void>((done) => {
		if (provider.synced) done();
		else provider.once('sync', (s: boolean) => s && done());
	});
	const actor: Actor = {
		claims: {
			iss: relay.orgId,
			sub: 'c1-office',
			role: 'contractor',
			contractor: 'C1',
			jti: 'office',
			iat: 0,
			exp: 0
		},
		org: { contractorSites: (c) => (c === 'C1' ? ['S1'] : undefined) }
	};
	return { doc, provider, actor };
}

test('withdrawing health consent erases the data from the browser IndexedDB and the relay files', async ({
	browser
}) => {
	const dataDir = mkdtempSync(join(tmpdir(), 'sitepass-erasure-e2e-'));
	const logs: string[] = [];
	const relay = await serve({
		host: '127.0.0.1',
		port: 0,
		dataDir,
		staticDir: join(process.cwd(), 'build'),
		log: (line) => logs.push(line)
	});
	seedSiteAndContractor(relay);

	// The contractor admin's phone, synced with the relay.
	const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
	const token = relay.issueToken({ sub: 'c1-admin', role: 'contractor', contractor: 'C1' });
	await context.addInitScript((t) => {
		if (!localStorage.getItem('sitepass.token')) localStorage.setItem('sitepass.token', t);
	}, token);
	const phone = await context.newPage();
	await phone.goto(relay.url + '/ledger');
	await expect(phone.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced');

	// The office registers a worker with health data (consent recorded in the same transaction).
	const pc = await office(relay);
	const worker = registerWorker(
		pc.doc,
		'C1',
		pc.actor,
		{ name: '王建国', docType: 'passport', docNumber: 'E7654321' },
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
	);

	// The control: the phone shows the worker and its IndexedDB holds the health data.
	await expect(phone.getByTestId('ledger-row').filter({ hasText: '王建国' })).toBeVisible({
		timeout: 20_000
	});
	await expect(phone.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced');
	await expect.poll(() => markerCount(phone), { timeout: 20_000 }).toBeGreaterThan(0);
	const dbName = `sitepass:${relay.orgId}:${DOC}`;
	expect((await browserStores(phone)).some((s) => s.db === dbName && s.withMarker > 0)).toBe(true);
	expect(relayFilesWithMarker(dataDir).length).toBeGreaterThan(0);

	// The worker withdraws consent at the office.
	withdrawConsent(pc.doc, 'C1', pc.actor, worker.id, 'health');

	// No value in any IndexedDB database of the phone's origin holds it any more …
	await expect.poll(() => markerCount(phone), { timeout: 20_000 }).toBe(0);
	const after = await browserStores(phone);
	expect(after.find((s) => s.db === dbName && s.store === 'updates')?.values).toBeGreaterThan(0);
	// … nor does any file of the relay, once it has compacted and checkpointed.
	await expect.poll(() => logs.includes('erasure: WAL checkpointed')).toBe(true);
	expect(relayFilesWithMarker(dataDir)).toEqual([]);
	// The worker is still there.
	await phone.reload();
	await expect(phone.getByTestId('ledger-row').filter({ hasText: '王建国' })).toBeVisible();
	expect(await markerCount(phone)).toBe(0);

	pc.provider.destroy();
	pc.doc.destroy();
	await context.close();
	await relay.close();
	expect(relayFilesWithMarker(dataDir)).toEqual([]);
	rmSync(dataDir, { recursive: true, force: true });
});
