// Web Push: the org's VAPID key pair (a P-256 key kept as a PEM file, mode 0600, in DATA/keys next
// to the relay's signing key), the devices' push subscriptions (table `push_subscriptions`, in the
// relay's database) and sending short notices to them through web-push. A notice only says that
// something needs a look and links into the app; the app then reads the details from its replica.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import { join } from 'node:path';
import webpush from 'web-push';
import type { Claims, Role, StaffRole } from '../src/lib/data/access';
import { isRevoked, Principal } from '../src/lib/data/org';
import { readRecord } from '../src/lib/data/records';
import type { Relay } from './relay';
import { writeSecret } from './tokens';

const VAPID_FILE = 'vapid-p256.key.pem';
/** A day: a phone that is off or offline for a shift still gets the notice when it comes back. */
export const DEFAULT_PUSH_TTL_SECONDS = 24 * 3600;
/** A push service that has not answered by then is counted as failed; the notice is not retried. */
export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;
/** Requests in flight at once, so a site-wide notice does not open hundreds of sockets. */
export const DEFAULT_PUSH_CONCURRENCY = 8;
/** Subscriptions kept per person; more (a browser reinstalled again and again) drop the oldest. */
export const MAX_SUBSCRIPTIONS_PER_SUB = 20;
const MAX_ENDPOINT_LENGTH = 2048;
const MAX_TITLE = 80;
const MAX_BODY = 240;
const MAX_TAG = 64;
const MAX_URL = 512;

export interface VapidKeys {
	/** Uncompressed P-256 point (65 bytes), base64url: the browser's `applicationServerKey`. */
	publicKey: string;
	/** The 32-byte private scalar, base64url, as web-push wants it. */
	privateKey: string;
}

function vapidFrom(key: KeyObject): VapidKeys {
	const jwk = key.export({ format: 'jwk' });
	if (key.asymmetricKeyType !== 'ec' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) {
		throw new Error('the VAPID key is not a P-256 private key');
	}
	const x = Buffer.from(jwk.x, 'base64url');
	const y = Buffer.from(jwk.y, 'base64url');
	return {
		publicKey: Buffer.concat([Buffer.from([4]), x, y]).toString('base64url'),
		privateKey: jwk.d
	};
}

/**
 * The org's VAPID key pair from `dataDir/keys`, made on first use. It has to stay: every
 * subscription a browser made is bound to this public key, and a new one would silently orphan
 * them all (a browser would have to subscribe again).
 */
export function loadOrCreateVapidKeys(dataDir: string): { keys: VapidKeys; created: boolean } {
	const dir = join(dataDir, 'keys');
	const file = join(dir, VAPID_FILE);
	if (existsSync(file))
		return { keys: vapidFrom(createPrivateKey(readFileSync(file))), created: false };
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	writeSecret(file, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
	return { keys: vapidFrom(privateKey), created: true };
}

/** What a browser's `PushSubscription.toJSON()` carries that we keep. */
export interface PushSubscriptionJson {
	endpoint: string;
	keys: { p256dh: string; auth: string };
}

export type SubscriptionCheck =
	| { ok: true; subscription: PushSubscriptionJson }
	| {
			ok: false;
			code: 'INVALID_REQUEST' | 'PUSH_ENDPOINT_INVALID' | 'PUSH_KEY_INVALID' | 'PUSH_AUTH_INVALID';
			message: string;
	  };

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function base64url(value: unknown): Buffer | null {
	if (typeof value !== 'string' || value.length > 200 || !BASE64URL.test(value)) return null;
	return Buffer.from(value.replace(/=+$/, ''), 'base64url');
}

/** Checks a subscription as a browser sends it: an https endpoint and keys of the right kind. */
export function parseSubscription(raw: unknown): SubscriptionCheck {
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
		return { ok: false, code: 'INVALID_REQUEST', message: 'send a PushSubscription as JSON' };
	}
	const body = raw as Record<string, unknown>;
	const keys = body.keys as Record<string, unknown> | undefined;
	if (typeof body.endpoint !== 'string' || typeof keys !== 'object' || keys === null) {
		return { ok: false, code: 'INVALID_REQUEST', message: 'endpoint and keys are required' };
	}
	let url: URL | null = null;
	try {
		if (body.endpoint.length <= MAX_ENDPOINT_LENGTH) url = new URL(body.endpoint);
	} catch {
		url = null;
	}
	// web-push only speaks https, and credentials in the URL would end up in the relay's requests.
	if (!url || url.protocol !== 'https:' || url.username || url.password || url.hash) {
		return {
			ok: false,
			code: 'PUSH_ENDPOINT_INVALID',
			message: `endpoint must be an https URL of at most ${MAX_ENDPOINT_LENGTH} characters`
		};
	}
	const p256dh = base64url(keys.p256dh);
	if (!p256dh || p256dh.length !== 65 || p256dh[0] !== 4 || !isP256Point(p256dh)) {
		return {
			ok: false,
			code: 'PUSH_KEY_INVALID',
			message: 'keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)'
		};
	}
	const auth = base64url(keys.auth);
	if (!auth || auth.length !== 16) {
		return {
			ok: false,
			code: 'PUSH_AUTH_INVALID',
			message: 'keys.auth must be a 16-byte secret (base64url)'
		};
	}
	return {
		ok: true,
		subscription: {
			endpoint: url.href,
			keys: { p256dh: p256dh.toString('base64url'), auth: auth.toString('base64url') }
		}
	};
}

