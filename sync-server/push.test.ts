// Web Push end to end on one machine: a real relay, and a fake push service (https on 127.0.0.1,
// self-signed certificate made here with openssl) that does what FCM or Mozilla's service would:
// checks the VAPID header (ES256 JWT signed with the relay's key, `aud` = its own origin) and, in
// the browser's place, decrypts the aes128gcm body (RFC 8291/8188) with the subscription's private
// key. Subscriptions are real P-256 key pairs with 16-byte auth secrets made by the test.
import { execFileSync } from 'node:child_process';
import {
	createDecipheriv,
	createECDH,
	createHmac,
	createPublicKey,
	hkdfSync,
	randomBytes,
	verify,
	type ECDH
} from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, Agent, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSubject } from './push';
import { makeRoot, seedOrg, startRelay, token, waitFor, type TestRelay } from './testing';

const hasOpenssl = (() => {
	try {
		execFileSync('openssl', ['version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
})();

interface Delivery {
	path: string;
	headers: Record<string, string | string[] | undefined>;
	/** The decrypted payload, parsed. */
	message: { title: string; body: string; url: string; tag: string };
	/** The VAPID JWT's claims, after its signature checked out. */
	vapid: { aud: string; exp: number; sub: string; key: string };
}

/** A device: its ECDH key pair and auth secret, and the subscription JSON a browser would send. */
interface Device {
	ecdh: ECDH;
	auth: Buffer;
	path: string;
	json: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
}

const hkdf = (ikm: Buffer, salt: Buffer, info: Buffer | string, length: number) =>
	Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info), length));

/** RFC 8291 §3.4 + RFC 8188: what the browser does with a push message. */
function decrypt(body: Buffer, device: Device): string {
	const salt = body.subarray(0, 16);
	const rs = body.readUInt32BE(16);
	const idLength = body[20]!;
	const serverPublic = body.subarray(21, 21 + idLength);
	const record = body.subarray(21 + idLength);
	expect(idLength).toBe(65);
	expect(record.length).toBeLessThanOrEqual(rs);
	const shared = device.ecdh.computeSecret(serverPublic);
	const keyInfo = Buffer.concat([
		Buffer.from('WebPush: info\0'),
		device.ecdh.getPublicKey(),
		serverPublic
	]);
	// IKM = HKDF(salt = auth secret, ikm = ECDH secret, info = key_info), spelled out as in RFC 8291.
	const prkKey = createHmac('sha256', device.auth).update(shared).digest();
	const ikm = createHmac('sha256', prkKey)
		.update(Buffer.concat([keyInfo, Buffer.from([1])]))
		.digest();
	const cek = hkdf(ikm, salt, 'Content-Encoding: aes128gcm\0', 16);
	const nonce = hkdf(ikm, salt, 'Content-Encoding: nonce\0', 12);
	const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
	decipher.setAuthTag(record.subarray(record.length - 16));
	const padded = Buffer.concat([
		decipher.update(record.subarray(0, record.length - 16)),
		decipher.final()
	]);
	// The last (only) record ends with the delimiter 0x02, then zero padding.
	let end = padded.length - 1;
	while (end >= 0 && padded[end] === 0) end--;
	expect(padded[end]).toBe(2);
	return padded.subarray(0, end).toString('utf8');
}

/** Checks `Authorization: vapid t=<jwt>, k=<key>` (RFC 8292) and returns the JWT's claims. */
function checkVapid(header: string | undefined, audience: string): Delivery['vapid'] {
	const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
	if (!match) throw new Error(`no VAPID authorization: ${header}`);
	const [jwt, key] = [match[1]!, match[2]!];
	const [h, p, s] = jwt.split('.') as [string, string, string];
	expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toMatchObject({ alg: 'ES256' });
	const point = Buffer.from(key, 'base64url');
	const publicKey = createPublicKey({
		key: {
			kty: 'EC',
			crv: 'P-256',
			x: point.subarray(1, 33).toString('base64url'),
			y: point.subarray(33).toString('base64url')
		},
		format: 'jwk'
	});
	const good = verify(
		'sha256',
		Buffer.from(`${h}.${p}`),
		{ key: publicKey, dsaEncoding: 'ieee-p1363' },
		Buffer.from(s, 'base64url')
	);
	if (!good) throw new Error('bad VAPID signature');
	const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Omit<
		Delivery['vapid'],
		'key'
	>;
	expect(claims.aud).toBe(audience);
	const now = Date.now() / 1000;
	expect(claims.exp).toBeGreaterThan(now);
	expect(claims.exp).toBeLessThanOrEqual(now + 24 * 3600);
	expect(claims.sub).toMatch(/^(mailto:|https:)/);
	return { ...claims, key };
}

