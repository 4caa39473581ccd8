// The HTTP registry adapter against the real simulator over real HTTP: every outcome, timeouts,
// retries with backoff and Retry-After, the rate limit under concurrency (checked at the
// simulator's arrival record), the circuit breaker, malformed answers and aborts. Backoff and the
// breaker's cooldown use injected clocks where waiting for real would only slow the file down.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
	createHttpRegistry,
	defaultSleep,
	type HttpRegistry,
	type HttpRegistryOptions
} from './http';
import { maxInWindow, startRegistrySimulator, type RunningSimulator } from './simulator';
import type { VerifyRequest } from './types';

const DEMO_SEED = fileURLToPath(new URL('./fixtures/demo-seed.json', import.meta.url));

const HV: VerifyRequest = {
	regime: 'special_operation',
	category: 'SO-ELEC-HV',
	number: 'T330106198803121436',
	holderName: '王建国'
};
const REVOKED: VerifyRequest = {
	regime: 'special_operation',
	category: 'SO-ELEC-LV',
	number: 'T440306197906308545',
	holderName: '刘芳'
};

let sim: RunningSimulator;
const registries: HttpRegistry[] = [];
beforeAll(async () => {
	sim = await startRegistrySimulator({ seed: DEMO_SEED });
});
afterAll(() => sim.close());
afterEach(() => {
	for (const r of registries.splice(0)) r.close();
	sim.setMode('normal');
	sim.resetStats();
});

