// This device's signing key (issue 6): an Ed25519 key pair made on the device at enrolment, its
// public half registered in `org.keys` by the relay (authorised by the admin's one-time code), its
// private half kept in IndexedDB (`sitepass:<orgId>:~keys`, so wiping the org's data wipes it too).
//
// Preferred: WebCrypto Ed25519 with a NON-extractable private key. IndexedDB stores the CryptoKey
// object itself (structured clone keeps it non-extractable), so no script — ours included — can
// ever read the private key out; it can only ask the browser to sign with it on this device.
//
// Fallback, where WebCrypto has no Ed25519 (Chromium before 113, Safari before 17, Firefox before
// 129), where `crypto.subtle` is missing (a page served over plain http from a LAN address is not a
// secure context), or where the browser cannot store a CryptoKey in IndexedDB: a software key
// (@noble/curves) whose 32-byte secret is stored in IndexedDB as bytes. That secret IS extractable:
// any script running on this origin on this device can read it. It is still the best available
// there: without WebCrypto Ed25519 the only alternatives are no signing at all (the user could not
// approve anything) or wrapping the secret with a non-extractable AES key, which would stop nobody
// who can already run script here (they could simply call unwrap). The secret never leaves the
// device, and revoking the device's token (or disabling the user) revokes the key in `org.keys`.
import { ed25519 } from '@noble/curves/ed25519.js';
import {
	keyIdOf,
	newSecretKey,
	softwareSigner,
	toB64url,
	verifySignature,
	type Signer
} from '../data/signing';

export type DeviceKeyKind = 'webcrypto' | 'software';

/** A Signer that also says how its private key is held. */
export interface DeviceSigner extends Signer {
	kind: DeviceKeyKind;
}

/** A key made for an enrolment: its public key goes with the request; `keep` stores it for the
 * org once the relay has accepted it (replacing any earlier key of this device for that org). */
export interface NewDeviceKey {
	signer: DeviceSigner;
	keep(orgId: string): Promise<void>;
}

type StoredKey =
	| {
			schema: 1;
			kind: 'webcrypto';
			publicKey: string;
			privateKey: CryptoKey;
			createdAt: string;
	  }
	| {
			schema: 1;
			kind: 'software';
			publicKey: string;
			/** Raw 32-byte Ed25519 secret: readable by script on this device (see above). */
			secret: Uint8Array;
			createdAt: string;
	  };

const STORE = 'keys';
const SLOT = 'device';
/** Where a key made for an enrolment waits until the relay has answered (the org id is not known
 * before). Storing it there first also proves, before the public key is sent, that it can be kept. */
const PENDING_DB = 'sitepass:~pending:~keys';
const ALGORITHM = { name: 'Ed25519' } as const;

/** The key database of an org on this device. */
export const deviceKeyDbName = (orgId: string) => `sitepass:${orgId}:~keys`;

let subtleOverride: SubtleCrypto | null | undefined;
let detected: Promise<DeviceKeyKind> | null = null;

/**
 * For tests: use this SubtleCrypto (`null`: behave as a browser without one; `undefined`: the
 * global one again) and detect support afresh.
 */
export function setDeviceKeyCrypto(subtle: SubtleCrypto | null | undefined): void {
	subtleOverride = subtle;
	detected = null;
}

function currentSubtle(): SubtleCrypto | null {
	if (subtleOverride !== undefined) return subtleOverride;
	return globalThis.crypto?.subtle ?? null;
}

const bytesOf = (data: Uint8Array) => data as Uint8Array<ArrayBuffer>;

/**
 * Which kind of key this browser makes: 'webcrypto' when it can generate a non-extractable Ed25519
 * key, export the public half and sign with it so that @noble (what every device and the relay
 * verify with) accepts the signature; else 'software'. Detected once per page.
 */
