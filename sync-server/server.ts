// The SitePass relay process: one HTTP(S) server that serves the PWA, /healthz, the enrolment API,
// blobs (/blobs/<sha256>) and the sync sockets (/sync/<document>) on the same origin.
import { readFileSync } from 'node:fs';
import {
	createServer as createHttpServer,
	type IncomingMessage,
	type ServerResponse
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { siteAdminId, type Claims } from '../src/lib/data/access';
import { OrgMeta } from '../src/lib/data/org';
import { checkRecord, readRecord } from '../src/lib/data/records';
import { createApi, sendJson } from './api';
import { createBlobHandler, DEFAULT_MAX_BLOB_BYTES } from './blobs';
import { openDataDir } from './datadir';
import { PushService, type PushOptions } from './push';
import { createHttpRegistry, type HttpRegistry, type HttpRegistryOptions } from './registry/http';
import { Relay } from './relay';
import { VerificationScheduler, type SchedulerOptions } from './verification/scheduler';
import { ApprovalTimers } from './approvals/timers';
import { PingRetention } from './pings/retention';
import { TileOrigins } from './tile-origins';
import { createWorkerApi } from './worker-api';
import { AttendanceReceipts } from './attendance/receipts';
import { AlertNotices } from './alerts/notices';
import { createIntegrationApi } from './integration/api';
import { IntegrationReplica } from './integration/replica';
import { Outbox, type OutboxOptions } from './integration/webhooks';
import { createStaticHandler } from './static';
import { createFederationApi, DownstreamSites } from './federation/hub';
import { createBundleApi } from './bundle/http';
import {
	insecureUpstreamProblem,
	parseUpstreamUrl,
	Upstream,
	upstreamClaims
} from './federation/upstream';
import { newJti, signToken } from './tokens';
import { VERSION } from './version';

export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** A federated site relay's first sync of a busy month is one diff of tens of MiB. */
export const DEFAULT_MAX_RELAY_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface ServeOptions {
	host: string;
	port: number;
	/** Folder for the relay's database, keys and blobs; created when missing. */
	dataDir: string;
	/** The built PWA (adapter-static output). */
	staticDir: string;
	tls?: { cert: string; key: string };
	log?: (line: string) => void;
	/** Name of the org created on first start (default 'SitePass'). */
	orgName?: string;
	/** Base URL for links the relay hands out, when devices reach it under another name. */
	publicUrl?: string;
	/** Largest sync message accepted (default 8 MiB). */
	maxMessageBytes?: number;
	/** Largest sync message accepted from a site relay's `relay` token (default 256 MiB). */
	maxRelayMessageBytes?: number;
	/** Largest blob (photo, scan) accepted on /blobs (default 10 MiB). */
	maxBlobBytes?: number;
	/** Log entries per document before compaction (default 500). */
	compactAfter?: number;
	/** How long an update may wait for missing dependencies (default 10 s). */
	pendingTimeoutMs?: number;
	/** WebSocket ping interval (default 30 s). */
	pingIntervalMs?: number;
	/**
	 * The certificate registry (an organisation's proxy speaking sync-server/registry/README.md).
	 * Without one the relay still watches dates and warns; checks are then manual only.
	 */
	registry?: HttpRegistryOptions | null;
	/** The certificate watch: intervals, digest hour; tests pass a clock and run passes by hand. */
	verification?: Omit<SchedulerOptions, 'relay' | 'registry' | 'push' | 'log'> & {
		/** Start the timer (default true; tests drive `tick()` themselves). */
		autoStart?: boolean;
	};
	/** Approval deadlines: reminders and escalation (tests pass a clock and tick by hand). */
	approvals?: { now?: () => number; autoStart?: boolean };
	/** Web Push settings (VAPID subject, TTL, timeouts; an https agent in tests). */
	push?: PushOptions;
	/** The integration API's webhook outbox: backoff, attempts; tests pass a clock and tick. */
	webhooks?: OutboxOptions;
	/** Deleting location pings past the site's retention (tests pass a clock and tick). */
	pings?: { now?: () => Date; autoStart?: boolean };
	/**
	 * Federation: replicate this site relay's documents to an upstream (HQ) relay with a `relay`
	 * token HQ issued (sync-server/federation). Backoff and listing intervals are for tests.
	 */
	upstream?: {
		url: string;
		token: string;
		minBackoffMs?: number;
		maxBackoffMs?: number;
		listEveryMs?: number;
		pingIntervalMs?: number;
		handshakeTimeoutMs?: number;
		/** Accept a plain ws:// upstream on another machine (`--insecure-upstream`). */
		insecure?: boolean;
	} | null;
}

export interface RunningServer {
	url: string;
	port: number;
	orgId: string;
	/** The first admin's one-time enrolment link, on the start that created the org; else null. */
	adminLink: string | null;
	relay: Relay;
	/** Approval reminders and escalation. */
	approvalTimers: ApprovalTimers;
	/** The certificate watch (registry checks, warnings, digests). */
	verification: VerificationScheduler;
	/** Web Push to enrolled devices: `push.send(audience, payload)`. */
	push: PushService;
	/** The integration API's webhook outbox (`tick()` sends what is due). */
	webhooks: Outbox;
	/** Deletes location pings past each site's retention (`tick()` runs a pass). */
	pingRetention: PingRetention;
	/** The link to the upstream (HQ) relay, when this is a federated site relay. */
	upstream: Upstream | null;
	/** At HQ: sites whose own relay federates here (HQ's certificate watch leaves them alone). */
	downstream: DownstreamSites;
	/** Signs a token for this org (tests and tooling; people get theirs through enrolment). */
	issueToken(claims: Omit<Claims, 'iss' | 'jti' | 'iat' | 'exp'>, ttlSeconds?: number): string;
	close(): Promise<void>;
}

/** Headers on every response. The CSP keeps the app from reaching any origin but its own. */
const SECURITY_HEADERS = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'no-referrer',
	'permissions-policy': 'camera=(self), geolocation=(self), microphone=()',
	'content-security-policy':
		// img-src and connect-src gain the origins of the sites' tile servers (tile-origins.ts).
		"default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; worker-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
} as const;

