// Signing keys registered at enrolment (issue 6): the device's public key is bound in `org.keys` to
// the principal, role and sites its admin-made code enrols, in the same write as the Device record;
// malformed and weak keys are refused before the code is used; revoking the token or disabling the
// user sets revokedAt (the binding stays, so old signatures stay verifiable); re-enrolling gives a
// new binding; nothing else may be written to org.keys.
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Principal } from '../src/lib/data/org';
import { checkRecord } from '../src/lib/data/records';
import {
	keyBindings,
	keyIdOf,
	newSecretKey,
	softwareSigner,
	toB64url,
	verifySignature,
	type KeyBinding
} from '../src/lib/data/signing';
import { publicKeyProblem } from './api';
import { createEnrolmentCode } from './datadir';
import { connect, seedOrg, startRelay, stored, token, waitFor, type TestRelay } from './testing';

let relay: TestRelay;
let adminToken: string;

beforeAll(async () => {
	relay = await startRelay();
	seedOrg(relay.server);
	adminToken = token(relay.server, { sub: 'admin-1', role: 'admin' });
});
afterAll(() => relay.server.close());

async function post(path: string, body: unknown, bearer?: string) {
	const res = await fetch(relay.server.url + path, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			...(bearer ? { authorization: `Bearer ${bearer}` } : {})
		},
		body: JSON.stringify(body)
	});
	return { status: res.status, body: await res.json() };
}

/** An enrolment code made by the admin through the API. */
async function codeFor(request: Record<string, unknown>): Promise<string> {
	const res = await post('/api/enrolments', request, adminToken);
	expect(res.status).toBe(201);
	return res.body.code;
}

const keys = () => stored(relay.server, 'org', 'keys') as Record<string, KeyBinding>;
function keyOf(id: string): KeyBinding {
	const binding = keys()[id];
	if (!binding) throw new Error(`no binding ${id}`);
	return binding;
}
const newKey = () => softwareSigner(newSecretKey());

/** A raw 32-byte string that is not the encoding of any curve point. */
function notAPoint(): Uint8Array {
	for (let i = 2; ; i++) {
		const raw = new Uint8Array(32);
		raw[0] = i;
		try {
			ed25519.Point.fromBytes(raw);
		} catch {
			return raw;
		}
	}
}

// A point of order 8 (a well-known small-order encoding).
const ORDER_8 = '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05';

