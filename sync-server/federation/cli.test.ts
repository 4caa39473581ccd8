// The federation's command line: `sitepass token --role relay` at HQ, and `sitepass serve
// --upstream` refusing a bad URL, a token that is not a relay token, and a data folder that
// already has its own org, each with a sentence saying what to do; and a link to an upstream that
// went silent is cut and reconnected.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../cli';
import { openDataDir } from '../datadir';
import { makeRoot, startRelay, waitFor } from '../testing';
import { verifyToken } from '../tokens';
import { insecureUpstreamProblem, parseUpstreamUrl, upstreamClaims } from './upstream';

let out = '';
let err = '';
afterEach(() => {
	vi.restoreAllMocks();
	out = '';
	err = '';
});
function capture() {
	vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
	vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
}

/** A relay token signed by an HQ data folder through the CLI. */
async function relayToken(dir: string, ...extra: string[]): Promise<string> {
	capture();
	const code = await main(['token', '--data', dir, '--role', 'relay', '--site', 'S1', ...extra]);
	vi.restoreAllMocks();
	expect(code).toBe(0);
	const token = out.trim();
	out = '';
	err = '';
	return token;
}

describe('sitepass token --role relay', () => {
	it('needs a site, names the relay after it and lives a year', async () => {
		const hq = makeRoot();
		capture();
		expect(await main(['token', '--data', hq.dataDir, '--role', 'relay'])).toBe(2);
		expect(err).toMatch(/--sub is required|--site: a relay needs at least one site/);
		vi.restoreAllMocks();
		const token = await relayToken(hq.dataDir);
		const d = openDataDir(hq.dataDir);
		const check = verifyToken(token, d.keys.publicKey, d.orgId);
		d.close();
		expect(check).toMatchObject({
			ok: true,
			claims: { role: 'relay', sub: 'relay-S1', sites: ['S1'] }
		});
		if (check.ok) expect(check.claims.exp - check.claims.iat).toBe(365 * 86400);
	});
});

