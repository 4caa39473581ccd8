// Federation, the site relay's side: every document the site relay's `relay` token may read at
// headquarters is kept in step with HQ's copy over one socket per document, speaking the relay's
// own y-websocket protocol as a client. On each (re)connect both sides send sync step 1 (their
// state vector) and answer the other's with step 2 (only what the other lacks), so after an outage
// only the missing diff crosses. Each local commit is then forwarded as it is stored; what HQ sends
// is applied here as this relay's own trusted write (and not echoed back). A link that drops
// reconnects with backoff; nothing is kept in memory meanwhile, the local store is the queue.
//
// A document HQ refuses (a final 44xx close: a record it cannot take, the token) is `blocked`:
// the same diff would be refused again, so it is retried at the longest backoff only, shown in
// /api/federation/status and counted in /healthz, and logged once. The gap: nothing is quarantined
// — the whole document stays out of HQ (also its later, acceptable changes) until HQ takes the
// diff (a new build there, an org change) or the record is fixed at the site.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import { docAccess, type Claims } from '../../src/lib/data/access';
import { parseClaims } from '../../src/lib/data/claims';
import { parseDocName } from '../../src/lib/data/documents';
import { CLOSE } from '../../src/lib/data/relay-protocol';
import type { Relay } from '../relay';

const MESSAGE_SYNC = 0;
/** HQ's catch-up diff after a long outage is one message: as large as HQ takes from a site. */
export const UPSTREAM_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Where HQ is: its sync endpoint (`…/sync`) and the HTTP base of its API. */
export interface UpstreamTarget {
	syncUrl: string;
	httpBase: string;
}

/**
 * `wss://hq.example/sync` (or `https://hq.example`, or either without `/sync`) → the sync endpoint
 * and the API base; null when it is not a ws(s) or http(s) URL.
 */
export function parseUpstreamUrl(text: string): UpstreamTarget | null {
	let url: URL;
	try {
		url = new URL(text.trim());
	} catch {
		return null;
	}
	const scheme = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' }[url.protocol];
	if (!scheme || !url.host || url.search || url.hash || url.username) return null;
	const path = url.pathname.replace(/\/+$/, '').replace(/\/sync$/, '');
	const host = `${url.host}${path}`;
	return {
		syncUrl: `${scheme}//${host}/sync`,
		httpBase: `${scheme === 'wss:' ? 'https:' : 'http:'}//${host}`
	};
}

