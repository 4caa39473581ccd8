// The device's signing key, against IndexedDB (fake-indexeddb) and Node's WebCrypto: the preferred
// non-extractable WebCrypto key and the software fallback both sign what @noble verifies, survive a
// reload, and are made once however many callers ask at the same time.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keyIdOf, verifySignature } from '../data/signing';
import * as deviceKey from './device-key';

const bytes = (s: string) => new TextEncoder().encode(s);

/** The module as a page loads it after a reload: nothing remembered but what IndexedDB holds. */
async function reloaded(): Promise<typeof deviceKey> {
	vi.resetModules();
	return import('./device-key');
}

/** Node's SubtleCrypto with some methods replaced. */
function subtleWith(overrides: Partial<SubtleCrypto>): SubtleCrypto {
	const real = globalThis.crypto.subtle;
	return new Proxy(real, {
		get(target, prop) {
			const own = (overrides as Record<string | symbol, unknown>)[prop];
			if (own) return own;
			const value = Reflect.get(target, prop);
			return typeof value === 'function' ? value.bind(target) : value;
		}
	});
}

afterEach(() => deviceKey.setDeviceKeyCrypto(undefined));

describe('WebCrypto Ed25519 (preferred)', () => {
	it('is detected, keeps the private key non-extractable and signs what @noble verifies', async () => {
		expect(await deviceKey.deviceKeyKind()).toBe('webcrypto');
		const signer = await deviceKey.deviceSigner('org-web');
		expect(signer.kind).toBe('webcrypto');
		expect(signer.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(signer.keyId).toBe(keyIdOf(signer.publicKey));
		const sig = await signer.sign(bytes('approve w1 step 0'));
		expect(sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
		expect(verifySignature(signer.publicKey, bytes('approve w1 step 0'), sig)).toBe(true);
		expect(verifySignature(signer.publicKey, bytes('approve w1 step 1'), sig)).toBe(false);

		const stored = await deviceKey.storedDeviceKey('org-web');
		expect(stored?.kind).toBe('webcrypto');
		expect(stored?.privateKey).toBeInstanceOf(CryptoKey);
		expect(stored?.privateKey?.extractable).toBe(false);
		await expect(
			globalThis.crypto.subtle.exportKey('pkcs8', stored!.privateKey!)
		).rejects.toThrow();
	});

	it('persists across a reload: the same key signs again', async () => {
		const first = await deviceKey.deviceSigner('org-web-reload');
		const again = await (await reloaded()).deviceSigner('org-web-reload');
		expect(again.kind).toBe('webcrypto');
		expect(again.keyId).toBe(first.keyId);
		const sig = await again.sign(bytes('after reload'));
		expect(verifySignature(first.publicKey, bytes('after reload'), sig)).toBe(true);
	});

	it('two callers at once get one key; orgs get separate keys', async () => {
		const [a, b, c] = await Promise.all([
			deviceKey.deviceSigner('org-race'),
			deviceKey.deviceSigner('org-race'),
			(await reloaded()).deviceSigner('org-race')
		]);
		expect(new Set([a.keyId, b.keyId, c.keyId]).size).toBe(1);
		expect((await deviceKey.storedDeviceKey('org-race'))?.publicKey).toBe(a.publicKey);
		const other = await deviceKey.deviceSigner('org-race-2');
		expect(other.keyId).not.toBe(a.keyId);
	});
});

describe('software fallback', () => {
	it('without WebCrypto: a software key that verifies and persists across a reload', async () => {
		deviceKey.setDeviceKeyCrypto(null);
		expect(await deviceKey.deviceKeyKind()).toBe('software');
		const signer = await deviceKey.deviceSigner('org-soft');
		expect(signer.kind).toBe('software');
		const sig = await signer.sign(bytes('approve'));
		expect(verifySignature(signer.publicKey, bytes('approve'), sig)).toBe(true);
		expect(await deviceKey.storedDeviceKey('org-soft')).toEqual({
			kind: 'software',
			publicKey: signer.publicKey
		});

		// After the reload WebCrypto is back (a browser update): the stored software key is kept,
		// since it is the one the org has bound.
		const next = await reloaded();
		expect(await next.deviceKeyKind()).toBe('webcrypto');
		const again = await next.deviceSigner('org-soft');
		expect(again).toMatchObject({ kind: 'software', keyId: signer.keyId });
		expect(verifySignature(signer.publicKey, bytes('x'), await again.sign(bytes('x')))).toBe(true);
	});

	it('WebCrypto without Ed25519 (generateKey throws, as in older Chromium and Safari)', async () => {
		deviceKey.setDeviceKeyCrypto(
			subtleWith({
				generateKey: (async () => {
					throw new DOMException('Unrecognized name.', 'NotSupportedError');
				}) as SubtleCrypto['generateKey']
			})
		);
		expect(await deviceKey.deviceKeyKind()).toBe('software');
		const signer = await deviceKey.deviceSigner('org-no-ed25519');
		expect(signer.kind).toBe('software');
		expect(verifySignature(signer.publicKey, bytes('m'), await signer.sign(bytes('m')))).toBe(true);
	});

	it('WebCrypto whose signatures @noble rejects counts as missing', async () => {
		deviceKey.setDeviceKeyCrypto(
			subtleWith({ sign: (async () => new Uint8Array(64).buffer) as SubtleCrypto['sign'] })
		);
		expect(await deviceKey.deviceKeyKind()).toBe('software');
	});

	it('a CryptoKey the browser cannot store in IndexedDB: falls back and stores a software key', async () => {
		const real = globalThis.crypto.subtle;
		const inner = new WeakMap<object, CryptoKey>();
		deviceKey.setDeviceKeyCrypto(
			subtleWith({
				generateKey: (async (alg: AlgorithmIdentifier, _x: boolean, usages: KeyUsage[]) => {
					const pair = (await real.generateKey(alg, false, usages)) as CryptoKeyPair;
					// Not structured-cloneable (a function member): put() throws DataCloneError.
					const privateKey = { extractable: false, cannotClone: () => {} };
					inner.set(privateKey, pair.privateKey);
					return { publicKey: pair.publicKey, privateKey };
				}) as unknown as SubtleCrypto['generateKey'],
				sign: ((alg: AlgorithmIdentifier, key: CryptoKey, data: BufferSource) =>
					real.sign(alg, inner.get(key) ?? key, data)) as SubtleCrypto['sign']
			})
		);
		expect(await deviceKey.deviceKeyKind()).toBe('webcrypto');
		const signer = await deviceKey.deviceSigner('org-no-clone');
		expect(signer.kind).toBe('software');
		expect(verifySignature(signer.publicKey, bytes('m'), await signer.sign(bytes('m')))).toBe(true);
		const again = await (await reloaded()).deviceSigner('org-no-clone');
		expect(again.keyId).toBe(signer.keyId);
	});
});

describe('enrolment and forgetting', () => {
	it('a key made for an enrolment becomes the org key once kept, replacing an older one', async () => {
		const old = await deviceKey.deviceSigner('org-enrol');
		const fresh = await deviceKey.createDeviceKey();
		expect(fresh.signer.kind).toBe('webcrypto');
		expect(fresh.signer.keyId).not.toBe(old.keyId);
		// Not the org's key until the relay has accepted it.
		expect((await deviceKey.deviceSigner('org-enrol')).keyId).toBe(old.keyId);
		await fresh.keep('org-enrol');
		const after = await (await reloaded()).deviceSigner('org-enrol');
		expect(after.keyId).toBe(fresh.signer.keyId);
		const sig = await after.sign(bytes('signed after enrolment'));
		expect(verifySignature(fresh.signer.publicKey, bytes('signed after enrolment'), sig)).toBe(
			true
		);
		const names = (await indexedDB.databases()).map((d) => d.name);
		expect(names).toContain('sitepass:org-enrol:~keys');
		expect(names).not.toContain('sitepass:~pending:~keys');
	});

	it('the fallback works for enrolment too', async () => {
		deviceKey.setDeviceKeyCrypto(null);
		const fresh = await deviceKey.createDeviceKey();
		expect(fresh.signer.kind).toBe('software');
		await fresh.keep('org-enrol-soft');
		const after = await (await reloaded()).deviceSigner('org-enrol-soft');
		expect(after).toMatchObject({ kind: 'software', keyId: fresh.signer.keyId });
	});

	it('forgetDeviceKey deletes the key: the next call makes a new one', async () => {
		const first = await deviceKey.deviceSigner('org-forget');
		await deviceKey.forgetDeviceKey('org-forget');
		expect(await deviceKey.storedDeviceKey('org-forget')).toBeNull();
		const second = await deviceKey.deviceSigner('org-forget');
		expect(second.keyId).not.toBe(first.keyId);
	});
});