export function deviceKeyKind(): Promise<DeviceKeyKind> {
	detected ??= (async (): Promise<DeviceKeyKind> => {
		const subtle = currentSubtle();
		if (!subtle) return 'software';
		try {
			const pair = await subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
			if (pair.privateKey.extractable) return 'software';
			const publicKey = toB64url(new Uint8Array(await subtle.exportKey('raw', pair.publicKey)));
			const probe = new TextEncoder().encode('sitepass device key probe');
			const sig = new Uint8Array(await subtle.sign(ALGORITHM, pair.privateKey, probe));
			return verifySignature(publicKey, probe, toB64url(sig)) ? 'webcrypto' : 'software';
		} catch {
			return 'software';
		}
	})();
	return detected;
}

async function generate(): Promise<StoredKey> {
	const createdAt = new Date().toISOString();
	const subtle = currentSubtle();
	if (subtle && (await deviceKeyKind()) === 'webcrypto') {
		try {
			const pair = await subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
			const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
			return {
				schema: 1,
				kind: 'webcrypto',
				publicKey: toB64url(raw),
				privateKey: pair.privateKey,
				createdAt
			};
		} catch {
			// Worked when detected, fails now: fall back rather than leave the device without a key.
		}
	}
	const secret = newSecretKey();
	return {
		schema: 1,
		kind: 'software',
		publicKey: toB64url(ed25519.getPublicKey(secret)),
		secret,
		createdAt
	};
}

function signerOf(stored: StoredKey): DeviceSigner {
	if (stored.kind === 'software') return { ...softwareSigner(stored.secret), kind: 'software' };
	const { publicKey, privateKey } = stored;
	return {
		kind: 'webcrypto',
		publicKey,
		keyId: keyIdOf(publicKey),
		async sign(bytes) {
			const subtle = currentSubtle();
			if (!subtle) throw new Error('WebCrypto is not available here: this device cannot sign');
			return toB64url(new Uint8Array(await subtle.sign(ALGORITHM, privateKey, bytesOf(bytes))));
		}
	};
}

function isStoredKey(value: unknown): value is StoredKey {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as Partial<Record<string, unknown>>;
	if (v.schema !== 1 || typeof v.publicKey !== 'string') return false;
	if (v.kind === 'software') return v.secret instanceof Uint8Array && v.secret.length === 32;
	return v.kind === 'webcrypto' && typeof v.privateKey === 'object' && v.privateKey !== null;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((done, fail) => {
		req.onsuccess = () => done(req.result);
		req.onerror = () => fail(req.error);
	});
}

function openDb(name: string): Promise<IDBDatabase> {
	if (typeof indexedDB === 'undefined') {
		return Promise.reject(new Error('no IndexedDB here: this device cannot keep a signing key'));
	}
	const req = indexedDB.open(name, 1);
	req.onupgradeneeded = () => req.result.createObjectStore(STORE);
	return request(req);
}

/** Runs `body` in one readwrite transaction and resolves with its result once it is committed.
 * A throw in `body` or in a request callback passed through `guard` aborts it with that error
 * (put() throws DataCloneError at once when the value cannot be stored). */
async function inTransaction<T>(
	name: string,
	body: (
		store: IDBObjectStore,
		result: (value: T) => void,
		guard: (step: () => void) => void
	) => void
): Promise<T> {
	const db = await openDb(name);
	try {
		return await new Promise<T>((done, fail) => {
			let value: T;
			let thrown: unknown = null;
			const tx = db.transaction(STORE, 'readwrite');
			tx.oncomplete = () => done(value);
			tx.onerror = () => fail(thrown ?? tx.error);
			tx.onabort = () => fail(thrown ?? tx.error ?? new Error('transaction aborted'));
			const guard = (step: () => void) => {
				try {
					step();
				} catch (err) {
					thrown = err;
					try {
						tx.abort();
					} catch {
						fail(err);
					}
				}
			};
			guard(() => body(tx.objectStore(STORE), (v) => (value = v), guard));
		});
	} finally {
		db.close();
	}
}

