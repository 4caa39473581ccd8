// The device's content-addressed blob store (photos, scans): kept in IndexedDB, uploaded to the
// relay's /blobs/<sha256> when it can be, fetched lazily; plus the blob protocol the relay checks.
import { parseDocName } from '../data/documents';

/* ------------------------------------------------------------------------------------------------
 * The protocol, shared with the relay (sync-server/blobs.ts). Pure: nothing here touches a browser
 * API when imported.
 * --------------------------------------------------------------------------------------------- */

/**
 * Types the relay stores. Anything else (SVG, HTML, …) is refused, on the device and the relay.
 * JSON carries data files such as a site's hard-hat model (vision/ppe-learn.ts); browsers never
 * run it as a page.
 */
export const BLOB_TYPES = [
	'image/jpeg',
	'image/png',
	'image/webp',
	'application/pdf',
	'application/json'
] as const;
export type BlobType = (typeof BLOB_TYPES)[number];

/** A blob's name: its SHA-256 in lowercase hex. */
export const BLOB_HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The relay's default size limit (its `maxBlobBytes`); the device refuses larger blobs early. */
export const DEFAULT_MAX_BLOB_BYTES = 10 * 1024 * 1024;

/** Bytes of a blob's start that `sniffMatches` needs. */
export const SNIFF_BYTES = 1024;

/** `image/JPEG; x=y` → `image/jpeg` when it is one of BLOB_TYPES, else null. */
export function blobType(contentType: string | null | undefined): BlobType | null {
	const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
	return (BLOB_TYPES as readonly string[]).includes(type) ? (type as BlobType) : null;
}

const startsWith = (head: Uint8Array, bytes: readonly number[], at = 0) =>
	head.length >= at + bytes.length && bytes.every((b, i) => head[at + i] === b);

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const PDF_MAGIC = ascii('%PDF-');

/** Whether the first bytes of a blob (up to SNIFF_BYTES) look like its declared type. */
export function sniffMatches(type: BlobType, head: Uint8Array): boolean {
	switch (type) {
		case 'image/jpeg':
			return startsWith(head, [0xff, 0xd8, 0xff]);
		case 'image/png':
			return startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
		case 'image/webp':
			return startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8);
		case 'application/pdf': {
			// PDF readers accept the header anywhere in the first KiB.
			const end = Math.min(head.length, SNIFF_BYTES) - PDF_MAGIC.length;
			for (let i = 0; i <= end; i++) if (startsWith(head, PDF_MAGIC, i)) return true;
			return false;
		}
		case 'application/json': {
			// An object or array after optional whitespace (no HTML, no script can start that way).
			let i = 0;
			while (i < head.length && [0x20, 0x09, 0x0a, 0x0d].includes(head[i]!)) i++;
			return head[i] === 0x7b || head[i] === 0x5b;
		}
	}
}

/** `/blobs/<hash>` (with `?doc=` for PUT and DELETE) under the relay's base URL. */
export function blobUrl(baseUrl: string, hash: string, doc?: string): string {
	const base = baseUrl.replace(/\/+$/, '');
	return `${base}/blobs/${hash}${doc === undefined ? '' : `?doc=${encodeURIComponent(doc)}`}`;
}

/* ------------------------------------------------------------------------------------------------
 * The device's store.
 * --------------------------------------------------------------------------------------------- */

export interface BlobFailure {
	/** HTTP status, or 0 when the relay could not be reached. */
	status: number;
	/** The relay's error code (`HASH_MISMATCH`, `FORBIDDEN_DOC`, …) or `OFFLINE`, `HTTP_<n>`. */
	code: string;
	message: string;
	/** A refusal that will not change by retrying (400/403/404/413/415, …). */
	permanent: boolean;
	at: number;
}

/** One document's reference to a blob, as this device tracks it. */
export interface BlobRef {
	hash: string;
	doc: string;
	type: BlobType;
	size: number;
	/** 'failed' is permanent: flush skips it until `retry` (say after the user fixed the cause). */
	state: 'pending' | 'uploaded' | 'failed';
	uploaded: boolean;
	attempts: number;
	/** Earliest time (ms) flush tries again after a transient failure. */
	nextAttemptAt: number;
	/** The last failure (transient while pending, the refusal when failed); null after success. */
	error: BlobFailure | null;
	createdAt: number;
}

/** A reference removed on this device that the relay has not yet been told about. */
export interface BlobDeletion {
	hash: string;
	doc: string;
	state: 'pending' | 'failed';
	attempts: number;
	nextAttemptAt: number;
	error: BlobFailure | null;
}