/** Whether `host` (URL host, maybe `[::1]:port`) is this machine. */
function isLoopback(host: string): boolean {
	const name = host
		.replace(/:\d+$/, '')
		.replace(/^\[|\]$/g, '')
		.toLowerCase();
	return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Why a plain `ws://` upstream is refused: the relay token (a year's bearer secret) and every
 * document would cross the network readable and changeable. Null for `wss://`, for this machine,
 * and when the operator insists (`--insecure-upstream`).
 */
export function insecureUpstreamProblem(target: UpstreamTarget, insecure = false): string | null {
	if (insecure || target.syncUrl.startsWith('wss:')) return null;
	if (isLoopback(new URL(target.syncUrl).host)) return null;
	return `--upstream ${target.syncUrl} 没有加密（ws:// 或 http://）：中继令牌和全部数据会明文经过网络。请用 wss:// 或 https:// 的总部地址；确需在受控内网明文连接时加 --insecure-upstream / an unencrypted upstream sends the relay token and every document in the clear; use wss:// (or pass --insecure-upstream)`;
}

/**
 * The claims an upstream token carries. The site relay cannot check HQ's signature (it does not
 * hold HQ's key; HQ checks it on every connection), only that it is a well-formed, unexpired
 * `relay` token naming at least one site.
 */
export function upstreamClaims(
	token: string,
	nowSeconds = Math.floor(Date.now() / 1000)
): { ok: true; claims: Claims } | { ok: false; message: string } {
	const part = token.trim().split('.')[1];
	let raw: unknown;
	try {
		raw = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
	} catch {
		return { ok: false, message: '上级令牌不是有效的令牌（应为 sitepass token 打印的一整行）' };
	}
	const parsed = parseClaims(raw);
	if (!parsed.ok)
		return { ok: false, message: `上级令牌内容不完整：${parsed.problems.join('; ')}` };
	const claims = parsed.value;
	if (claims.role !== 'relay')
		return {
			ok: false,
			message: `上级令牌的角色是 ${claims.role}，需要总部用 "sitepass token --role relay --site <工地>" 签发的中继令牌`
		};
	if (claims.exp <= nowSeconds)
		return { ok: false, message: '上级令牌已过期，请总部重新签发（sitepass token --role relay）' };
	return { ok: true, claims };
}

/** One document's link, as `/api/federation/status` shows it. */
export interface LinkStatus {
	doc: string;
	connected: boolean;
	/** Both sides answered each other's step 1 on the current connection. */
	synced: boolean;
	lastSyncedAt: string | null;
	bytesSent: number;
	bytesReceived: number;
	/** Bytes sent on the current (or last) connection: what a resume cost. */
	bytesSentThisConnection: number;
	connects: number;
	lastError: string | null;
	/**
	 * HQ refused this document's content (or the token) with a final close: the same diff would be
	 * refused again, so the document does not reach HQ until something changes there (a new build,
	 * an org change). Retried at the longest backoff only; cleared once HQ takes our step 2.
	 */
	blocked: string | null;
	blockedSince: string | null;
}

export interface UpstreamOptions {
	relay: Relay;
	/** The `--upstream` URL. */
	url: string;
	token: string;
	log: (line: string) => void;
	/** First reconnect delay (default 1 s), doubled up to `maxBackoffMs` (default 60 s). */
	minBackoffMs?: number;
	maxBackoffMs?: number;
	/** How often HQ is asked which documents the token reads (default 60 s). */
	listEveryMs?: number;
	/** A link whose HQ missed one ping in this period is cut and reconnected (default 30 s). */
	pingIntervalMs?: number;
	/** An upgrade HQ has not answered in this time is abandoned and retried (default 15 s). */
	handshakeTimeoutMs?: number;
	/** Accept a plain ws:// upstream on another machine (`--insecure-upstream`). */
	insecure?: boolean;
}

function syncMessage(write: (e: encoding.Encoder) => void): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, MESSAGE_SYNC);
	write(e);
	return encoding.toUint8Array(e);
}

class Link {
	ws: WebSocket | null = null;
	/** We answered HQ's step 1: from now on local commits go up as they happen. */
	answered = false;
	/** HQ answered our step 1. */
	caughtUp = false;
	backoff: number;
	timer: NodeJS.Timeout | null = null;
	/** HQ answered the last ping (a link through a dead network is noticed, not trusted). */
	alive = true;
	/** Our step 2 went out on this connection; a pong after it means HQ took it. */
	probing = false;
	readonly status: LinkStatus;

	constructor(
		readonly name: string,
		private readonly up: Upstream
	) {
		this.backoff = up.minBackoff;
		this.status = {
			doc: name,
			connected: false,
			synced: false,
			lastSyncedAt: null,
			bytesSent: 0,
			bytesReceived: 0,
			bytesSentThisConnection: 0,
			connects: 0,
			lastError: null,
			blocked: null,
			blockedSince: null
		};
	}

