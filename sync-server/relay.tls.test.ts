// wss:// works: the relay on HTTPS with a self-signed certificate made here with openssl serves
// /healthz and syncs documents over TLS sockets. (Node cannot make certificates itself: without
// openssl on the machine this test is skipped, and says so.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, makeRoot, startRelay, token, waitFor, type TestRelay } from './testing';

let relay: TestRelay;
let cert: Buffer;

const hasOpenssl = (() => {
	try {
		execFileSync('openssl', ['version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
})();

beforeAll(async () => {
	if (!hasOpenssl) return;
	const root = makeRoot();
	const certFile = join(root.root, 'cert.pem');
	const keyFile = join(root.root, 'key.pem');
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
	relay = await startRelay({ root, tls: { cert: certFile, key: keyFile } });
});
afterAll(() => relay?.server.close());

// Skipped only on a developer machine without openssl; CI installs it and never skips.
describe.skipIf(!hasOpenssl && !process.env.CI)('TLS (needs openssl)', () => {
	it('serves https and syncs over wss, trusting only the relay certificate', async () => {
		expect(relay.server.url).toMatch(/^https:\/\//);
		const health = await new Promise<{ status: number; body: string }>((done, fail) =>
			get(`${relay.server.url}/healthz`, { ca: cert }, (res) => {
				let body = '';
				res.on('data', (d) => (body += d));
				res.on('end', () => done({ status: res.statusCode!, body }));
			}).on('error', fail)
		);
		expect(health.status).toBe(200);
		expect(JSON.parse(health.body)).toMatchObject({ ok: true });

		class TrustingSocket extends WebSocket {
			constructor(address: string, protocols?: string | string[]) {
				super(address, protocols, { ca: cert });
			}
		}
		const t = token(relay.server, { role: 'staff', staffRole: 'safety', sub: 's', sites: ['S1'] });
		const a = connect(relay.server, 'blacklist', t, { WebSocketPolyfill: TrustingSocket });
		const b = connect(relay.server, 'blacklist', t, { WebSocketPolyfill: TrustingSocket });
		await Promise.all([a.synced(), b.synced()]);
		expect(a.provider.url).toMatch(/^wss:\/\//);
		a.map('entries').set('E1', {
			schema: 1,
			id: 'E1',
			docNumber: 'E7654321',
			reason: 'over TLS',
			since: '2026-11-01',
			by: 'safety1',
			at: new Date().toISOString()
		});
		await waitFor(() => b.map('entries').has('E1'), 'entry over wss');
		a.destroy();
		b.destroy();
	});
});