/** A registry on the simulator; unhurried by default so tests only meet the limits they test. */
function registry(options: Partial<HttpRegistryOptions> = {}): HttpRegistry {
	const r = createHttpRegistry({
		endpoint: sim.url,
		ratePerSecond: 1000,
		backoffBaseMs: 10,
		...options
	});
	registries.push(r);
	return r;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('outcomes', () => {
	it('genuine: dates, reference and the hash of the raw answer', async () => {
		const r = registry();
		const result = await r.verify(HV);
		expect(result).toEqual({
			outcome: 'genuine',
			registryExpiry: '2030-05-14',
			registryReviewDate: '2027-05-14',
			checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			source: `http:${new URL(sim.url).host}`,
			evidence: { reference: 'SIM-000001', responseSha256: expect.any(String), attempts: 1 }
		});
		// The simulator writes JSON.stringify of its answer: the hash is of exactly those bytes.
		const body = JSON.stringify({
			result: 'genuine',
			expiresOn: '2030-05-14',
			reviewDate: '2027-05-14',
			reference: 'SIM-000001'
		});
		expect(result.evidence.responseSha256).toBe(sha256(body));
	});

	it('not_found and mismatch carry no dates; revoked does', async () => {
		const r = registry({ source: 'http:provincial-proxy' });
		const notFound = await r.verify({ ...HV, number: 'T000000' });
		expect(notFound).toMatchObject({ outcome: 'not_found', source: 'http:provincial-proxy' });
		expect(notFound).not.toHaveProperty('registryExpiry');
		const mismatch = await r.verify({ ...HV, holderName: '王建' });
		expect(mismatch.outcome).toBe('mismatch');
		expect(mismatch).not.toHaveProperty('registryExpiry');
		expect(await r.verify(REVOKED)).toMatchObject({
			outcome: 'revoked',
			registryExpiry: '2028-05-31',
			evidence: { reference: expect.stringMatching(/^SIM-/), attempts: 1 }
		});
		expect(r.stats().outcomes).toEqual({
			genuine: 0,
			not_found: 1,
			mismatch: 1,
			revoked: 1,
			unavailable: 0
		});
	});

	it('follows the registry when a certificate is revoked there', async () => {
		const r = registry();
		expect((await r.verify(HV)).outcome).toBe('genuine');
		sim.upsert({ ...HV, status: 'revoked', expiresOn: '2030-05-14' });
		try {
			expect((await r.verify(HV)).outcome).toBe('revoked');
		} finally {
			sim.upsert({ ...HV, status: 'valid', expiresOn: '2030-05-14', reviewDate: '2027-05-14' });
		}
	});

	it('keeps its sockets alive', async () => {
		const r = registry();
		for (let i = 0; i < 20; i++) expect((await r.verify(HV)).outcome).toBe('genuine');
		expect(sim.stats().connections).toBe(1);
	});

	it('sends the API key; a wrong key is a configuration error, not retried', async () => {
		const locked = await startRegistrySimulator({ seed: DEMO_SEED, apiKey: 'k-123' });
		try {
			const good = registry({ endpoint: locked.url, apiKey: 'k-123' });
			expect((await good.verify(HV)).outcome).toBe('genuine');
			const bad = registry({ endpoint: locked.url, apiKey: 'nope' });
			const result = await bad.verify(HV);
			expect(result.outcome).toBe('unavailable');
			expect(result.evidence).toEqual({
				error:
					'HTTP 401: missing or wrong API key (configuration error, check the API key; not retried)',
				attempts: 1
			});
			expect(locked.stats().requests).toBe(2);
		} finally {
			await locked.close();
		}
	});

	it('a 400 is not retried either, and does not count against the breaker', async () => {
		const r = registry({ breakerThreshold: 1 });
		const result = await r.verify({ ...HV, regime: 'special_equipment' });
		expect(result.evidence).toMatchObject({ error: /^HTTP 400: category SO-ELEC-HV/, attempts: 1 });
		expect(sim.stats().requests).toBe(1);
		expect(r.stats().breaker).toBe('closed');
	});

	it('does not send a question the protocol refuses; drops a QR link that is not http(s)', async () => {
		const r = registry();
		const result = await r.verify({ ...HV, number: 'T'.repeat(65) });
		expect(result.evidence).toEqual({
			error: expect.stringMatching(/^bad request: number: /),
			attempts: 0
		});
		expect(sim.stats().requests).toBe(0);
		const withLink = await r.verify({ ...HV, verifyUrl: 'weixin://dl/business/?t=abc' });
		expect(withLink.outcome).toBe('genuine');
		expect(sim.stats().requests).toBe(1);
	});
});

describe('timeouts and retries', () => {
	it('a registry slower than the timeout is unavailable after the retries', async () => {
		sim.setMode('slow', { delayMs: 1500 });
		const r = registry({ timeoutMs: 150, retries: 1 });
		const t0 = performance.now();
		const result = await r.verify(HV);
		expect(result.outcome).toBe('unavailable');
		expect(result.evidence).toEqual({ error: 'timeout after 150 ms', attempts: 2 });
		expect(performance.now() - t0).toBeLessThan(1000);
		expect(sim.stats().requests).toBe(2);
	});

	it('a registry slower than usual but within the timeout answers', async () => {
		sim.setMode('slow', { delayMs: 60 });
		const r = registry({ timeoutMs: 1000 });
		expect(await r.verify(HV)).toMatchObject({ outcome: 'genuine', evidence: { attempts: 1 } });
	});

	it('retries with exponential backoff and succeeds once the registry recovers', async () => {
		sim.setMode('flaky', { failRate: 1 });
		const waits: number[] = [];
		const r = registry({
			backoffBaseMs: 40,
			random: () => 0.5,
			sleep: async (ms, signal) => {
				waits.push(ms);
				if (waits.length === 2) sim.setMode('normal');
				await defaultSleep(ms, signal);
			}
		});
		const result = await r.verify(HV);
		expect(result).toMatchObject({ outcome: 'genuine', evidence: { attempts: 3 } });
		// Equal jitter at 0.5: 3/4 of 40 · 2^n.
		expect(waits).toEqual([30, 60]);
		const { arrivals, byStatus } = sim.stats();
		expect(byStatus).toEqual({ 503: 2, 200: 1 });
		expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(29);
		expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(59);
		expect(r.stats()).toMatchObject({ requests: 3, retries: 2 });
	});

	it('gives up after the retries with the last error', async () => {
		sim.setMode('flaky', { failRate: 1 });
		const r = registry({ retries: 2 });
		expect((await r.verify(HV)).evidence).toEqual({
			error: 'HTTP 503: registry flaky (simulated)',
			attempts: 3
		});
		expect(sim.stats().requests).toBe(3);
	});

	it('honours Retry-After on 503', async () => {
		sim.setMode('down', { retryAfterSeconds: 1 });
		const waits: number[] = [];
		const r = registry({
			sleep: async (ms, signal) => {
				waits.push(ms);
				sim.setMode('normal');
				await defaultSleep(ms, signal);
			}
		});
		expect(await r.verify(HV)).toMatchObject({ outcome: 'genuine', evidence: { attempts: 2 } });
		expect(waits).toEqual([1000]);
		const { arrivals } = sim.stats();
		expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(990);
	});

	it('does not wait out a Retry-After beyond its longest backoff', async () => {
		sim.setMode('down', { retryAfterSeconds: 120 });
		const r = registry();
		expect((await r.verify(HV)).evidence).toEqual({
			error: 'HTTP 503: registry down (simulated) (retry after 120 s)',
			attempts: 1
		});
	});

	it('a refused connection is a network error; a stale kept-alive socket is re-sent once', async () => {
		const r = registry({ retries: 0 });
		expect((await r.verify(HV)).outcome).toBe('genuine');
		sim.setMode('refuse');
		const result = await r.verify(HV);
		expect(result.outcome).toBe('unavailable');
		expect(result.evidence.error).toMatch(/^network error: (ECONNRESET|EPIPE)$/);
		// The first try went out on the kept-alive socket, which might just have been closed.
		expect(result.evidence.attempts).toBe(2);
		expect(r.stats().resent).toBe(1);
	});

	it('nobody listening: unavailable, never a throw', async () => {
		const closed = await startRegistrySimulator({ seed: DEMO_SEED });
		await closed.close();
		const r = registry({ endpoint: closed.url, retries: 1 });
		expect((await r.verify(HV)).evidence).toEqual({
			error: 'network error: ECONNREFUSED',
			attempts: 2
		});
	});
});

describe('rate limit', () => {
	it('50 concurrent calls keep to rate and burst, in call order', async () => {
		const rate = 25;
		const burst = 5;
		const r = registry({ ratePerSecond: rate, burst });
		const t0 = performance.now();
		const results = await Promise.all(Array.from({ length: 50 }, () => r.verify(HV)));
		const elapsed = performance.now() - t0;
		expect(results.every((x) => x.outcome === 'genuine')).toBe(true);
		const { arrivals } = sim.stats();
		expect(arrivals).toHaveLength(50);
		expect(maxInWindow(arrivals, 1000)).toBeLessThanOrEqual(rate + burst);
		// Any window of t seconds holds at most burst + rate·t (one more for timer slack).
		for (const windowMs of [100, 250, 500]) {
			expect(maxInWindow(arrivals, windowMs)).toBeLessThanOrEqual(
				burst + (rate * windowMs) / 1000 + 1
			);
		}
		expect(elapsed).toBeGreaterThanOrEqual(((50 - burst) / rate) * 1000 * 0.95);
		// FIFO: past the burst, calls reach the registry in the order they were made.
		const refs = results.map((x) => Number(x.evidence.reference!.slice(4)));
		for (let i = burst + 1; i < refs.length; i++) expect(refs[i]).toBeGreaterThan(refs[i - 1]!);
	});

	it('at most maxInFlight requests at a time; the others wait their turn', async () => {
		sim.setMode('slow', { delayMs: 200 });
		const r = registry({ maxInFlight: 2 });
		const results = await Promise.all(Array.from({ length: 6 }, () => r.verify(HV)));
		expect(results.every((x) => x.outcome === 'genuine')).toBe(true);
		const { arrivals } = sim.stats();
		for (let i = 2; i < 6; i++) expect(arrivals[i]! - arrivals[i - 2]!).toBeGreaterThanOrEqual(195);
	});

	it('a call aborted while queued leaves the queue at once', async () => {
		const r = registry({ ratePerSecond: 1, burst: 1 });
		expect((await r.verify(HV)).outcome).toBe('genuine');
		const controller = new AbortController();
		const queued = r.verify(HV, { signal: controller.signal });
		await new Promise((done) => setTimeout(done, 20));
		expect(r.stats().queued).toBe(1);
		const t0 = performance.now();
		controller.abort();
		expect((await queued).evidence).toEqual({ error: 'aborted', attempts: 0 });
		expect(performance.now() - t0).toBeLessThan(250);
		expect(r.stats().queued).toBe(0);
		expect(sim.stats().requests).toBe(1);
	});
});

describe('circuit breaker', () => {
	it('opens after the threshold, makes no requests while open, half-opens after the cooldown', async () => {
		let offset = 0;
		const r = registry({
			retries: 0,
			breakerThreshold: 3,
			breakerCooldownMs: 60_000,
			now: () => Date.now() + offset
		});
		sim.setMode('down', { retryAfterSeconds: 0 });
		for (let i = 0; i < 3; i++) expect((await r.verify(HV)).evidence.attempts).toBe(1);
		expect(r.stats()).toMatchObject({ breaker: 'open', breakerOpened: 1 });
		for (let i = 0; i < 5; i++) {
			expect((await r.verify(HV)).evidence).toEqual({ error: 'circuit open', attempts: 0 });
		}
		expect(sim.stats().requests).toBe(3);

		// Cooldown over: one probe; it fails and the circuit opens again for another cooldown.
		offset += 60_000;
		expect(r.stats().breaker).toBe('half_open');
		expect((await r.verify(HV)).evidence).toMatchObject({ attempts: 1, error: /^HTTP 503/ });
		expect((await r.verify(HV)).evidence.error).toBe('circuit open');
		expect(sim.stats().requests).toBe(4);

		// Next cooldown over, registry back: only one of two concurrent calls probes; it closes.
		offset += 60_000;
		sim.setMode('normal');
		const [a, b] = await Promise.all([r.verify(HV), r.verify(HV)]);
		expect(a.outcome).toBe('genuine');
		expect(b.evidence).toEqual({ error: 'circuit open', attempts: 0 });
		expect(r.stats().breaker).toBe('closed');
		expect((await r.verify(HV)).outcome).toBe('genuine');
		expect(sim.stats().requests).toBe(6);
	});

	it('opening in the middle of the retries stops them', async () => {
		sim.setMode('flaky', { failRate: 1 });
		const r = registry({ retries: 5, breakerThreshold: 2, sleep: async () => {} });
		expect((await r.verify(HV)).evidence).toEqual({
			error: 'HTTP 503: registry flaky (simulated) (circuit now open)',
			attempts: 2
		});
		expect(sim.stats().requests).toBe(2);
	});

	it('timeouts count as failures', async () => {
		sim.setMode('slow', { delayMs: 300 });
		const r = registry({ timeoutMs: 50, retries: 0, breakerThreshold: 2 });
		await r.verify(HV);
		await r.verify(HV);
		expect((await r.verify(HV)).evidence.error).toBe('circuit open');
		expect(sim.stats().requests).toBe(2);
	});
});

describe('malformed answers', () => {
	it.each([
		['json', 'malformed answer: not JSON'],
		['date', 'malformed answer: expiresOn: must be a calendar date YYYY-MM-DD'],
		['result', 'malformed answer: result: must be one of genuine, not_found, mismatch, revoked']
	] as const)('wrong %s → unavailable, not retried', async (wrong, error) => {
		sim.setMode('wrong', { wrong });
		const result = await registry().verify(HV);
		expect(result.outcome).toBe('unavailable');
		expect(result.evidence).toEqual({ error, responseSha256: expect.any(String), attempts: 1 });
		expect(sim.stats().requests).toBe(1);
	});

	describe('from a proxy that breaks the protocol other ways', () => {
		let server: Server;
		let url: string;
		let reply: (res: import('node:http').ServerResponse) => void;
		beforeAll(async () => {
			server = createServer((req, res) => {
				req.resume();
				req.on('end', () => reply(res));
			});
			await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
			url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		});
		afterAll(() => {
			server.closeAllConnections();
			server.close();
		});

		it.each([
			[
				'an oversized body',
				(res: import('node:http').ServerResponse) => res.end(' '.repeat(100_000)),
				/^malformed answer: body over 65536 bytes$/
			],
			[
				'a redirect',
				(res: import('node:http').ServerResponse) =>
					res.writeHead(302, { location: 'http://elsewhere/' }).end(),
				/^HTTP 302: redirects are not followed/
			],
			[
				'a 204',
				(res: import('node:http').ServerResponse) => res.writeHead(204).end(),
				'malformed answer: HTTP 204 instead of 200'
			],
			[
				'an answer cut short',
				(res: import('node:http').ServerResponse) => {
					res.writeHead(200, { 'content-length': 100 });
					res.write('{"result":');
					setTimeout(() => res.destroy(), 10);
				},
				'network error: answer cut short'
			],
			[
				'a bad review date',
				(res: import('node:http').ServerResponse) =>
					res.end(
						JSON.stringify({ result: 'genuine', expiresOn: '2030-01-01', reviewDate: '30.01.2027' })
					),
				'malformed answer: reviewDate: must be a calendar date YYYY-MM-DD'
			]
		])('%s → unavailable', async (_name, handler, error) => {
			reply = handler;
			const result = await registry({ endpoint: url, retries: 0 }).verify(HV);
			expect(result.outcome).toBe('unavailable');
			expect(result.evidence.error).toEqual(
				typeof error === 'string' ? error : expect.stringMatching(error)
			);
		});

		it('extra fields in an answer are ignored', async () => {
			reply = (res) =>
				res.end(JSON.stringify({ result: 'genuine', expiresOn: '2030-01-01', note: 'x' }));
			const result = await registry({ endpoint: url }).verify(HV);
			expect(result).toMatchObject({ outcome: 'genuine', registryExpiry: '2030-01-01' });
			expect(result.evidence).not.toHaveProperty('reference');
		});
	});
});

describe('abort', () => {
	it('an abort during a slow request answers at once', async () => {
		sim.setMode('slow', { delayMs: 3000 });
		const controller = new AbortController();
		const pending = registry().verify(HV, { signal: controller.signal });
		setTimeout(() => controller.abort(), 50);
		const t0 = performance.now();
		expect((await pending).evidence).toEqual({ error: 'aborted', attempts: 1 });
		expect(performance.now() - t0).toBeLessThan(300);
	});

	it('an abort during the backoff answers at once', async () => {
		sim.setMode('flaky', { failRate: 1 });
		const controller = new AbortController();
		const pending = registry({ backoffBaseMs: 5000 }).verify(HV, { signal: controller.signal });
		await new Promise((done) => setTimeout(done, 100));
		const t0 = performance.now();
		controller.abort();
		expect((await pending).evidence).toEqual({ error: 'aborted', attempts: 1 });
		expect(performance.now() - t0).toBeLessThan(250);
	});

	it('an aborted signal makes no request', async () => {
		const result = await registry().verify(HV, { signal: AbortSignal.abort() });
		expect(result.evidence).toEqual({ error: 'aborted', attempts: 0 });
		expect(sim.stats().requests).toBe(0);
	});
});

describe('health and configuration', () => {
	it('GET /health', async () => {
		const r = registry();
		expect(await r.health()).toMatchObject({ ok: true, status: 200 });
		sim.setMode('down');
		expect(await r.health()).toMatchObject({ ok: false, status: 503, error: /^HTTP 503/ });
	});

	it('refuses a bad configuration when created', () => {
		expect(() => createHttpRegistry({ endpoint: 'registry.example' })).toThrow(/not a URL/);
		expect(() => createHttpRegistry({ endpoint: 'ftp://registry.example' })).toThrow(/http/);
		expect(() => createHttpRegistry({ endpoint: sim.url, timeoutMs: 0 })).toThrow(/timeoutMs/);
		expect(() => createHttpRegistry({ endpoint: sim.url, apiKey: 'a b' })).toThrow(/apiKey/);
	});

	it('keeps a path prefix in the endpoint', () => {
		const r = createHttpRegistry({ endpoint: 'https://proxy.example:8443/sitepass/registry/' });
		expect(r.endpoint).toBe('https://proxy.example:8443/sitepass/registry');
		expect(r.source).toBe('http:proxy.example:8443');
		r.close();
	});
});