	connect(): void {
		if (this.up.stopped || this.ws) return;
		// The token goes in a header, not the URL (proxies log URLs).
		const url = `${this.up.target.syncUrl}/${encodeURIComponent(this.name)}`;
		const ws = new WebSocket(url, {
			headers: { authorization: `Bearer ${this.up.token}` },
			perMessageDeflate: false,
			maxPayload: UPSTREAM_MAX_MESSAGE_BYTES,
			// A stalled upgrade (a proxy that accepts and never answers) must not hang the link.
			handshakeTimeout: this.up.handshakeTimeout
		});
		ws.binaryType = 'nodebuffer';
		this.ws = ws;
		this.answered = false;
		this.caughtUp = false;
		this.status.bytesSentThisConnection = 0;
		ws.on('open', () => {
			this.alive = true;
			this.status.connected = true;
			this.status.connects++;
			this.up.log(`federation: ${this.name} connected to ${this.up.target.syncUrl}`);
			// Our state vector: HQ answers with exactly what we lack.
			this.send(
				syncMessage((e) => {
					encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep1);
					encoding.writeVarUint8Array(e, this.up.relay.stateVector(this.name));
				})
			);
		});
		ws.on('message', (data: Buffer) => {
			const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
			this.status.bytesReceived += bytes.length;
			try {
				this.receive(bytes);
			} catch (err) {
				this.up.log(`federation: ${this.name}: ${String((err as Error)?.message ?? err)}`);
				ws.close(CLOSE.INTERNAL);
			}
		});
		ws.on('pong', () => {
			this.alive = true;
			// HQ handles a socket's frames in order: a pong after our step 2 means it was stored.
			if (this.probing && this.ws === ws) {
				this.probing = false;
				if (this.status.blocked) {
					this.up.log(`federation: ${this.name} is accepted by upstream again`);
					this.status.blocked = null;
					this.status.blockedSince = null;
				}
			}
		});
		ws.on('error', (err) => {
			this.status.lastError = String(err.message || err);
		});
		ws.on('close', (code: number, reason: Buffer) => this.closed(ws, code, reason.toString()));
	}

	private receive(bytes: Uint8Array): void {
		const decoder = decoding.createDecoder(bytes);
		if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return; // presence is not federated
		const step = decoding.readVarUint(decoder);
		const payload = decoding.readVarUint8Array(decoder);
		if (step === syncProtocol.messageYjsSyncStep1) {
			// HQ's state vector: send only what it lacks, then forward commits as they happen.
			const diff = this.up.relay.encodeState(this.name, payload);
			this.send(
				syncMessage((e) => {
					encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep2);
					encoding.writeVarUint8Array(e, diff);
				})
			);
			this.answered = true;
			this.markSynced();
			if (this.status.blocked) {
				this.probing = true;
				this.ws?.ping();
			}
			return;
		}
		if (step === syncProtocol.messageYjsSyncStep2 || step === syncProtocol.messageYjsUpdate) {
			if (!this.up.applyFromUpstream(this.name, payload)) {
				throw new Error('an update from upstream could not be applied; resyncing');
			}
			if (step === syncProtocol.messageYjsSyncStep2) this.caughtUp = true;
			this.markSynced();
		}
	}

	/** Called by the upstream's timer: cuts a link whose HQ did not answer the last ping. */
	heartbeat(): void {
		const ws = this.ws;
		if (!ws || ws.readyState !== WebSocket.OPEN) return;
		if (!this.alive) {
			this.status.lastError = 'upstream did not answer a ping';
			ws.terminate();
			return;
		}
		this.alive = false;
		ws.ping();
	}

	private markSynced(): void {
		this.status.synced = this.answered && this.caughtUp;
		if (this.status.synced) this.status.lastSyncedAt = new Date().toISOString();
	}

	/** A local commit: forwarded at once when the link is up (else the next step 1 carries it). */
	forward(update: Uint8Array): void {
		if (!this.answered) return;
		this.send(syncMessage((e) => syncProtocol.writeUpdate(e, update)));
		this.markSynced();
	}

	private send(bytes: Uint8Array): void {
		const ws = this.ws;
		if (!ws || ws.readyState !== WebSocket.OPEN) return;
		this.status.bytesSent += bytes.length;
		this.status.bytesSentThisConnection += bytes.length;
		ws.send(bytes, (err) => {
			if (err) this.status.lastError = String(err.message);
		});
	}

	private closed(ws: WebSocket, code: number, reason: string): void {
		if (this.ws !== ws) return;
		this.ws = null;
		const wasConnected = this.status.connected;
		this.status.connected = false;
		this.status.synced = false;
		this.answered = false;
		this.probing = false;
		const final = code >= 4400 && code < 4500;
		if (final) {
			// HQ refused something (a change, the token, the document): the same diff would be
			// refused again. Blocked (status, /healthz), said loudly once, retried rarely.
			this.status.lastError = `refused ${code} ${reason}`;
			if (this.status.blocked !== `${code} ${reason}`) {
				this.up.log(
					`federation: BLOCKED ${this.name}: upstream refused it (${code} ${reason}); it does not reach headquarters until that is fixed there (retrying every ${Math.round(this.up.maxBackoff / 1000)} s)`
				);
				this.status.blockedSince ??= new Date().toISOString();
			}
			this.status.blocked = `${code} ${reason}`;
		} else if (wasConnected) {
			this.up.log(`federation: ${this.name} disconnected (${code}${reason ? ' ' + reason : ''})`);
		}
		if (this.up.stopped || this.up.suspended) return;
		if (wasConnected && code < 4400) this.backoff = this.up.minBackoff;
		if (final) this.backoff = this.up.maxBackoff;
		const delay = this.backoff;
		this.backoff = Math.min(this.backoff * 2, this.up.maxBackoff);
		this.timer = setTimeout(() => {
			this.timer = null;
			this.connect();
		}, delay);
		this.timer.unref();
	}

	stop(): Promise<void> {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		const ws = this.ws;
		if (!ws) return Promise.resolve();
		return new Promise((done) => {
			const timer = setTimeout(() => {
				ws.terminate();
				done();
			}, 1000);
			ws.once('close', () => {
				clearTimeout(timer);
				done();
			});
			if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
			else ws.close(1000);
		});
	}
}

