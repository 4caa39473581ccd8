// The upstream link's own guards: a stalled upgrade, a refused document (blocked), plain ws://.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, token, waitFor, type TestRelay } from '../testing';
import { Upstream } from './upstream';

let site: TestRelay;
let stalled: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
	site = await startRelay();
	// Accepts TCP connections and never answers the HTTP upgrade (a hung proxy).
	stalled = createServer((s) => sockets.push(s));
	await new Promise<void>((done) => stalled.listen(0, '127.0.0.1', done));
});

afterAll(async () => {
	for (const s of sockets) s.destroy();
	await new Promise((done) => stalled.close(done));
	await site?.server.close();
});

describe('upstream link', () => {
	it('gives up on an upgrade HQ never answers, and tries again', async () => {
		const port = (stalled.address() as AddressInfo).port;
		const up = new Upstream({
			relay: site.server.relay,
			url: `ws://127.0.0.1:${port}/sync`,
			token: token(site.server, { role: 'relay', sub: 'relay-S1', sites: ['S1'] }),
			log: () => {},
			minBackoffMs: 50,
			maxBackoffMs: 50,
			handshakeTimeoutMs: 200
		});
		try {
			void up.start();
			await waitFor(() => sockets.length >= 2, 'a second attempt after the timeout', 5000);
			const org = up.status().docs.find((d) => d.doc === 'org')!;
			expect(org.connected).toBe(false);
			expect(org.lastError).toMatch(/timed out/i);
		} finally {
			await up.close();
		}
	});
});