/** A LAN address for links when the relay listens on every interface. */
function lanAddress(): string | undefined {
	for (const list of Object.values(networkInterfaces())) {
		for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
	}
	return undefined;
}

export async function serve(options: ServeOptions): Promise<RunningServer> {
	const log = options.log ?? ((line: string) => console.log(line));
	let federation: { orgId: string; firstAdminId: string } | undefined;
	let federatedAs: Claims | null = null;
	if (options.upstream) {
		// Checked before the data folder is touched: a bad URL or token changes nothing.
		const target = parseUpstreamUrl(options.upstream.url);
		if (!target)
			throw new Error(
				`--upstream ${options.upstream.url} 不是上级中继的地址，应类似 wss://hq.example/sync / must look like wss://hq.example/sync`
			);
		const insecure = insecureUpstreamProblem(target, options.upstream.insecure);
		if (insecure) throw new Error(insecure);
		const up = upstreamClaims(options.upstream.token);
		if (!up.ok) throw new Error(up.message);
		// The org is HQ's (its id is the token's issuer); this site's first admin is its own.
		federation = { orgId: up.claims.iss, firstAdminId: siteAdminId(up.claims.sites![0]!) };
		federatedAs = up.claims;
	}
	const data = openDataDir(options.dataDir, { orgName: options.orgName, lock: true, federation });
	let relay: Relay | undefined;
	try {
		relay = new Relay({
			storage: data.storage,
			keys: data.keys,
			orgId: data.orgId,
			log,
			maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
			maxRelayMessageBytes: options.maxRelayMessageBytes ?? DEFAULT_MAX_RELAY_MESSAGE_BYTES,
			compactAfter: options.compactAfter ?? 500,
			pendingTimeoutMs: options.pendingTimeoutMs ?? 10_000,
			pingIntervalMs: options.pingIntervalMs ?? 30_000,
			upstreamClaims: federatedAs
		});
		// A federated site relay takes HQ's org meta (it comes down) and never writes its own.
		if (!federation) ensureOrgMeta(relay, data.orgId, data.keys.publicKeySpki, options.orgName);
		return await listen(options, log, data, relay);
	} catch (err) {
		await relay?.close();
		data.close();
		throw err;
	}
}