interface StoredBytes {
	hash: string;
	type: BlobType;
	size: number;
	/** ArrayBuffer rather than Blob: every IndexedDB (older Safari included) stores it. */
	data: ArrayBuffer;
	/** 'local' were put on this device; 'remote' are copies fetched from the relay. */
	source: 'local' | 'remote';
	at: number;
}

export class BlobError extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly status = 0
	) {
		super(message);
	}
}

export interface BlobStoreOptions {
	/** The relay's origin ('' for the origin that served the app). */
	baseUrl: string;
	token: string;
	/** IndexedDB database (default 'sitepass-blobs'; the app uses one per org). */
	dbName?: string;
	/** Larger blobs are refused by `put` (default: the relay's default, 10 MiB). */
	maxBytes?: number;
	/** Backoff after a transient failure: base × 2^(attempts-1), at most max (default 5 s, 1 h). */
	backoff?: { baseMs?: number; maxMs?: number };
	/** For tests; default globalThis.fetch. */
	fetch?: typeof fetch;
	/** Time source, for tests. */
	now?: () => number;
}

export interface FlushResult {
	uploaded: number;
	deleted: number;
	/** Refused for good in this round. */
	failed: number;
	/** Still waiting (transient failure, not due, or the relay was unreachable). */
	pending: number;
}

const BYTES = 'bytes';
const REFS = 'refs';
const DELETIONS = 'deletions';

function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((done, fail) => {
		req.onsuccess = () => done(req.result);
		req.onerror = () => fail(req.error);
	});
}

function completion(tx: IDBTransaction): Promise<void> {
	return new Promise((done, fail) => {
		tx.oncomplete = () => done();
		tx.onerror = () => fail(tx.error);
		tx.onabort = () => fail(tx.error ?? new Error('transaction aborted'));
	});
}

function openDb(name: string): Promise<IDBDatabase> {
	const req = indexedDB.open(name, 1);
	req.onupgradeneeded = () => {
		const db = req.result;
		db.createObjectStore(BYTES, { keyPath: 'hash' });
		db.createObjectStore(REFS, { keyPath: ['hash', 'doc'] }).createIndex('hash', 'hash');
		db.createObjectStore(DELETIONS, { keyPath: ['hash', 'doc'] });
	};
	return request(req);
}

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
	return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Statuses worth trying again: the relay or the token may be fine later, the request itself is. */
const isTransient = (status: number) =>
	status === 0 ||
	status === 401 ||
	status === 408 ||
	status === 425 ||
	status === 429 ||
	status >= 500;

async function failureOf(res: Response, now: number): Promise<BlobFailure> {
	const json = (await res.json().catch(() => null)) as {
		error?: { code?: unknown; message?: unknown };
	} | null;
	const code = typeof json?.error?.code === 'string' ? json.error.code : `HTTP_${res.status}`;
	const message =
		typeof json?.error?.message === 'string' ? json.error.message : res.statusText || code;
	return { status: res.status, code, message, permanent: !isTransient(res.status), at: now };
}

const offline = (err: unknown, now: number): BlobFailure => ({
	status: 0,
	code: 'OFFLINE',
	message: `relay unreachable: ${err instanceof Error ? err.message : String(err)}`,
	permanent: false,
	at: now
});

/**
 * Blobs on this device. `put` keeps the bytes and a reference locally and tries to upload;
 * `flush` (call it when the network comes back and on an interval) sends every reference and
 * removal the relay has not got, in order, one at a time.
 */
export class BlobStore {
	private readonly baseUrl: string;
	private token: string;
	private readonly dbName: string;
	private readonly maxBytes: number;
	private readonly baseMs: number;
	private readonly maxMs: number;
	private readonly fetch: typeof fetch;
	private readonly now: () => number;
	private db: Promise<IDBDatabase> | null = null;
	private flushing: Promise<FlushResult> | null = null;
	private again: { force: boolean } | null = null;
	private readonly fetching = new Map<string, Promise<Blob | null>>();

	constructor(options: BlobStoreOptions) {
		this.baseUrl = options.baseUrl;
		this.token = options.token;
		this.dbName = options.dbName ?? 'sitepass-blobs';
		this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
		this.baseMs = options.backoff?.baseMs ?? 5000;
		this.maxMs = options.backoff?.maxMs ?? 3600_000;
		this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
		this.now = options.now ?? Date.now;
	}

	/** A new token (after re-enrolment); references waiting on a 401 go out on the next flush. */
	setToken(token: string): void {
		this.token = token;
	}

