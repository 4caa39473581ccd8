// The relay's blob store over HTTP: uploads checked (token, writer of the document, type, size,
// hash), reads only for readers of a referencing document, removal, and hostile paths refused.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrg, startRelay, token, type TestRelay } from './testing';

const MiB = 1024 * 1024;
let relay: TestRelay;
const tokens = {} as Record<'c1' | 'c2' | 'c3' | 'staffS1' | 'staffS2' | 'gateS1' | 'hq', string>;

beforeAll(async () => {
	relay = await startRelay({ maxBlobBytes: MiB });
	seedOrg(relay.server);
	const s = relay.server;
	tokens.c1 = token(s, { sub: 'c1-admin', role: 'contractor', contractor: 'C1' });
	tokens.c2 = token(s, { sub: 'c2-admin', role: 'contractor', contractor: 'C2' });
	tokens.c3 = token(s, { sub: 'c3-admin', role: 'contractor', contractor: 'C3' });
	tokens.staffS1 = token(s, {
		sub: 'lead-1',
		role: 'staff',
		staffRole: 'project_lead',
		sites: ['S1']
	});
	tokens.staffS2 = token(s, {
		sub: 'lead-2',
		role: 'staff',
		staffRole: 'project_lead',
		sites: ['S2']
	});
	tokens.gateS1 = token(s, { sub: 'gate-1', role: 'gate', sites: ['S1'] });
	tokens.hq = token(s, { sub: 'hq-1', role: 'hq' });
});
afterAll(() => relay.server.close());

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const jpeg = (size = 2048) =>
	Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size)]);
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(512)]);
const png = () =>
	Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]);
const fileOf = (hash: string) => join(relay.dataDir, 'blobs', hash.slice(0, 2), hash);
const refRows = (hash: string) =>
	relay.server.relay.storage.db
		.prepare('SELECT doc, type, size FROM blob_refs WHERE hash = ? ORDER BY doc')
		.all(hash);

function put(
	hash: string,
	body: Uint8Array<ArrayBuffer>,
	{ doc = 'contractor:C1', type = 'image/jpeg', bearer = tokens.c1 } = {} as {
		doc?: string | null;
		type?: string | null;
		bearer?: string | null;
	}
) {
	const query = doc === null ? '' : `?doc=${encodeURIComponent(doc)}`;
	return fetch(`${relay.server.url}/blobs/${hash}${query}`, {
		method: 'PUT',
		headers: {
			...(type ? { 'content-type': type } : {}),
			...(bearer ? { authorization: `Bearer ${bearer}` } : {})
		},
		body
	});
}

const get = (hash: string, bearer: string | null, method = 'GET') =>
	fetch(`${relay.server.url}/blobs/${hash}`, {
		method,
		headers: bearer ? { authorization: `Bearer ${bearer}` } : {}
	});

const del = (hash: string, doc: string, bearer: string) =>
	fetch(`${relay.server.url}/blobs/${hash}?doc=${encodeURIComponent(doc)}`, {
		method: 'DELETE',
		headers: { authorization: `Bearer ${bearer}` }
	});

async function errorOf(res: Response) {
	const body = await res.json();
	expect(body.ok).toBe(false);
	return { status: res.status, code: body.error.code as string };
}

/** A request written byte for byte (fetch would normalise the path). */
function raw(path: string): Promise<{ status: number; text: string }> {
	return new Promise((done, fail) => {
		const socket = tcpConnect(relay.server.port, '127.0.0.1', () => {
			socket.write(
				`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.hq}\r\nConnection: close\r\n\r\n`
			);
		});
		let text = '';
		socket.on('data', (d) => (text += d.toString('latin1')));
		socket.on('error', fail);
		socket.on('close', () => done({ status: Number(text.split(' ')[1]), text }));
	});
}

const tmpFiles = () => readdirSync(join(relay.dataDir, 'blobs', 'tmp'));

