// Signed records (issue 6): a canonical encoding, Ed25519 signatures checked the same way on every
// device and on the relay (@noble/curves: synchronous, so the relay can check an update before it
// stores it), and the hash a record is kept under. Keys are bound to a person and a role by the
// `org` document (`keys`), written by the relay at enrolment.
import { ed25519 } from '@noble/curves/ed25519.js';
import { digest } from 'lib0/hash/sha256';
import * as v from 'valibot';
import { ROLES, STAFF_ROLES } from './access';
import { defineRecord, id, isoTime, readRecord, text } from './records';

const b64url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/, 'not base64url'));

/** org.keys[keyId]: a device's public signing key, bound to who held it and in which role. */
export const KeyBinding = defineRecord({
	name: 'KeyBinding',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		/** keyIdOf(publicKey). */
		id: text(64),
		principal: id,
		/** Raw 32-byte Ed25519 public key, base64url. */
		publicKey: v.pipe(b64url, v.length(43)),
		role: v.picklist(ROLES),
		staffRole: v.optional(v.picklist(STAFF_ROLES)),
		sites: v.array(id),
		/** The key signs for this role from here on… */
		validFrom: isoTime,
		/** …until the admin revokes it (role change, lost device). */
		revokedAt: v.optional(isoTime),
		/** The enrolment (token id) it came with. */
		jti: v.optional(text(64)),
		registeredBy: text(64)
	})
});
export type KeyBinding = v.InferOutput<typeof KeyBinding.validate>;

export function toB64url(bytes: Uint8Array): string {
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64url(text: string): Uint8Array {
	const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
	const out = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
	return out;
}

const hex = (bytes: Uint8Array) =>
	Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function sha256Hex(data: Uint8Array | string): string {
	return hex(digest(typeof data === 'string' ? new TextEncoder().encode(data) : data));
}

/** A key's id: the first 128 bits of the SHA-256 of the raw public key, hex. */
export function keyIdOf(publicKey: string): string {
	return sha256Hex(fromB64url(publicKey)).slice(0, 32);
}

/**
 * Canonical JSON: object keys sorted, no whitespace, no undefined members; numbers must be
 * finite. Two devices encode the same record to the same bytes whatever order they built it in.
 */
export function canonical(value: unknown): string {
	if (value === null || typeof value === 'boolean' || typeof value === 'string')
		return JSON.stringify(value);
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new Error('canonical: non-finite number');
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
	}
	throw new Error(`canonical: cannot encode ${typeof value}`);
}

/** The bytes a signature covers: the record without its signature. */
export function signedBytes(record: Record<string, unknown>): Uint8Array {
	const rest = { ...record };
	delete rest.sig;
	return new TextEncoder().encode(canonical(rest));
}

/** The key a signed record is stored under: SHA-256 of its canonical encoding, signature included. */
export function recordHash(record: Record<string, unknown>): string {
	return sha256Hex(canonical(record));
}

export function verifySignature(publicKey: string, bytes: Uint8Array, sig: string): boolean {
	try {
		return ed25519.verify(fromB64url(sig), bytes, fromB64url(publicKey));
	} catch {
		return false;
	}
}

/** What signs on this device: WebCrypto (non-extractable) or the tested software fallback. */
export interface Signer {
	publicKey: string;
	keyId: string;
	sign(bytes: Uint8Array): Promise<string>;
}

/** A signer over a raw 32-byte secret (the fallback; also tests and tools). */
export function softwareSigner(secretKey: Uint8Array): Signer {
	const publicKey = toB64url(ed25519.getPublicKey(secretKey));
	return {
		publicKey,
		keyId: keyIdOf(publicKey),
		sign: async (bytes) => toB64url(ed25519.sign(bytes, secretKey))
	};
}

export function newSecretKey(): Uint8Array {
	return ed25519.utils.randomSecretKey();
}

/** Key bindings by id, from `org.keys`. */
export function keyBindings(keys: { values(): Iterable<unknown> }): Map<string, KeyBinding> {
	const out = new Map<string, KeyBinding>();
	for (const raw of keys.values()) {
		const read = readRecord(KeyBinding, raw);
		if (read.ok && read.record.id === keyIdOf(read.record.publicKey))
			out.set(read.record.id, read.record);
	}
	return out;
}