	/**
	 * Keeps `data` on this device as referenced by `doc` and returns its SHA-256 (what the document
	 * stores). The upload is started, not awaited: offline, the reference waits for `flush`.
	 */
	async put(data: Blob, doc: string): Promise<string> {
		const type = blobType(data.type);
		if (!type) throw new BlobError('UNSUPPORTED_TYPE', `cannot store "${data.type}" files`);
		if (!parseDocName(doc)) throw new BlobError('BAD_DOC', `not a document: ${doc}`);
		if (data.size > this.maxBytes) {
			throw new BlobError('TOO_LARGE', `blobs are at most ${this.maxBytes} bytes`);
		}
		const bytes = await data.arrayBuffer();
		if (!sniffMatches(type, new Uint8Array(bytes, 0, Math.min(bytes.byteLength, SNIFF_BYTES)))) {
			throw new BlobError('TYPE_MISMATCH', `the content is not ${type}`);
		}
		const hash = await sha256Hex(bytes);
		const now = this.now();
		const db = await this.open();
		const tx = db.transaction([BYTES, REFS, DELETIONS], 'readwrite');
		const done = completion(tx);
		const bytesStore = tx.objectStore(BYTES);
		const existing = (await request(bytesStore.get(hash))) as StoredBytes | undefined;
		if (!existing || existing.source !== 'local') {
			bytesStore.put({ hash, type, size: bytes.byteLength, data: bytes, source: 'local', at: now });
		}
		const refs = tx.objectStore(REFS);
		const ref = (await request(refs.get([hash, doc]))) as BlobRef | undefined;
		if (!ref || ref.state === 'failed') {
			// A failed reference put again is the user trying again: a fresh start.
			refs.put(this.newRef(hash, doc, type, bytes.byteLength, now));
		}
		// Put back after a removal the relay has not heard of: the upload alone gets it right.
		tx.objectStore(DELETIONS).delete([hash, doc]);
		await done;
		if (!ref || ref.state !== 'uploaded') this.flush().catch(() => {});
		return hash;
	}

	/**
	 * The blob, from this device or else from the relay (then kept here). null when the relay has
	 * no such blob or will not show it to this token; throws BlobError('OFFLINE' | …) when it
	 * cannot be asked.
	 */
	get(hash: string): Promise<Blob | null> {
		if (!BLOB_HASH_PATTERN.test(hash)) return Promise.resolve(null);
		let pending = this.fetching.get(hash);
		if (!pending) {
			pending = this.load(hash).finally(() => this.fetching.delete(hash));
			this.fetching.set(hash, pending);
		}
		return pending;
	}

	/** References not yet on the relay (pending and failed), oldest first. */
	async pending(): Promise<BlobRef[]> {
		const refs = (await this.readAll(REFS)) as BlobRef[];
		return refs.filter((r) => r.state !== 'uploaded').sort((a, b) => a.createdAt - b.createdAt);
	}

	/** Every reference this device tracks, with its state. */
	async refs(): Promise<BlobRef[]> {
		return (await this.readAll(REFS)) as BlobRef[];
	}

	/** Removals the relay has not confirmed yet. */
	async deletions(): Promise<BlobDeletion[]> {
		return (await this.readAll(DELETIONS)) as BlobDeletion[];
	}

	/** Makes a failed reference or removal pending again (after its cause was fixed). */
	async retry(hash: string, doc: string): Promise<void> {
		const db = await this.open();
		const tx = db.transaction([REFS, DELETIONS], 'readwrite');
		const done = completion(tx);
		for (const name of [REFS, DELETIONS]) {
			const store = tx.objectStore(name);
			const item = (await request(store.get([hash, doc]))) as BlobRef | BlobDeletion | undefined;
			if (item?.state === 'failed') {
				store.put({ ...item, state: 'pending', attempts: 0, nextAttemptAt: 0, error: null });
			}
		}
		await done;
	}

	/**
	 * Drops `doc`'s reference: on this device now (the bytes too when nothing else here refers to
	 * them), on the relay now or at a later flush.
	 */
	async remove(hash: string, doc: string): Promise<void> {
		if (!BLOB_HASH_PATTERN.test(hash)) throw new BlobError('BAD_HASH', `not a blob hash: ${hash}`);
		if (!parseDocName(doc)) throw new BlobError('BAD_DOC', `not a document: ${doc}`);
		const db = await this.open();
		const tx = db.transaction([BYTES, REFS, DELETIONS], 'readwrite');
		const done = completion(tx);
		const refs = tx.objectStore(REFS);
		refs.delete([hash, doc]);
		const others = await request(refs.index('hash').count(hash));
		if (others === 0) tx.objectStore(BYTES).delete(hash);
		const deletion: BlobDeletion = {
			hash,
			doc,
			state: 'pending',
			attempts: 0,
			nextAttemptAt: 0,
			error: null
		};
		tx.objectStore(DELETIONS).put(deletion);
		await done;
		this.flush().catch(() => {});
	}

