// The ways in besides the face (人脸识别技术应用安全管理办法: face must not be the only way): a
// signed QR pass and an ID number with a PIN. Both are checked on the gate with no network, from
// the documents it holds: the pass by its Ed25519 signature against `org.keys` and the worker's
// current pass serial; the PIN against a salted PBKDF2 hash.
import type * as Y from 'yjs';
import * as v from 'valibot';
import { putRecord, type Actor } from './commands';
import { contractorDoc } from './documents';
import { Principal } from './org';
import { defineRecord, id, isoTime, readRecord, text } from './records';
import {
	canonical,
	fromB64url,
	keyBindings,
	toB64url,
	verifySignature,
	type Signer
} from './signing';

/** passes[workerId]: the serial of the worker's current pass; reissuing makes older ones void. */
export const PassRecord = defineRecord({
	name: 'PassRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		workerId: id,
		serial: v.pipe(v.number(), v.integer(), v.minValue(1)),
		issuedAt: isoTime,
		issuedBy: text(64),
		/** Passes stop working after this time (a site's works end, a contract ends). */
		expiresAt: isoTime,
		revoked: v.optional(v.boolean())
	})
});
export type PassRecord = v.InferOutput<typeof PassRecord.validate>;

/** pins[workerId]: PBKDF2-SHA256 of the worker's PIN (never the PIN). */
export const PinRecord = defineRecord({
	name: 'PinRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		workerId: id,
		salt: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/)),
		hash: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/)),
		iterations: v.pipe(v.number(), v.integer(), v.minValue(10_000), v.maxValue(10_000_000)),
		setAt: isoTime,
		setBy: text(64)
	})
});
export type PinRecord = v.InferOutput<typeof PinRecord.validate>;

const PASS_PREFIX = 'SP1';
export const PIN_ITERATIONS = 100_000;
export const PIN_PATTERN = /^\d{6}$/;

/** What a pass carries (short keys keep the QR code small and easy to scan). */
export interface PassPayload {
	/** Org id. */
	o: string;
	/** Contractor id. */
	c: string;
	/** Worker id. */
	w: string;
	/** Serial. */
	n: number;
	/** Expires (ISO time). */
	e: string;
	/** Signing key id. */
	k: string;
}

/** Issues (or reissues) a worker's pass: records the new serial and returns the signed token. */
export async function issuePass(
	doc: Y.Doc,
	orgId: string,
	contractorId: string,
	workerId: string,
	actor: Actor,
	signer: Signer,
	expiresAt: Date,
	at = new Date()
): Promise<{ token: string; record: PassRecord }> {
	const before = readRecord(PassRecord, doc.getMap('passes').get(workerId));
	const serial = before.ok ? before.record.serial + 1 : 1;
	const payload: PassPayload = {
		o: orgId,
		c: contractorId,
		w: workerId,
		n: serial,
		e: expiresAt.toISOString(),
		k: signer.keyId
	};
	const bytes = new TextEncoder().encode(canonical(payload));
	const sig = await signer.sign(bytes);
	const record = putRecord(
		doc,
		contractorDoc(contractorId),
		actor,
		'passes',
		workerId,
		PassRecord,
		{
			schema: 1,
			workerId,
			serial,
			issuedAt: at.toISOString(),
			issuedBy: actor.claims.sub,
			expiresAt: payload.e
		}
	);
	return { token: `${PASS_PREFIX}.${toB64url(bytes)}.${sig}`, record };
}

export type PassProblem =
	| 'MALFORMED'
	| 'OTHER_ORG'
	| 'UNKNOWN_KEY'
	| 'BAD_SIGNATURE'
	| 'KEY_NOT_ALLOWED'
	| 'EXPIRED'
	| 'SUPERSEDED'
	| 'REVOKED'
	| 'UNKNOWN_WORKER';

export type PassCheck =
	| { ok: true; contractorId: string; workerId: string; serial: number }
	| { ok: false; problem: PassProblem };

interface MapLike {
	get(key: string): unknown;
	values(): Iterable<unknown>;
}
interface DocLike {
	getMap(name: string): MapLike;
}

/** Reads a token's payload without checking it (to know which contractor document to open). */
export function readPass(token: string): PassPayload | null {
	const parts = token.trim().split('.');
	if (parts.length !== 3 || parts[0] !== PASS_PREFIX) return null;
	try {
		const p = JSON.parse(new TextDecoder().decode(fromB64url(parts[1]!))) as PassPayload;
		if (
			typeof p.o !== 'string' ||
			typeof p.c !== 'string' ||
			typeof p.w !== 'string' ||
			typeof p.n !== 'number' ||
			typeof p.e !== 'string' ||
			typeof p.k !== 'string'
		)
			return null;
		return p;
	} catch {
		return null;
	}
}

/**
 * Checks a scanned pass offline: signed by a key the org bound to staff or to the worker's own
 * contractor (not revoked when it signed), not expired, and still the worker's current pass.
 */