/** The site relay's federation with its upstream (HQ) relay. */
export class Upstream {
	readonly target: UpstreamTarget;
	readonly claims: Claims;
	readonly token: string;
	readonly relay: Relay;
	readonly minBackoff: number;
	readonly maxBackoff: number;
	readonly handshakeTimeout: number;
	stopped = false;
	suspended = false;
	private readonly links = new Map<string, Link>();
	/** The document whose upstream update is being applied (its commit is not sent back). */
	private applying: string | null = null;
	private readonly unlisten: () => void;
	private listTimer: NodeJS.Timeout | null = null;
	private readonly pingTimer: NodeJS.Timeout;
	private rescanQueued = false;
	private listQueued = false;
	private lastListError: string | null = null;

	constructor(private readonly opts: UpstreamOptions) {
		const target = parseUpstreamUrl(opts.url);
		if (!target) throw new Error(`--upstream ${opts.url} is not a ws(s):// or http(s):// URL`);
		const insecure = insecureUpstreamProblem(target, opts.insecure);
		if (insecure) throw new Error(insecure);
		const claims = upstreamClaims(opts.token);
		if (!claims.ok) throw new Error(claims.message);
		this.target = target;
		this.claims = claims.claims;
		this.token = opts.token.trim();
		this.relay = opts.relay;
		this.minBackoff = opts.minBackoffMs ?? 1000;
		this.maxBackoff = Math.max(this.minBackoff, opts.maxBackoffMs ?? 60_000);
		this.handshakeTimeout = opts.handshakeTimeoutMs ?? 15_000;
		this.unlisten = this.relay.onCommit((name, _byRelay, update) => {
			if (this.stopped) return;
			// Access follows the org: a new contractor at our site brings its document along (from
			// here, or from HQ when it was made there).
			if (name === 'org') this.queueRescan(name === this.applying);
			if (name === this.applying) return;
			const link = this.links.get(name);
			if (link) link.forward(update);
			else if (this.readable(name)) this.link(name);
		});
		this.pingTimer = setInterval(() => {
			for (const link of this.links.values()) link.heartbeat();
		}, opts.pingIntervalMs ?? 30_000);
		this.pingTimer.unref();
	}

	log(line: string): void {
		this.opts.log(line);
	}

	/** Links the org first (access decisions at HQ read it), then everything else. */
	async start(): Promise<void> {
		this.log(
			`federation: upstream ${this.target.syncUrl} as ${this.claims.sub} for sites ${(this.claims.sites ?? []).join(', ')}`
		);
		this.link('org');
		await this.waitForOrg(5000);
		if (this.stopped) return;
		this.rescanLocal();
		await this.listUpstream();
		if (this.stopped) return;
		const every = this.opts.listEveryMs ?? 60_000;
		this.listTimer = setInterval(() => void this.listUpstream(), every);
		this.listTimer.unref();
	}