	/**
	 * Sends what the relay lacks: removals first, then uploads, one request at a time. Items that
	 * failed transiently wait for their backoff unless `force` (use it when the network just came
	 * back); refused ones wait for `retry`. An unreachable relay ends the round. Concurrent calls
	 * share one run (and a call during a run makes it go round once more).
	 */
	flush(options: { force?: boolean } = {}): Promise<FlushResult> {
		const force = options.force ?? false;
		if (this.flushing) {
			this.again = { force: force || (this.again?.force ?? false) };
			return this.flushing;
		}
		const run = async (): Promise<FlushResult> => {
			let result = await this.round(force);
			while (this.again) {
				const next = this.again;
				this.again = null;
				result = await this.round(next.force);
			}
			return result;
		};
		this.flushing = run().finally(() => {
			this.flushing = null;
		});
		return this.flushing;
	}

	/** Waits for a running flush, closes the database. */
	async close(): Promise<void> {
		await this.flushing?.catch(() => {});
		const db = await this.db?.catch(() => null);
		db?.close();
		this.db = null;
	}

	private newRef(hash: string, doc: string, type: BlobType, size: number, now: number): BlobRef {
		return {
			hash,
			doc,
			type,
			size,
			state: 'pending',
			uploaded: false,
			attempts: 0,
			nextAttemptAt: 0,
			error: null,
			createdAt: now
		};
	}

	private open(): Promise<IDBDatabase> {
		this.db ??= openDb(this.dbName);
		return this.db;
	}

	private async readAll(store: string): Promise<unknown[]> {
		const db = await this.open();
		return request(db.transaction(store).objectStore(store).getAll());
	}

	private headers(extra: Record<string, string> = {}): Record<string, string> {
		return { authorization: `Bearer ${this.token}`, ...extra };
	}

	private async load(hash: string): Promise<Blob | null> {
		const db = await this.open();
		const local = (await request(db.transaction(BYTES).objectStore(BYTES).get(hash))) as
			StoredBytes | undefined;
		if (local) return new Blob([local.data], { type: local.type });
		let res: Response;
		try {
			res = await this.fetch(blobUrl(this.baseUrl, hash), { headers: this.headers() });
		} catch (err) {
			throw new BlobError('OFFLINE', offline(err, this.now()).message);
		}
		if (res.status === 404) return null;
		if (!res.ok) {
			const failure = await failureOf(res, this.now());
			throw new BlobError(failure.code, failure.message, failure.status);
		}
		const type = blobType(res.headers.get('content-type'));
		const data = await res.arrayBuffer();
		// Content-addressed: the name proves the bytes, whoever served them.
		if (!type || (await sha256Hex(data)) !== hash) {
			throw new BlobError('HASH_MISMATCH', `the relay sent other bytes for ${hash}`, res.status);
		}
		const tx = db.transaction(BYTES, 'readwrite');
		const done = completion(tx);
		const store = tx.objectStore(BYTES);
		// A local put that raced us wins (it is the one that counts as this device's own copy).
		if (!(await request(store.getKey(hash)))) {
			const copy: StoredBytes = {
				hash,
				type,
				size: data.byteLength,
				data,
				source: 'remote',
				at: this.now()
			};
			store.put(copy);
		}
		await done;
		return new Blob([data], { type });
	}