export function checkPass(
	token: string,
	orgId: string,
	org: DocLike,
	contractor: DocLike | null,
	at = new Date()
): PassCheck {
	const payload = readPass(token);
	if (!payload) return { ok: false, problem: 'MALFORMED' };
	if (payload.o !== orgId) return { ok: false, problem: 'OTHER_ORG' };
	const binding = keyBindings(org.getMap('keys')).get(payload.k);
	if (!binding) return { ok: false, problem: 'UNKNOWN_KEY' };
	const [, body, sig] = token.trim().split('.');
	if (!verifySignature(binding.publicKey, fromB64url(body!), sig!))
		return { ok: false, problem: 'BAD_SIGNATURE' };
	// The bytes signed must be the canonical form, or two tokens could carry one payload.
	if (canonical(payload) !== new TextDecoder().decode(fromB64url(body!)))
		return { ok: false, problem: 'MALFORMED' };
	if (binding.revokedAt && binding.revokedAt <= at.toISOString())
		return { ok: false, problem: 'KEY_NOT_ALLOWED' };
	if (binding.role === 'contractor') {
		const principal = readRecord(Principal, org.getMap('users').get(binding.principal));
		if (!principal.ok || principal.record.contractor !== payload.c)
			return { ok: false, problem: 'KEY_NOT_ALLOWED' };
	} else if (binding.role !== 'staff' && binding.role !== 'admin') {
		return { ok: false, problem: 'KEY_NOT_ALLOWED' };
	}
	if (Date.parse(payload.e) <= at.getTime()) return { ok: false, problem: 'EXPIRED' };
	if (!contractor) return { ok: false, problem: 'UNKNOWN_WORKER' };
	if (!contractor.getMap('workers').get(payload.w)) return { ok: false, problem: 'UNKNOWN_WORKER' };
	const current = readRecord(PassRecord, contractor.getMap('passes').get(payload.w));
	if (!current.ok || current.record.serial !== payload.n)
		return { ok: false, problem: 'SUPERSEDED' };
	if (current.record.revoked) return { ok: false, problem: 'REVOKED' };
	return { ok: true, contractorId: payload.c, workerId: payload.w, serial: payload.n };
}

async function pbkdf2(pin: string, salt: Uint8Array, iterations: number): Promise<string> {
	const subtle = globalThis.crypto.subtle;
	const key = await subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, [
		'deriveBits'
	]);
	const bits = await subtle.deriveBits(
		{ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
		key,
		256
	);
	return toB64url(new Uint8Array(bits));
}

/** Sets a worker's 6-digit PIN (typed by the worker, on the contractor's or staff's device). */
export async function setPin(
	doc: Y.Doc,
	contractorId: string,
	workerId: string,
	actor: Actor,
	pin: string,
	at = new Date(),
	iterations = PIN_ITERATIONS
): Promise<PinRecord> {
	if (!PIN_PATTERN.test(pin)) throw new RangeError('PIN must be 6 digits');
	if (/^(\d)\1{5}$/.test(pin) || '0123456789'.includes(pin) || '9876543210'.includes(pin))
		throw new RangeError('PIN too easy to guess');
	const salt = globalThis.crypto.getRandomValues(new Uint8Array(16));
	const hash = await pbkdf2(pin, salt, iterations);
	return putRecord(doc, contractorDoc(contractorId), actor, 'pins', workerId, PinRecord, {
		schema: 1,
		workerId,
		salt: toB64url(salt),
		hash,
		iterations,
		setAt: at.toISOString(),
		setBy: actor.claims.sub
	});
}

/** Whether `pin` is the worker's PIN. Constant work whatever the answer (PBKDF2 always runs). */
export async function checkPin(
	contractor: DocLike,
	workerId: string,
	pin: string
): Promise<boolean> {
	const read = readRecord(PinRecord, contractor.getMap('pins').get(workerId));
	const salt = read.ok ? fromB64url(read.record.salt) : new Uint8Array(16);
	const hash = await pbkdf2(pin, salt, read.ok ? read.record.iterations : PIN_ITERATIONS);
	return read.ok && PIN_PATTERN.test(pin) && hash === read.record.hash;
}

/**
 * Failed PIN attempts on this gate: after `max` failures a worker's PIN is locked for `lockMs`
 * (six digits are a million guesses; this keeps a stranger at the gate to a handful).
 */
export class PinLockout {
	#fails = new Map<string, { count: number; until: number }>();
	constructor(
		readonly max = 5,
		readonly lockMs = 15 * 60_000
	) {}

	lockedUntil(workerId: string, now = Date.now()): number | null {
		const f = this.#fails.get(workerId);
		return f && f.until > now ? f.until : null;
	}

	fail(workerId: string, now = Date.now()): void {
		const f = this.#fails.get(workerId) ?? { count: 0, until: 0 };
		f.count += 1;
		if (f.count >= this.max) {
			f.until = now + this.lockMs;
			f.count = 0;
		}
		this.#fails.set(workerId, f);
	}

	succeed(workerId: string): void {
		this.#fails.delete(workerId);
	}
}