let relay: TestRelay;
let push: Server;
let pushOrigin: string;
let cert: Buffer;
let certFile: string;
let keyFile: string;
const deliveries: Delivery[] = [];
const devices = new Map<string, Device>();
/** What the fake push service answers per path (default 201). 'hang' never answers. */
const answers = new Map<string, number | 'hang'>();
const problems: string[] = [];

function device(name: string): Device {
	const ecdh = createECDH('prime256v1');
	ecdh.generateKeys();
	const auth = randomBytes(16);
	const path = `/push/${name}-${randomBytes(6).toString('hex')}`;
	const d: Device = {
		ecdh,
		auth,
		path,
		json: {
			endpoint: `${pushOrigin}${path}`,
			expirationTime: null,
			keys: {
				p256dh: ecdh.getPublicKey().toString('base64url'),
				auth: auth.toString('base64url')
			}
		}
	};
	devices.set(path, d);
	return d;
}

/** What the relay's REST answers look like, loosely. */
interface ApiJson {
	ok: boolean;
	error?: { code: string; message: string };
	publicKey?: string;
	removed?: boolean;
}

async function api(path: string, body?: unknown, bearer?: string, method = 'POST') {
	const res = await fetch(`${relay.server.url}${path}`, {
		method,
		headers: {
			...(body === undefined ? {} : { 'content-type': 'application/json' }),
			...(bearer ? { authorization: `Bearer ${bearer}` } : {})
		},
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	return { status: res.status, json: (await res.json()) as ApiJson };
}

const subscribe = (d: Device, bearer: string) => api('/api/push/subscribe', d.json, bearer);
const received = (d: Device) => deliveries.filter((x) => x.path === d.path);

function makeCert(dir: string): void {
	certFile = join(dir, 'push-cert.pem');
	keyFile = join(dir, 'push-key.pem');
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:P-256',
			'-nodes',
			'-days',
			'1',
			'-subj',
			'/CN=127.0.0.1',
			'-addext',
			'subjectAltName=IP:127.0.0.1',
			'-keyout',
			keyFile,
			'-out',
			certFile
		],
		{ stdio: 'ignore' }
	);
	cert = readFileSync(certFile);
}

const root = makeRoot();

beforeAll(async () => {
	if (!hasOpenssl) return;
	makeCert(root.root);
	push = createServer({ cert, key: readFileSync(keyFile) }, (req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const path = req.url ?? '';
			const answer = answers.get(path) ?? 201;
			if (answer === 'hang') return;
			try {
				const d = devices.get(path);
				if (!d) throw new Error(`unknown endpoint ${path}`);
				expect(req.method).toBe('POST');
				expect(req.headers['content-encoding']).toBe('aes128gcm');
				const vapid = checkVapid(req.headers.authorization, pushOrigin);
				const message = JSON.parse(decrypt(Buffer.concat(chunks), d)) as Delivery['message'];
				// Only what the push service accepts reaches the device.
				if (answer < 300) deliveries.push({ path, headers: req.headers, message, vapid });
			} catch (err) {
				problems.push(String(err));
				res.writeHead(400).end();
				return;
			}
			res.writeHead(answer).end();
		});
	});
	await new Promise<void>((done) => push.listen(0, '127.0.0.1', done));
	pushOrigin = `https://127.0.0.1:${(push.address() as AddressInfo).port}`;
	relay = await startRelay({
		root,
		// Trust the fake push service's certificate for the relay's push requests only.
		push: { agent: new Agent({ ca: cert }), timeoutMs: 1000 }
	});
	seedOrg(relay.server);
});

afterAll(async () => {
	await relay?.server.close();
	push?.closeAllConnections();
	await new Promise((done) => push?.close(done));
});