describe('enrolment with a public key', () => {
	it('binds the key to the principal, role, staff role and sites, registered by the admin', async () => {
		const code = await codeFor({
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'lead-1',
			name: '项目负责人 张工',
			sites: ['S1']
		});
		const signer = newKey();
		const before = Date.now();
		const res = await post('/api/enrol', {
			code,
			deviceName: '张工的手机',
			publicKey: signer.publicKey
		});
		expect(res.status).toBe(200);
		expect(res.body.keyId).toBe(signer.keyId);
		const jti = res.body.claims.jti;
		const binding = keyOf(signer.keyId);
		expect(binding).toEqual({
			schema: 1,
			id: keyIdOf(signer.publicKey),
			principal: 'lead-1',
			publicKey: signer.publicKey,
			role: 'staff',
			staffRole: 'project_lead',
			sites: ['S1'],
			validFrom: expect.any(String),
			jti,
			registeredBy: 'admin-1'
		});
		expect(Date.parse(binding.validFrom)).toBeGreaterThanOrEqual(before - 1);
		expect(Date.parse(binding.validFrom)).toBeLessThanOrEqual(Date.now());
		// In the same write as the Device record, and readable as every device reads it.
		expect(stored(relay.server, 'org', 'devices')[jti]).toMatchObject({ principal: 'lead-1' });
		const bound = keyBindings(relay.server.relay.orgDoc().getMap('keys'));
		expect(bound.get(signer.keyId)).toEqual(binding);
		expect(relay.logs.some((l) => l.includes(`jti=${jti} key=${signer.keyId}`))).toBe(true);
	});

	it('a WebCrypto key (non-extractable) is bound and its signatures verify with @noble', async () => {
		const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
		const publicKey = toB64url(
			new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
		);
		const code = await codeFor({
			role: 'staff',
			staffRole: 'safety',
			name: '安全员',
			sites: ['S2']
		});
		const res = await post('/api/enrol', { code, deviceName: 'Laptop', publicKey });
		expect(res.status).toBe(200);
		const binding = keyOf(keyIdOf(publicKey));
		expect(binding).toMatchObject({ role: 'staff', staffRole: 'safety', sites: ['S2'] });
		const message = new TextEncoder().encode('approve');
		const sig = toB64url(
			new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, message))
		);
		expect(verifySignature(binding.publicKey, message, sig)).toBe(true);
	});

	it('the first admin, enrolled with the code the relay printed, is registered by "relay"', async () => {
		const code = new URL(relay.server.adminLink!).hash.replace('#code=', '');
		const signer = newKey();
		const res = await post('/api/enrol', {
			code,
			deviceName: 'Admin',
			publicKey: signer.publicKey
		});
		expect(res.status).toBe(200);
		expect(keyOf(signer.keyId)).toMatchObject({
			principal: 'admin',
			role: 'admin',
			sites: [],
			registeredBy: 'relay'
		});
		expect(keyOf(signer.keyId)).not.toHaveProperty('staffRole');
	});

	it('refuses malformed and weak keys with BAD_PUBLIC_KEY, and the code stays usable', async () => {
		const code = await codeFor({ role: 'hq', sub: 'hq-1', name: '总部' });
		const valid = ed25519.Point.fromBytes(ed25519.getPublicKey(newSecretKey()));
		const bad: unknown[] = [
			'',
			'abc',
			newKey().publicKey + 'A', // 44 characters
			newKey().publicKey.slice(0, 42) + '=', // not base64url
			newKey().publicKey.slice(0, 42) + '+',
			toB64url(notAPoint()),
			toB64url(ed25519.Point.ZERO.toBytes()), // the identity: order 1
			toB64url(Uint8Array.from(Buffer.from(ORDER_8, 'hex'))), // order 8
			toB64url(valid.add(ed25519.Point.fromHex(ORDER_8)).toBytes()), // not in the prime subgroup
			123,
			null,
			{ x: 1 }
		];
		for (const publicKey of bad) {
			const res = await post('/api/enrol', { code, deviceName: 'X', publicKey });
			expect(res.status, JSON.stringify(publicKey)).toBe(400);
			expect(res.body.error.code, JSON.stringify(publicKey)).toBe('BAD_PUBLIC_KEY');
		}
		expect(Object.values(keys()).some((b) => b.principal === 'hq-1')).toBe(false);
		// None of that used the code up.
		const signer = newKey();
		const res = await post('/api/enrol', { code, deviceName: 'X', publicKey: signer.publicKey });
		expect(res.status).toBe(200);
		expect(keyOf(signer.keyId)).toMatchObject({ principal: 'hq-1', role: 'hq' });
	});

	it('publicKeyProblem explains each refusal', () => {
		expect(publicKeyProblem(newKey().publicKey)).toBeNull();
		expect(publicKeyProblem('abc')).toMatch(/43 characters/);
		expect(publicKeyProblem(toB64url(notAPoint()))).toMatch(/not an Ed25519 point/);
		expect(publicKeyProblem(toB64url(ed25519.Point.ZERO.toBytes()))).toMatch(/weak/);
	});

	it('a key already bound is refused (KEY_ALREADY_BOUND) and the code stays usable', async () => {
		const first = newKey();
		const a = await post('/api/enrol', {
			code: await codeFor({ role: 'hq', name: 'A' }),
			deviceName: 'A',
			publicKey: first.publicKey
		});
		expect(a.status).toBe(200);
		const code = await codeFor({ role: 'hq', sub: 'hq-2', name: 'B' });
		const again = await post('/api/enrol', { code, deviceName: 'B', publicKey: first.publicKey });
		expect(again.status).toBe(409);
		expect(again.body.error.code).toBe('KEY_ALREADY_BOUND');
		expect(keyOf(first.keyId).principal).toBe(a.body.claims.sub);
		const ok = await post('/api/enrol', { code, deviceName: 'B', publicKey: newKey().publicKey });
		expect(ok.status).toBe(200);
	});

	it('an old client without a key is enrolled with no binding', async () => {
		const code = await codeFor({ role: 'gate', sub: 'gate-1', name: '1号门', sites: ['S1'] });
		const before = Object.keys(keys()).length;
		const res = await post('/api/enrol', { code, deviceName: 'Gate tablet' });
		expect(res.status).toBe(200);
		expect(res.body).not.toHaveProperty('keyId');
		expect(Object.keys(keys()).length).toBe(before);
		expect(Object.values(keys()).some((b) => b.principal === 'gate-1')).toBe(false);
	});
});