describe('upload and read', () => {
	it('stores a blob under its hash, on disk and in the index; a reader gets it back', async () => {
		const body = jpeg();
		const hash = sha(body);
		const res = await put(hash, body);
		expect(res.status).toBe(201);
		expect(await res.json()).toEqual({
			ok: true,
			hash,
			doc: 'contractor:C1',
			type: 'image/jpeg',
			size: body.length
		});
		expect(sha(readFileSync(fileOf(hash)))).toBe(hash);
		expect(refRows(hash)).toEqual([
			{ doc: 'contractor:C1', type: 'image/jpeg', size: body.length }
		]);
		expect(tmpFiles()).toEqual([]);

		for (const reader of [tokens.c1, tokens.staffS1, tokens.gateS1, tokens.hq]) {
			const got = await get(hash, reader);
			expect(got.status).toBe(200);
			expect(got.headers.get('content-type')).toBe('image/jpeg');
			expect(got.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
			expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);
		}
		const head = await get(hash, tokens.c1, 'HEAD');
		expect(head.status).toBe(200);
		expect(head.headers.get('content-length')).toBe(String(body.length));
		expect((await head.arrayBuffer()).byteLength).toBe(0);
		const cached = await fetch(`${relay.server.url}/blobs/${hash}`, {
			headers: { authorization: `Bearer ${tokens.c1}`, 'if-none-match': `"${hash}"` }
		});
		expect(cached.status).toBe(304);
	});

	it('is idempotent: the same upload again adds nothing; another document adds a reference', async () => {
		const body = pdf();
		const hash = sha(body);
		const type = 'application/pdf';
		expect((await put(hash, body, { type })).status).toBe(201);
		expect((await put(hash, body, { type })).status).toBe(201);
		expect(refRows(hash)).toHaveLength(1);
		const res = await put(hash, body, { type, doc: 'site:S1:control', bearer: tokens.staffS1 });
		expect(res.status).toBe(201);
		expect(refRows(hash)).toEqual([
			{ doc: 'contractor:C1', type, size: body.length },
			{ doc: 'site:S1:control', type, size: body.length }
		]);
	});

	it('refuses a body whose SHA-256 is not the one named, and keeps nothing of it', async () => {
		const body = jpeg();
		const wrong = sha(Buffer.from('something else'));
		const res = await put(wrong, body);
		expect(await errorOf(res)).toEqual({ status: 400, code: 'HASH_MISMATCH' });
		expect(existsSync(fileOf(wrong))).toBe(false);
		expect(refRows(wrong)).toEqual([]);
		expect(tmpFiles()).toEqual([]);
	});

	it('a reference to a stored blob needs its bytes (knowing the hash is not enough)', async () => {
		const body = jpeg();
		const hash = sha(body);
		expect((await put(hash, body)).status).toBe(201);
		const res = await put(hash, new Uint8Array(0), { doc: 'contractor:C2', bearer: tokens.c2 });
		expect(await errorOf(res)).toEqual({ status: 400, code: 'HASH_MISMATCH' });
		expect((await get(hash, tokens.c2)).status).toBe(404);
	});

	it('refuses types it does not store (415), and bytes that are not the declared type', async () => {
		const body = jpeg();
		const hash = sha(body);
		for (const type of ['text/html', 'image/svg+xml', 'application/octet-stream', null]) {
			expect(await errorOf(await put(hash, body, { type }))).toEqual({
				status: 415,
				code: 'UNSUPPORTED_MEDIA_TYPE'
			});
		}
		const p = png();
		expect(await errorOf(await put(sha(p), p, { type: 'image/jpeg' }))).toEqual({
			status: 415,
			code: 'TYPE_MISMATCH'
		});
		expect((await put(sha(p), p, { type: 'image/png; charset=binary' })).status).toBe(201);
	});
});

describe('size limit (1 MiB here)', () => {
	it('takes a body of exactly the limit', async () => {
		const body = jpeg(MiB - 4);
		expect((await put(sha(body), body)).status).toBe(201);
	});

	it('refuses a declared 5 MiB body at once', async () => {
		const body = jpeg(5 * MiB);
		const res = await put(sha(body), body);
		expect(await errorOf(res)).toEqual({ status: 413, code: 'BODY_TOO_LARGE' });
		expect(existsSync(fileOf(sha(body)))).toBe(false);
	});

	it('stops reading an undeclared (chunked) body at the limit', async () => {
		// 64 KiB every 5 ms: the whole 5 MiB would take ~400 ms; the relay answers after ~1 MiB.
		const total = 5 * MiB;
		const chunk = jpeg(64 * 1024 - 4);
		let sent = 0;
		let timer: NodeJS.Timeout | undefined;
		const source = new Readable({
			read() {
				if (sent >= total) return this.push(null);
				timer = setTimeout(() => {
					sent += chunk.length;
					this.push(chunk);
				}, 5);
			}
		});
		const hash = sha(Buffer.from('unused'));
		const status = await new Promise<number>((done, fail) => {
			const req = request(
				`${relay.server.url}/blobs/${hash}?doc=contractor:C1`,
				{
					method: 'PUT',
					headers: { authorization: `Bearer ${tokens.c1}`, 'content-type': 'image/jpeg' }
				},
				(res) => {
					res.resume();
					done(res.statusCode!);
				}
			);
			req.on('error', fail);
			source.pipe(req);
		});
		clearTimeout(timer);
		source.destroy();
		expect(status).toBe(413);
		expect(sent).toBeLessThan(total / 2);
		await new Promise((r) => setTimeout(r, 50));
		expect(tmpFiles()).toEqual([]);
		expect((await fetch(`${relay.server.url}/healthz`)).status).toBe(200);
	});
});

