// The offline bundle file (issue 11, point 4): a site with no network carries its documents to
// headquarters on a USB stick. One file holds a signed header and a payload:
//
//   "SPBUNDLE" (8 bytes) · version (1 byte) · header length (u32 BE) · header (UTF-8 JSON)
//   · Ed25519 signature (64 bytes) · token MAC (32 bytes) · payload
//
// The header names the format version, the org, the exporting relay's public key (SPKI, base64url),
// the claims part (`header.payload`, without the signature) of the HQ-signed relay token that
// authorises the data, when it was made, the payload's length and SHA-256, and per document its
// name, byte length and the SHA-256 of its part (the document's full Yjs state, or a diff since a
// state vector the receiver exported). The signature, made with the exporting relay's private key,
// covers a domain tag and the exact header bytes — and so the payload, through its hash.
//
// The relay token is a bearer secret valid on headquarters' sockets for a year, so its signature
// never goes in the file. It is the key of the token MAC instead: HMAC-SHA256(key = the token's
// 64 signature bytes, message = a domain tag · SHA-256 of the header bytes). Whoever holds the
// token (the site relay) can make it; headquarters recomputes the token's signature from the claims
// part with its own private key (Ed25519 signatures are deterministic) and checks the MAC. A copy of
// the file gives neither a usable token nor a way to make a bundle with another header (another
// exporter key to pin, other documents). With a passphrase the payload is AES-256-GCM ciphertext under a key
// from scrypt with fixed parameters (SCRYPT; a header naming others is refused, so a file cannot
// make the importing relay spend what it chooses); salt and nonce are in the (signed) header. Document names and sizes
// stay readable in the header so the receiver can refuse a bundle before asking for a passphrase.
import {
	createCipheriv,
	createDecipheriv,
	createHash,
	createHmac,
	createPublicKey,
	randomBytes,
	scrypt,
	scryptSync,
	sign,
	timingSafeEqual,
	verify,
	type KeyObject
} from 'node:crypto';
import * as v from 'valibot';
import { MAX_DOC_NAME_LENGTH } from '../../src/lib/data/documents';

export const MAGIC = Buffer.from('SPBUNDLE', 'ascii');
/** 2: the token's signature left the file (version 1 carried the whole token). */
export const FORMAT_VERSION = 2;
/** What the signature covers besides the header: no other Ed25519 signature can pass as one. */
const SIGNATURE_DOMAIN = Buffer.from('sitepass-bundle-v1\n', 'utf8');
const MAX_HEADER_BYTES = 1024 * 1024;
const SIGNATURE_BYTES = 64;
const MAC_BYTES = 32;
/** What the token MAC covers besides the header's digest. */
const MAC_DOMAIN = Buffer.from('sitepass-bundle-token-mac-v2\n', 'utf8');
/**
 * scrypt cost: N = 2^15, r = 8 (32 MiB, about 0.1 s here), p = 1. The only parameters a bundle
 * may name: the importer refuses others before deriving anything.
 */
export const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
const GCM_TAG_BYTES = 16;
/** Bound to the ciphertext, so a payload cannot be moved into a bundle of another kind. */
const GCM_AAD = Buffer.from('sitepass-bundle-payload-v1', 'utf8');

const b64url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]*$/, 'not base64url'));
const sha256hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a SHA-256'));
const size = v.pipe(v.number(), v.integer(), v.minValue(0));

const Encryption = v.object({
	alg: v.literal('aes-256-gcm'),
	kdf: v.literal('scrypt'),
	N: v.pipe(v.number(), v.integer(), v.minValue(1024), v.maxValue(1 << 20)),
	r: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(32)),
	p: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(16)),
	salt: b64url,
	nonce: b64url
});

const Part = v.object({
	name: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_DOC_NAME_LENGTH)),
	bytes: size,
	sha256: sha256hex,
	/** True when the part is a diff since the receiver's state vector (`--since`), not the whole. */
	diff: v.optional(v.boolean())
});

export const BundleHeader = v.object({
	format: v.literal(FORMAT_VERSION),
	/** 'site-to-hq': a site's documents for headquarters; 'hq-to-site': org and blacklist. */
	direction: v.picklist(['site-to-hq', 'hq-to-site']),
	orgId: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
	/** The exporting relay's Ed25519 public key, SPKI DER, base64url. */
	exporterKey: b64url,
	/**
	 * The HQ-signed relay token (role relay) whose claims decide what the bundle may write: its
	 * `header.payload` part only; its signature keys the token MAC and is never in the file.
	 */
	tokenClaims: v.pipe(
		v.string(),
		v.maxLength(8192),
		v.regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'not the claims part of a token')
	),
	createdAt: v.pipe(v.string(), v.isoTimestamp()),
	payload: v.object({ bytes: size, sha256: sha256hex }),
	encryption: v.nullable(Encryption),
	docs: v.pipe(v.array(Part), v.maxLength(100_000))
});
export type BundleHeader = v.InferOutput<typeof BundleHeader>;
export type BundlePart = v.InferOutput<typeof Part>;

