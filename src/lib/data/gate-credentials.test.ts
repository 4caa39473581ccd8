import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Claims, OrgView } from './access';
import { checkPass, checkPin, issuePass, PinLockout, readPass, setPin } from './gate-credentials';
import { newSecretKey, softwareSigner, type KeyBinding } from './signing';

const orgView: OrgView = { contractorSites: (c) => (c === 'C1' ? ['S1'] : ['S2']) };
const claims = (over: Partial<Claims>): Claims => ({
	iss: 'org1',
	sub: 'u1',
	role: 'contractor',
	contractor: 'C1',
	jti: 'j',
	iat: 0,
	exp: 0,
	...over
});

function setup() {
	const org = new Y.Doc();
	const contractor = new Y.Doc();
	const signer = softwareSigner(newSecretKey());
	const binding: KeyBinding = {
		schema: 1,
		id: signer.keyId,
		principal: 'u1',
		publicKey: signer.publicKey,
		role: 'contractor',
		sites: [],
		validFrom: '2026-01-01T00:00:00.000Z',
		registeredBy: 'relay'
	};
	org.getMap('keys').set(signer.keyId, binding);
	org.getMap('users').set('u1', {
		schema: 1,
		id: 'u1',
		name: '承包商管理员',
		role: 'contractor',
		sites: [],
		contractor: 'C1',
		createdAt: '2026-01-01T00:00:00.000Z'
	});
	contractor.getMap('workers').set('w1', { id: 'w1' });
	const actor = { claims: claims({}), org: orgView };
	return { org, contractor, signer, binding, actor };
}

const at = new Date('2026-11-29T08:00:00.000Z');
const expires = new Date('2027-01-01T00:00:00.000Z');

describe('QR pass', () => {
	it('a pass signed by the worker’s contractor checks out offline', async () => {
		const { org, contractor, signer, actor } = setup();
		const { token, record } = await issuePass(
			contractor,
			'org1',
			'C1',
			'w1',
			actor,
			signer,
			expires,
			at
		);
		expect(record.serial).toBe(1);
		expect(readPass(token)?.w).toBe('w1');
		expect(checkPass(token, 'org1', org, contractor, at)).toEqual({
			ok: true,
			contractorId: 'C1',
			workerId: 'w1',
			serial: 1
		});
	});

	it('refuses a reissued, expired, tampered, foreign or unknown-key pass', async () => {
		const { org, contractor, signer, actor } = setup();
		const first = await issuePass(contractor, 'org1', 'C1', 'w1', actor, signer, expires, at);
		const second = await issuePass(contractor, 'org1', 'C1', 'w1', actor, signer, expires, at);
		expect(checkPass(first.token, 'org1', org, contractor, at)).toEqual({
			ok: false,
			problem: 'SUPERSEDED'
		});
		expect(checkPass(second.token, 'org1', org, contractor, at).ok).toBe(true);
		expect(checkPass(second.token, 'org1', org, contractor, new Date('2027-02-01')).ok).toBe(false);
		expect(checkPass(second.token, 'org2', org, contractor, at)).toEqual({
			ok: false,
			problem: 'OTHER_ORG'
		});
		// Swap the worker id in the payload: the signature no longer covers it.
		const [p, body, sig] = second.token.split('.');
		const forged = JSON.parse(atob(body!.replace(/-/g, '+').replace(/_/g, '/')));
		forged.w = 'w2';
		const forgedBody = btoa(JSON.stringify(forged))
			.replace(/\+/g, '-')
			.replace(/\//g, '_')
			.replace(/=+$/, '');
		expect(checkPass(`${p}.${forgedBody}.${sig}`, 'org1', org, contractor, at)).toEqual({
			ok: false,
			problem: 'BAD_SIGNATURE'
		});
		expect(checkPass('hello', 'org1', org, contractor, at)).toEqual({
			ok: false,
			problem: 'MALFORMED'
		});
		const stranger = softwareSigner(newSecretKey());
		const foreign = await issuePass(new Y.Doc(), 'org1', 'C1', 'w1', actor, stranger, expires, at);
		expect(checkPass(foreign.token, 'org1', org, contractor, at).ok).toBe(false);
	});

	it('a contractor’s key cannot vouch for another contractor’s worker; a revoked key stops', async () => {
		const { org, contractor, signer, actor, binding } = setup();
		const other = { ...actor, claims: claims({ contractor: 'C2' }) };
		const c2 = new Y.Doc();
		c2.getMap('workers').set('w9', { id: 'w9' });
		// A pass naming C2's worker, signed with the key bound to C1's administrator.
		const sneaky = await issuePass(c2, 'org1', 'C2', 'w9', other, signer, expires, at);
		expect(checkPass(sneaky.token, 'org1', org, c2, at)).toEqual({
			ok: false,
			problem: 'KEY_NOT_ALLOWED'
		});
		const ok = await issuePass(contractor, 'org1', 'C1', 'w1', actor, signer, expires, at);
		org.getMap('keys').set(binding.id, { ...binding, revokedAt: '2026-11-01T00:00:00.000Z' });
		expect(checkPass(ok.token, 'org1', org, contractor, at)).toEqual({
			ok: false,
			problem: 'KEY_NOT_ALLOWED'
		});
	});
});

describe('ID number and PIN', () => {
	it('checks the PIN against its salted hash and refuses easy PINs', async () => {
		const { contractor, actor } = setup();
		await setPin(contractor, 'C1', 'w1', actor, '583920', at, 10_000);
		const stored = contractor.getMap('pins').get('w1') as { hash: string; salt: string };
		expect(JSON.stringify(stored)).not.toContain('583920');
		expect(await checkPin(contractor, 'w1', '583920')).toBe(true);
		expect(await checkPin(contractor, 'w1', '583921')).toBe(false);
		expect(await checkPin(contractor, 'w2', '583920')).toBe(false);
		await expect(setPin(contractor, 'C1', 'w1', actor, '111111', at, 10_000)).rejects.toThrow(
			/easy/
		);
		await expect(setPin(contractor, 'C1', 'w1', actor, '123456', at, 10_000)).rejects.toThrow(
			/easy/
		);
		await expect(setPin(contractor, 'C1', 'w1', actor, '12ab56', at, 10_000)).rejects.toThrow(
			/6 digits/
		);
	});

	it('locks a worker’s PIN after five failures, for fifteen minutes', () => {
		const lock = new PinLockout();
		for (let i = 0; i < 4; i++) lock.fail('w1', 1000);
		expect(lock.lockedUntil('w1', 1000)).toBeNull();
		lock.fail('w1', 1000);
		expect(lock.lockedUntil('w1', 1000)).toBe(1000 + 15 * 60_000);
		expect(lock.lockedUntil('w1', 1000 + 15 * 60_000)).toBeNull();
		expect(lock.lockedUntil('w2', 1000)).toBeNull();
	});
});
