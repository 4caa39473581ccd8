// The relay's content-addressed blob store: /blobs/<sha256> PUT/GET/HEAD/DELETE, files under
// DATA/blobs/<2 hex>/<hash>, one SQLite row per (blob, referencing document); access per docAccess.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { docAccess, type Claims } from '../src/lib/data/access';
import { parseDocName } from '../src/lib/data/documents';
import {
	BLOB_HASH_PATTERN,
	BLOB_TYPES,
	blobType,
	DEFAULT_MAX_BLOB_BYTES,
	sniffMatches,
	SNIFF_BYTES,
	type BlobType
} from '../src/lib/sync/blobs';
import { sendJson } from './api';
import type { Relay } from './relay';
import type { Storage } from './storage';

export { DEFAULT_MAX_BLOB_BYTES };

export interface BlobOptions {
	relay: Relay;
	storage: Storage;
	/** The relay's data folder; blobs live in its `blobs/`. */
	dataDir: string;
	/** Largest body accepted (default 10 MiB). */
	maxBytes?: number;
	log: (line: string) => void;
}

export interface BlobRefRow {
	hash: string;
	doc: string;
	type: BlobType;
	size: number;
	at: number;
}

class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string
	) {
		super(message);
	}
}

/** The blob_refs table (created in storage.ts). */
export class BlobIndex {
	constructor(private readonly storage: Storage) {}

	refs(hash: string): BlobRefRow[] {
		return this.storage.db
			.prepare('SELECT hash, doc, type, size, at FROM blob_refs WHERE hash = ? ORDER BY at')
			.all(hash) as BlobRefRow[];
	}

	/** Adds a reference; false when it was already there. */
	add(row: BlobRefRow): boolean {
		const info = this.storage.db
			.prepare(
				'INSERT INTO blob_refs (hash, doc, type, size, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash, doc) DO NOTHING'
			)
			.run(row.hash, row.doc, row.type, row.size, row.at);
		return info.changes > 0;
	}

	/** Removes a reference; how many references the blob has left. */
	remove(hash: string, doc: string): { removed: boolean; left: number } {
		return this.storage.transaction(() => {
			const info = this.storage.db
				.prepare('DELETE FROM blob_refs WHERE hash = ? AND doc = ?')
				.run(hash, doc);
			const { n } = this.storage.db
				.prepare('SELECT count(*) AS n FROM blob_refs WHERE hash = ?')
				.get(hash) as { n: number };
			return { removed: info.changes > 0, left: n };
		});
	}
}

type Received =
	{ ok: true; size: number; hash: string; head: Buffer } | { ok: false; tooLarge: true };

/**
 * Streams the request body into `file`, hashing as it goes. Stops reading at `max` bytes (the rest
 * is never read). Resolves once the file is closed, so the caller may remove it.
 */
function receive(req: IncomingMessage, file: string, max: number): Promise<Received> {
	return new Promise((done, fail) => {
		const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
		const sha = createHash('sha256');
		const head: Buffer[] = [];
		let headSize = 0;
		let size = 0;
		let outcome: { ok: true; value: Received } | { ok: false; error: unknown } | null = null;

		const stop = (result: typeof outcome) => {
			if (outcome) return;
			outcome = result;
			req.off('data', onData);
			req.off('end', onEnd);
			req.off('close', onClose);
			req.off('error', onError);
			if (result?.ok && result.value.ok) out.end();
			else {
				req.pause();
				out.destroy();
			}
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > max) return stop({ ok: true, value: { ok: false, tooLarge: true } });
			sha.update(chunk);
			if (headSize < SNIFF_BYTES) {
				head.push(chunk);
				headSize += chunk.length;
			}
			if (!out.write(chunk)) {
				req.pause();
				out.once('drain', () => {
					if (!outcome) req.resume();
				});
			}
		};
		const onEnd = () =>
			stop({
				ok: true,
				value: { ok: true, size, hash: sha.digest('hex'), head: Buffer.concat(head) }
			});
		const onClose = () => {
			if (!req.complete)
				stop({ ok: false, error: new HttpError(400, 'BODY_INCOMPLETE', 'body cut short') });
		};
		const onError = (error: unknown) => stop({ ok: false, error });

		req.on('data', onData);
		req.on('end', onEnd);
		req.on('close', onClose);
		req.on('error', onError);
		out.on('error', (error) => stop({ ok: false, error }));
		out.on('close', () => {
			if (!outcome) outcome = { ok: false, error: new Error('blob file closed early') };
			if (outcome.ok) done(outcome.value);
			else fail(outcome.error);
		});
	});
}