/** Why a bundle is refused; `code` is stable, `message` is an English sentence for the CLI. */
export class BundleError extends Error {
	constructor(
		readonly code: BundleErrorCode,
		message: string,
		/** The document the refusal is about, when there is one. */
		readonly doc?: string
	) {
		super(message);
	}
}

export type BundleErrorCode =
	| 'BUNDLE_MALFORMED'
	| 'BUNDLE_VERSION'
	| 'BUNDLE_TAMPERED'
	| 'BUNDLE_SIGNATURE'
	| 'BUNDLE_PASSPHRASE_NEEDED'
	| 'BUNDLE_ENCRYPTION'
	| 'BUNDLE_PASSPHRASE_WRONG'
	| 'BUNDLE_OTHER_ORG'
	| 'BUNDLE_TOKEN_INVALID'
	| 'BUNDLE_TOKEN_MAC'
	| 'BUNDLE_TOKEN_REVOKED'
	| 'BUNDLE_TOKEN_ROLE'
	| 'BUNDLE_KEY_MISMATCH'
	| 'BUNDLE_DOC_FORBIDDEN'
	| 'BUNDLE_DOC_REFUSED'
	| 'BUNDLE_DIRECTION'
	| 'BUNDLE_SITE_UNKNOWN'
	| 'BUNDLE_OTHER_SITE'
	| 'BUNDLE_PARTIAL';

export function sha256(data: Uint8Array): string {
	return createHash('sha256').update(data).digest('hex');
}

/** An Ed25519 public key from its SPKI base64url form; null when it is not one. */
export function publicKeyFromSpki(spki: string): KeyObject | null {
	try {
		const key = createPublicKey({
			key: Buffer.from(spki, 'base64url'),
			format: 'der',
			type: 'spki'
		});
		return key.asymmetricKeyType === 'ed25519' ? key : null;
	} catch {
		return null;
	}
}

/** The export side (the CLI, never a serving relay): synchronous. */
function deriveKeySync(
	passphrase: string,
	salt: Buffer,
	cost: { N: number; r: number; p: number }
) {
	return scryptSync(passphrase.normalize('NFC'), salt, 32, { ...cost, maxmem: 4 * SCRYPT_MAXMEM });
}

/** The import side (also a serving relay): on libuv's thread pool, off the event loop. */
function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		scrypt(
			passphrase.normalize('NFC'),
			salt,
			32,
			{ ...SCRYPT, maxmem: SCRYPT_MAXMEM },
			(err, key) => (err ? reject(err) : resolve(key))
		);
	});
}

/** Whether a header's scrypt parameters are exactly SCRYPT. */
function isOurScrypt(e: { N: number; r: number; p: number }): boolean {
	return e.N === SCRYPT.N && e.r === SCRYPT.r && e.p === SCRYPT.p;
}

