// The sync relay: the standard y-websocket protocol, one socket per document, with the relay as the
// authority — it checks the token, opens only documents the role may read, and stores (then
// forwards) only the changes authorizeChange allows. Everything else closes the socket with a reason.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
	Awareness,
	applyAwarenessUpdate,
	encodeAwarenessUpdate,
	removeAwarenessStates
} from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import {
	authorizeChange,
	docAccess,
	DOC_MAPS,
	FEDERATED_ORG_REFUSAL,
	type Claims,
	type DocAccess,
	type OrgView
} from '../src/lib/data/access';
import { parseDocName, type DocRef } from '../src/lib/data/documents';
import { erasesContent, erasureMaps } from '../src/lib/data/erasure';
import { isRevoked, orgViewOf, Principal } from '../src/lib/data/org';
import { readRecord } from '../src/lib/data/records';
import { checkRecordValue } from '../src/lib/data/registry';
import { eventTimeRefusal } from '../src/lib/data/events';
import { decisionRefusal } from '../src/lib/data/approvals';
import { StoredVerdicts } from './approvals/verdicts';
import { keyBindings } from '../src/lib/data/signing';
import { consentRefusal } from '../src/lib/data/consent-commands';
import {
	CLOSE,
	formatCloseReason,
	printable,
	type CloseReasonCode
} from '../src/lib/data/relay-protocol';
import type { Storage } from './storage';
import { verifyToken, type RelayKeys, type TokenCheck } from './tokens';
import { collectChanges, hasMissingDependencies } from './validate';

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_QUERY_AWARENESS = 3;
/** An update that contains nothing: what a write-only device gets as "the document". */
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());
/** Updates held back for missing dependencies, per connection, at most. */
const MAX_STASHED_UPDATES = 1000;
/** A reader this far behind on sending is cut off (it reconnects and catches up by state). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
const ORG = 'org';
/** An erasure compaction that failed, or a WAL checkpoint a reader blocks, is retried. */
const ERASE_RETRY_MS = 1000;
const ERASE_RETRIES = 30;

export interface RelayOptions {
	storage: Storage;
	keys: RelayKeys;
	orgId: string;
	log: (line: string) => void;
	/** Largest message accepted; larger ones close the socket with 4413. */
	maxMessageBytes: number;
	/**
	 * Largest message accepted from a federated site relay (role `relay`): its first sync of a busy
	 * month is one step-2 diff of tens of MiB. Default: `maxMessageBytes`.
	 */
	maxRelayMessageBytes?: number;
	/** Fold a document's log into its snapshot once it has more entries than this. */
	compactAfter: number;
	/** How long updates with missing dependencies wait for them before the socket is closed. */
	pendingTimeoutMs: number;
	/** Interval of WebSocket pings; a socket that missed one pong is dropped. */
	pingIntervalMs: number;
	/**
	 * A federated site relay: the claims of its upstream (`relay`) token. Its own devices' org
	 * changes that those claims could not make at headquarters are refused here (HQ would refuse
	 * them forever as uploads).
	 */
	upstreamClaims?: Claims | null;
}

/** rw: reads and writes; r: read-only; w: write-only (sends changes, never receives content). */
type Mode = 'rw' | 'r' | 'w';

function modeOf(access: DocAccess): Mode | null {
	if (access.read) return access.write ? 'rw' : 'r';
	return access.write ? 'w' : null;
}

interface Holder {
	name: string;
	ref: DocRef;
	/** The relay's copy: always exactly what storage holds (refused updates are thrown away). */
	doc: Y.Doc;
	awareness: Awareness;
	conns: Set<Conn>;
	/** Which connection set each awareness client id, so no socket can overwrite another's. */
	owners: Map<number, Conn>;
	compactQueued: boolean;
	/** Kept loaded by the relay's own work (hold) even with no socket open. */
	pins: number;
}

class Conn {
	mode: Mode;
	alive = true;
	detached = false;
	awarenessIds = new Set<number>();
	/** Updates from this socket that wait for content they depend on (never applied meanwhile). */
	stash: Uint8Array[] = [];
	stashBytes = 0;
	stashTimer: NodeJS.Timeout | null = null;
	expiryTimer: NodeJS.Timeout | null = null;
	constructor(
		readonly ws: WebSocket,
		readonly claims: Claims,
		readonly holder: Holder,
		mode: Mode,
		readonly remote: string
	) {
		this.mode = mode;
	}
}

/** Origin of the relay's own writes (enrolment, revocation, org meta). */
const SERVER_ORIGIN = { relay: true };

class ProtocolError extends Error {
	constructor(readonly reason: CloseReasonCode) {
		super(reason);
	}
}

type Parsed =
	| { type: 'step1'; stateVector: Map<number, number>; raw: Uint8Array }
	| { type: 'update'; update: Uint8Array; step2: boolean }
	| { type: 'awareness'; update: Uint8Array }
	| { type: 'query-awareness' };

/** Decodes one client message completely before anything acts on it. */
function parseMessage(bytes: Uint8Array): Parsed {
	const decoder = decoding.createDecoder(bytes);
	const end = <T>(value: T): T => {
		if (decoding.hasContent(decoder)) throw new ProtocolError('MALFORMED');
		return value;
	};
	let type: number;
	try {
		type = decoding.readVarUint(decoder);
	} catch {
		throw new ProtocolError('MALFORMED');
	}
	try {
		switch (type) {
			case MESSAGE_SYNC: {
				const step = decoding.readVarUint(decoder);
				const payload = decoding.readVarUint8Array(decoder);
				if (step === syncProtocol.messageYjsSyncStep1) {
					return end({ type: 'step1', stateVector: Y.decodeStateVector(payload), raw: payload });
				}
				if (step === syncProtocol.messageYjsSyncStep2 || step === syncProtocol.messageYjsUpdate) {
					if (payload.length < 2) throw new ProtocolError('BAD_UPDATE');
					return end({
						type: 'update',
						update: payload,
						step2: step === syncProtocol.messageYjsSyncStep2
					});
				}
				throw new ProtocolError('UNKNOWN_MESSAGE');
			}
			case MESSAGE_AWARENESS:
				return end({ type: 'awareness', update: decoding.readVarUint8Array(decoder) });
			case MESSAGE_QUERY_AWARENESS:
				return end({ type: 'query-awareness' });
		}
	} catch (err) {
		throw err instanceof ProtocolError ? err : new ProtocolError('MALFORMED');
	}
	throw new ProtocolError('UNKNOWN_MESSAGE');
}