/** Returns a handler for /blobs and /blobs/*; false for any other path. */
export function createBlobHandler(options: BlobOptions) {
	const { relay, log } = options;
	const maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
	const index = new BlobIndex(options.storage);
	const root = join(options.dataDir, 'blobs');
	const tmp = join(root, 'tmp');
	// Half-written uploads of an earlier run (the data folder's lock means no one else writes here).
	rmSync(tmp, { recursive: true, force: true });
	mkdirSync(tmp, { recursive: true, mode: 0o700 });

	const fileOf = (hash: string) => join(root, hash.slice(0, 2), hash);

	function authenticate(req: IncomingMessage): Claims {
		const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
		const check = relay.verify(match?.[1]);
		if (!check.ok) throw new HttpError(401, check.code, check.message);
		return check.claims;
	}

	function docParam(url: URL): string {
		const doc = url.searchParams.get('doc');
		if (!doc) throw new HttpError(400, 'BAD_DOC', 'name the referencing document: ?doc=<name>');
		if (!parseDocName(doc)) throw new HttpError(400, 'BAD_DOC', 'not a document name');
		return doc;
	}

	function requireWriter(claims: Claims, doc: string): void {
		const access = docAccess(claims, doc, relay.orgView());
		if (!access.write) {
			throw new HttpError(
				403,
				access.read ? 'READ_ONLY' : 'FORBIDDEN_DOC',
				`role ${claims.role} may not write ${doc}`
			);
		}
	}

	async function put(req: IncomingMessage, hash: string, url: URL) {
		const claims = authenticate(req);
		const doc = docParam(url);
		requireWriter(claims, doc);
		const type = blobType(req.headers['content-type']);
		if (!type) {
			throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send one of ${BLOB_TYPES.join(', ')}`);
		}
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > maxBytes) {
			throw new HttpError(413, 'BODY_TOO_LARGE', `blobs are at most ${maxBytes} bytes`);
		}
		const temp = join(tmp, `${hash}.${randomBytes(6).toString('hex')}`);
		let kept = false;
		try {
			const got = await receive(req, temp, maxBytes);
			if (!got.ok)
				throw new HttpError(413, 'BODY_TOO_LARGE', `blobs are at most ${maxBytes} bytes`);
			if (got.hash !== hash) {
				throw new HttpError(400, 'HASH_MISMATCH', 'the SHA-256 of the body is not the one named');
			}
			if (!sniffMatches(type, got.head)) {
				throw new HttpError(415, 'TYPE_MISMATCH', `the body is not ${type}`);
			}
			// Synchronous from here on, so a DELETE cannot slip in between the file and its row.
			const file = fileOf(hash);
			mkdirSync(join(root, hash.slice(0, 2)), { recursive: true, mode: 0o700 });
			renameSync(temp, file);
			kept = true;
			index.add({ hash, doc, type, size: got.size, at: Date.now() });
			log(`blob ${hash} (${type}, ${got.size} bytes) for ${doc} by ${claims.sub}`);
			return { status: 201, body: { ok: true, hash, doc, type, size: got.size } };
		} finally {
			if (!kept) rmSync(temp, { force: true });
		}
	}

	async function get(req: IncomingMessage, res: ServerResponse, hash: string): Promise<void> {
		const claims = authenticate(req);
		const org = relay.orgView();
		const ref = index.refs(hash).find((r) => docAccess(claims, r.doc, org).read);
		const notFound = new HttpError(404, 'NOT_FOUND', 'no such blob');
		if (!ref) throw notFound;
		const file = fileOf(hash);
		const size = await stat(file).then(
			(s) => s.size,
			() => null
		);
		if (size === null) {
			log(`blob ${hash} is referenced but its file is missing`);
			throw notFound;
		}
		const etag = `"${hash}"`;
		const headers = {
			'content-type': ref.type,
			'cache-control': 'private, max-age=31536000, immutable',
			etag
		};
		if (req.headers['if-none-match'] === etag) {
			res.writeHead(304, headers);
			res.end();
			return;
		}
		res.writeHead(200, { ...headers, 'content-length': size });
		if (req.method === 'HEAD') {
			res.end();
			return;
		}
		await new Promise<void>((done) => {
			const stream = createReadStream(file);
			stream.on('error', (err) => {
				log(`blob ${hash}: read failed: ${String(err)}`);
				res.destroy();
				done();
			});
			res.on('close', () => {
				stream.destroy();
				done();
			});
			stream.pipe(res);
		});
	}

	function remove(req: IncomingMessage, hash: string, url: URL) {
		const claims = authenticate(req);
		const doc = docParam(url);
		requireWriter(claims, doc);
		const { removed, left } = index.remove(hash, doc);
		if (left === 0) rmSync(fileOf(hash), { force: true });
		if (removed) log(`blob ${hash} no longer referenced by ${doc} (${claims.sub})`);
		return { status: 200, body: { ok: true, hash, doc, removed } };
	}

	return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
		if (pathname !== '/blobs' && !pathname.startsWith('/blobs/')) return false;
		try {
			const hash = pathname.slice('/blobs/'.length);
			if (!BLOB_HASH_PATTERN.test(hash)) {
				throw new HttpError(
					400,
					'BAD_BLOB_PATH',
					'blobs are named /blobs/<sha256, 64 lowercase hex>'
				);
			}
			const url = new URL(req.url ?? '/', 'http://relay');
			switch (req.method) {
				case 'PUT': {
					const { status, body } = await put(req, hash, url);
					sendJson(res, status, body);
					break;
				}
				case 'GET':
				case 'HEAD':
					await get(req, res, hash);
					break;
				case 'DELETE': {
					const { status, body } = remove(req, hash, url);
					sendJson(res, status, body);
					break;
				}
				default:
					res.setHeader('allow', 'GET, HEAD, PUT, DELETE');
					throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here`);
			}
		} catch (err) {
			if (res.headersSent) {
				res.destroy();
				return true;
			}
			if (!(err instanceof HttpError)) {
				log(`blobs: ${req.method} ${pathname} failed: ${String((err as Error)?.stack ?? err)}`);
				sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
				return true;
			}
			if (err.status === 401) res.setHeader('www-authenticate', 'Bearer');
			// An upload refused before its body was read: close rather than read what is left.
			if (req.method === 'PUT' && !req.complete) res.setHeader('connection', 'close');
			sendJson(res, err.status, { ok: false, error: { code: err.code, message: err.message } });
		}
		return true;
	};
}
