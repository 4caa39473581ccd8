// The integration API's HTTP plumbing: JSON errors shaped like the rest of the relay's
// (`{ ok: false, error: { code, message } }`), bodies read with a small limit, bearer tokens.
import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import type { Claims } from '../../src/lib/data/access';
import type { Relay } from '../relay';

/** A door asks a short question: bodies are small. */
export const MAX_BODY_BYTES = 16 * 1024;
/** Bodies up to this size are read and dropped, so the 413 reaches the client cleanly. */
const DRAIN_LIMIT = 1024 * 1024;

export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly headers: Record<string, string> = {}
	) {
		super(message);
	}
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	const tooLarge = () =>
		new ApiError(413, 'BODY_TOO_LARGE', `request bodies are at most ${limit} bytes`);
	return new Promise((done, fail) => {
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > DRAIN_LIMIT) return fail(tooLarge());
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size <= limit) chunks.push(chunk);
			else if (size > DRAIN_LIMIT) req.destroy();
		});
		req.on('error', fail);
		req.on('close', () => {
			if (!req.complete) fail(new ApiError(400, 'BODY_INCOMPLETE', 'request body cut short'));
		});
		req.on('end', () => (size > limit ? fail(tooLarge()) : done(Buffer.concat(chunks))));
	});
}

/** The body as JSON: 415 unless it says it is JSON, 413 when too large, 400 when unparsable. */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
	const type = req.headers['content-type'] ?? '';
	if (!/^application\/json\s*(;|$)/i.test(type))
		throw new ApiError(
			415,
			'UNSUPPORTED_MEDIA_TYPE',
			'send the body as JSON with content-type: application/json'
		);
	const body = await readBody(req, limit);
	try {
		return JSON.parse(body.toString('utf8'));
	} catch {
		throw new ApiError(400, 'BAD_JSON', 'the body is not valid JSON');
	}
}

/** Valibot's findings as one message naming each field: `worker.id: Invalid type…`. */
export function parseBody<T>(schema: v.GenericSchema<unknown, T>, raw: unknown): T {
	// valibot reads an array's properties like an object's (`[].at` is a function): refuse first.
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
		throw new ApiError(400, 'INVALID_REQUEST', '(body): send one JSON object');
	const parsed = v.safeParse(schema, raw);
	if (!parsed.success)
		throw new ApiError(
			400,
			'INVALID_REQUEST',
			parsed.issues.map((i) => `${v.getDotPath(i) ?? '(body)'}: ${i.message}`).join('; ')
		);
	return parsed.output;
}

/**
 * Verified tokens, so a door asking many times a second does not pay an Ed25519 check each time.
 * Revocation and disabling are org changes: any commit to `org` empties it; expiry is checked on
 * every hit.
 */
const verified = new WeakMap<Relay, { tokens: Map<string, Claims> }>();
const MAX_CACHED_TOKENS = 1000;

export function orgChanged(relay: Relay): void {
	verified.delete(relay);
}

/** The caller's verified claims: 401 for a missing, bad, expired or revoked token. */
export function requireToken(relay: Relay, req: IncomingMessage): Claims {
	const header = req.headers.authorization ?? '';
	const match = /^Bearer\s+(\S+)$/i.exec(header);
	if (!match)
		throw new ApiError(401, 'TOKEN_MISSING', 'send Authorization: Bearer <integration token>', {
			'www-authenticate': 'Bearer'
		});
	const raw = match[1]!;
	let cache = verified.get(relay);
	if (!cache) verified.set(relay, (cache = { tokens: new Map() }));
	const hit = cache.tokens.get(raw);
	if (hit && hit.exp * 1000 > Date.now()) return hit;
	const check = relay.verify(raw);
	if (!check.ok)
		throw new ApiError(401, check.code, check.message, { 'www-authenticate': 'Bearer' });
	if (cache.tokens.size >= MAX_CACHED_TOKENS) cache.tokens.clear();
	cache.tokens.set(raw, check.claims);
	return check.claims;
}

/** An integration token (or, where `admin` is allowed, an admin's). */
export function requireRole(claims: Claims, admin: boolean): void {
	if (claims.role === 'integration' || (admin && claims.role === 'admin')) return;
	throw new ApiError(
		403,
		'FORBIDDEN',
		admin ? 'this needs an integration or admin token' : 'this needs an integration token'
	);
}

/** The token must name the site (admins reach every site). */
export function requireSite(claims: Claims, site: string): void {
	if (claims.role === 'admin' || claims.sites?.includes(site)) return;
	throw new ApiError(403, 'FORBIDDEN_SITE', `this token is not for site ${site}`);
}