/** Whether the bytes are a point on the curve (web-push would otherwise fail on every send). */
function isP256Point(point: Buffer): boolean {
	try {
		createPublicKey({
			key: {
				kty: 'EC',
				crv: 'P-256',
				x: point.subarray(1, 33).toString('base64url'),
				y: point.subarray(33, 65).toString('base64url')
			},
			format: 'jwk'
		});
		return true;
	} catch {
		return false;
	}
}

/**
 * Who gets a notice. Every field given must hold; `{}` matches nobody, so a forgotten filter never
 * reaches the whole org.
 */
export interface PushAudience {
	/** People whose token names this site, or (when it names none) whose contractor works there. */
	site?: string;
	roles?: readonly Role[];
	staffRoles?: readonly StaffRole[];
	contractor?: string;
	sub?: string | readonly string[];
}

/**
 * What the notice shows. Keep it short and general — no ID or certificate numbers, no names with
 * health details, nothing from medical results: it passes through a foreign push service and shows
 * on a lock screen. Title and body come from the caller, in Chinese.
 */
export interface PushPayload {
	title: string;
	body: string;
	/** A path in the app ('/review?…') opened when the notice is tapped. */
	url: string;
	/** Notices with the same tag replace each other on the device (and at the push service). */
	tag: string;
}

export interface SendOptions {
	urgency?: webpush.Urgency;
	ttlSeconds?: number;
}

export interface SendSummary {
	sent: number;
	failed: number;
	/** Subscriptions deleted: gone at the push service (404/410), or their token revoked/expired. */
	removed: number;
}

export interface PushOptions {
	/**
	 * VAPID `sub`: a mailto: or https: contact the push services can reach the operator at
	 * (default: $SITEPASS_PUSH_SUBJECT, else the public URL when it is a public https name).
	 */
	subject?: string;
	ttlSeconds?: number;
	timeoutMs?: number;
	concurrency?: number;
	/** For tests: the https agent the requests go through (a push service with its own CA). */
	agent?: Agent;
}

interface Row {
	endpoint: string;
	p256dh: string;
	auth: string;
	sub: string;
	role: Role;
	staff_role: StaffRole | null;
	sites: string;
	contractor: string | null;
	jti: string;
	exp: number;
	device_label: string | null;
}

export interface PushServiceOptions extends PushOptions {
	relay: Relay;
	dataDir: string;
	log: (line: string) => void;
	/** The relay's public URL; an https one is the default VAPID subject. */
	publicUrl?: string;
}

/** Where a push service is, for logs: the endpoint's path is a per-device secret. */
function origin(endpoint: string): string {
	try {
		return new URL(endpoint).origin;
	} catch {
		return '(bad endpoint)';
	}
}

/** Stands in when no contact is configured; Apple's push service refuses it (see below). */
const PLACEHOLDER_SUBJECT = 'mailto:sitepass@relay.invalid';

/**
 * The VAPID contact. Apple's push service (iPhones, Macs) resolves the subject's host and answers
 * 403 BadJwtToken for localhost, reserved names and the like, so a LAN address or a placeholder
 * will not do; FCM and Mozilla accept anything.
 */
export function chooseSubject(given: string | undefined, publicUrl: string | undefined): string {
	const valid = (s: string | undefined): s is string =>
		!!s && /^(mailto:\S+@\S+|https:\/\/\S+)$/.test(s);
	if (valid(given)) return given;
	if (valid(process.env.SITEPASS_PUSH_SUBJECT)) return process.env.SITEPASS_PUSH_SUBJECT;
	try {
		const url = new URL(publicUrl ?? '');
		const host = url.hostname;
		const local =
			!host.includes('.') ||
			/^[\d.]+$/.test(host) ||
			host.includes(':') ||
			/\.(local|lan|home|internal|invalid|test|example|localhost)$/.test(host);
		if (url.protocol === 'https:' && !local) return url.origin;
	} catch {
		// No public URL: the placeholder.
	}
	return PLACEHOLDER_SUBJECT;
}