	private async waitForOrg(ms: number): Promise<void> {
		const start = Date.now();
		while (!this.stopped && Date.now() - start < ms && !this.links.get('org')?.status.synced) {
			await new Promise((r) => setTimeout(r, 20));
		}
	}

	/** Whether the token lets this relay's documents `name` go upstream. */
	private readable(name: string): boolean {
		return docAccess(this.claims, name, this.relay.orgView()).read;
	}

	private link(name: string): void {
		if (this.links.has(name) || this.stopped || !parseDocName(name)) return;
		const link = new Link(name, this);
		this.links.set(name, link);
		if (!this.suspended) link.connect();
	}

	private queueRescan(fromUpstream: boolean): void {
		if (fromUpstream && !this.listQueued) {
			this.listQueued = true;
			setTimeout(() => {
				this.listQueued = false;
				if (!this.stopped && !this.suspended) void this.listUpstream();
			}, 500).unref();
		}
		if (this.rescanQueued) return;
		this.rescanQueued = true;
		setImmediate(() => {
			this.rescanQueued = false;
			if (!this.stopped) this.rescanLocal();
		});
	}

	private rescanLocal(): void {
		for (const name of ['org', 'blacklist', ...this.relay.docNames()]) {
			if (!this.links.has(name) && this.readable(name)) this.link(name);
		}
	}

	/** Asks HQ which documents the token reads (some exist only there: a contractor made at HQ). */
	async listUpstream(): Promise<string[]> {
		try {
			const res = await fetch(`${this.target.httpBase}/api/federation/docs`, {
				headers: { authorization: `Bearer ${this.token}` },
				signal: AbortSignal.timeout(10_000)
			});
			const body = (await res.json()) as {
				ok?: boolean;
				docs?: unknown;
				error?: { message?: string };
			};
			if (!res.ok || !Array.isArray(body.docs))
				throw new Error(`${res.status} ${body.error?.message ?? ''}`.trim());
			const docs = body.docs.filter((d): d is string => typeof d === 'string');
			for (const name of docs) if (parseDocName(name)) this.link(name);
			if (this.lastListError) this.log('federation: upstream document list reachable again');
			this.lastListError = null;
			return docs;
		} catch (err) {
			const message = String((err as Error)?.message ?? err);
			if (message !== this.lastListError)
				this.log(`federation: listing upstream documents failed: ${message}`);
			this.lastListError = message;
			return [];
		}
	}

	/** Applies what HQ sent as this relay's own write; false when it could not be applied. */
	applyFromUpstream(name: string, update: Uint8Array): boolean {
		this.applying = name;
		try {
			return this.relay.applyTrusted(name, update);
		} finally {
			this.applying = null;
		}
	}

	/** Every link's state, for the admin. */
	status(): {
		upstream: string;
		sub: string;
		sites: string[];
		suspended: boolean;
		docs: LinkStatus[];
	} {
		return {
			upstream: this.target.syncUrl,
			sub: this.claims.sub,
			sites: this.claims.sites ?? [],
			suspended: this.suspended,
			docs: [...this.links.values()].map((l) => ({ ...l.status }))
		};
	}

	/** Cuts every link and keeps them down until `resume` (maintenance, and tests of outages). */
	async suspend(): Promise<void> {
		this.suspended = true;
		await Promise.all([...this.links.values()].map((l) => l.stop()));
	}

	resume(): void {
		if (!this.suspended) return;
		this.suspended = false;
		for (const link of this.links.values()) {
			link.backoff = this.minBackoff;
			link.connect();
		}
		void this.listUpstream();
	}

	async close(): Promise<void> {
		if (this.stopped) return;
		this.stopped = true;
		this.unlisten();
		clearInterval(this.pingTimer);
		if (this.listTimer) clearInterval(this.listTimer);
		await Promise.all([...this.links.values()].map((l) => l.stop()));
	}
}