/** Checks an awareness update entry by entry and keeps the entries `keep` allows. */
function filterAwarenessUpdate(
	update: Uint8Array,
	keep: (clientId: number) => boolean
): { update: Uint8Array; count: number } {
	const decoder = decoding.createDecoder(update);
	const entries: [number, number, string][] = [];
	try {
		const count = decoding.readVarUint(decoder);
		for (let i = 0; i < count; i++) {
			const clientId = decoding.readVarUint(decoder);
			const clock = decoding.readVarUint(decoder);
			const state = decoding.readVarString(decoder);
			JSON.parse(state);
			if (keep(clientId)) entries.push([clientId, clock, state]);
		}
	} catch {
		throw new ProtocolError('MALFORMED');
	}
	if (decoding.hasContent(decoder)) throw new ProtocolError('MALFORMED');
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, entries.length);
	for (const [clientId, clock, state] of entries) {
		encoding.writeVarUint(encoder, clientId);
		encoding.writeVarUint(encoder, clock);
		encoding.writeVarString(encoder, state);
	}
	return { update: encoding.toUint8Array(encoder), count: entries.length };
}

function message(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, type);
	write(encoder);
	return encoding.toUint8Array(encoder);
}

/** Who signed a decision record (as it says; its signature is checked separately). */
function signerOf(value: unknown): string {
	const signer = (value as { signer?: unknown } | null)?.signer;
	return typeof signer === 'string' ? signer : '';
}