function clip(text: unknown, max: number): string {
	const s = typeof text === 'string' ? text.trim() : '';
	return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export class PushService {
	private vapid: VapidKeys | null = null;
	private closed = false;
	private readonly subject: string;

	/** Whether the missing-contact warning was logged (once per process start). */
	private warned = false;

	constructor(private readonly opts: PushServiceOptions) {
		this.subject = chooseSubject(opts.subject, opts.publicUrl);
		// CREATE … IF NOT EXISTS: opening an older data folder adds the table and nothing else.
		this.db.exec(`
			CREATE TABLE IF NOT EXISTS push_subscriptions (
				endpoint TEXT PRIMARY KEY, p256dh TEXT NOT NULL, auth TEXT NOT NULL,
				sub TEXT NOT NULL, role TEXT NOT NULL, staff_role TEXT, sites TEXT NOT NULL,
				contractor TEXT, jti TEXT NOT NULL, exp INTEGER NOT NULL, device_label TEXT,
				created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
			CREATE INDEX IF NOT EXISTS push_subscriptions_by_sub ON push_subscriptions (sub);
		`);
	}

	private get db() {
		return this.opts.relay.storage.db;
	}

	private keys(): VapidKeys {
		this.vapid ??= loadOrCreateVapidKeys(this.opts.dataDir).keys;
		return this.vapid;
	}

	/** The VAPID public key (base64url) browsers pass as `applicationServerKey`. */
	get publicKey(): string {
		return this.keys().publicKey;
	}

	/**
	 * Stores (or takes over) a subscription for the token's holder. An endpoint belongs to one
	 * browser profile, so whoever subscribes it last owns it: a shared tablet changes hands.
	 */
	subscribe(claims: Claims, subscription: PushSubscriptionJson, deviceLabel?: string): void {
		const now = Date.now();
		this.db.transaction(() => {
			this.db
				.prepare(
					`INSERT INTO push_subscriptions (endpoint, p256dh, auth, sub, role, staff_role, sites,
						contractor, jti, exp, device_label, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
					ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
						sub = excluded.sub, role = excluded.role, staff_role = excluded.staff_role,
						sites = excluded.sites, contractor = excluded.contractor, jti = excluded.jti,
						exp = excluded.exp, device_label = excluded.device_label,
						updated_at = excluded.updated_at`
				)
				.run(
					subscription.endpoint,
					subscription.keys.p256dh,
					subscription.keys.auth,
					claims.sub,
					claims.role,
					claims.staffRole ?? null,
					JSON.stringify(claims.sites ?? []),
					claims.contractor ?? null,
					claims.jti,
					claims.exp,
					deviceLabel ? clip(deviceLabel, 100) : null,
					now,
					now
				);
			this.db
				.prepare(
					`DELETE FROM push_subscriptions WHERE sub = ? AND endpoint NOT IN (
						SELECT endpoint FROM push_subscriptions WHERE sub = ?
						ORDER BY updated_at DESC, rowid DESC LIMIT ?)`
				)
				.run(claims.sub, claims.sub, MAX_SUBSCRIPTIONS_PER_SUB);
		})();
	}

	/** Forgets one of the holder's subscriptions; false when there was none of theirs. */
	unsubscribe(claims: Claims, endpoint: string): boolean {
		const result = this.db
			.prepare('DELETE FROM push_subscriptions WHERE endpoint = ? AND sub = ?')
			.run(endpoint, claims.sub);
		return result.changes > 0;
	}

	/** How many subscriptions are stored (tests, /healthz-style stats). */
	count(): number {
		return (this.db.prepare('SELECT count(*) AS n FROM push_subscriptions').get() as { n: number })
			.n;
	}

	private matches(row: Row, audience: PushAudience): boolean {
		const keys = Object.keys(audience).filter(
			(k) => audience[k as keyof PushAudience] !== undefined
		);
		if (keys.length === 0) return false;
		if (audience.roles && !audience.roles.includes(row.role)) return false;
		if (audience.staffRoles && !(row.staff_role && audience.staffRoles.includes(row.staff_role)))
			return false;
		if (audience.contractor !== undefined && row.contractor !== audience.contractor) return false;
		if (audience.sub !== undefined) {
			const subs = typeof audience.sub === 'string' ? [audience.sub] : audience.sub;
			if (!subs.includes(row.sub)) return false;
		}
		if (audience.site !== undefined) {
			const sites = JSON.parse(row.sites) as string[];
			const where =
				sites.length > 0
					? sites
					: row.contractor
						? (this.opts.relay.orgView().contractorSites(row.contractor) ?? [])
						: [];
			if (!where.includes(audience.site)) return false;
		}
		return true;
	}

	private delete(endpoint: string): void {
		if (!this.closed)
			this.db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?').run(endpoint);
	}

	/**
	 * Sends one notice to every subscription the audience selects. Never rejects: failures are
	 * logged and counted, so a warning job can fire and forget.
	 */
	async send(
		audience: PushAudience,
		payload: PushPayload,
		options: SendOptions = {}
	): Promise<SendSummary> {
		const summary: SendSummary = { sent: 0, failed: 0, removed: 0 };
		if (this.closed) return summary;
		let targets: Row[];
		let vapid: VapidKeys;
		try {
			vapid = this.keys();
			targets = this.targets(audience, summary);
		} catch (err) {
			this.opts.log(`push: selecting subscriptions failed: ${String(err)}`);
			return summary;
		}
		if (targets.length === 0) return summary;
		if (this.subject === PLACEHOLDER_SUBJECT && !this.warned) {
			this.warned = true;
			this.opts.log(
				'push: no VAPID contact configured; set SITEPASS_PUSH_SUBJECT=mailto:you@your-domain ' +
					'(Apple refuses the placeholder: iPhones get nothing without it)'
			);
		}
		const url = clip(payload.url, MAX_URL);
		const tag = clip(payload.tag, MAX_TAG);
		const text = JSON.stringify({
			title: clip(payload.title, MAX_TITLE),
			body: clip(payload.body, MAX_BODY),
			// Only paths inside the app: a notice must never open another site.
			url: url.startsWith('/') && !url.startsWith('//') ? url : '/',
			tag
		});
		const request: webpush.RequestOptions = {
			vapidDetails: { subject: this.subject, ...vapid },
			TTL: options.ttlSeconds ?? this.opts.ttlSeconds ?? DEFAULT_PUSH_TTL_SECONDS,
			timeout: this.opts.timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS,
			urgency: options.urgency ?? 'normal',
			// RFC 8030 Topic: a newer notice with the same tag replaces one still waiting at the push
			// service, so a phone back after a day gets the latest digest, not all of them.
			...(tag ? { topic: createHash('sha256').update(tag).digest('base64url').slice(0, 32) } : {}),
			...(this.opts.agent ? { agent: this.opts.agent } : {})
		};
		const queue = [...targets];
		const worker = async () => {
			for (let row = queue.shift(); row; row = queue.shift()) {
				if (this.closed) return;
				await this.deliver(row, text, request, summary);
			}
		};
		const lanes = Math.max(1, this.opts.concurrency ?? DEFAULT_PUSH_CONCURRENCY);
		await Promise.all(Array.from({ length: Math.min(lanes, targets.length) }, worker));
		return summary;
	}

	/** The audience's live subscriptions; those of revoked or expired tokens are deleted here. */
	private targets(audience: PushAudience, summary: SendSummary): Row[] {
		const org = this.opts.relay.orgDoc();
		const users = org.getMap('users');
		const now = Math.floor(Date.now() / 1000);
		const rows = this.db.prepare('SELECT * FROM push_subscriptions').all() as Row[];
		const out: Row[] = [];
		for (const row of rows) {
			if (!this.matches(row, audience)) continue;
			// A revoked token's device may be lost or stolen: it must stop hearing about the org.
			if (isRevoked(org, row.jti) || row.exp <= now) {
				this.delete(row.endpoint);
				summary.removed++;
				continue;
			}
			// A disabled user may be enabled again; skip without forgetting the device.
			const principal = readRecord(Principal, users.get(row.sub));
			if (principal.ok && principal.record.disabled) continue;
			out.push(row);
		}
		return out;
	}

	private async deliver(
		row: Row,
		text: string,
		request: webpush.RequestOptions,
		summary: SendSummary
	): Promise<void> {
		try {
			await webpush.sendNotification(
				{ endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } },
				text,
				request
			);
			summary.sent++;
		} catch (err) {
			const status = (err as { statusCode?: unknown }).statusCode;
			if (status === 404 || status === 410) {
				// The browser unsubscribed or the push service dropped it: it will never work again.
				try {
					this.delete(row.endpoint);
					summary.removed++;
				} catch (dbErr) {
					summary.failed++;
					this.opts.log(`push: forgetting a subscription failed: ${String(dbErr)}`);
				}
				return;
			}
			summary.failed++;
			const why =
				typeof status === 'number' ? `HTTP ${status}` : String((err as Error)?.message ?? err);
			this.opts.log(`push: ${origin(row.endpoint)} (${row.sub}) failed: ${why}`);
		}
	}

	/** Stops sending; notices in flight finish or time out on their own. */
	close(): void {
		this.closed = true;
	}
}
