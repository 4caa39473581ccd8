// Relay signing keys and tokens: an Ed25519 key pair kept as PEM files (mode 0600) in DATA/keys,
// and compact JWTs (alg EdDSA) carrying the `Claims` of access.ts, made and checked with node:crypto.
import {
	createPrivateKey,
	createPublicKey,
	generateKeyPairSync,
	randomBytes,
	sign,
	verify,
	type KeyObject
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Claims } from '../src/lib/data/access';
import { parseClaims } from '../src/lib/data/claims';

export interface RelayKeys {
	privateKey: KeyObject;
	publicKey: KeyObject;
	/** The public key as SPKI DER, base64url: what OrgMeta.relayKey publishes. */
	publicKeySpki: string;
}

const PRIVATE_FILE = 'relay-ed25519.key.pem';
const PUBLIC_FILE = 'relay-ed25519.pub.pem';
/** Longer strings are not tokens of ours; refusing them early keeps parsing cheap. */
const MAX_TOKEN_LENGTH = 8192;

function keysFrom(privateKey: KeyObject): RelayKeys {
	const publicKey = createPublicKey(privateKey);
	return {
		privateKey,
		publicKey,
		publicKeySpki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64url')
	};
}

/** Writes a file with mode 0600 via a temporary name, so a crash never leaves half a key. */
export function writeSecret(path: string, text: string): void {
	const tmp = `${path}.${process.pid}.tmp`;
	writeFileSync(tmp, text, { mode: 0o600 });
	chmodSync(tmp, 0o600);
	renameSync(tmp, path);
}

/** Reads the relay's key pair from `dataDir/keys`, creating it when there is none. */
export function loadOrCreateKeys(dataDir: string): { keys: RelayKeys; created: boolean } {
	const dir = join(dataDir, 'keys');
	const privatePath = join(dir, PRIVATE_FILE);
	const publicPath = join(dir, PUBLIC_FILE);
	if (existsSync(privatePath)) {
		const keys = keysFrom(createPrivateKey(readFileSync(privatePath)));
		if (keys.privateKey.asymmetricKeyType !== 'ed25519') {
			throw new Error(`${privatePath} is not an Ed25519 key`);
		}
		if (!existsSync(publicPath)) {
			writeSecret(publicPath, keys.publicKey.export({ format: 'pem', type: 'spki' }).toString());
		}
		return { keys, created: false };
	}
	if (existsSync(publicPath)) {
		// Never replace a half-present pair: every token issued so far would silently stop working.
		throw new Error(`${publicPath} exists but its private key ${privatePath} is missing`);
	}
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const { privateKey } = generateKeyPairSync('ed25519');
	const keys = keysFrom(privateKey);
	writeSecret(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
	writeSecret(publicPath, keys.publicKey.export({ format: 'pem', type: 'spki' }).toString());
	return { keys, created: true };
}

/** A fresh token id (jti): 128 random bits. */
export function newJti(): string {
	return randomBytes(16).toString('base64url');
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url');

export function signToken(claims: Claims, privateKey: KeyObject): string {
	const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
	return `${body}.${sign(null, Buffer.from(body), privateKey).toString('base64url')}`;
}

export type TokenCheck =
	| { ok: true; claims: Claims }
	| {
			ok: false;
			code: 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED';
			message: string;
	  };

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeJson(segment: string): unknown {
	if (!SEGMENT.test(segment)) throw new Error('not base64url');
	return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/**
 * Checks signature, algorithm, issuer, lifetime and the claims' shape. Revocation needs the org
 * document and is the caller's check.
 */
export function verifyToken(
	token: string | null | undefined,
	publicKey: KeyObject,
	orgId: string,
	nowSeconds = Math.floor(Date.now() / 1000)
): TokenCheck {
	if (!token) return { ok: false, code: 'TOKEN_MISSING', message: 'no token' };
	const invalid = (message: string): TokenCheck => ({ ok: false, code: 'TOKEN_INVALID', message });
	if (token.length > MAX_TOKEN_LENGTH) return invalid('token too long');
	const parts = token.split('.');
	if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return invalid('not a JWT');
	const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
	let header: unknown;
	let payload: unknown;
	try {
		header = decodeJson(headerPart);
		payload = decodeJson(payloadPart);
	} catch {
		return invalid('undecodable JWT');
	}
	if (typeof header !== 'object' || header === null || Array.isArray(header)) {
		return invalid('bad JWT header');
	}
	const h = header as Record<string, unknown>;
	// Only EdDSA: an `alg` chosen by the token itself (`none`, HS256 with the public key…) is refused.
	if (h.alg !== 'EdDSA') return invalid(`algorithm ${String(h.alg)} not accepted`);
	if (h.crit !== undefined) return invalid('critical JWT extensions not supported');
	const signature = Buffer.from(signaturePart, 'base64url');
	if (signature.length !== 64) return invalid('bad signature length');
	let good: boolean;
	try {
		good = verify(null, Buffer.from(`${headerPart}.${payloadPart}`), publicKey, signature);
	} catch {
		good = false;
	}
	if (!good) return invalid('bad signature');
	const parsed = parseClaims(payload);
	if (!parsed.ok) return invalid(`bad claims: ${parsed.problems.join('; ')}`);
	const claims = parsed.value;
	if (claims.iss !== orgId) return invalid('issued by another org');
	if (claims.exp !== undefined && claims.exp <= nowSeconds) {
		return { ok: false, code: 'TOKEN_EXPIRED', message: 'token expired' };
	}
	return { ok: true, claims };
}