function toBytes(data: RawData): Uint8Array {
	if (Array.isArray(data)) return Buffer.concat(data);
	return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** Why the relay refused an update: the close code and reason a socket would get. */
export interface Refusal {
	close: number;
	reason: CloseReasonCode;
	detail?: string;
}

/** Origin of an update applied by `applyAs` (no socket behind it). */
class Applied {
	constructor(readonly claims: Claims) {}
}

export class Relay {
	private readonly holders = new Map<string, Holder>();
	private readonly wss: WebSocketServer;
	private readonly pingTimer: NodeJS.Timeout;
	private closing = false;
	private readonly commitListeners = new Set<
		(name: string, byRelay: boolean, update: Uint8Array) => void
	>();
	/**
	 * Signature verdicts on signed decisions by hash, shared by the relay's intake, the approval
	 * timers and the integration API, and kept across restarts (approvals/verdicts.ts).
	 */
	readonly verdicts: StoredVerdicts;

	constructor(private readonly opts: RelayOptions) {
		this.verdicts = new StoredVerdicts(opts.storage.db);
		this.wss = new WebSocketServer({
			noServer: true,
			// The largest any role may send; each connection is held to its role's limit (onMessage).
			maxPayload: Math.max(opts.maxMessageBytes, opts.maxRelayMessageBytes ?? 0),
			perMessageDeflate: false
		});
		// The org document stays loaded: every access decision reads it.
		this.open(ORG, { kind: 'org' });
		this.pingTimer = setInterval(() => this.ping(), opts.pingIntervalMs);
		this.pingTimer.unref();
	}

	get storage(): Storage {
		return this.opts.storage;
	}

	/** The largest message a connection with `claims` may send. */
	private messageLimit(claims: Claims): number {
		return claims.role === 'relay'
			? Math.max(this.opts.maxMessageBytes, this.opts.maxRelayMessageBytes ?? 0)
			: this.opts.maxMessageBytes;
	}

	/** The upstream token's claims when this is a federated site relay, else null. */
	get upstreamClaims(): Claims | null {
		return this.opts.upstreamClaims ?? null;
	}

	/** The live org document (read it, never write it directly: use `write`). */
	orgDoc(): Y.Doc {
		return this.holders.get(ORG)!.doc;
	}

	/** Signing keys as the org document binds them now (decisions are checked against them). */
	keys(): ReturnType<typeof keyBindings> {
		return keyBindings(this.orgDoc().getMap('keys'));
	}

	orgView(): OrgView {
		return orgViewOf(this.orgDoc());
	}

	stats(): { docs: number; connections: number } {
		let connections = 0;
		for (const holder of this.holders.values()) connections += holder.conns.size;
		return { docs: this.holders.size, connections };
	}

	/** Token check for sockets and REST: signature, issuer, lifetime, revocation, disabled user. */
	verify(
		token: string | null | undefined
	): TokenCheck | { ok: false; code: 'TOKEN_REVOKED' | 'PRINCIPAL_DISABLED'; message: string } {
		const check = verifyToken(token, this.opts.keys.publicKey, this.opts.orgId);
		if (!check.ok) return check;
		const org = this.orgDoc();
		if (isRevoked(org, check.claims.jti)) {
			return { ok: false, code: 'TOKEN_REVOKED', message: 'token revoked' };
		}
		if (this.isDisabled(check.claims.sub)) {
			return { ok: false, code: 'PRINCIPAL_DISABLED', message: 'user disabled' };
		}
		return check;
	}

	private isDisabled(sub: string): boolean {
		const read = readRecord(Principal, this.orgDoc().getMap('users').get(sub));
		return read.ok && read.record.disabled === true;
	}

	/**
	 * A change made by the relay itself (enrolment, revocation): applied to the live document and
	 * then stored and forwarded exactly like a client's update.
	 */
	write(name: string, change: (doc: Y.Doc) => void): void {
		const ref = parseDocName(name);
		if (!ref) throw new Error(`not a document: ${name}`);
		const holder = this.open(name, ref);
		try {
			const doc = holder.doc;
			let effective = null as Uint8Array | null;
			let erases = false;
			const onUpdate = (update: Uint8Array, origin: unknown) => {
				if (origin === SERVER_ORIGIN) {
					effective = effective ? Y.mergeUpdates([effective, update]) : update;
				}
			};
			const onBeforeObservers = (tr: Y.Transaction) => {
				if (tr.origin === SERVER_ORIGIN) erases ||= erasesContent(tr, erasureMaps(ref.kind));
			};
			doc.on('update', onUpdate);
			doc.on('beforeObserverCalls', onBeforeObservers);
			try {
				doc.transact(() => change(doc), SERVER_ORIGIN);
			} catch (err) {
				this.reload(holder);
				throw err;
			} finally {
				doc.off('update', onUpdate);
				doc.off('beforeObserverCalls', onBeforeObservers);
			}
			if (effective) this.commit(holder, effective, null, erases);
		} finally {
			if (holder.conns.size === 0) this.unload(holder);
		}
	}

	/**
	 * Calls `listener` after every stored change of any document (a client's update or the relay's
	 * own write), with the document's name. Listeners must be quick and must not throw.
	 */
	onCommit(listener: (name: string, byRelay: boolean, update: Uint8Array) => void): () => void {
		this.commitListeners.add(listener);
		return () => this.commitListeners.delete(listener);
	}

	/**
	 * Reads a document without keeping it in memory: the live copy when it is loaded, else a
	 * temporary copy from storage. `read` must not change it (use `write`).
	 */
	read<T>(name: string, read: (doc: Y.Doc) => T): T {
		const live = this.holders.get(name);
		if (live) return read(live.doc);
		const ref = parseDocName(name);
		if (!ref) throw new Error(`not a document: ${name}`);
		const doc = this.storage.loadDoc(name, (d) => {
			for (const map of DOC_MAPS[ref.kind]) d.getMap(map);
		});
		try {
			return read(doc);
		} finally {
			doc.destroy();
		}
	}

	/**
	 * Keeps a document in memory until the returned function is called, so a run of the relay's own
	 * reads and writes (the certificate watch's pass) loads it once and folds it into a snapshot
	 * once at the end, instead of on every write.
	 */
	hold(name: string): () => void {
		const ref = parseDocName(name);
		if (!ref) throw new Error(`not a document: ${name}`);
		const holder = this.open(name, ref);
		holder.pins++;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			holder.pins--;
			if (this.holders.get(name) === holder && holder.conns.size === 0) this.unload(holder);
		};
	}

	/** Names of every stored document. */
	docNames(): string[] {
		return this.storage.docNames();
	}

	/** Folds a document's log into its snapshot now (erasure forces this). */
	compact(name: string): { before: number; after: number } {
		const holder = this.holders.get(name);
		return this.storage.compact(name, holder?.doc);
	}

	/**
	 * Erasure: content deleted from a consent-bound map (src/lib/data/erasure.ts) must not stay in
	 * the update log. Folds the log into a snapshot of `doc` (gc on, so the deleted content is not
	 * in it; the database zeroes freed space, `secure_delete`), then checkpoints the WAL into the
	 * database and truncates it, so neither file keeps the old bytes.
	 */
	private eraseNow(name: string, doc: Y.Doc, attempt = 0): void {
		try {
			const { before } = this.storage.compact(name, doc);
			this.opts.log(`erasure: ${name} compacted (${before} log entries)`);
		} catch (err) {
			this.opts.log(`relay: erasure compaction of ${name} failed: ${String(err)}`);
			if (attempt + 1 < ERASE_RETRIES) {
				setTimeout(() => {
					if (this.closing) return; // closing compacts every loaded document
					const holder = this.holders.get(name);
					// Gone from memory: leaving it compacted the log (else loadDoc finds it again).
					if (holder) this.eraseNow(name, holder.doc, attempt + 1);
					else this.checkpointWal();
				}, ERASE_RETRY_MS).unref();
				return;
			}
		}
		this.checkpointWal();
	}

	/** Copies the WAL into the database and truncates it; retried while a reader blocks it. */
	private checkpointWal(attempt = 0): void {
		// Closing the database checkpoints and removes the WAL anyway.
		if (this.closing) return;
		let busy = true;
		try {
			busy = this.storage.checkpoint().busy;
		} catch (err) {
			this.opts.log(`relay: WAL checkpoint failed: ${String(err)}`);
		}
		if (!busy) return this.opts.log('erasure: WAL checkpointed');
		if (attempt + 1 >= ERASE_RETRIES) {
			return this.opts.log('erasure: WAL checkpoint gave up; the next checkpoint will do it');
		}
		this.opts.log('erasure: WAL checkpoint not done, retrying');
		setTimeout(() => this.checkpointWal(attempt + 1), ERASE_RETRY_MS).unref();
	}

	/** Takes over an HTTP upgrade; every refusal happens after the socket is open, with a reason. */
	handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
		socket.on('error', () => {});
		if (this.closing) {
			socket.destroy();
			return;
		}
		this.wss.handleUpgrade(req, socket, head, (ws) => {
			try {
				this.accept(ws, req);
			} catch (err) {
				this.opts.log(`relay: accepting a socket failed: ${String(err)}`);
				this.closeSocket(ws, CLOSE.INTERNAL, 'INTERNAL');
			}
		});
	}

	private closeSocket(ws: WebSocket, code: number, reason: CloseReasonCode, detail?: string): void {
		try {
			ws.close(code, formatCloseReason(reason, detail));
		} catch {
			ws.terminate();
		}
	}

	private refuseSocket(
		ws: WebSocket,
		req: IncomingMessage,
		code: number,
		reason: CloseReasonCode,
		detail: string,
		who = ''
	): void {
		const parts = ['refused', String(code), reason, printable(detail), who.trim()];
		parts.push(`from=${req.socket.remoteAddress ?? '?'}`);
		this.opts.log(parts.filter(Boolean).join(' '));
		this.closeSocket(ws, code, reason, detail);
	}

	private accept(ws: WebSocket, req: IncomingMessage): void {
		ws.on('error', () => {});
		// ws answers an over-long frame by closing with 1009 before telling us; say 4413 instead.
		const close = ws.close.bind(ws);
		ws.close = (code?: number, data?: string | Buffer) =>
			code === 1009
				? close(CLOSE.TOO_LARGE, formatCloseReason('TOO_LARGE', `max ${this.opts.maxMessageBytes}`))
				: close(code, data);

		let url: URL;
		try {
			url = new URL(req.url ?? '/', 'http://relay');
		} catch {
			return this.refuseSocket(ws, req, CLOSE.NOT_FOUND, 'NOT_A_DOCUMENT', 'bad url');
		}
		if (!url.pathname.startsWith('/sync/')) {
			return this.refuseSocket(ws, req, CLOSE.NOT_FOUND, 'NOT_A_DOCUMENT', 'not /sync/<document>');
		}
		// Browsers cannot set headers on a WebSocket (token in the query); relays send a header.
		const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
		const check = this.verify(bearer ?? url.searchParams.get('token'));
		if (!check.ok) return this.refuseSocket(ws, req, CLOSE.UNAUTHORIZED, check.code, '');
		const claims = check.claims;
		const who = ` sub=${claims.sub} role=${claims.role} jti=${claims.jti}`;
		let name: string;
		try {
			name = decodeURIComponent(url.pathname.slice('/sync/'.length));
		} catch {
			return this.refuseSocket(ws, req, CLOSE.NOT_FOUND, 'NOT_A_DOCUMENT', 'bad encoding', who);
		}
		const ref = parseDocName(name);
		if (!ref) {
			return this.refuseSocket(
				ws,
				req,
				CLOSE.NOT_FOUND,
				'NOT_A_DOCUMENT',
				JSON.stringify(name.slice(0, 60)),
				who
			);
		}
		const mode = modeOf(docAccess(claims, ref, this.orgView()));
		if (!mode) return this.refuseSocket(ws, req, CLOSE.FORBIDDEN, 'FORBIDDEN_DOC', name, who);

		let holder: Holder;
		try {
			holder = this.open(name, ref);
		} catch (err) {
			this.opts.log(`relay: loading ${name} failed: ${String(err)}`);
			return this.refuseSocket(ws, req, CLOSE.INTERNAL, 'INTERNAL', name, who);
		}
		const conn = new Conn(ws, claims, holder, mode, req.socket.remoteAddress ?? '?');
		holder.conns.add(conn);
		ws.on('message', (data, isBinary) => {
			try {
				this.onMessage(conn, data, isBinary);
			} catch (err) {
				this.opts.log(`relay: ${name}: ${String((err as Error)?.stack ?? err)}`);
				this.refuse(conn, CLOSE.INTERNAL, 'INTERNAL');
			}
		});
		ws.on('pong', () => {
			conn.alive = true;
		});
		ws.on('close', () => this.detach(conn));
		this.armExpiry(conn);

		if (mode !== 'w') {
			// Readers get our state vector (so they send what we lack) and who else is here.
			this.send(
				conn,
				message(MESSAGE_SYNC, (e) => syncProtocol.writeSyncStep1(e, holder.doc))
			);
			const present = [...holder.awareness.getStates().keys()];
			if (present.length > 0) {
				const update = encodeAwarenessUpdate(holder.awareness, present);
				this.send(
					conn,
					message(MESSAGE_AWARENESS, (e) => encoding.writeVarUint8Array(e, update))
				);
			}
		}
	}

	private armExpiry(conn: Conn): void {
		const exp = conn.claims.exp;
		if (exp === undefined) return;
		const ms = exp * 1000 - Date.now();
		if (ms <= 0) return this.refuse(conn, CLOSE.UNAUTHORIZED, 'TOKEN_EXPIRED');
		// setTimeout holds at most ~24.8 days; longer lifetimes re-arm.
		conn.expiryTimer = setTimeout(() => this.armExpiry(conn), Math.min(ms, 2 ** 31 - 1));
		conn.expiryTimer.unref();
	}

	private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
		if (conn.detached) return;
		if (!isBinary) return this.refuse(conn, CLOSE.MALFORMED, 'TEXT_FRAME');
		const bytes = toBytes(data);
		const limit = this.messageLimit(conn.claims);
		if (bytes.length > limit) {
			return this.refuse(conn, CLOSE.TOO_LARGE, 'TOO_LARGE', `max ${limit}`);
		}
		let parsed: Parsed;
		try {
			parsed = parseMessage(bytes);
		} catch (err) {
			return this.refuse(conn, CLOSE.MALFORMED, (err as ProtocolError).reason ?? 'MALFORMED');
		}
		const holder = conn.holder;
		switch (parsed.type) {
			case 'step1':
				if (conn.mode === 'w') {
					// A write-only device gets an empty document (so it counts itself synced) and our
					// clocks for its own client ids only (so it sends exactly what we lack of its own).
					const ours = new Map<number, number>();
					for (const client of parsed.stateVector.keys()) {
						ours.set(client, Y.getState(holder.doc.store, client));
					}
					this.send(
						conn,
						message(MESSAGE_SYNC, (e) => {
							encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep2);
							encoding.writeVarUint8Array(e, EMPTY_UPDATE);
						})
					);
					this.send(
						conn,
						message(MESSAGE_SYNC, (e) => {
							encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep1);
							encoding.writeVarUint8Array(e, Y.encodeStateVector(ours));
						})
					);
				} else {
					const diff = Y.encodeStateAsUpdate(holder.doc, parsed.raw);
					this.send(
						conn,
						message(MESSAGE_SYNC, (e) => {
							encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep2);
							encoding.writeVarUint8Array(e, diff);
						})
					);
				}
				return;
			case 'update':
				return this.receiveUpdate(conn, parsed.update, parsed.step2);
			case 'awareness':
				return this.receiveAwareness(conn, parsed.update);
			case 'query-awareness': {
				const ids = conn.mode === 'w' ? [] : [...holder.awareness.getStates().keys()];
				const update = encodeAwarenessUpdate(holder.awareness, ids);
				this.send(
					conn,
					message(MESSAGE_AWARENESS, (e) => encoding.writeVarUint8Array(e, update))
				);
				return;
			}
		}
	}

	private receiveAwareness(conn: Conn, update: Uint8Array): void {
		const holder = conn.holder;
		if (conn.mode === 'w') {
			// Presence of a write-only device is nobody's business; echoing it back keeps the
			// client's 30-second liveness check satisfied, as the shared awareness does for readers.
			filterAwarenessUpdate(update, () => true);
			this.send(
				conn,
				message(MESSAGE_AWARENESS, (e) => encoding.writeVarUint8Array(e, update))
			);
			return;
		}
		const filtered = filterAwarenessUpdate(update, (id) => {
			const owner = holder.owners.get(id);
			return owner === undefined || owner === conn;
		});
		if (filtered.count > 0) applyAwarenessUpdate(holder.awareness, filtered.update, conn);
	}

	private receiveUpdate(conn: Conn, update: Uint8Array, step2: boolean): void {
		if (conn.stash.length > 0) {
			this.stashUpdate(conn, update);
			// The answer to our step 1 carries everything this device has that we lack.
			if (step2 && !conn.detached) this.retryStash(conn);
			return;
		}
		let missing: boolean;
		try {
			missing = hasMissingDependencies(update, conn.holder.doc);
		} catch {
			return this.refuse(conn, CLOSE.MALFORMED, 'BAD_UPDATE');
		}
		if (missing) return this.stashUpdate(conn, update);
		this.applyFrom(conn, update);
	}

	/**
	 * Holds an update whose dependencies have not arrived (e.g. a change made while reconnecting,
	 * sent before the device answered our step 1). It is never applied in part: pending structs in
	 * the live document could later integrate under another socket's transaction and authority.
	 */
	private stashUpdate(conn: Conn, update: Uint8Array): void {
		conn.stash.push(update);
		conn.stashBytes += update.length;
		if (
			conn.stash.length > MAX_STASHED_UPDATES ||
			conn.stashBytes > Math.max(this.messageLimit(conn.claims), 1 << 20)
		) {
			return this.refuse(conn, CLOSE.TRY_AGAIN, 'MISSING_DEPS', 'too many waiting updates');
		}
		if (!conn.stashTimer) {
			conn.stashTimer = setTimeout(() => {
				conn.stashTimer = null;
				if (conn.stash.length > 0) this.refuse(conn, CLOSE.TRY_AGAIN, 'MISSING_DEPS');
			}, this.opts.pendingTimeoutMs);
			conn.stashTimer.unref();
		}
	}

	private retryStash(conn: Conn): void {
		let merged: Uint8Array;
		let missing: boolean;
		try {
			merged = conn.stash.length === 1 ? conn.stash[0]! : Y.mergeUpdates(conn.stash);
			missing = hasMissingDependencies(merged, conn.holder.doc);
		} catch {
			return this.refuse(conn, CLOSE.MALFORMED, 'BAD_UPDATE');
		}
		if (missing) return;
		this.clearStash(conn);
		this.applyFrom(conn, merged);
	}

	private clearStash(conn: Conn): void {
		conn.stash = [];
		conn.stashBytes = 0;
		if (conn.stashTimer) clearTimeout(conn.stashTimer);
		conn.stashTimer = null;
	}

	/**
	 * Applies a device's update to the live document in one transaction, collects the record
	 * changes it made and asks authorizeChange about each. Refused, undecodable or incomplete: the
	 * live document is reloaded from storage (so it never holds the change), nothing is stored or
	 * forwarded, and the socket is closed with the reason. Allowed: only what was new is stored,
	 * then forwarded.
	 */
	private applyFrom(conn: Conn, update: Uint8Array): void {
		const refusal = this.applyChecked(conn.holder, conn.claims, conn.mode, update, conn);
		if (refusal) this.refuse(conn, refusal.close, refusal.reason, refusal.detail);
	}

	/**
	 * Applies an update to a document exactly as if a socket with `claims` had sent it (the same
	 * checks, storage, forwarding to connected readers and commit listeners), without a socket:
	 * offline bundles and tests use it. Returns why it was refused (nothing is kept then), else
	 * null. An update whose dependencies are missing is refused with MISSING_DEPS.
	 */
	applyAs(claims: Claims, name: string, update: Uint8Array): Refusal | null {
		const ref = parseDocName(name);
		if (!ref) return { close: CLOSE.NOT_FOUND, reason: 'NOT_A_DOCUMENT', detail: name };
		const mode = modeOf(docAccess(claims, ref, this.orgView()));
		if (!mode) return { close: CLOSE.FORBIDDEN, reason: 'FORBIDDEN_DOC', detail: name };
		if (this.closing) return { close: CLOSE.GOING_AWAY, reason: 'SHUTTING_DOWN' };
		const holder = this.open(name, ref);
		try {
			let missing: boolean;
			try {
				missing = hasMissingDependencies(update, holder.doc);
			} catch {
				return { close: CLOSE.MALFORMED, reason: 'BAD_UPDATE' };
			}
			if (missing) return { close: CLOSE.TRY_AGAIN, reason: 'MISSING_DEPS', detail: name };
			return this.applyChecked(holder, claims, mode, update, new Applied(claims));
		} finally {
			if (this.holders.get(name) === holder && holder.conns.size === 0) this.unload(holder);
		}
	}

	/**
	 * Applies an update from a trusted upstream relay (federation: the headquarters' copy) as this
	 * relay's own write: no access checks, stored and forwarded like any change. Returns false (and
	 * keeps nothing) when the update is undecodable or lacks content it depends on.
	 */
	applyTrusted(name: string, update: Uint8Array): boolean {
		const ref = parseDocName(name);
		if (!ref) throw new Error(`not a document: ${name}`);
		const holder = this.open(name, ref);
		try {
			const doc = holder.doc;
			const origin = { upstream: true };
			let effective = null as Uint8Array | null;
			let erases = false;
			const onUpdate = (u: Uint8Array, o: unknown) => {
				if (o === origin) effective = effective ? Y.mergeUpdates([effective, u]) : u;
			};
			const onBeforeObservers = (tr: Y.Transaction) => {
				if (tr.origin === origin) erases ||= erasesContent(tr, erasureMaps(ref.kind));
			};
			doc.on('update', onUpdate);
			doc.on('beforeObserverCalls', onBeforeObservers);
			let failed = false;
			try {
				Y.applyUpdate(doc, update, origin);
			} catch {
				failed = true;
			} finally {
				doc.off('update', onUpdate);
				doc.off('beforeObserverCalls', onBeforeObservers);
			}
			if (failed || doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
				this.reload(holder);
				return false;
			}
			if (effective) this.commit(holder, effective, null, erases);
			return true;
		} finally {
			if (this.holders.get(name) === holder && holder.conns.size === 0) this.unload(holder);
		}
	}

	/** The relay's state vector of a document (what it has), for federation's sync step 1. */
	stateVector(name: string): Uint8Array {
		return this.read(name, (doc) => Y.encodeStateVector(doc));
	}

	/** The document as one update, or only what a peer with state vector `sv` lacks. */
	encodeState(name: string, sv?: Uint8Array): Uint8Array {
		return this.read(name, (doc) => Y.encodeStateAsUpdate(doc, sv));
	}

	/**
	 * Applies an update to the live document in one transaction, collects the record changes it
	 * made and asks authorizeChange about each (as `claims`). Refused, undecodable or incomplete:
	 * the live document is reloaded from storage (so it never holds the change), nothing is stored
	 * or forwarded, and the refusal is returned. Allowed: only what was new is stored, then
	 * forwarded.
	 */
	private applyChecked(
		holder: Holder,
		claims: Claims,
		mode: Mode,
		update: Uint8Array,
		origin: Conn | Applied
	): Refusal | null {
		const doc = holder.doc;
		// Assigned inside Yjs callbacks, hence the widened types.
		let refusal = null as Refusal | null;
		let effective = null as Uint8Array | null;
		let erases = false;
		const onBeforeObservers = (tr: Y.Transaction) => {
			if (tr.origin !== origin) return;
			try {
				refusal = this.authorize(holder, claims, tr);
				erases ||= erasesContent(tr, erasureMaps(holder.ref.kind));
			} catch (err) {
				this.opts.log(`relay: checking an update to ${holder.name} failed: ${String(err)}`);
				refusal = { close: CLOSE.INTERNAL, reason: 'INTERNAL' };
			}
		};
		const onUpdate = (u: Uint8Array, o: unknown) => {
			if (o === origin) effective = effective ? Y.mergeUpdates([effective, u]) : u;
		};
		doc.on('beforeObserverCalls', onBeforeObservers);
		doc.on('update', onUpdate);
		let failed = false;
		try {
			Y.applyUpdate(doc, update, origin);
		} catch {
			failed = true;
		} finally {
			doc.off('beforeObserverCalls', onBeforeObservers);
			doc.off('update', onUpdate);
		}
		const pending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
		if (!failed && !refusal && effective && mode === 'r') {
			refusal = { close: CLOSE.FORBIDDEN, reason: 'READ_ONLY', detail: holder.name };
		}
		if (failed || refusal || pending) {
			this.reload(holder);
			return failed
				? { close: CLOSE.MALFORMED, reason: 'BAD_UPDATE' }
				: (refusal ?? { close: CLOSE.TRY_AGAIN, reason: 'MISSING_DEPS' });
		}
		if (effective) {
			// A federated site relay's changes are a relay's writes (its own relay did the stamping,
			// warnings and notices): this relay's listeners treat them as such.
			const byRelay = claims.role === 'relay';
			if (origin instanceof Conn) this.commit(holder, effective, origin, erases, byRelay);
			else this.commit(holder, effective, null, erases, byRelay);
		}
		return null;
	}

	/** The first refusal among the transaction's record changes, or null. */
	private authorize(holder: Holder, claims: Claims, tr: Y.Transaction): Refusal | null {
		const { changes, badPaths } = collectChanges(holder.doc, tr, DOC_MAPS[holder.ref.kind]);
		if (changes.length === 0 && badPaths.length === 0) return null;
		const org = this.orgView();
		const access = docAccess(claims, holder.ref, org);
		if (!access.write) {
			return {
				close: CLOSE.FORBIDDEN,
				reason: access.read ? 'READ_ONLY' : 'FORBIDDEN_DOC',
				detail: holder.name
			};
		}
		for (const change of changes) {
			const refused =
				authorizeChange(claims, holder.ref, change, org) ??
				checkRecordValue(holder.ref.kind, change) ??
				consentRefusal(holder.ref.kind, holder.doc, change) ??
				eventTimeRefusal(holder.ref.kind, change, Date.now()) ??
				(holder.ref.kind === 'control'
					? decisionRefusal(
							// A federated relay forwards decisions others signed: their signature and
							// site are checked all the same.
							claims.role === 'relay' ? { ...claims, sub: signerOf(change.value) } : claims,
							holder.ref.siteId,
							change,
							this.keys(),
							this.verdicts,
							Date.now()
						)
					: null);
			if (refused) {
				return {
					close: CLOSE.FORBIDDEN,
					reason: refused.code,
					detail: refused.map ? `${refused.map}/${refused.key ?? ''}` : holder.name
				};
			}
			const upstream = this.opts.upstreamClaims;
			if (upstream && claims.role !== 'relay' && holder.ref.kind === 'org') {
				// Federated: the org goes up as this relay's write; what HQ would refuse stays out.
				const above = authorizeChange(upstream, holder.ref, change, org);
				if (above)
					return {
						close: CLOSE.FORBIDDEN,
						reason: above.code,
						detail: `${change.map}/${change.key} ${FEDERATED_ORG_REFUSAL}`
					};
			}
		}
		const bad = badPaths[0];
		if (bad) {
			return {
				close: CLOSE.FORBIDDEN,
				reason: 'UNKNOWN_PATH',
				detail: bad.key ? `${bad.map}/${bad.key}` : bad.map
			};
		}
		return null;
	}

	/**
	 * Stores an accepted update (committed on return), then forwards it to the readers. An update
	 * that `erases` consent-bound content is folded into the snapshot at once (eraseNow).
	 */
	private commit(
		holder: Holder,
		update: Uint8Array,
		origin: Conn | null,
		erases = false,
		byRelay = origin === null
	): void {
		try {
			this.storage.append(holder.name, update);
		} catch (err) {
			this.opts.log(`relay: storing an update to ${holder.name} failed: ${String(err)}`);
			this.reload(holder);
			if (origin) return this.refuse(origin, CLOSE.INTERNAL, 'INTERNAL');
			throw err;
		}
		const forward = message(MESSAGE_SYNC, (e) => syncProtocol.writeUpdate(e, update));
		for (const conn of holder.conns) {
			if (conn !== origin && conn.mode !== 'w') this.send(conn, forward);
		}
		if (holder.name === ORG) this.recheckConnections();
		for (const listener of this.commitListeners) {
			try {
				listener(holder.name, byRelay, update);
			} catch (err) {
				this.opts.log(`relay: a commit listener failed: ${String(err)}`);
			}
		}
		if (erases) this.eraseNow(holder.name, holder.doc);
		else if (this.storage.logLength(holder.name) > this.opts.compactAfter)
			this.queueCompaction(holder);
		// New content may be what another socket's held-back updates were waiting for.
		for (const conn of holder.conns) {
			if (conn !== origin && conn.stash.length > 0 && !conn.detached) this.retryStash(conn);
		}
	}

	/** After an org change: revoked tokens, disabled users and changed access take effect at once. */
	private recheckConnections(): void {
		const org = this.orgDoc();
		const view = orgViewOf(org);
		for (const holder of this.holders.values()) {
			for (const conn of [...holder.conns]) {
				if (isRevoked(org, conn.claims.jti)) {
					this.refuse(conn, CLOSE.UNAUTHORIZED, 'TOKEN_REVOKED');
				} else if (this.isDisabled(conn.claims.sub)) {
					this.refuse(conn, CLOSE.UNAUTHORIZED, 'PRINCIPAL_DISABLED');
				} else {
					const mode = modeOf(docAccess(conn.claims, holder.ref, view));
					if (!mode) this.refuse(conn, CLOSE.FORBIDDEN, 'FORBIDDEN_DOC', holder.name);
					else if ((mode === 'w') !== (conn.mode === 'w')) {
						// Reading rights changed: the device must start over in its new mode.
						this.refuse(conn, CLOSE.TRY_AGAIN, 'ACCESS_CHANGED', holder.name);
					} else conn.mode = mode;
				}
			}
		}
	}

	private queueCompaction(holder: Holder): void {
		if (holder.compactQueued) return;
		holder.compactQueued = true;
		setImmediate(() => {
			holder.compactQueued = false;
			if (this.holders.get(holder.name) !== holder) return;
			try {
				this.storage.compact(holder.name, holder.doc);
			} catch (err) {
				this.opts.log(`relay: compacting ${holder.name} failed: ${String(err)}`);
			}
		});
	}

	private loadDoc(name: string, ref: DocRef): Y.Doc {
		// A log that still holds erased content (the relay stopped before eraseNow finished).
		let erased = false;
		const maps = erasureMaps(ref.kind);
		const onTransaction = (tr: Y.Transaction) => {
			erased ||= erasesContent(tr, maps);
		};
		const doc = this.storage.loadDoc(name, (d) => {
			for (const map of DOC_MAPS[ref.kind]) d.getMap(map);
			if (maps.length > 0) d.on('afterTransaction', onTransaction);
		});
		doc.off('afterTransaction', onTransaction);
		if (doc.store.pendingStructs || doc.store.pendingDs) {
			this.opts.log(`relay: stored ${name} has pending structs (incomplete storage?)`);
		}
		if (erased) this.eraseNow(name, doc);
		return doc;
	}

	private open(name: string, ref: DocRef): Holder {
		const existing = this.holders.get(name);
		if (existing) return existing;
		const doc = this.loadDoc(name, ref);
		// Awareness is bound to its own doc so reloading the document leaves presence alone.
		const awareness = new Awareness(new Y.Doc());
		awareness.setLocalState(null);
		const holder: Holder = {
			name,
			ref,
			doc,
			awareness,
			conns: new Set(),
			owners: new Map(),
			compactQueued: false,
			pins: 0
		};
		awareness.on(
			'update',
			(
				{ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
				origin: unknown
			) => {
				const from = origin instanceof Conn ? origin : null;
				for (const id of [...added, ...updated]) {
					if (from) {
						holder.owners.set(id, from);
						from.awarenessIds.add(id);
					}
				}
				for (const id of removed) {
					holder.owners.get(id)?.awarenessIds.delete(id);
					holder.owners.delete(id);
				}
				const changed = [...added, ...updated, ...removed];
				const update = encodeAwarenessUpdate(awareness, changed);
				const msg = message(MESSAGE_AWARENESS, (e) => encoding.writeVarUint8Array(e, update));
				for (const conn of holder.conns) if (conn.mode !== 'w') this.send(conn, msg);
			}
		);
		this.holders.set(name, holder);
		return holder;
	}

	/** Throws the live copy away and loads what storage holds. */
	private reload(holder: Holder): void {
		const old = holder.doc;
		try {
			holder.doc = this.loadDoc(holder.name, holder.ref);
		} catch (err) {
			this.opts.log(`relay: reloading ${holder.name} failed: ${String(err)}`);
			// Without a trustworthy copy nobody may keep using it.
			for (const conn of [...holder.conns]) this.refuse(conn, CLOSE.INTERNAL, 'INTERNAL');
			if (holder.name !== ORG) this.drop(holder);
			throw err;
		}
		old.destroy();
	}

	private unload(holder: Holder): void {
		if (holder.name === ORG || holder.conns.size > 0 || holder.pins > 0 || this.closing) return;
		try {
			if (this.storage.logLength(holder.name) > 0) this.storage.compact(holder.name, holder.doc);
		} catch (err) {
			this.opts.log(`relay: compacting ${holder.name} failed: ${String(err)}`);
		}
		this.drop(holder);
	}

	private drop(holder: Holder): void {
		if (this.holders.get(holder.name) === holder) this.holders.delete(holder.name);
		holder.awareness.destroy();
		holder.doc.destroy();
	}

	private send(conn: Conn, data: Uint8Array): void {
		const ws = conn.ws;
		if (conn.detached || ws.readyState !== WebSocket.OPEN) return;
		// A peer relay's catch-up diff may be one message of many MiB: its backlog may be as large.
		const most =
			MAX_BUFFERED_BYTES + (conn.claims.role === 'relay' ? this.messageLimit(conn.claims) : 0);
		if (ws.bufferedAmount > most) {
			return this.refuse(conn, CLOSE.TRY_AGAIN, 'SLOW_CONSUMER');
		}
		ws.send(data, () => {});
	}

	/** Closes one socket with a code and reason (logged), detaching it from its document first. */
	private refuse(conn: Conn, code: number, reason: CloseReasonCode, detail?: string): void {
		if (conn.detached) return;
		const c = conn.claims;
		this.opts.log(
			`refused ${code} ${reason}${detail ? ' ' + printable(detail) : ''} doc=${conn.holder.name} sub=${c.sub} role=${c.role} jti=${c.jti} from=${conn.remote}`
		);
		this.detach(conn);
		this.closeSocket(conn.ws, code, reason, detail);
	}

	private detach(conn: Conn): void {
		if (conn.detached) return;
		conn.detached = true;
		this.clearStash(conn);
		if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
		const holder = conn.holder;
		holder.conns.delete(conn);
		if (conn.awarenessIds.size > 0) {
			removeAwarenessStates(holder.awareness, [...conn.awarenessIds], null);
		}
		if (holder.conns.size === 0) this.unload(holder);
	}

	private ping(): void {
		for (const holder of this.holders.values()) {
			for (const conn of holder.conns) {
				if (!conn.alive) {
					conn.ws.terminate();
					continue;
				}
				conn.alive = false;
				try {
					conn.ws.ping();
				} catch {
					conn.ws.terminate();
				}
			}
		}
	}

	/** Closes every socket (1001: come back later), stores snapshots of what is loaded. */
	async close(): Promise<void> {
		if (this.closing) return;
		this.closing = true;
		clearInterval(this.pingTimer);
		this.verdicts.close();
		const sockets: WebSocket[] = [];
		for (const holder of this.holders.values()) {
			for (const conn of [...holder.conns]) {
				sockets.push(conn.ws);
				this.detach(conn);
				this.closeSocket(conn.ws, CLOSE.GOING_AWAY, 'SHUTTING_DOWN');
			}
		}
		for (const holder of [...this.holders.values()]) {
			try {
				if (this.storage.logLength(holder.name) > 0) this.storage.compact(holder.name, holder.doc);
			} catch (err) {
				this.opts.log(`relay: compacting ${holder.name} failed: ${String(err)}`);
			}
			this.drop(holder);
		}
		// Give clients a moment to answer the close handshake, then cut what is left.
		await Promise.race([
			Promise.all(
				sockets.map(
					(ws) =>
						new Promise<void>((done) => {
							if (ws.readyState === WebSocket.CLOSED) done();
							else ws.once('close', () => done());
						})
				)
			),
			new Promise((done) => setTimeout(done, 1000).unref())
		]);
		for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
		for (const ws of this.wss.clients) ws.terminate();
		await new Promise<void>((done) => this.wss.close(() => done()));
	}
}
