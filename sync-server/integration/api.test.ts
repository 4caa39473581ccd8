// The integration API's edges: every bad request is a 4xx with a code and a message that says
// what to fix (never a 500), tokens and sites are enforced, webhooks are managed per site, and
// the OpenAPI document describes every route the router serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_REASON_CODES, REASON_CODES } from '../../src/lib/domain';
import { startRelay, token, type TestRelay } from '../testing';
import { ROUTES } from './api';
import { buildWorld } from './world';

let relay: TestRelay;
let door: string;
let admin: string;
let url: string;

beforeAll(async () => {
	relay = await startRelay({ webhooks: { autoStart: false } });
	await buildWorld(relay.server);
	url = relay.server.url;
	door = token(relay.server, { sub: 'door1', role: 'integration', sites: ['S1'] });
	admin = token(relay.server, { sub: 'admin1', role: 'admin' });
});

afterAll(async () => {
	await relay.server.close();
});

const good = { site: 'S1', action: 'enter', worker: { id: 'hv' } };

interface Case {
	name: string;
	status: number;
	code: string;
	message: RegExp;
	method?: string;
	path?: string;
	body?: string | null;
	type?: string | null;
	auth?: string | null;
}

const cases = (): Case[] => [
	{
		name: 'no token',
		auth: null,
		status: 401,
		code: 'TOKEN_MISSING',
		message: /Bearer/
	},
	{ name: 'a bad token', auth: 'Bearer xyz', status: 401, code: 'TOKEN_INVALID', message: /./ },
	{
		name: 'a staff token',
		auth: `Bearer ${token(relay.server, { sub: 's', role: 'staff', staffRole: 'safety', sites: ['S1'] })}`,
		status: 403,
		code: 'FORBIDDEN',
		message: /integration token/
	},
	{
		name: 'a token for another site',
		body: JSON.stringify({ ...good, site: 'S2' }),
		status: 403,
		code: 'FORBIDDEN_SITE',
		message: /S2/
	},
	{
		name: 'an unknown site',
		auth: `Bearer ${token(relay.server, { sub: 'd', role: 'integration', sites: ['S9'] })}`,
		body: JSON.stringify({ ...good, site: 'S9' }),
		status: 404,
		code: 'SITE_UNKNOWN',
		message: /S9/
	},
	{
		name: 'not JSON',
		type: 'text/plain',
		status: 415,
		code: 'UNSUPPORTED_MEDIA_TYPE',
		message: /application\/json/
	},
	{
		name: 'no content type',
		type: null,
		status: 415,
		code: 'UNSUPPORTED_MEDIA_TYPE',
		message: /JSON/
	},
	{
		name: 'broken JSON',
		body: '{"site":',
		status: 400,
		code: 'BAD_JSON',
		message: /not valid JSON/
	},
	{
		name: 'an oversized body',
		body: JSON.stringify({ ...good, pad: 'x'.repeat(20_000) }),
		status: 413,
		code: 'BODY_TOO_LARGE',
		message: /16384 bytes/
	},
	{
		name: 'a number for the site',
		body: JSON.stringify({ ...good, site: 1 }),
		status: 400,
		code: 'INVALID_REQUEST',
		message: /^site: /
	},
	{
		name: 'an unknown action',
		body: JSON.stringify({ ...good, action: 'fly' }),
		status: 400,
		code: 'INVALID_REQUEST',
		message: /action must be "enter" or "operate"/
	},
	{
		name: 'two ways of naming the worker',
		body: JSON.stringify({ ...good, worker: { id: 'hv', idNumber: '110105194912310021' } }),
		status: 400,
		code: 'INVALID_REQUEST',
		message: /exactly one of/
	},
	{
		name: 'no way of naming the worker',
		body: JSON.stringify({ ...good, worker: {} }),
		status: 400,
		code: 'INVALID_REQUEST',
		message: /exactly one of/
	},
	{
		name: 'a worker that is a string',
		body: JSON.stringify({ ...good, worker: 'hv' }),
		status: 400,
		code: 'INVALID_REQUEST',
		message: /^worker: /
	},
	{
		name: 'an unknown field',
		body: JSON.stringify({ ...good, door: 3 }),
		status: 400,
		code: 'INVALID_REQUEST',
		message: /door/
	},
	{
		name: 'operate without a machine',
		body: JSON.stringify({ ...good, action: 'operate' }),
		status: 400,
		code: 'INVALID_REQUEST',
		message: /equipment/
	},
	{
		name: 'a date that is no time',
		body: JSON.stringify({ ...good, at: 'tomorrow' }),
		status: 400,
		code: 'INVALID_AT',
		message: /ISO 8601/
	},
	{
		name: 'a time without a zone',
		body: JSON.stringify({ ...good, at: '2026-12-02T09:00:00' }),
		status: 400,
		code: 'INVALID_AT',
		message: /with a zone/
	},
	{
		name: 'the wrong method',
		method: 'GET',
		body: null,
		status: 405,
		code: 'METHOD_NOT_ALLOWED',
		message: /use POST/
	},
	{
		name: 'an unknown endpoint',
		path: '/api/v1/authorise',
		status: 404,
		code: 'NOT_FOUND',
		message: /openapi/
	},
	{
		name: 'an array body',
		body: '[]',
		status: 400,
		code: 'INVALID_REQUEST',
		message: /\(body\)/
	}
];