describe('revocation, disabling, re-enrolment', () => {
	async function enrolWithKey(request: Record<string, unknown>) {
		const signer = newKey();
		const res = await post('/api/enrol', {
			code: await codeFor(request),
			deviceName: 'Device',
			publicKey: signer.publicKey
		});
		expect(res.status).toBe(200);
		return { signer, jti: res.body.claims.jti as string, sub: res.body.claims.sub as string };
	}

	it('revoking a token sets revokedAt on its key (and only its key); the binding stays', async () => {
		const one = await enrolWithKey({
			role: 'staff',
			staffRole: 'director',
			sub: 'dir-1',
			name: '负责人',
			sites: ['S1']
		});
		const two = await enrolWithKey({
			role: 'staff',
			staffRole: 'director',
			sub: 'dir-1',
			name: '负责人',
			sites: ['S1']
		});
		const res = await post('/api/revoke', { jti: one.jti, reason: 'lost phone' }, adminToken);
		expect(res.status).toBe(200);
		const revoked = stored(relay.server, 'org', 'revoked')[one.jti] as { at: string };
		const binding = keyOf(one.signer.keyId);
		expect(binding).toMatchObject({ principal: 'dir-1', publicKey: one.signer.publicKey });
		expect(binding.revokedAt).toBe(revoked.at);
		expect(keyOf(two.signer.keyId).revokedAt).toBeUndefined();
		// Revoking again does not move the time.
		await new Promise((r) => setTimeout(r, 5));
		expect((await post('/api/revoke', { jti: one.jti }, adminToken)).status).toBe(200);
		expect(keyOf(one.signer.keyId).revokedAt).toBe(revoked.at);
	});

	it('re-enrolling the same person gives a new binding; the old one is kept', async () => {
		const request = {
			role: 'staff',
			staffRole: 'safety',
			sub: 'safety-9',
			name: '安全员',
			sites: ['S1']
		};
		const first = await enrolWithKey(request);
		await post('/api/revoke', { jti: first.jti }, adminToken);
		const second = await enrolWithKey(request);
		expect(second.jti).not.toBe(first.jti);
		expect(second.signer.keyId).not.toBe(first.signer.keyId);
		const all = Object.values(keys()).filter((b) => b.principal === 'safety-9');
		expect(all.map((b) => b.jti).sort()).toEqual([first.jti, second.jti].sort());
		expect(keyOf(first.signer.keyId).revokedAt).toBeDefined();
		expect(keyOf(second.signer.keyId)).toMatchObject({ role: 'staff', staffRole: 'safety' });
		expect(keyOf(second.signer.keyId).revokedAt).toBeUndefined();
	});

	it('disabling a user (an admin edit of org.users) revokes all their keys', async () => {
		const request = {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'lead-7',
			name: '李工',
			sites: ['S2']
		};
		const a = await enrolWithKey(request);
		const b = await enrolWithKey(request);
		const bystander = await enrolWithKey({ ...request, sub: 'lead-8', name: '王工' });

		const admin = connect(relay.server, 'org', adminToken);
		await admin.synced();
		const user = admin.map('users').get('lead-7') as Principal;
		const before = Date.now();
		admin.map('users').set('lead-7', { ...user, disabled: true });
		await waitFor(
			() => !!keyOf(a.signer.keyId).revokedAt && !!keyOf(b.signer.keyId).revokedAt,
			'the disabled user’s keys revoked'
		);
		for (const id of [a.signer.keyId, b.signer.keyId]) {
			expect(Date.parse(keyOf(id).revokedAt!)).toBeGreaterThanOrEqual(before - 1);
		}
		expect(keyOf(bystander.signer.keyId).revokedAt).toBeUndefined();
		// The admin's device sees it too.
		await waitFor(
			() => !!(admin.map('keys').get(a.signer.keyId) as KeyBinding | undefined)?.revokedAt,
			'revokedAt synced to the admin'
		);
		admin.destroy();
	});

	it('a new sub-role or fewer sites revoke the key: it certified the old role', async () => {
		const request = {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'lead-9',
			name: '赵工',
			sites: ['S2']
		};
		const a = await enrolWithKey(request);
		const admin = connect(relay.server, 'org', adminToken);
		await admin.synced();
		const user = admin.map('users').get('lead-9') as Principal;
		admin.map('users').set('lead-9', { ...user, name: '赵工（项目部）' });
		await new Promise((r) => setTimeout(r, 200));
		expect(keyOf(a.signer.keyId).revokedAt).toBeUndefined(); // a new name changes nothing
		admin.map('users').set('lead-9', { ...user, staffRole: 'safety' });
		await waitFor(() => !!keyOf(a.signer.keyId).revokedAt, 'key revoked on role change');
		admin.destroy();
	});

	it('a user disabled before enrolling gets a key revoked from the start', async () => {
		const now = new Date().toISOString();
		const principal = checkRecord(Principal, {
			schema: 1,
			id: 'gone-1',
			name: 'Gone',
			role: 'hq',
			sites: [],
			createdAt: now,
			disabled: true
		});
		relay.server.relay.write('org', (doc) => doc.getMap('users').set('gone-1', principal));
		const { code } = createEnrolmentCode(relay.server.relay.storage, principal, 3600, 'admin-1');
		const signer = newKey();
		const res = await post('/api/enrol', { code, deviceName: 'X', publicKey: signer.publicKey });
		expect(res.status).toBe(200);
		await waitFor(() => !!keyOf(signer.keyId).revokedAt, 'revoked at once');
	});

	it('org.keys is the relay’s alone: not even an admin writes a binding over the socket', async () => {
		const admin = connect(relay.server, 'org', adminToken);
		await admin.synced();
		admin.map('keys').set('junk', { schema: 1, id: 'junk', publicKey: 'nope' });
		const closed = await admin.closed;
		expect(closed.code).toBe(4403);
		expect(closed.reason).toMatch(/READ_ONLY keys\/junk/);
		expect(keys()).not.toHaveProperty('junk');
		admin.destroy();
	});
});