describe('who may', () => {
	it('upload: a token (401), a writer of the named document (403), a real document (400)', async () => {
		const body = jpeg();
		const hash = sha(body);
		expect(await errorOf(await put(hash, body, { bearer: null }))).toMatchObject({ status: 401 });
		expect(await errorOf(await put(hash, body, { bearer: 'not.a.token' }))).toMatchObject({
			status: 401
		});
		expect(await errorOf(await put(hash, body, { bearer: tokens.c2 }))).toEqual({
			status: 403,
			code: 'FORBIDDEN_DOC'
		});
		for (const bearer of [tokens.gateS1, tokens.hq]) {
			expect(await errorOf(await put(hash, body, { bearer }))).toEqual({
				status: 403,
				code: 'READ_ONLY'
			});
		}
		for (const doc of [null, '../../sitepass.db', 'contractor:C1/../x', 'nonsense']) {
			expect(await errorOf(await put(hash, body, { doc }))).toEqual({
				status: 400,
				code: 'BAD_DOC'
			});
		}
		expect(existsSync(fileOf(hash))).toBe(false);
	});

	it('read: only readers of a referencing document; others get the same 404 as for nothing', async () => {
		const body = jpeg();
		const hash = sha(body);
		expect((await put(hash, body)).status).toBe(201);
		expect((await get(hash, tokens.c1)).status).toBe(200);
		expect((await get(hash, tokens.staffS1)).status).toBe(200);
		const absent = sha(Buffer.from('never uploaded'));
		const none = await errorOf(await get(absent, tokens.c2));
		expect(none).toEqual({ status: 404, code: 'NOT_FOUND' });
		for (const other of [tokens.c2, tokens.c3, tokens.staffS2]) {
			expect(await errorOf(await get(hash, other))).toEqual(none);
		}
		expect((await get(hash, tokens.c2, 'HEAD')).status).toBe(404);
		expect(await errorOf(await get(hash, null))).toMatchObject({ status: 401 });
	});
});

describe('hostile paths', () => {
	it('refuses anything under /blobs/ that is not one lowercase SHA-256', async () => {
		const hash = sha(Buffer.from('x'));
		for (const path of [
			'/blobs/',
			'/blobs',
			`/blobs/${hash.toUpperCase()}`,
			`/blobs/${hash.slice(1)}`,
			`/blobs/${hash}0`,
			`/blobs/${hash}/x`,
			`/blobs/${hash}%00`,
			'/blobs/..%2F..%2Fsitepass.db',
			'/blobs/..%2f..%2fkeys%2frelay-ed25519.key.pem',
			`/blobs/ab/..%2F${hash}`,
			'/blobs/tmp'
		]) {
			const res = await raw(path);
			expect([path, res.status]).toEqual([path, 400]);
			expect(res.text).toContain('BAD_BLOB_PATH');
		}
	});

	it('dot segments never reach the data folder', async () => {
		for (const path of [
			'/blobs/../sitepass.db',
			'/blobs/%2e%2e/sitepass.db',
			'/blobs/../../etc/passwd',
			'/blobs/../keys/relay-ed25519.key.pem'
		]) {
			const res = await raw(path);
			expect(res.text).not.toContain('SQLite format');
			expect(res.text).not.toContain('PRIVATE KEY');
			expect(res.text).not.toContain('root:');
		}
	});

	it('answers other methods with 405', async () => {
		const hash = sha(Buffer.from('x'));
		const res = await fetch(`${relay.server.url}/blobs/${hash}`, { method: 'POST' });
		expect(await errorOf(res)).toEqual({ status: 405, code: 'METHOD_NOT_ALLOWED' });
	});
});

describe('removal', () => {
	it('drops one reference; the file goes with the last one', async () => {
		const body = jpeg();
		const hash = sha(body);
		expect((await put(hash, body)).status).toBe(201);
		expect((await put(hash, body, { doc: 'contractor:C2', bearer: tokens.c2 })).status).toBe(201);

		expect(await errorOf(await del(hash, 'contractor:C1', tokens.c2))).toEqual({
			status: 403,
			code: 'FORBIDDEN_DOC'
		});
		const first = await del(hash, 'contractor:C1', tokens.c1);
		expect(first.status).toBe(200);
		expect(await first.json()).toMatchObject({ ok: true, removed: true });
		expect(refRows(hash)).toEqual([
			{ doc: 'contractor:C2', type: 'image/jpeg', size: body.length }
		]);
		expect(existsSync(fileOf(hash))).toBe(true);
		expect((await get(hash, tokens.c1)).status).toBe(404);
		expect((await get(hash, tokens.c2)).status).toBe(200);

		expect((await del(hash, 'contractor:C2', tokens.c2)).status).toBe(200);
		expect(refRows(hash)).toEqual([]);
		expect(existsSync(fileOf(hash))).toBe(false);
		expect((await get(hash, tokens.hq)).status).toBe(404);

		const again = await del(hash, 'contractor:C2', tokens.c2);
		expect(again.status).toBe(200);
		expect(await again.json()).toMatchObject({ ok: true, removed: false });
	});
});