describe('bad input to /api/v1/authorize', () => {
	it('is a 4xx with a code and a clear message, never a 500', async () => {
		for (const c of cases()) {
			const headers: Record<string, string> = {};
			const auth = c.auth === undefined ? `Bearer ${door}` : c.auth;
			if (auth) headers.authorization = auth;
			const type = c.type === undefined ? 'application/json' : c.type;
			if (type) headers['content-type'] = type;
			const res = await fetch(url + (c.path ?? '/api/v1/authorize'), {
				method: c.method ?? 'POST',
				headers,
				...(c.body !== null ? { body: c.body ?? JSON.stringify(good) } : {})
			});
			const body = (await res.json()) as { ok: boolean; error: { code: string; message: string } };
			expect({ name: c.name, status: res.status, code: body.error?.code }).toEqual({
				name: c.name,
				status: c.status,
				code: c.code
			});
			expect(body.ok, c.name).toBe(false);
			expect(body.error.message, c.name).toMatch(c.message);
		}
		// And the same token still gets answers afterwards.
		const res = await fetch(`${url}/api/v1/authorize`, {
			method: 'POST',
			headers: { authorization: `Bearer ${door}`, 'content-type': 'application/json' },
			body: JSON.stringify(good)
		});
		expect(res.status).toBe(200);
	});

	it('a revoked token is refused', async () => {
		const revokedDoor = token(relay.server, { sub: 'door2', role: 'integration', sites: ['S1'] });
		const jti = JSON.parse(Buffer.from(revokedDoor.split('.')[1]!, 'base64url').toString()).jti;
		const res = await fetch(`${url}/api/revoke`, {
			method: 'POST',
			headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
			body: JSON.stringify({ jti })
		});
		expect(res.status).toBe(200);
		const answer = await fetch(`${url}/api/v1/authorize`, {
			method: 'POST',
			headers: { authorization: `Bearer ${revokedDoor}`, 'content-type': 'application/json' },
			body: JSON.stringify(good)
		});
		expect(answer.status).toBe(401);
		expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('TOKEN_REVOKED');
	});
});

describe('webhook management', () => {
	const post = (auth: string, body: unknown) =>
		fetch(`${url}/api/v1/webhooks`, {
			method: 'POST',
			headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
			body: JSON.stringify(body)
		});

	it('an integration token manages receivers of its own sites only, and never sees secrets again', async () => {
		const made = await post(door, {
			url: 'https://erp.example/hook',
			events: ['entry.decision'],
			site: 'S1'
		});
		expect(made.status).toBe(201);
		const { id, secret } = (await made.json()) as { id: string; secret: string };
		expect(secret).toMatch(/^whsec_/);
		expect(
			(await post(door, { url: 'https://x.example', events: ['entry.decision'], site: 'S2' }))
				.status
		).toBe(403);
		for (const [body, message] of [
			[{ url: 'ftp://x.example', events: ['entry.decision'], site: 'S1' }, /http or https/],
			[{ url: 'https://u:p@x.example', events: ['entry.decision'], site: 'S1' }, /credentials/],
			[{ url: 'https://x.example', events: ['gate.opened'], site: 'S1' }, /one of entry.decision/],
			[{ url: 'https://x.example', events: [], site: 'S1' }, /at least one event/]
		] as const) {
			const res = await post(door, body);
			expect(res.status).toBe(400);
			expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
		}
		const other = token(relay.server, { sub: 'door3', role: 'integration', sites: ['S2'] });
		const list = async (auth: string) =>
			(
				(await (
					await fetch(`${url}/api/v1/webhooks`, { headers: { authorization: `Bearer ${auth}` } })
				).json()) as { webhooks: Record<string, unknown>[] }
			).webhooks;
		expect((await list(door)).map((w) => w.id)).toContain(id);
		expect(JSON.stringify(await list(admin))).not.toContain(secret);
		expect(await list(other)).toEqual([]);
		const del = (auth: string) =>
			fetch(`${url}/api/v1/webhooks/${id}`, {
				method: 'DELETE',
				headers: { authorization: `Bearer ${auth}` }
			});
		expect((await del(other)).status).toBe(404);
		expect((await del(door)).status).toBe(200);
		expect((await del(door)).status).toBe(404);
		expect((await list(door)).map((w) => w.id)).not.toContain(id);
	});
});

describe('/api/v1/openapi.json', () => {
	it('describes every route the router serves, and every reason code', async () => {
		const res = await fetch(`${url}/api/v1/openapi.json`);
		expect(res.status).toBe(200);
		const doc = (await res.json()) as {
			openapi: string;
			paths: Record<string, Record<string, unknown>>;
			components: { schemas: { Reason: { properties: { code: { enum: string[] } } } } };
		};
		expect(doc.openapi).toBe('3.1.0');
		const described = Object.entries(doc.paths).flatMap(([path, ops]) =>
			Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)
		);
		expect(described.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
		expect(doc.components.schemas.Reason.properties.code.enum).toEqual([
			...REASON_CODES,
			...ACCESS_REASON_CODES
		]);
	});
});
