// First start and enrolment: the org and keys are created once, the admin link works exactly once,
// admins create enrolments for others, everyone else is refused, and bad requests get a 4xx.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClaims } from '../src/lib/data/claims';
import { OrgMeta, Principal } from '../src/lib/data/org';
import { readRecord } from '../src/lib/data/records';
import { createEnrolmentCode } from './datadir';
import { connect, startRelay, stored, waitFor, type TestRelay } from './testing';

let relay: TestRelay;
let adminToken: string;

beforeAll(async () => {
	relay = await startRelay({ orgName: '某某建设集团' });
});
afterAll(() => relay.server.close());

function post(path: string, body: unknown, bearer?: string, raw?: string) {
	return fetch(relay.server.url + path, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			...(bearer ? { authorization: `Bearer ${bearer}` } : {})
		},
		body: raw ?? JSON.stringify(body)
	});
}

const codeOf = (link: string) => new URL(link).hash.replace('#code=', '');

describe('first start', () => {
	it('creates the org, its keys and meta record, and prints a one-time admin link', () => {
		const link = relay.server.adminLink!;
		expect(link).toMatch(new RegExp(`^${relay.server.url}/enrol#code=[A-Za-z0-9_-]{32}$`));
		expect(relay.logs.some((l) => l.includes(link))).toBe(true);
		for (const file of ['relay-ed25519.key.pem', 'relay-ed25519.pub.pem']) {
			expect(statSync(join(relay.dataDir, 'keys', file)).mode & 0o777).toBe(0o600);
		}
		const meta = readRecord(OrgMeta, stored(relay.server, 'org', 'meta').org);
		expect(meta.ok && meta.record).toMatchObject({ id: relay.server.orgId, name: '某某建设集团' });
		expect(meta.ok && meta.record.relayKey).toMatch(/^[A-Za-z0-9_-]{40,}$/);
	});

	it('the admin code turns into an admin token once; a second use is refused', async () => {
		const code = codeOf(relay.server.adminLink!);
		const res = await post('/api/enrol', { code, deviceName: 'Admin laptop' });
		expect(res.status).toBe(200);
		const body = await res.json();
		expect(body).toMatchObject({ ok: true, claims: { role: 'admin', sub: 'admin' } });
		expect(body.org).toMatchObject({ id: relay.server.orgId, name: '某某建设集团' });
		adminToken = body.token;
		expect(relay.server.relay.verify(adminToken)).toMatchObject({ ok: true });
		const devices = stored(relay.server, 'org', 'devices');
		expect(devices[body.claims.jti]).toMatchObject({ principal: 'admin', name: 'Admin laptop' });
		expect(stored(relay.server, 'org', 'users')).toHaveProperty('admin');

		const again = await post('/api/enrol', { code, deviceName: 'Second device' });
		expect(again.status).toBe(409);
		expect((await again.json()).error.code).toBe('ENROLMENT_CODE_USED');
		const unknown = await post('/api/enrol', { code: 'nope', deviceName: 'x' });
		expect(unknown.status).toBe(403);
		expect((await unknown.json()).error.code).toBe('ENROLMENT_CODE_INVALID');
	});

	it('an expired code is refused', async () => {
		const principal = readRecord(Principal, {
			schema: 1,
			id: 'late',
			name: 'Late',
			role: 'hq',
			sites: [],
			createdAt: new Date().toISOString()
		});
		if (!principal.ok) throw new Error('bad fixture');
		const { code } = createEnrolmentCode(
			relay.server.relay.storage,
			principal.record,
			3600,
			'test',
			Date.now() - 25 * 3600 * 1000
		);
		const res = await post('/api/enrol', { code, deviceName: 'x' });
		expect(res.status).toBe(410);
	});
});

