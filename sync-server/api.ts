// The relay's enrolment REST API: a device trades a one-time code for a token, an admin creates
// codes for new users and devices and revokes tokens; devices sign up for Web Push (push.ts). JSON
// in and out; bad input is a 4xx.
//
// Signing keys (issue 6): an enrolling device sends the public half of the Ed25519 key it has just
// made, and the relay binds it in `org.keys` to the principal, role and sites being enrolled, in the
// same write as the Device record. The admin's one-time code is what authorises the binding (it
// names who registered it). Revoking the token, or disabling the user, sets `revokedAt` on the
// binding; bindings are never deleted, so what a key signed before stays verifiable.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ed25519 } from '@noble/curves/ed25519.js';
import * as v from 'valibot';
import type * as Y from 'yjs';
import { principalConfinedTo, relayOrgRefusal, type Claims } from '../src/lib/data/access';
import { parseEnrolmentRequest, parseTtl } from '../src/lib/data/claims';
import { Device, OrgMeta, Principal, Revoked } from '../src/lib/data/org';
import { checkRecord, readRecord } from '../src/lib/data/records';
import { fromB64url, KeyBinding, keyIdOf } from '../src/lib/data/signing';
import {
	createEnrolmentCode,
	DEFAULT_TOKEN_TTL_SECONDS,
	hashCode,
	randomId,
	type DataDir
} from './datadir';
import { parseSubscription, type PushService } from './push';
import type { Relay } from './relay';
import { newJti, signToken } from './tokens';

/** Request bodies are small JSON objects. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Bodies up to this size are read and discarded so the 413 reaches the client cleanly. */
const DRAIN_LIMIT = 1024 * 1024;

export interface ApiContext {
	relay: Relay;
	data: DataDir;
	/** Base of the links handed out (`https://relay.example`); else taken from the request. */
	publicUrl?: string;
	tls: boolean;
	log: (line: string) => void;
	/** Web Push; without it the /api/push/ endpoints answer 503. */
	push?: PushService;
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

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
		'cache-control': 'no-store'
	});
	res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((done, fail) => {
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > DRAIN_LIMIT) {
			fail(
				new HttpError(413, 'BODY_TOO_LARGE', `request bodies are at most ${MAX_BODY_BYTES} bytes`)
			);
			return;
		}
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size <= MAX_BODY_BYTES) chunks.push(chunk);
			else if (size > DRAIN_LIMIT) req.destroy();
		});
		req.on('error', fail);
		req.on('close', () => {
			if (!req.complete) fail(new HttpError(400, 'BODY_INCOMPLETE', 'request body cut short'));
		});
		req.on('end', () => {
			if (size > MAX_BODY_BYTES) {
				fail(
					new HttpError(413, 'BODY_TOO_LARGE', `request bodies are at most ${MAX_BODY_BYTES} bytes`)
				);
			} else done(Buffer.concat(chunks));
		});
	});
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	const type = req.headers['content-type'];
	if (type && !/^application\/json\b/i.test(type)) {
		throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json');
	}
	const body = await readBody(req);
	try {
		return JSON.parse(body.toString('utf8'));
	} catch {
		throw new HttpError(400, 'BAD_JSON', 'the body is not valid JSON');
	}
}

function parseBody<T>(schema: v.GenericSchema<unknown, T>, raw: unknown): T {
	const parsed = v.safeParse(schema, raw);
	if (!parsed.success) {
		throw new HttpError(
			400,
			'INVALID_REQUEST',
			parsed.issues.map((i) => `${v.getDotPath(i) ?? '(body)'}: ${i.message}`).join('; ')
		);
	}
	return parsed.output;
}

const EnrolBody = v.object({
	code: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
	deviceName: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)),
	/** The device's Ed25519 public key, raw 32 bytes in base64url. Optional for older clients. */
	publicKey: v.optional(v.unknown())
});