/** Stores `key` unless the slot already holds one; resolves with what the slot holds after. */
function addIfAbsent(name: string, key: StoredKey): Promise<StoredKey> {
	return inTransaction<StoredKey>(name, (store, result, guard) => {
		const get = store.get(SLOT);
		get.onsuccess = () =>
			guard(() => {
				if (isStoredKey(get.result)) result(get.result);
				else {
					store.put(key, SLOT);
					result(key);
				}
			});
	});
}

function put(name: string, key: StoredKey): Promise<void> {
	return inTransaction<void>(name, (store) => void store.put(key, SLOT));
}

async function read(name: string): Promise<StoredKey | undefined> {
	const db = await openDb(name);
	try {
		const value = await request(db.transaction(STORE).objectStore(STORE).get(SLOT));
		return isStoredKey(value) ? value : undefined;
	} finally {
		db.close();
	}
}

function deleteDb(name: string): Promise<void> {
	if (typeof indexedDB === 'undefined') return Promise.resolve();
	return new Promise((done, fail) => {
		const req = indexedDB.deleteDatabase(name);
		req.onsuccess = () => done();
		req.onerror = () => fail(req.error);
		// Another tab still has it open: it goes once that tab lets go.
		req.onblocked = () => done();
	});
}

/** A new key, stored in `name` only if the slot is empty; falls back to a software key when the
 * browser cannot store the CryptoKey. */
async function storeNew(name: string, replace: boolean): Promise<StoredKey> {
	const fresh = await generate();
	const save = (key: StoredKey) =>
		replace ? put(name, key).then(() => key) : addIfAbsent(name, key);
	try {
		return await save(fresh);
	} catch (err) {
		if (fresh.kind !== 'webcrypto' || (err as Error)?.name !== 'DataCloneError') throw err;
		const secret = newSecretKey();
		return save({
			schema: 1,
			kind: 'software',
			publicKey: toB64url(ed25519.getPublicKey(secret)),
			secret,
			createdAt: fresh.createdAt
		});
	}
}

/**
 * This device's signer for `orgId`: the stored key, or a new one stored now (safe against two tabs
 * asking at once: both end up with the same key). A key made here is not registered with the org
 * (only enrolment registers keys); decisions it signs count as absent until it is.
 */
export async function deviceSigner(orgId: string): Promise<DeviceSigner> {
	const name = deviceKeyDbName(orgId);
	const stored = (await read(name)) ?? (await storeNew(name, false));
	return signerOf(stored);
}

/**
 * A fresh key for an enrolment. It is stored at once (in a waiting slot, so a device that cannot
 * keep keys finds out before it sends the public key); `keep(orgId)` makes it the org's device key.
 * Every enrolment gets a new key: one key is bound to one principal and role, for good.
 */
export async function createDeviceKey(): Promise<NewDeviceKey> {
	const stored = await storeNew(PENDING_DB, true);
	return {
		signer: signerOf(stored),
		async keep(orgId) {
			await put(deviceKeyDbName(orgId), stored);
			await deleteDb(PENDING_DB).catch(() => {});
		}
	};
}

/** Forgets this device's key for `orgId` (sign-out, wipe). Its binding in `org.keys` stays, so what
 * it signed stays verifiable; revoking the device's token revokes the binding. */
export async function forgetDeviceKey(orgId: string): Promise<void> {
	await deleteDb(deviceKeyDbName(orgId));
}

/** For tests and diagnostics: how the key stored for `orgId` is held, if there is one. */
export async function storedDeviceKey(
	orgId: string
): Promise<{ kind: DeviceKeyKind; publicKey: string; privateKey?: CryptoKey } | null> {
	const stored = await read(deviceKeyDbName(orgId));
	if (!stored) return null;
	return stored.kind === 'webcrypto'
		? { kind: stored.kind, publicKey: stored.publicKey, privateKey: stored.privateKey }
		: { kind: stored.kind, publicKey: stored.publicKey };
}