/** A token's claims part (`header.payload`) and signature bytes; null when it is not a JWT. */
export function splitToken(token: string): { claims: string; signature: Buffer } | null {
	const parts = token.split('.');
	if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return null;
	return { claims: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
}

/** The token MAC of a bundle header (see the top of this file). */
export function tokenMac(tokenSignature: Uint8Array, headerBytes: Uint8Array): Buffer {
	return createHmac('sha256', tokenSignature)
		.update(MAC_DOMAIN)
		.update(createHash('sha256').update(headerBytes).digest())
		.digest();
}

export interface EncodeInput {
	direction: BundleHeader['direction'];
	orgId: string;
	/** The whole relay token: its claims part goes in the header, its signature keys the MAC. */
	token: string;
	/** The exporting relay's keys: the signature and the header's `exporterKey`. */
	privateKey: KeyObject;
	publicKeySpki: string;
	parts: { name: string; data: Uint8Array; diff?: boolean }[];
	passphrase?: string;
	createdAt?: Date;
	/** Only for tests of the refusal: other scrypt parameters, which no importer accepts. */
	scrypt?: { N: number; r: number; p: number };
}

/** Builds the bundle file's bytes. */
export function encodeBundle(input: EncodeInput): Buffer {
	const token = splitToken(input.token);
	if (!token) throw new Error('the relay token is not a JWT (header.payload.signature)');
	const plain = Buffer.concat(input.parts.map((p) => p.data));
	let payload: Buffer = plain;
	let encryption: BundleHeader['encryption'] = null;
	if (input.passphrase !== undefined) {
		if (input.passphrase.length === 0) throw new Error('the passphrase is empty');
		const cost = input.scrypt ?? SCRYPT;
		const salt = randomBytes(16);
		const nonce = randomBytes(12);
		const cipher = createCipheriv(
			'aes-256-gcm',
			deriveKeySync(input.passphrase, salt, cost),
			nonce
		);
		cipher.setAAD(GCM_AAD);
		payload = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
		encryption = {
			alg: 'aes-256-gcm',
			kdf: 'scrypt',
			...cost,
			salt: salt.toString('base64url'),
			nonce: nonce.toString('base64url')
		};
	}
	const header: BundleHeader = {
		format: FORMAT_VERSION,
		direction: input.direction,
		orgId: input.orgId,
		exporterKey: input.publicKeySpki,
		tokenClaims: token.claims,
		createdAt: (input.createdAt ?? new Date()).toISOString(),
		payload: { bytes: payload.length, sha256: sha256(payload) },
		encryption,
		docs: input.parts.map((p) => ({
			name: p.name,
			bytes: p.data.length,
			sha256: sha256(p.data),
			...(p.diff ? { diff: true } : {})
		}))
	};
	const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
	const signature = sign(null, Buffer.concat([SIGNATURE_DOMAIN, headerBytes]), input.privateKey);
	const length = Buffer.alloc(4);
	length.writeUInt32BE(headerBytes.length);
	return Buffer.concat([
		MAGIC,
		Buffer.from([FORMAT_VERSION]),
		length,
		headerBytes,
		signature,
		tokenMac(token.signature, headerBytes),
		payload
	]);
}

/** A bundle whose structure, payload hash and signature have been checked (not its token). */
export interface OpenedBundle {
	header: BundleHeader;
	/** The payload as stored (ciphertext when encrypted). */
	payload: Buffer;
	/** SHA-256 of the header bytes: the bundle's identity in logs. */
	id: string;
	/** The header as stored (what the token MAC covers). */
	headerBytes: Buffer;
	/** The token MAC as stored; `checkTokenMac` checks it. */
	mac: Buffer;
}

/**
 * Checks the token MAC with the token's signature (which only its holder and the issuing relay
 * can know). Constant time.
 */
export function tokenMacMatches(bundle: OpenedBundle, tokenSignature: Uint8Array): boolean {
	const expected = tokenMac(tokenSignature, bundle.headerBytes);
	return expected.length === bundle.mac.length && timingSafeEqual(expected, bundle.mac);
}

/**
 * Parses a bundle file and checks, in this order: the layout, the header's shape, the payload's
 * length and SHA-256, and the signature with the key the header names. Who that key belongs to
 * and what the token allows are the importer's checks.
 */
export function openBundle(file: Uint8Array): OpenedBundle {
	const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
	const malformed = (why: string) =>
		new BundleError('BUNDLE_MALFORMED', `This is not a SitePass bundle (${why}).`);
	if (buf.length < MAGIC.length + 5 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
		throw malformed('the file does not start with SPBUNDLE');
	}
	const version = buf[MAGIC.length]!;
	if (version !== FORMAT_VERSION) {
		throw new BundleError(
			'BUNDLE_VERSION',
			version < FORMAT_VERSION
				? `The bundle is in the older format ${version} (it carried the whole relay token); this SitePass reads format ${FORMAT_VERSION} only. Export it again with the current SitePass.`
				: `The bundle is in format ${version}; this SitePass reads format ${FORMAT_VERSION}. Update SitePass on the importing side.`
		);
	}
	const headerLength = buf.readUInt32BE(MAGIC.length + 1);
	const headerStart = MAGIC.length + 5;
	const signatureStart = headerStart + headerLength;
	const payloadStart = signatureStart + SIGNATURE_BYTES + MAC_BYTES;
	if (headerLength > MAX_HEADER_BYTES || payloadStart > buf.length) {
		throw malformed('the file is cut short or its header length is wrong');
	}
	const headerBytes = buf.subarray(headerStart, signatureStart);
	const signature = buf.subarray(signatureStart, signatureStart + SIGNATURE_BYTES);
	const mac = buf.subarray(signatureStart + SIGNATURE_BYTES, payloadStart);
	const payload = buf.subarray(payloadStart);
	let raw: unknown;
	try {
		raw = JSON.parse(headerBytes.toString('utf8'));
	} catch {
		throw new BundleError(
			'BUNDLE_TAMPERED',
			'The bundle header is damaged (not readable JSON); the file was altered or copied incompletely.'
		);
	}
	const parsed = v.safeParse(BundleHeader, raw);
	if (!parsed.success) {
		const why = parsed.issues
			.slice(0, 3)
			.map((i) => `${v.getDotPath(i) ?? 'header'}: ${i.message}`)
			.join('; ');
		throw new BundleError('BUNDLE_TAMPERED', `The bundle header is damaged or altered (${why}).`);
	}
	const header = parsed.output;
	const key = publicKeyFromSpki(header.exporterKey);
	if (!key) {
		throw new BundleError(
			'BUNDLE_SIGNATURE',
			'The exporting relay key in the bundle is not an Ed25519 key.'
		);
	}
	let good = false;
	try {
		good = verify(null, Buffer.concat([SIGNATURE_DOMAIN, headerBytes]), key, signature);
	} catch {
		good = false;
	}
	if (!good) {
		throw new BundleError(
			'BUNDLE_SIGNATURE',
			'The bundle signature does not match its header: the file was altered after export.'
		);
	}
	if (payload.length !== header.payload.bytes || sha256(payload) !== header.payload.sha256) {
		throw new BundleError(
			'BUNDLE_TAMPERED',
			'The bundle content does not match its signed checksum: the file was altered or copied incompletely.'
		);
	}
	if (header.encryption && !isOurScrypt(header.encryption)) {
		const e = header.encryption;
		throw new BundleError(
			'BUNDLE_ENCRYPTION',
			`The bundle's key derivation uses scrypt N=${e.N}, r=${e.r}, p=${e.p}; SitePass uses only N=${SCRYPT.N}, r=${SCRYPT.r}, p=${SCRYPT.p}. Export it again with SitePass.`
		);
	}
	const partsTotal = header.docs.reduce((n, d) => n + d.bytes, 0);
	const expected = header.encryption ? partsTotal + GCM_TAG_BYTES : partsTotal;
	if (expected !== payload.length) {
		throw malformed('the document sizes do not add up to the payload');
	}
	const names = new Set(header.docs.map((d) => d.name));
	if (names.size !== header.docs.length) throw malformed('a document is listed twice');
	return { header, payload, id: sha256(headerBytes), headerBytes, mac };
}

/**
 * The documents' parts, decrypted when needed, each checked against its SHA-256 in the signed
 * header.
 */
export async function bundleParts(
	bundle: OpenedBundle,
	passphrase?: string
): Promise<{ name: string; data: Uint8Array; diff: boolean }[]> {
	const { header } = bundle;
	let plain = bundle.payload;
	if (header.encryption) {
		if (passphrase === undefined || passphrase.length === 0) {
			throw new BundleError(
				'BUNDLE_PASSPHRASE_NEEDED',
				'The bundle is encrypted: give the passphrase it was exported with (--passphrase-file).'
			);
		}
		const e = header.encryption;
		const body = bundle.payload.subarray(0, bundle.payload.length - GCM_TAG_BYTES);
		const tag = bundle.payload.subarray(bundle.payload.length - GCM_TAG_BYTES);
		if (!isOurScrypt(e)) throw new Error('unreachable: openBundle refuses other scrypt parameters');
		const key = await deriveKey(passphrase, Buffer.from(e.salt, 'base64url'));
		try {
			const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(e.nonce, 'base64url'));
			decipher.setAAD(GCM_AAD);
			decipher.setAuthTag(tag);
			plain = Buffer.concat([decipher.update(body), decipher.final()]);
		} catch {
			// The ciphertext's checksum was verified under the signature, so only the key is wrong.
			throw new BundleError(
				'BUNDLE_PASSPHRASE_WRONG',
				'The passphrase is wrong: the bundle cannot be decrypted with it.'
			);
		}
	}
	const parts: { name: string; data: Uint8Array; diff: boolean }[] = [];
	let offset = 0;
	for (const d of header.docs) {
		const data = plain.subarray(offset, offset + d.bytes);
		offset += d.bytes;
		if (sha256(data) !== d.sha256) {
			throw new BundleError(
				'BUNDLE_TAMPERED',
				`The part for ${d.name} does not match its signed checksum.`,
				d.name
			);
		}
		parts.push({ name: d.name, data: new Uint8Array(data), diff: d.diff === true });
	}
	return parts;
}

/**
 * The claims inside a token or its claims part, without checking its signature (the exporter
 * cannot: HQ signed it).
 */
export function peekClaims(token: string): Record<string, unknown> | null {
	const parts = token.split('.');
	if (parts.length !== 3 && parts.length !== 2) return null;
	try {
		const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
		return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
			? (payload as Record<string, unknown>)
			: null;
	} catch {
		return null;
	}
}