// Skipped only on a developer machine without openssl; CI installs it and never skips.
describe.skipIf(!hasOpenssl && !process.env.CI)('Web Push (needs openssl)', () => {
	const payload = {
		title: '证书即将到期',
		body: '滨江一号工地有 3 名人员的证书将在 7 天内到期',
		url: '/ledger?expiring=7',
		tag: 'expiry-S1'
	};

	it('hands out one VAPID public key, kept in the data folder with mode 0600', async () => {
		const { status, json } = await api('/api/push/key', undefined, undefined, 'GET');
		expect(status).toBe(200);
		const key = Buffer.from(json.publicKey as string, 'base64url');
		expect(key.length).toBe(65);
		expect(key[0]).toBe(4);
		expect(json.publicKey).toBe(relay.server.push.publicKey);
		const file = join(relay.dataDir, 'keys', 'vapid-p256.key.pem');
		expect(statSync(file).mode & 0o777).toBe(0o600);
		expect((await api('/api/push/key')).status).toBe(405);
	});

	it('delivers to the audience only: staff at S1, not a contractor working there', async () => {
		const staff = device('staff-s1');
		const staffS2 = device('staff-s2');
		const contractor = device('contractor-c1');
		const admin = device('admin');
		const tStaff = token(relay.server, {
			role: 'staff',
			staffRole: 'safety',
			sub: 'u-staff1',
			sites: ['S1']
		});
		const tStaffS2 = token(relay.server, {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'u-staff2',
			sites: ['S2']
		});
		const tContractor = token(relay.server, { role: 'contractor', sub: 'u-c1', contractor: 'C1' });
		const tAdmin = token(relay.server, { role: 'admin', sub: 'u-admin' });
		for (const [d, t] of [
			[staff, tStaff],
			[staffS2, tStaffS2],
			[contractor, tContractor],
			[admin, tAdmin]
		] as const) {
			expect(await subscribe(d, t)).toEqual({ status: 200, json: { ok: true } });
		}

		const summary = await relay.server.push.send({ site: 'S1', roles: ['staff'] }, payload);
		expect(summary).toEqual({ sent: 1, failed: 0, removed: 0 });
		expect(problems).toEqual([]);
		expect(received(staff)).toHaveLength(1);
		const got = received(staff)[0]!;
		expect(got.message).toEqual(payload);
		expect(got.vapid.key).toBe(relay.server.push.publicKey);
		expect(got.headers.ttl).toBe(String(24 * 3600));
		expect(got.headers.urgency).toBe('normal');
		expect(got.headers.topic).toMatch(/^[\w-]{32}$/);
		for (const d of [staffS2, contractor, admin]) expect(received(d)).toEqual([]);

		// The contractor by contractor id; by site through the contractor's sites (C1 works at S1).
		expect(await relay.server.push.send({ contractor: 'C1' }, payload)).toMatchObject({ sent: 1 });
		expect(received(contractor)).toHaveLength(1);
		expect(
			await relay.server.push.send({ site: 'S1', roles: ['contractor'] }, payload)
		).toMatchObject({ sent: 1 });
		expect(received(contractor)).toHaveLength(2);
		// One person; and staff by position.
		expect(await relay.server.push.send({ sub: 'u-admin' }, payload)).toMatchObject({ sent: 1 });
		expect(received(admin)).toHaveLength(1);
		expect(await relay.server.push.send({ staffRoles: ['safety'] }, payload)).toMatchObject({
			sent: 1
		});
		expect(received(staff)).toHaveLength(2);
		// An empty audience is nobody, not everybody.
		expect(await relay.server.push.send({}, payload)).toEqual({ sent: 0, failed: 0, removed: 0 });
		expect(received(staffS2)).toEqual([]);
	});

	it('keeps the payload to an in-app path and short text', async () => {
		const d = device('clip');
		await subscribe(
			d,
			token(relay.server, {
				role: 'staff',
				staffRole: 'project_lead',
				sub: 'u-clip',
				sites: ['S2']
			})
		);
		await relay.server.push.send(
			{ sub: 'u-clip' },
			{ title: '提醒', body: '长'.repeat(1000), url: 'https://evil.example/', tag: 't' }
		);
		const [got] = received(d);
		expect(got!.message.url).toBe('/');
		expect(got!.message.body.length).toBeLessThanOrEqual(240);
	});

	it('control: a device holding other keys cannot read the message', async () => {
		const d = device('control');
		await subscribe(
			d,
			token(relay.server, { role: 'staff', staffRole: 'safety', sub: 'u-ctl', sites: ['S2'] })
		);
		// The relay encrypted to the subscribed key; this device now holds another one.
		d.ecdh = createECDH('prime256v1');
		d.ecdh.generateKeys();
		expect(await relay.server.push.send({ sub: 'u-ctl' }, payload)).toEqual({
			sent: 0,
			failed: 1,
			removed: 0
		});
		expect(problems).toHaveLength(1);
		expect(problems[0]).toMatch(/unable to authenticate|auth/i);
		problems.length = 0;
	});

	it('forgets a subscription the push service answers 410 for', async () => {
		const d = device('gone');
		await subscribe(
			d,
			token(relay.server, {
				role: 'staff',
				staffRole: 'project_lead',
				sub: 'u-gone',
				sites: ['S2']
			})
		);
		const before = relay.server.push.count();
		answers.set(d.path, 410);
		expect(await relay.server.push.send({ sub: 'u-gone' }, payload)).toEqual({
			sent: 0,
			failed: 0,
			removed: 1
		});
		expect(relay.server.push.count()).toBe(before - 1);
		answers.delete(d.path);
		expect(await relay.server.push.send({ sub: 'u-gone' }, payload)).toEqual({
			sent: 0,
			failed: 0,
			removed: 0
		});
		expect(received(d)).toEqual([]);
	});

	it('sends nothing to a revoked token, and forgets its subscription', async () => {
		const d = device('revoked');
		const t = token(relay.server, {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'u-rev',
			sites: ['S1']
		});
		await subscribe(d, t);
		const jti = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).jti as string;
		const admin = token(relay.server, { role: 'admin', sub: 'u-admin2' });
		expect((await api('/api/revoke', { jti }, admin)).status).toBe(200);
		expect(await relay.server.push.send({ sub: 'u-rev' }, payload)).toEqual({
			sent: 0,
			failed: 0,
			removed: 1
		});
		expect(received(d)).toEqual([]);
		// And it cannot sign up again.
		const again = await subscribe(d, t);
		expect(again.status).toBe(401);
		expect(again.json.error?.code).toBe('TOKEN_REVOKED');
	});

	it('counts and logs other failures without throwing', async () => {
		const broken = device('broken');
		const slow = device('slow');
		const t = token(relay.server, {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'u-fail',
			sites: ['S2']
		});
		await subscribe(broken, t);
		await subscribe(slow, t);
		answers.set(broken.path, 500);
		answers.set(slow.path, 'hang');
		const summary = await relay.server.push.send({ sub: 'u-fail' }, payload);
		expect(summary).toEqual({ sent: 0, failed: 2, removed: 0 });
		expect(relay.logs.filter((l) => l.startsWith('push: https://127.0.0.1'))).toEqual(
			expect.arrayContaining([
				expect.stringContaining('HTTP 500'),
				expect.stringMatching(/timeout/i)
			])
		);
		// No contact configured here: said once, not on every send.
		expect(relay.logs.filter((l) => l.includes('SITEPASS_PUSH_SUBJECT'))).toHaveLength(1);
		// The endpoint's path (a per-device secret) stays out of the log.
		expect(relay.logs.join('\n')).not.toContain(broken.path);
		answers.delete(broken.path);
		answers.delete(slow.path);
	});

	it('refuses bad subscriptions with a clear code', async () => {
		const t = token(relay.server, {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'u-bad',
			sites: ['S1']
		});
		const good = device('bad').json;
		const cases: [unknown, number, string][] = [
			[
				{ ...good, endpoint: good.endpoint.replace('https:', 'http:') },
				400,
				'PUSH_ENDPOINT_INVALID'
			],
			[{ ...good, endpoint: 'not a url' }, 400, 'PUSH_ENDPOINT_INVALID'],
			[
				{ ...good, keys: { ...good.keys, p256dh: randomBytes(33).toString('base64url') } },
				400,
				'PUSH_KEY_INVALID'
			],
			[
				{
					...good,
					keys: {
						...good.keys,
						p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url')
					}
				},
				400,
				'PUSH_KEY_INVALID'
			],
			[
				{ ...good, keys: { ...good.keys, auth: randomBytes(8).toString('base64url') } },
				400,
				'PUSH_AUTH_INVALID'
			],
			[{ ...good, keys: { ...good.keys, auth: 'not base64!' } }, 400, 'PUSH_AUTH_INVALID'],
			[{ endpoint: good.endpoint }, 400, 'INVALID_REQUEST'],
			[[good], 400, 'INVALID_REQUEST']
		];
		for (const [body, status, code] of cases) {
			const res = await api('/api/push/subscribe', body, t);
			expect({ status: res.status, code: res.json.error?.code }).toEqual({ status, code });
		}
		const anonymous = await api('/api/push/subscribe', good);
		expect(anonymous.status).toBe(401);
		expect(anonymous.json.error?.code).toBe('TOKEN_MISSING');
		expect(relay.server.push.count()).toBeGreaterThan(0);
		expect(await relay.server.push.send({ sub: 'u-bad' }, payload)).toMatchObject({ sent: 0 });
	});

	it('lets only the owner unsubscribe', async () => {
		const d = device('mine');
		const owner = token(relay.server, {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'u-owner',
			sites: ['S2']
		});
		const other = token(relay.server, {
			role: 'staff',
			staffRole: 'project_lead',
			sub: 'u-other',
			sites: ['S2']
		});
		await subscribe(d, owner);
		const stranger = await api('/api/push/unsubscribe', { endpoint: d.json.endpoint }, other);
		expect(stranger.json).toEqual({ ok: true, removed: false });
		const mine = await api('/api/push/unsubscribe', { endpoint: d.json.endpoint }, owner);
		expect(mine.json).toEqual({ ok: true, removed: true });
		expect(await relay.server.push.send({ sub: 'u-owner' }, payload)).toMatchObject({ sent: 0 });
		expect(received(d)).toEqual([]);
	});

	it('keeps the VAPID key and the subscriptions across a restart', async () => {
		const key = relay.server.push.publicKey;
		const d = device('restart');
		await subscribe(
			d,
			token(relay.server, {
				role: 'staff',
				staffRole: 'project_lead',
				sub: 'u-restart',
				sites: ['S2']
			})
		);
		await relay.server.close();
		relay = await startRelay({ root, push: { agent: new Agent({ ca: cert }), timeoutMs: 1000 } });
		expect((await api('/api/push/key', undefined, undefined, 'GET')).json.publicKey).toBe(key);
		expect(await relay.server.push.send({ sub: 'u-restart' }, payload)).toMatchObject({ sent: 1 });
		await waitFor(() => received(d).length === 1, 'delivery after restart');
		expect(received(d)[0]!.vapid.key).toBe(key);
		// Every message the fake push service took apart decrypted and carried a good VAPID JWT.
		expect(problems).toEqual([]);
	});
});

describe('VAPID subject', () => {
	it('is a contact Apple accepts when one is known, else a placeholder the log warns about', () => {
		const saved = process.env.SITEPASS_PUSH_SUBJECT;
		delete process.env.SITEPASS_PUSH_SUBJECT;
		try {
			expect(chooseSubject('mailto:ops@example.cn', undefined)).toBe('mailto:ops@example.cn');
			expect(chooseSubject(undefined, 'https://relay.example.cn/')).toBe(
				'https://relay.example.cn'
			);
			for (const url of [
				'https://localhost:8787',
				'https://192.168.1.20:8787',
				'https://relay.local',
				'http://relay.example.cn',
				undefined
			]) {
				expect(chooseSubject(undefined, url)).toBe('mailto:sitepass@relay.invalid');
			}
			expect(chooseSubject('not a contact', undefined)).toBe('mailto:sitepass@relay.invalid');
			process.env.SITEPASS_PUSH_SUBJECT = 'mailto:safety@example.cn';
			expect(chooseSubject(undefined, undefined)).toBe('mailto:safety@example.cn');
		} finally {
			if (saved === undefined) delete process.env.SITEPASS_PUSH_SUBJECT;
			else process.env.SITEPASS_PUSH_SUBJECT = saved;
		}
	});
});