/** The org's meta record names this relay's key; put it back if it is missing or was changed. */
function ensureOrgMeta(relay: Relay, orgId: string, relayKey: string, orgName?: string): void {
	relay.write('org', (doc) => {
		const meta = doc.getMap('meta');
		const read = readRecord(OrgMeta, meta.get('org'));
		if (read.ok && read.record.id === orgId && read.record.relayKey === relayKey) return;
		meta.set(
			'org',
			checkRecord(OrgMeta, {
				schema: 1,
				id: orgId,
				name: read.ok ? read.record.name : (orgName ?? 'SitePass'),
				createdAt: read.ok ? read.record.createdAt : new Date().toISOString(),
				relayKey
			})
		);
	});
}

async function listen(
	options: ServeOptions,
	log: (line: string) => void,
	data: ReturnType<typeof openDataDir>,
	relay: Relay
): Promise<RunningServer> {
	const serveStatic = createStaticHandler(options.staticDir);
	const push = new PushService({
		...options.push,
		relay,
		dataDir: data.dir,
		log,
		publicUrl: options.publicUrl
	});
	const registry: HttpRegistry | null = options.registry
		? createHttpRegistry(options.registry)
		: null;
	const { autoStart = true, ...watch } = options.verification ?? {};
	const downstream = new DownstreamSites(relay);
	const verification = new VerificationScheduler({
		...watch,
		skipSite: (siteId) => downstream.has(siteId),
		relay,
		registry,
		log,
		push: (audience, payload) => push.send(audience, payload)
	});
	if (autoStart) verification.start();
	const approvalTimers = new ApprovalTimers({
		relay,
		now: options.approvals?.now,
		log,
		push: (audience, payload) => push.send(audience, payload)
	});
	if (options.approvals?.autoStart ?? true) approvalTimers.start();
	const receipts = new AttendanceReceipts(relay);
	// The monitor's alerts reach the site's safety officers by Web Push, once each.
	const alertNotices = new AlertNotices(relay, {
		log,
		push: (audience, payload, opts) => push.send(audience, payload, opts)
	});
	// Integration API (/api/v1): the outbox enqueues inside commits, so it starts listening now.
	const webhooks = new Outbox(relay, { log, ...options.webhooks });
	if (options.webhooks?.autoStart ?? true) webhooks.start();
	const integrationReplica = new IntegrationReplica(relay, data.orgId);
	const integration = createIntegrationApi({
		relay,
		orgId: data.orgId,
		replica: integrationReplica,
		outbox: webhooks,
		log
	});
	const workerApi = createWorkerApi({ relay, replica: integrationReplica });
	const pingRetention = new PingRetention({ relay, log, now: options.pings?.now });
	if (options.pings?.autoStart ?? true) pingRetention.start();
	const tiles = new TileOrigins(relay, SECURITY_HEADERS['content-security-policy']);
	const api = createApi({
		relay,
		data,
		publicUrl: options.publicUrl,
		tls: !!options.tls,
		log,
		push
	});
	const upstream = options.upstream ? new Upstream({ relay, log, ...options.upstream }) : null;
	const federationApi = createFederationApi({ relay, downstream, upstream, log });
	const bundleApi = createBundleApi({
		relay,
		keys: data.keys,
		orgId: data.orgId,
		log,
		downstream,
		// A site relay takes headquarters' bundles with its own upstream token's claims.
		siteClaims: upstream?.claims
	});
	const blobs = createBlobHandler({
		relay,
		storage: data.storage,
		dataDir: data.dir,
		maxBytes: options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES,
		log
	});

	const handler = async (req: IncomingMessage, res: ServerResponse) => {
		for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
		// A site's own tile server (its map settings) may serve map images to the app.
		res.setHeader('content-security-policy', tiles.csp());
		let pathname: string;
		try {
			pathname = new URL(req.url ?? '/', 'http://relay').pathname;
		} catch {
			return sendJson(res, 400, {
				ok: false,
				error: { code: 'BAD_URL', message: 'Malformed URL' }
			});
		}
		if (pathname === '/healthz') {
			// Federation in numbers only (public); the per-document state is /api/federation/status.
			const links = upstream?.status().docs;
			const federation = links && {
				docs: links.length,
				connected: links.filter((l) => l.connected).length,
				synced: links.filter((l) => l.synced).length,
				// Refused by HQ: these documents do not reach it (see /api/federation/status).
				blocked: links.filter((l) => l.blocked).length
			};
			return sendJson(res, 200, { ok: true, version: VERSION, ...relay.stats(), federation });
		}
		if (pathname.startsWith('/api/v1/')) return integration(req, res, pathname);
		if (pathname.startsWith('/api/')) {
			if (await bundleApi(req, res, pathname)) return;
			if (await federationApi(req, res, pathname)) return;
			if (await workerApi(req, res, pathname)) return;
			if (await api(req, res, pathname)) return;
			return sendJson(res, 404, {
				ok: false,
				error: { code: 'NOT_FOUND', message: `No such endpoint: ${pathname}` }
			});
		}
		if (await blobs(req, res, pathname)) return;
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.setHeader('allow', 'GET, HEAD');
			return sendJson(res, 405, {
				ok: false,
				error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here` }
			});
		}
		if (await serveStatic(req, res, pathname)) return;
		sendJson(res, 404, {
			ok: false,
			error: { code: 'NOT_FOUND', message: `No such endpoint: ${pathname}` }
		});
	};

	const onRequest = (req: IncomingMessage, res: ServerResponse) => {
		handler(req, res).catch((err: unknown) => {
			log(`request failed: ${req.method} ${req.url}: ${String(err)}`);
			if (!res.headersSent)
				sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } });
			else res.destroy();
		});
	};

	const server = options.tls
		? createHttpsServer(
				{ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) },
				onRequest
			)
		: createHttpServer(onRequest);
	server.on('upgrade', (req, socket, head) => relay.handleUpgrade(req, socket, head));
	server.on('clientError', (_err, socket) => socket.destroy());

	await new Promise<void>((done, fail) => {
		server.once('error', fail);
		server.listen(options.port, options.host, () => {
			server.off('error', fail);
			done();
		});
	});
	const port = (server.address() as AddressInfo).port;
	const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
	const scheme = options.tls ? 'https' : 'http';
	const url = `${scheme}://${shownHost}:${port}`;

	let adminLink: string | null = null;
	if (data.created) {
		const anyHost = options.host === '0.0.0.0' || options.host === '::';
		const lan = anyHost ? lanAddress() : undefined;
		const base =
			options.publicUrl?.replace(/\/+$/, '') ?? (lan ? `${scheme}://${lan}:${port}` : url);
		adminLink = `${base}/enrol#code=${data.created.adminCode}`;
		log(
			`New org ${data.orgId} created. One-time admin enrolment link (valid 24 h, shown only now):\n  ${adminLink}`
		);
	}

	// Not awaited: the relay serves its own devices whether or not HQ is reachable.
	if (upstream) void upstream.start();

	let closed: Promise<void> | null = null;
	return {
		url,
		port,
		orgId: data.orgId,
		adminLink,
		relay,
		push,
		webhooks,
		verification,
		approvalTimers,
		pingRetention,
		upstream,
		downstream,
		issueToken(claims, ttlSeconds = 3600) {
			const iat = Math.floor(Date.now() / 1000);
			return signToken(
				{ ...claims, iss: data.orgId, jti: newJti(), iat, exp: iat + ttlSeconds },
				data.keys.privateKey
			);
		},
		close() {
			closed ??= (async () => {
				await upstream?.close();
				await verification.stop();
				await approvalTimers.stop();
				receipts.flush();
				receipts.stop();
				alertNotices.stop();
				pingRetention.stop();
				tiles.stop();
				await webhooks.stop();
				integrationReplica.close();
				registry?.close();
				push.close();
				const stopped = new Promise<void>((done) => server.close(() => done()));
				server.closeAllConnections?.();
				await relay.close();
				await stopped;
				data.close();
			})();
			return closed;
		}
	};
}
