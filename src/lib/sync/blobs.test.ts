// The device's blob store against the real relay in-process (IndexedDB from fake-indexeddb): offline
// puts wait and go out later, other devices fetch lazily, refusals are final, removals reach the relay.
import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot, seedOrg, startRelay, token, type TestRelay } from '../../../sync-server/testing';
import { BlobError, BlobStore, sniffMatches } from './blobs';

let root: ReturnType<typeof makeRoot>;
let port: number;
let relay: TestRelay | null = null;
let url: string;
const tokens = {} as Record<'c1' | 'c2' | 'staffS1', string>;
const stores: BlobStore[] = [];

async function relayUp() {
	relay = await startRelay({ root, port });
	port = relay.server.port;
	url = relay.server.url;
}

async function relayDown() {
	await relay?.server.close();
	relay = null;
}

beforeAll(async () => {
	root = makeRoot();
	port = 0;
	await relayUp();
	seedOrg(relay!.server);
	const s = relay!.server;
	tokens.c1 = token(s, { sub: 'c1-admin', role: 'contractor', contractor: 'C1' });
	tokens.c2 = token(s, { sub: 'c2-admin', role: 'contractor', contractor: 'C2' });
	tokens.staffS1 = token(s, { sub: 'lead-1', role: 'staff', staffRole: 'safety', sites: ['S1'] });
});
afterAll(async () => {
	for (const store of stores) await store.close();
	await relayDown();
});

let dbCount = 0;
/** A device: its own IndexedDB database, and a count of the requests it makes. */
function device(bearer: string) {
	const requests: string[] = [];
	const store = new BlobStore({
		baseUrl: url,
		token: bearer,
		dbName: `sitepass-blobs-test-${++dbCount}`,
		fetch: (input, init) => {
			requests.push(`${init?.method ?? 'GET'} ${String(input).replace(url, '')}`);
			return fetch(input, init);
		}
	});
	stores.push(store);
	return { store, requests };
}

const photo = () =>
	new Blob([Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4096)])], {
		type: 'image/jpeg'
	});
const sha = (bytes: ArrayBuffer) => createHash('sha256').update(Buffer.from(bytes)).digest('hex');
const onRelay = (hash: string) => existsSync(join(root.dataDir, 'blobs', hash.slice(0, 2), hash));
const bytesOf = async (blob: Blob | null) => Buffer.from(await blob!.arrayBuffer());