/**
 * Null when `publicKey` is a usable Ed25519 public key (43 base64url characters, 32 bytes, a point
 * on the curve in the prime-order subgroup); else why not. Small-order keys are refused: a
 * signature of s = 0 would verify under one for any message, letting its holder deny what they
 * signed.
 */
export function publicKeyProblem(publicKey: unknown): string | null {
	if (typeof publicKey !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(publicKey)) {
		return 'publicKey must be a raw 32-byte Ed25519 key in base64url (43 characters)';
	}
	const raw = fromB64url(publicKey);
	if (raw.length !== 32) return 'publicKey must decode to 32 bytes';
	try {
		const point = ed25519.Point.fromBytes(raw);
		if (point.isSmallOrder() || !point.isTorsionFree()) return 'publicKey is a weak Ed25519 key';
	} catch {
		return 'publicKey is not an Ed25519 point';
	}
	return null;
}

const RevokeBody = v.object({
	jti: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a token id')),
	reason: v.optional(v.pipe(v.string(), v.maxLength(200)))
});

const UnsubscribeBody = v.object({
	endpoint: v.pipe(v.string(), v.minLength(1), v.maxLength(2048))
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Sets `revokedAt` on the bindings `which` picks that are not revoked yet; how many. */
function setRevokedAt(doc: Y.Doc, which: (binding: KeyBinding) => boolean, at: string): number {
	const keys = doc.getMap('keys');
	let count = 0;
	for (const [keyId, raw] of keys.entries()) {
		const read = readRecord(KeyBinding, raw);
		if (!read.ok || read.record.revokedAt || !which(read.record)) continue;
		keys.set(keyId, checkRecord(KeyBinding, { ...read.record, revokedAt: at }));
		count++;
	}
	return count;
}

/**
 * Whether a binding no longer speaks for its holder: the user is disabled, gone, or no longer
 * holds the role, sub-role or sites the key was bound with (a key certifies the role its holder
 * had; a new role needs a new enrolment).
 */
function outdated(doc: Y.Doc): (b: KeyBinding) => boolean {
	const users = doc.getMap('users');
	return (b) => {
		const read = readRecord(Principal, users.get(b.principal));
		// A binding whose user this relay cannot read is left alone (nothing to judge it by).
		if (!read.ok) return false;
		const p = read.record;
		if (p.disabled) return true;
		if (p.role !== b.role || (p.staffRole ?? null) !== (b.staffRole ?? null)) return true;
		return b.sites.some((s) => !p.sites.includes(s));
	};
}

export function createApi(ctx: ApiContext) {
	const { relay, data } = ctx;

	/**
	 * Disabling a user (an admin's edit of `org.users`, synced like any other) revokes their keys:
	 * the relay notices after the change is stored and writes `revokedAt` on every binding of theirs
	 * that has none. Enabling them again does not bring the keys back: they enrol anew for a new key.
	 */
	/**
	 * At a federated site: whether headquarters takes this relay's revocation of `binding` (a key of
	 * another site's or of HQ's people is HQ's to revoke; its own relay does so). Elsewhere: true.
	 */
	function upstreamMayRevoke(binding: KeyBinding, at: string): boolean {
		const up = relay.upstreamClaims;
		if (!up) return true;
		const change = {
			map: 'keys',
			key: binding.id,
			action: 'update' as const,
			previous: binding,
			value: { ...binding, revokedAt: at }
		};
		return relayOrgRefusal(up, change, relay.orgView()) === null;
	}

	function revokeKeysOfDisabled(): void {
		const org = relay.orgDoc();
		const now = iso(Date.now());
		const stale = (b: KeyBinding) => outdated(org)(b) && upstreamMayRevoke(b, now);
		const pending = [...org.getMap('keys').values()].some((raw) => {
			const read = readRecord(KeyBinding, raw);
			return read.ok && !read.record.revokedAt && stale(read.record);
		});
		if (!pending) return;
		const at = iso(Date.now());
		let count = 0;
		relay.write('org', (doc) => {
			const stale = outdated(doc);
			count = setRevokedAt(doc, (b) => stale(b) && upstreamMayRevoke(b, at), at);
		});
		if (count) ctx.log(`revoked ${count} signing key(s) of disabled users or changed roles`);
	}

	// Also after an enrolment: a user disabled before it gets the new key revoked at once.
	let sweepQueued = false;
	relay.onCommit((name) => {
		if (name !== 'org' || sweepQueued) return;
		// Not inside the relay's commit: write once it has finished.
		sweepQueued = true;
		queueMicrotask(() => {
			sweepQueued = false;
			try {
				revokeKeysOfDisabled();
			} catch (err) {
				ctx.log(`api: revoking keys of disabled users failed: ${String(err)}`);
			}
		});
	});

	function requireToken(req: IncomingMessage): Claims {
		const header = req.headers.authorization ?? '';
		const match = /^Bearer\s+(\S+)$/i.exec(header);
		const check = relay.verify(match?.[1]);
		if (!check.ok) throw new HttpError(401, check.code, check.message);
		return check.claims;
	}

	function requireAdmin(req: IncomingMessage): Claims {
		const claims = requireToken(req);
		if (claims.role !== 'admin') {
			throw new HttpError(403, 'FORBIDDEN', 'only an admin may do this');
		}
		return claims;
	}

	function linkBase(req: IncomingMessage): string {
		if (ctx.publicUrl) return ctx.publicUrl.replace(/\/+$/, '');
		const host = req.headers.host ?? '';
		return /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host)
			? `${ctx.tls ? 'https' : 'http'}://${host}`
			: `${ctx.tls ? 'https' : 'http'}://localhost`;
	}

	async function enrol(req: IncomingMessage) {
		const body = parseBody(EnrolBody, await readJson(req));
		// Checked before the code is used, so a bad key does not burn it.
		let publicKey: string | null = null;
		if (body.publicKey !== undefined) {
			const problem = publicKeyProblem(body.publicKey);
			if (problem) throw new HttpError(400, 'BAD_PUBLIC_KEY', problem);
			publicKey = body.publicKey as string;
			if (relay.orgDoc().getMap('keys').has(keyIdOf(publicKey))) {
				throw new HttpError(409, 'KEY_ALREADY_BOUND', 'this public key is already registered');
			}
		}
		const codeHash = hashCode(body.code);
		const jti = newJti();
		const now = Date.now();
		const consumed = data.storage.consumeEnrolment(codeHash, now, jti);
		if (!consumed.ok) {
			const status = {
				ENROLMENT_CODE_INVALID: 403,
				ENROLMENT_CODE_USED: 409,
				ENROLMENT_CODE_EXPIRED: 410
			};
			const text = {
				ENROLMENT_CODE_INVALID: 'unknown enrolment code',
				ENROLMENT_CODE_USED: 'this enrolment code was already used',
				ENROLMENT_CODE_EXPIRED: 'this enrolment code has expired'
			};
			throw new HttpError(status[consumed.code], consumed.code, text[consumed.code]);
		}
		try {
			const read = readRecord(Principal, JSON.parse(consumed.row.principal));
			if (!read.ok) throw new Error('stored principal is unreadable');
			const principal = read.record;
			const iat = Math.floor(now / 1000);
			const claims: Claims = {
				iss: data.orgId,
				sub: principal.id,
				role: principal.role,
				...(principal.staffRole ? { staffRole: principal.staffRole } : {}),
				...(principal.sites.length ? { sites: principal.sites } : {}),
				...(principal.contractor ? { contractor: principal.contractor } : {}),
				jti,
				iat,
				exp: iat + consumed.row.tokenTtl
			};
			const token = signToken(claims, data.keys.privateKey);
			const device = checkRecord(Device, {
				schema: 1,
				id: jti,
				principal: principal.id,
				name: body.deviceName,
				enrolledAt: iso(now),
				expiresAt: iso(claims.exp! * 1000)
			});
			// Bound to the principal as the code enrolled it (role, staff role and sites then).
			const binding =
				publicKey === null
					? null
					: checkRecord(KeyBinding, {
							schema: 1,
							id: keyIdOf(publicKey),
							principal: principal.id,
							publicKey,
							role: principal.role,
							...(principal.staffRole ? { staffRole: principal.staffRole } : {}),
							sites: principal.sites,
							validFrom: iso(now),
							jti,
							registeredBy: consumed.row.createdBy
						});
			relay.write('org', (doc) => {
				const users = doc.getMap('users');
				if (!users.has(principal.id)) users.set(principal.id, principal);
				doc.getMap('devices').set(jti, device);
				// Not bound before: checked above, with no await since.
				if (binding) doc.getMap('keys').set(binding.id, binding);
			});
			const meta = readRecord(OrgMeta, relay.orgDoc().getMap('meta').get('org'));
			ctx.log(
				`enrolled ${principal.id} (${principal.role}) device "${body.deviceName}" jti=${jti}` +
					(binding ? ` key=${binding.id}` : ' (no signing key)')
			);
			return {
				status: 200,
				body: {
					ok: true,
					token,
					claims,
					...(binding ? { keyId: binding.id } : {}),
					org: meta.ok
						? { id: meta.record.id, name: meta.record.name, relayKey: meta.record.relayKey }
						: { id: data.orgId }
				}
			};
		} catch (err) {
			// The code was not turned into a usable token: let it be used again.
			data.storage.releaseEnrolment(codeHash);
			throw err;
		}
	}

	async function createEnrolment(req: IncomingMessage) {
		const admin = requireAdmin(req);
		const parsed = parseEnrolmentRequest(await readJson(req));
		if (!parsed.ok) throw new HttpError(400, 'INVALID_REQUEST', parsed.problems.join('; '));
		const request = parsed.value;
		const sub = request.sub ?? randomId('u-');
		const existing = readRecord(Principal, relay.orgDoc().getMap('users').get(sub));
		if (
			existing.ok &&
			(existing.record.role !== request.role ||
				existing.record.staffRole !== request.staffRole ||
				existing.record.contractor !== request.contractor)
		) {
			throw new HttpError(
				409,
				'PRINCIPAL_MISMATCH',
				`${sub} exists with another role or contractor; revoke and use a new id instead`
			);
		}
		const now = Date.now();
		const principal = checkRecord(Principal, {
			schema: 1 as const,
			id: sub,
			name: request.name,
			role: request.role,
			...(request.staffRole ? { staffRole: request.staffRole } : {}),
			sites: request.sites ?? [],
			...(request.contractor ? { contractor: request.contractor } : {}),
			createdAt: existing.ok ? existing.record.createdAt : iso(now),
			...(existing.ok && existing.record.disabled ? { disabled: true } : {})
		});
		const up = relay.upstreamClaims;
		if (
			up &&
			(!principalConfinedTo(principal, up.sites ?? [], relay.orgView()) ||
				(existing.ok && !principalConfinedTo(existing.record, up.sites ?? [], relay.orgView())))
		) {
			// HQ would refuse the record as this relay's upload (access.ts relayOrgRefusal).
			throw new HttpError(
				403,
				'OUTSIDE_FEDERATED_SITES',
				`此工地已接入总部：这里只能登记本工地（${(up.sites ?? []).join('、')}）的人员、门岗和承包商管理员；其他工地、总部人员和管理员由总部登记`
			);
		}
		relay.write('org', (doc) => doc.getMap('users').set(sub, principal));
		const ttl = request.ttl ? parseTtl(request.ttl)! : DEFAULT_TOKEN_TTL_SECONDS;
		const { code, expiresAt } = createEnrolmentCode(data.storage, principal, ttl, admin.sub, now);
		ctx.log(`enrolment created for ${sub} (${principal.role}) by ${admin.sub}`);
		return {
			status: 201,
			body: {
				ok: true,
				code,
				link: `${linkBase(req)}/enrol#code=${code}`,
				expiresAt: iso(expiresAt),
				principal
			}
		};
	}

	async function revoke(req: IncomingMessage) {
		const admin = requireAdmin(req);
		const body = parseBody(RevokeBody, await readJson(req));
		const record = checkRecord(Revoked, {
			schema: 1,
			jti: body.jti,
			at: iso(Date.now()),
			by: admin.sub,
			...(body.reason ? { reason: body.reason } : {})
		});
		let keysRevoked = 0;
		relay.write('org', (doc) => {
			const revoked = doc.getMap('revoked');
			if (!revoked.has(body.jti)) revoked.set(body.jti, record);
			// The keys that came with this token stop signing from now on.
			keysRevoked = setRevokedAt(
				doc,
				(b) => b.jti === body.jti && upstreamMayRevoke(b, record.at),
				record.at
			);
		});
		ctx.log(
			`revoked jti=${body.jti} by ${admin.sub}` + (keysRevoked ? ` (${keysRevoked} key)` : '')
		);
		return { status: 200, body: { ok: true, jti: body.jti } };
	}

	function requirePush(): PushService {
		if (!ctx.push) throw new HttpError(503, 'PUSH_UNAVAILABLE', 'this relay does not send push');
		return ctx.push;
	}

	// The key is public by design (it goes into every browser's subscription): no token needed.
	async function pushKey() {
		return { status: 200, body: { ok: true, publicKey: requirePush().publicKey } };
	}

	async function pushSubscribe(req: IncomingMessage) {
		const claims = requireToken(req);
		const push = requirePush();
		const raw = await readJson(req);
		const parsed = parseSubscription(raw);
		if (!parsed.ok) throw new HttpError(400, parsed.code, parsed.message);
		const label = (raw as { deviceLabel?: unknown }).deviceLabel;
		push.subscribe(claims, parsed.subscription, typeof label === 'string' ? label : undefined);
		ctx.log(`push: ${claims.sub} (${claims.role}) subscribed jti=${claims.jti}`);
		return { status: 200, body: { ok: true } };
	}

	async function pushUnsubscribe(req: IncomingMessage) {
		const claims = requireToken(req);
		const push = requirePush();
		const body = parseBody(UnsubscribeBody, await readJson(req));
		return { status: 200, body: { ok: true, removed: push.unsubscribe(claims, body.endpoint) } };
	}

	const routes: Record<
		string,
		(req: IncomingMessage) => Promise<{ status: number; body: unknown }>
	> = {
		'/api/enrol': enrol,
		'/api/enrolments': createEnrolment,
		'/api/revoke': revoke,
		'/api/push/subscribe': pushSubscribe,
		'/api/push/unsubscribe': pushUnsubscribe
	};
	const getRoutes: typeof routes = { '/api/push/key': pushKey };

	/** Answers an /api/ request; false when the path is not one of ours. */
	return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
		const method = getRoutes[pathname] ? 'GET' : 'POST';
		const route = getRoutes[pathname] ?? routes[pathname];
		if (!route) return false;
		if (req.method !== method) {
			res.setHeader('allow', method);
			sendJson(res, 405, {
				ok: false,
				error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here` }
			});
			return true;
		}
		try {
			const { status, body } = await route(req);
			sendJson(res, status, body);
		} catch (err) {
			if (err instanceof HttpError) {
				if (err.status === 413) res.setHeader('connection', 'close');
				sendJson(res, err.status, { ok: false, error: { code: err.code, message: err.message } });
			} else {
				ctx.log(`api: ${pathname} failed: ${String((err as Error)?.stack ?? err)}`);
				sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
			}
		}
		return true;
	};
}
