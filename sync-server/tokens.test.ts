// Relay keys and tokens: keys created once with mode 0600 and reused; a token verifies only with its
// signature, algorithm, issuer, lifetime and well-formed claims intact.
import { generateKeyPairSync } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './testing';
import { describe, expect, it } from 'vitest';
import type { Claims } from '../src/lib/data/access';
import { loadOrCreateKeys, newJti, signToken, verifyToken } from './tokens';

const dir = () => tempDir('sitepass-keys-');
const now = Math.floor(Date.now() / 1000);
const claims: Claims = {
	iss: 'org-test',
	sub: 'u1',
	role: 'gate',
	sites: ['S1'],
	jti: newJti(),
	iat: now,
	exp: now + 60
};
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('keys', () => {
	it('are created once, private to the owner, and read back unchanged', () => {
		const d = dir();
		const first = loadOrCreateKeys(d);
		expect(first.created).toBe(true);
		for (const f of ['relay-ed25519.key.pem', 'relay-ed25519.pub.pem']) {
			expect(statSync(join(d, 'keys', f)).mode & 0o777).toBe(0o600);
		}
		const again = loadOrCreateKeys(d);
		expect(again.created).toBe(false);
		expect(again.keys.publicKeySpki).toBe(first.keys.publicKeySpki);
	});

	it('refuses to replace a pair whose private half is missing', () => {
		const d = dir();
		loadOrCreateKeys(d);
		rmSync(join(d, 'keys', 'relay-ed25519.key.pem'));
		expect(() => loadOrCreateKeys(d)).toThrow(/missing/);
	});
});

describe('tokens', () => {
	const { keys } = loadOrCreateKeys(dir());
	const good = signToken(claims, keys.privateKey);

	it('verify when intact', () => {
		expect(verifyToken(good, keys.publicKey, 'org-test', now)).toEqual({ ok: true, claims });
	});

	it('fail when tampered, re-signed by another key, or using another algorithm', () => {
		const [h, , s] = good.split('.');
		const forged = `${h}.${b64({ ...claims, role: 'admin' })}.${s}`;
		const other = signToken(claims, generateKeyPairSync('ed25519').privateKey);
		const hs = `${b64({ alg: 'HS256', typ: 'JWT' })}.${good.split('.')[1]}.${s}`;
		const none = `${b64({ alg: 'none' })}.${good.split('.')[1]}.`;
		for (const t of [forged, other, hs, none, good + 'x', good.slice(0, -3), 'a.b', '', '..']) {
			const r = verifyToken(t, keys.publicKey, 'org-test', now);
			expect(r.ok, t).toBe(false);
		}
	});

	it('fail when expired, from another org, or with inconsistent claims', () => {
		expect(verifyToken(good, keys.publicKey, 'org-test', now + 61)).toMatchObject({
			ok: false,
			code: 'TOKEN_EXPIRED'
		});
		expect(verifyToken(good, keys.publicKey, 'org-other', now)).toMatchObject({
			code: 'TOKEN_INVALID'
		});
		const noSites = signToken({ ...claims, sites: [] }, keys.privateKey);
		expect(verifyToken(noSites, keys.publicKey, 'org-test', now)).toMatchObject({
			code: 'TOKEN_INVALID'
		});
		expect(verifyToken(undefined, keys.publicKey, 'org-test')).toMatchObject({
			code: 'TOKEN_MISSING'
		});
	});
});