describe('BlobStore', () => {
	it('keeps a photo put while the relay is down, and uploads it when it is back', async () => {
		const { store } = device(tokens.c1);
		await relayDown();
		const blob = photo();
		const hash = await store.put(blob, 'contractor:C1');
		expect(hash).toBe(sha(await blob.arrayBuffer()));
		await store.flush();
		const [waiting, ...rest] = await store.pending();
		expect(rest).toEqual([]);
		expect(waiting).toMatchObject({
			hash,
			doc: 'contractor:C1',
			type: 'image/jpeg',
			size: blob.size,
			state: 'pending',
			uploaded: false,
			error: { code: 'OFFLINE', permanent: false }
		});
		expect(waiting!.attempts).toBeGreaterThanOrEqual(1);
		expect((await bytesOf(await store.get(hash))).equals(await bytesOf(blob))).toBe(true);

		await relayUp();
		// Backing off: a plain flush leaves it for later; a forced one (network back) sends it.
		expect(await store.flush()).toMatchObject({ uploaded: 0, pending: 1 });
		expect(await store.flush({ force: true })).toMatchObject({ uploaded: 1, pending: 0 });
		expect(await store.pending()).toEqual([]);
		expect(await store.refs()).toMatchObject([{ hash, state: 'uploaded', uploaded: true }]);
		expect(onRelay(hash)).toBe(true);
	});

	it('another device fetches a blob from the relay once, then has it locally', async () => {
		const phone = device(tokens.c1);
		const blob = photo();
		const hash = await phone.store.put(blob, 'contractor:C1');
		expect(await phone.store.flush()).toMatchObject({ pending: 0 });
		expect(phone.requests).toEqual([`PUT /blobs/${hash}?doc=contractor%3AC1`]);

		const laptop = device(tokens.staffS1);
		const [a, b] = await Promise.all([laptop.store.get(hash), laptop.store.get(hash)]);
		expect(a!.type).toBe('image/jpeg');
		expect((await bytesOf(a)).equals(await bytesOf(blob))).toBe(true);
		expect((await bytesOf(b)).equals(await bytesOf(blob))).toBe(true);
		expect((await bytesOf(await laptop.store.get(hash))).equals(await bytesOf(blob))).toBe(true);
		expect(laptop.requests).toEqual([`GET /blobs/${hash}`]);

		// Nothing to see for a device whose role may not read contractor:C1, nor for unknown hashes.
		const other = device(tokens.c2);
		expect(await other.store.get(hash)).toBeNull();
		expect(await other.store.get('0'.repeat(64))).toBeNull();
	});

	it('does not believe a relay that sends other bytes than the hash names', async () => {
		const { store } = device(tokens.c1);
		const hash = await store.put(photo(), 'contractor:C1');
		await store.flush();
		const tampered = new BlobStore({
			baseUrl: url,
			token: tokens.staffS1,
			dbName: `sitepass-blobs-test-${++dbCount}`,
			fetch: async (input, init) => {
				const res = await fetch(input, init);
				return new Response(await photo().arrayBuffer(), { status: 200, headers: res.headers });
			}
		});
		stores.push(tampered);
		await expect(tampered.get(hash)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
		// Nothing was kept: asking again asks the relay again.
		await expect(tampered.get(hash)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
	});

	it('marks a refusal as failed and does not send it again', async () => {
		const { store, requests } = device(tokens.c2);
		const hash = await store.put(photo(), 'contractor:C1');
		await store.flush();
		const [failed] = await store.pending();
		expect(failed).toMatchObject({
			hash,
			state: 'failed',
			uploaded: false,
			error: { status: 403, code: 'FORBIDDEN_DOC', permanent: true }
		});
		expect(requests).toHaveLength(1);
		for (let i = 0; i < 3; i++) {
			expect(await store.flush({ force: true })).toMatchObject({ uploaded: 0, pending: 0 });
		}
		expect(requests).toHaveLength(1);
		// Only an explicit retry sends it again.
		await store.retry(hash, 'contractor:C1');
		await store.flush();
		expect(requests).toHaveLength(2);
		expect(await store.pending()).toMatchObject([{ state: 'failed' }]);
	});

	it('a refused token is transient: the upload waits for a new one', async () => {
		const { store } = device('not.a.token');
		const hash = await store.put(photo(), 'contractor:C1');
		await store.flush();
		expect(await store.pending()).toMatchObject([
			{ hash, state: 'pending', error: { status: 401, code: 'TOKEN_INVALID', permanent: false } }
		]);
		store.setToken(tokens.c1);
		expect(await store.flush({ force: true })).toMatchObject({ uploaded: 1, pending: 0 });
	});

	it('removes locally at once and on the relay, later when it is down', async () => {
		const { store } = device(tokens.c1);
		const hash = await store.put(photo(), 'contractor:C1');
		const kept = await store.put(photo(), 'contractor:C1');
		await store.flush();
		expect(onRelay(hash) && onRelay(kept)).toBe(true);

		await store.remove(hash, 'contractor:C1');
		await store.flush();
		expect(onRelay(hash)).toBe(false);
		expect(await store.deletions()).toEqual([]);
		expect(await store.get(hash)).toBeNull();

		await relayDown();
		await store.remove(kept, 'contractor:C1');
		await store.flush();
		expect(await store.refs()).toEqual([]);
		expect(await store.deletions()).toMatchObject([
			{ hash: kept, state: 'pending', error: { code: 'OFFLINE' } }
		]);
		await expect(store.get(kept)).rejects.toMatchObject({ code: 'OFFLINE' });
		await relayUp();
		expect(await store.flush({ force: true })).toMatchObject({ deleted: 1, pending: 0 });
		expect(onRelay(kept)).toBe(false);
	});

	it('refuses locally what the relay would refuse', async () => {
		const { store, requests } = device(tokens.c1);
		const bad = (blob: Blob, doc = 'contractor:C1') => store.put(blob, doc).catch((e) => e);
		expect(await bad(new Blob(['<svg/>'], { type: 'image/svg+xml' }))).toMatchObject({
			code: 'UNSUPPORTED_TYPE'
		});
		expect(await bad(new Blob(['not a jpeg'], { type: 'image/jpeg' }))).toMatchObject({
			code: 'TYPE_MISMATCH'
		});
		expect(await bad(photo(), '../etc')).toMatchObject({ code: 'BAD_DOC' });
		const huge = new Blob([new Uint8Array([0xff, 0xd8, 0xff]), new Uint8Array(11 * 1024 * 1024)], {
			type: 'image/jpeg'
		});
		const error = await bad(huge);
		expect(error).toBeInstanceOf(BlobError);
		expect(error).toMatchObject({ code: 'TOO_LARGE' });
		expect(requests).toEqual([]);
		expect(await store.refs()).toEqual([]);
	});

	it('recognises the stored types by their first bytes', () => {
		const b = (s: string) => new TextEncoder().encode(s);
		expect(sniffMatches('application/pdf', b('\n\n%PDF-1.4'))).toBe(true);
		expect(sniffMatches('application/pdf', b('<html>'))).toBe(false);
		expect(sniffMatches('image/webp', b('RIFF\0\0\0\0WEBPVP8 '))).toBe(true);
		expect(sniffMatches('image/webp', b('RIFF\0\0\0\0WAVE'))).toBe(false);
		expect(sniffMatches('image/png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false);
		expect(sniffMatches('application/json', b(' \n{"format":1}'))).toBe(true);
		expect(sniffMatches('application/json', b('<script>{}'))).toBe(false);
	});
});
