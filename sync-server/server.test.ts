// The relay's HTTP surface: health, the app shell for deep links, caching rules, and refusal of
// paths outside the build folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from './server';
import { tempDir } from './testing';
import { VERSION } from './version';

let server: RunningServer;
let root: string;

beforeAll(async () => {
	root = tempDir('sitepass-static-');
	const site = join(root, 'build');
	mkdirSync(join(site, '_app/immutable'), { recursive: true });
	writeFileSync(join(site, 'index.html'), '<!doctype html><title>shell</title>');
	writeFileSync(join(site, 'sw.js'), 'self.x=1');
	writeFileSync(join(site, '_app/immutable/a.js'), 'export {}');
	writeFileSync(join(root, 'secret.txt'), 'do not serve');
	server = await serve({
		host: '127.0.0.1',
		port: 0,
		dataDir: join(root, 'data'),
		staticDir: site,
		log: () => {}
	});
});

afterAll(() => server.close());

const get = (path: string, init?: RequestInit) => fetch(server.url + path, init);

describe('sitepass serve', () => {
	it('answers /healthz with ok and the package version', async () => {
		const res = await get('/healthz');
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ ok: true, version: VERSION, docs: 1, connections: 0 });
	});

	it('serves the shell for app routes so deep links work', async () => {
		for (const path of ['/', '/ledger', '/review/some/deep/link']) {
			const res = await get(path);
			expect(res.status, path).toBe(200);
			expect(res.headers.get('content-type')).toContain('text/html');
			expect(res.headers.get('cache-control')).toBe('no-cache');
			expect(await res.text()).toContain('<title>shell</title>');
		}
	});

	it('caches hashed assets forever and the service worker never', async () => {
		const asset = await get('/_app/immutable/a.js');
		expect(asset.headers.get('cache-control')).toContain('immutable');
		expect(asset.headers.get('content-type')).toContain('javascript');
		const sw = await get('/sw.js');
		expect(sw.headers.get('cache-control')).toBe('no-cache');
	});

	it('sends a CSP that keeps the app on its own origin', async () => {
		const res = await get('/');
		expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
		expect(res.headers.get('content-security-policy')).toMatch(/connect-src 'self' ws: wss:/);
	});

	it('answers a missing asset with 404, not the shell', async () => {
		expect((await get('/_app/immutable/missing.js')).status).toBe(404);
	});

	it('never serves files outside the build folder', async () => {
		for (const path of [
			'/../secret.txt',
			'/..%2fsecret.txt',
			'/%2e%2e/secret.txt',
			'/a/%2e%2e/%2e%2e/secret.txt'
		]) {
			const res = await get(path);
			expect(await res.text(), path).not.toContain('do not serve');
		}
		expect((await get('/%E0%A4%A')).status).toBe(400);
	});

	it('refuses writes to static paths with 405 and JSON', async () => {
		const res = await get('/ledger', { method: 'POST', body: 'x' });
		expect(res.status).toBe(405);
		expect((await res.json()).error.code).toBe('METHOD_NOT_ALLOWED');
	});

	it('keeps relay paths out of the app shell', async () => {
		const res = await get('/api/unknown');
		expect(res.status).toBe(404);
		expect((await res.json()).error.code).toBe('NOT_FOUND');
	});
});