	private backoff(attempts: number): number {
		const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, attempts - 1));
		// ±20 % so a site's devices do not all come back at the same moment.
		return Math.round(delay * (0.8 + Math.random() * 0.4));
	}

	private async round(force: boolean): Promise<FlushResult> {
		const result: FlushResult = { uploaded: 0, deleted: 0, failed: 0, pending: 0 };
		const due = (item: { state: string; nextAttemptAt: number }) =>
			item.state === 'pending' && (force || item.nextAttemptAt <= this.now());
		let reachable = true;

		for (const item of (await this.deletions()).filter(due)) {
			if (!reachable) break;
			const outcome = await this.send('DELETE', item.hash, item.doc);
			if (outcome === 'ok') result.deleted++;
			else if (outcome.permanent) result.failed++;
			else reachable = !(outcome.status === 0 || outcome.status === 401);
			await this.settle(DELETIONS, item.hash, item.doc, outcome);
		}
		for (const item of (await this.pending()).filter(due)) {
			if (!reachable) break;
			const outcome = await this.send('PUT', item.hash, item.doc, item.type);
			if (outcome === 'ok') result.uploaded++;
			else if (outcome.permanent) result.failed++;
			else reachable = !(outcome.status === 0 || outcome.status === 401);
			await this.settle(REFS, item.hash, item.doc, outcome);
		}
		result.pending =
			(await this.pending()).filter((r) => r.state === 'pending').length +
			(await this.deletions()).filter((d) => d.state === 'pending').length;
		return result;
	}

	private async send(
		method: 'PUT' | 'DELETE',
		hash: string,
		doc: string,
		type?: BlobType
	): Promise<'ok' | BlobFailure> {
		let body: ArrayBuffer | undefined;
		if (method === 'PUT') {
			const db = await this.open();
			const stored = (await request(db.transaction(BYTES).objectStore(BYTES).get(hash))) as
				StoredBytes | undefined;
			if (!stored) {
				const at = this.now();
				return { status: 0, code: 'LOCAL_MISSING', message: 'bytes gone', permanent: true, at };
			}
			body = stored.data;
		}
		try {
			const res = await this.fetch(blobUrl(this.baseUrl, hash, doc), {
				method,
				headers: this.headers(type ? { 'content-type': type } : {}),
				body
			});
			if (res.ok) {
				await res.body?.cancel().catch(() => {});
				return 'ok';
			}
			return await failureOf(res, this.now());
		} catch (err) {
			return offline(err, this.now());
		}
	}

	/** Records an attempt's outcome, unless the item was removed or replaced meanwhile. */
	private async settle(
		storeName: typeof REFS | typeof DELETIONS,
		hash: string,
		doc: string,
		outcome: 'ok' | BlobFailure
	): Promise<void> {
		const db = await this.open();
		const tx = db.transaction(storeName, 'readwrite');
		const done = completion(tx);
		const store = tx.objectStore(storeName);
		const item = (await request(store.get([hash, doc]))) as BlobRef | BlobDeletion | undefined;
		if (item && item.state === 'pending') {
			if (outcome === 'ok') {
				if (storeName === DELETIONS) store.delete([hash, doc]);
				else store.put({ ...item, state: 'uploaded', uploaded: true, error: null });
			} else if (outcome.permanent) {
				store.put({ ...item, state: 'failed', error: outcome });
			} else {
				const attempts = item.attempts + 1;
				const nextAttemptAt = this.now() + this.backoff(attempts);
				store.put({ ...item, attempts, nextAttemptAt, error: outcome });
			}
		}
		await done;
	}
}

/** An object URL for showing a blob (`<img src>`, a PDF in a new tab); call `revoke` when done. */
export function objectUrl(blob: Blob): { url: string; revoke(): void } {
	const url = URL.createObjectURL(blob);
	return { url, revoke: () => URL.revokeObjectURL(url) };
}

/**
 * A photo made small enough to store and sync: the longer edge at most `maxEdge`, re-encoded as
 * JPEG (which also drops EXIF, GPS included). Upright per EXIF orientation; transparency becomes
 * white. Browser only; throws for files the browser cannot decode (PDFs: store those as they are).
 */
export async function compressImage(
	file: Blob,
	{ maxEdge = 1600, quality = 0.8 }: { maxEdge?: number; quality?: number } = {}
): Promise<Blob> {
	const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
	try {
		const scale = Math.min(1, maxEdge / Math.max(bitmap.width, bitmap.height));
		const width = Math.max(1, Math.round(bitmap.width * scale));
		const height = Math.max(1, Math.round(bitmap.height * scale));
		const draw = (ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D) => {
			ctx.fillStyle = '#fff';
			ctx.fillRect(0, 0, width, height);
			ctx.drawImage(bitmap, 0, 0, width, height);
		};
		if (typeof OffscreenCanvas !== 'undefined') {
			const canvas = new OffscreenCanvas(width, height);
			draw(canvas.getContext('2d')!);
			return await canvas.convertToBlob({ type: 'image/jpeg', quality });
		}
		const canvas = document.createElement('canvas');
		canvas.width = width;
		canvas.height = height;
		draw(canvas.getContext('2d')!);
		return await new Promise<Blob>((done, fail) =>
			canvas.toBlob(
				(blob) => (blob ? done(blob) : fail(new Error('could not encode the image'))),
				'image/jpeg',
				quality
			)
		);
	} finally {
		bitmap.close();
	}
}