describe('sitepass serve --upstream', () => {
	it('reads the upstream address in its usual spellings', () => {
		expect(parseUpstreamUrl('wss://hq.example/sync')).toEqual({
			syncUrl: 'wss://hq.example/sync',
			httpBase: 'https://hq.example'
		});
		expect(parseUpstreamUrl('https://hq.example:8443/')).toEqual({
			syncUrl: 'wss://hq.example:8443/sync',
			httpBase: 'https://hq.example:8443'
		});
		expect(parseUpstreamUrl('ftp://hq.example')).toBeNull();
		expect(parseUpstreamUrl('hq.example')).toBeNull();
	});

	it('refuses a bad URL, a missing token, a token that is not a relay’s', async () => {
		const site = makeRoot();
		const base = ['serve', '--data', site.dataDir, '--static', site.staticDir, '--port', '0'];
		capture();
		expect(await main([...base, '--upstream', 'hq.example', '--upstream-token', 'x'])).toBe(2);
		expect(err).toMatch(/--upstream "hq.example" 不是总部中继的地址/);
		err = '';
		expect(await main([...base, '--upstream', 'wss://hq.example/sync'])).toBe(2);
		expect(err).toMatch(/--upstream 和 --upstream-token 要一起给出/);
		err = '';
		expect(
			await main([...base, '--upstream', 'wss://hq.example/sync', '--upstream-token', 'abc'])
		).toBe(2);
		expect(err).toMatch(/上级令牌不是有效的令牌/);
		vi.restoreAllMocks();
		const hq = makeRoot();
		capture();
		await main(['token', '--data', hq.dataDir, '--role', 'gate', '--sub', 'g1', '--site', 'S1']);
		const gate = out.trim();
		err = '';
		expect(
			await main([...base, '--upstream', 'wss://hq.example/sync', '--upstream-token', gate])
		).toBe(2);
		expect(err).toMatch(/角色是 gate.*--role relay/);
		expect(upstreamClaims(gate).ok).toBe(false);
	});

	it('refuses a plain ws:// or http:// upstream on another machine unless --insecure-upstream', async () => {
		const plain = (url: string) => insecureUpstreamProblem(parseUpstreamUrl(url)!);
		expect(plain('ws://hq.example/sync')).toMatch(/没有加密.*--insecure-upstream/);
		expect(plain('http://10.0.0.5:8787')).toMatch(/没有加密/);
		expect(plain('wss://hq.example/sync')).toBeNull();
		expect(plain('ws://127.0.0.1:8787/sync')).toBeNull();
		expect(plain('ws://localhost:8787')).toBeNull();
		expect(plain('ws://[::1]:8787')).toBeNull();
		expect(insecureUpstreamProblem(parseUpstreamUrl('ws://hq.example')!, true)).toBeNull();
		const hq = makeRoot();
		capture();
		await main(['token', '--data', hq.dataDir, '--role', 'relay', '--site', 'S1']);
		const relayToken = out.trim();
		const site = makeRoot();
		const base = ['serve', '--data', site.dataDir, '--static', site.staticDir, '--port', '0'];
		err = '';
		const args = [...base, '--upstream', 'ws://hq.example/sync', '--upstream-token', relayToken];
		expect(await main(args)).toBe(2);
		expect(err).toMatch(/没有加密（ws:\/\/ 或 http:\/\/）.*--insecure-upstream/);
		vi.restoreAllMocks();
		// serve() itself refuses it too, before the data folder is touched.
		await expect(
			startRelay({ root: site, upstream: { url: 'ws://hq.example/sync', token: relayToken } })
		).rejects.toThrow(/--insecure-upstream/);
	});

	it('refuses a data folder that already has its own org, and a federated one without --upstream', async () => {
		const hq = makeRoot();
		const token = await relayToken(hq.dataDir);
		// A relay that ran on its own first.
		const standalone = await startRelay();
		await standalone.server.close();
		await expect(
			startRelay({
				root: {
					root: standalone.root,
					dataDir: standalone.dataDir,
					staticDir: standalone.staticDir
				},
				upstream: { url: 'ws://127.0.0.1:9/sync', token }
			})
		).rejects.toThrow(/已有自己的组织 .*新的空 --data 目录/);
		// A federated site relay (HQ unreachable: it serves its own devices all the same).
		const site = await startRelay({ upstream: { url: 'ws://127.0.0.1:9/sync', token } });
		expect(site.server.adminLink).toMatch(/enrol#code=/);
		const d = openDataDir(hq.dataDir);
		expect(site.server.orgId).toBe(d.orgId);
		d.close();
		const res = await fetch(`${site.server.url}/healthz`).then((r) => r.json());
		expect(res.federation).toMatchObject({ connected: 0 });
		await site.server.close();
		await expect(
			startRelay({ root: { root: site.root, dataDir: site.dataDir, staticDir: site.staticDir } })
		).rejects.toThrow(/请带上 --upstream 和 --upstream-token 启动/);
	});
});

describe('a silent upstream', () => {
	it('is noticed by its missed pings, cut and reconnected', async () => {
		const { createServer } = await import('node:http');
		const { WebSocketServer } = await import('ws');
		// An "HQ" that accepts sockets and then never answers a ping (a dead network path).
		const http = createServer((_req, res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ ok: true, docs: [] }));
		});
		const wss = new WebSocketServer({ server: http, autoPong: false });
		let accepted = 0;
		wss.on('connection', () => accepted++);
		await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
		const port = (http.address() as { port: number }).port;
		const hq = makeRoot();
		const token = await relayToken(hq.dataDir);
		const site = await startRelay({
			upstream: {
				url: `ws://127.0.0.1:${port}/sync`,
				token,
				pingIntervalMs: 100,
				minBackoffMs: 20,
				maxBackoffMs: 50
			}
		});
		try {
			await waitFor(() => accepted >= 3, 'reconnections after missed pings', 5000);
			const org = site.server.upstream!.status().docs.find((d) => d.doc === 'org')!;
			expect(org.connects).toBeGreaterThanOrEqual(2);
			expect(site.logs.some((l) => /federation: org disconnected/.test(l))).toBe(true);
		} finally {
			await site.server.close();
			for (const ws of wss.clients) ws.terminate();
			wss.close();
			http.close();
		}
	});
});