describe('admin enrolments', () => {
	it('an admin enrols a gate; its code yields a working gate token', async () => {
		const res = await post(
			'/api/enrolments',
			{ role: 'gate', name: '1号门岗平板', sites: ['S1'], ttl: '90d' },
			adminToken
		);
		expect(res.status).toBe(201);
		const body = await res.json();
		expect(body).toMatchObject({ ok: true, principal: { role: 'gate', sites: ['S1'] } });
		expect(body.link).toBe(`${relay.server.url}/enrol#code=${body.code}`);
		expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
		const sub = body.principal.id;
		expect(stored(relay.server, 'org', 'users')[sub]).toMatchObject({ name: '1号门岗平板' });

		const enrolled = await (
			await post('/api/enrol', { code: body.code, deviceName: 'Tab 1' })
		).json();
		const claims = parseClaims(enrolled.claims);
		expect(claims.ok && claims.value).toMatchObject({ role: 'gate', sub, sites: ['S1'] });
		expect(enrolled.claims.exp - enrolled.claims.iat).toBe(90 * 86400);
		const gate = connect(relay.server, 'site:S1:control', enrolled.token);
		await gate.synced();
		gate.destroy();
	});

	it('staff enrolments need a staff role; contractor ones a contractor', async () => {
		for (const body of [
			{ role: 'staff', name: 'X', sites: ['S1'] },
			{ role: 'contractor', name: 'X' },
			{ role: 'worker', name: 'X' },
			{ role: 'hq', name: '' },
			{ role: 'root', name: 'X' },
			{ role: 'hq', name: 'X', ttl: 'forever' },
			{ role: 'hq', name: 'X', sites: ['../x'] }
		]) {
			const res = await post('/api/enrolments', body, adminToken);
			expect(res.status, JSON.stringify(body)).toBe(400);
			expect((await res.json()).error.code).toBe('INVALID_REQUEST');
		}
	});

	it('re-enrolling an existing user under another role is refused', async () => {
		const first = await post(
			'/api/enrolments',
			{ role: 'staff', staffRole: 'safety', sub: 'zhang', name: '张工', sites: ['S1'] },
			adminToken
		);
		expect(first.status).toBe(201);
		const second = await post(
			'/api/enrolments',
			{ role: 'admin', sub: 'zhang', name: '张工' },
			adminToken
		);
		expect(second.status).toBe(409);
	});

	it('non-admins and missing or bad tokens are refused', async () => {
		const hq = relay.server.issueToken({ role: 'hq', sub: 'hq1' });
		const body = { role: 'hq', name: 'X' };
		expect((await post('/api/enrolments', body, hq)).status).toBe(403);
		expect((await post('/api/revoke', { jti: 'abcdefgh12' }, hq)).status).toBe(403);
		const missing = await post('/api/enrolments', body);
		expect(missing.status).toBe(401);
		expect((await missing.json()).error.code).toBe('TOKEN_MISSING');
		expect((await post('/api/enrolments', body, 'not.a.token')).status).toBe(401);
	});

	it('bad JSON, wrong types, large bodies and wrong methods get 4xx, never 500', async () => {
		const bad = await post('/api/enrol', null, undefined, '{"code": ');
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'BAD_JSON' } });
		expect((await post('/api/enrol', [1, 2])).status).toBe(400);
		expect((await post('/api/enrol', { code: 5, deviceName: 'x' })).status).toBe(400);
		expect((await post('/api/enrolments', null, adminToken, 'nul')).status).toBe(400);
		const big = await post('/api/enrol', { code: 'x'.repeat(100 * 1024), deviceName: 'x' });
		expect(big.status).toBe(413);
		const text = await fetch(relay.server.url + '/api/enrol', {
			method: 'POST',
			headers: { 'content-type': 'text/plain' },
			body: 'code'
		});
		expect(text.status).toBe(415);
		const get = await fetch(relay.server.url + '/api/enrol');
		expect(get.status).toBe(405);
		expect((await fetch(relay.server.url + '/api/nothing', { method: 'POST' })).status).toBe(404);
	});

	it('revocation through the API takes effect for REST calls too', async () => {
		const res = await post('/api/enrolments', { role: 'admin', name: 'Second admin' }, adminToken);
		const { code } = await res.json();
		const second = await (await post('/api/enrol', { code, deviceName: 'd' })).json();
		const revoke = await post(
			'/api/revoke',
			{ jti: second.claims.jti, reason: 'left' },
			adminToken
		);
		expect(revoke.status).toBe(200);
		const after = await post('/api/enrolments', { role: 'hq', name: 'X' }, second.token);
		expect(after.status).toBe(401);
		expect((await after.json()).error.code).toBe('TOKEN_REVOKED');
		await waitFor(() => second.claims.jti in stored(relay.server, 'org', 'revoked'), 'stored');
	});
});
