// The registry simulator over real HTTP: seed checking with messages that name the bad entry,
// the answers of the protocol, each failure mode, the control endpoints and the arrival record.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findCatalogueItem } from '../../src/lib/domain/catalogue';
import { tempDir } from '../testing';
import { parseVerifyAnswer } from './protocol';
import {
	loadSeedFile,
	maxInWindow,
	parseSeed,
	SeedError,
	startRegistrySimulator,
	type RunningSimulator,
	type SeedCertificate
} from './simulator';

const DEMO_SEED = fileURLToPath(new URL('./fixtures/demo-seed.json', import.meta.url));

const HV: SeedCertificate = {
	category: 'SO-ELEC-HV',
	number: 'T330106198803121436',
	holderName: '王建国',
	holderId: '330106198803121436',
	status: 'valid',
	expiresOn: '2030-05-14',
	reviewDate: '2027-05-14'
};
const question = {
	regime: 'special_operation',
	category: HV.category,
	number: HV.number,
	holderName: HV.holderName
};

let sim: RunningSimulator;
beforeAll(async () => {
	sim = await startRegistrySimulator({ seed: DEMO_SEED });
});
afterAll(() => sim.close());
afterEach(() => {
	sim.setMode('normal');
	sim.resetStats();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
	return fetch(sim.url + path, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body)
	});
}
const ask = (body: unknown) => post('/verify', body);

describe('seed', () => {
	it('loads the demo seed: catalogue codes, unique numbers, both statuses', () => {
		const seed = loadSeedFile(DEMO_SEED);
		expect(seed.certificates.length).toBeGreaterThanOrEqual(10);
		for (const c of seed.certificates) expect(findCatalogueItem(c.category)).not.toBeNull();
		expect(new Set(seed.certificates.map((c) => c.status))).toEqual(new Set(['valid', 'revoked']));
	});

	it.each([
		[{}, /\{ "certificates": \[ \.\.\. \] \}/],
		[
			{ certificates: [HV, { ...HV, number: 'T1', expiresOn: '2027-02-30' }] },
			/certificates\[1\] \(SO-ELEC-HV T1\): expiresOn must be a calendar date/
		],
		[
			{ certificates: [{ ...HV, category: 'SO-ELEC-XX' }] },
			/certificates\[0\] \(SO-ELEC-XX T330106198803121436\): category is not a catalogue item code/
		],
		[
			{ certificates: [{ ...HV, status: 'active' }] },
			/certificates\[0\].*status must be "valid" or "revoked"/
		],
		[{ certificates: [{ ...HV, holderName: ' ' }] }, /certificates\[0\].*holderName/],
		[
			{ certificates: [HV, { ...HV, number: 't330106198803121436' }] },
			/certificates\[1\].*same category and number as \[0\]/
		],
		[{ certificates: ['x'] }, /^certificates\[0\]: /]
	])('refuses a bad seed %#', (seed, message) => {
		expect(() => parseSeed(seed)).toThrow(SeedError);
		expect(() => parseSeed(seed)).toThrow(message);
	});

	it('names the file when it is missing or not JSON', () => {
		const dir = tempDir('sitepass-seed-');
		const bad = join(dir, 'bad.json');
		writeFileSync(bad, '{"certificates": [');
		expect(() => loadSeedFile(bad)).toThrow(/bad\.json: not JSON/);
		expect(() => loadSeedFile(join(dir, 'none.json'))).toThrow(/none\.json: no such file/);
	});

	it('refuses to start on a bad seed', async () => {
		await expect(
			startRegistrySimulator({ seed: { certificates: [{ ...HV, number: '' }] } })
		).rejects.toThrow(/certificates\[0\]/);
	});
});

describe('answers', () => {
	it('genuine with dates and a fresh reference each time', async () => {
		const res = await ask(question);
		expect(res.status).toBe(200);
		const first = parseVerifyAnswer(await res.text());
		expect(first).toEqual({
			ok: true,
			value: {
				result: 'genuine',
				expiresOn: '2030-05-14',
				reviewDate: '2027-05-14',
				reference: expect.stringMatching(/^SIM-\d{6}$/)
			}
		});
		const second = (await (await ask(question)).json()) as { reference: string };
		expect(second.reference).not.toBe(first.ok && first.value.reference);
	});

	it('matches numbers and names the way people type them', async () => {
		const loose = { ...question, number: ' t330106198803121436', holderName: '王 建国' };
		expect(await (await ask(loose)).json()).toMatchObject({ result: 'genuine' });
		const dotted = {
			regime: 'special_operation',
			category: 'SO-HEIGHT-MAINT',
			number: 'T650102198610091938',
			holderName: '买买提•艾力'
		};
		expect(await (await ask(dotted)).json()).toMatchObject({ result: 'genuine' });
	});

	it('not_found, mismatch (name or id), revoked', async () => {
		const body = async (q: unknown) => (await (await ask(q)).json()) as Record<string, unknown>;
		const notFound = await body({ ...question, number: 'T000' });
		expect(notFound).toEqual({ result: 'not_found', reference: expect.any(String) });
		expect(await body({ ...question, holderName: '王建' })).toEqual({
			result: 'mismatch',
			reference: expect.any(String)
		});
		expect(await body({ ...question, holderId: '110105194912310021' })).toMatchObject({
			result: 'mismatch'
		});
		expect(await body({ ...question, holderId: HV.holderId })).toMatchObject({ result: 'genuine' });
		expect(
			await body({
				regime: 'special_operation',
				category: 'SO-ELEC-LV',
				number: 'T440306197906308545',
				holderName: '刘芳'
			})
		).toMatchObject({ result: 'revoked', expiresOn: '2028-05-31' });
	});

	it('refuses bad questions with 4xx and a reason', async () => {
		const bad = await ask({ ...question, regime: 'nuclear' });
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({ error: expect.stringMatching(/^regime: /) });
		const regime = await ask({ ...question, regime: 'special_equipment' });
		expect(regime.status).toBe(400);
		expect(await regime.json()).toMatchObject({ error: /belongs to special_operation/ });
		expect((await ask('{nope')).status).toBe(400);
		expect((await ask({ ...question, holderName: 'x'.repeat(20_000) })).status).toBe(413);
		expect((await fetch(sim.url + '/verify')).status).toBe(405);
		expect((await fetch(sim.url + '/nothing')).status).toBe(404);
		expect(sim.stats().byStatus).toMatchObject({ 400: 3, 413: 1 });
	});
});

describe('failure modes', () => {
	it('down: 503 with Retry-After, on /verify and /health', async () => {
		sim.setMode('down', { retryAfterSeconds: 7 });
		const res = await ask(question);
		expect(res.status).toBe(503);
		expect(res.headers.get('retry-after')).toBe('7');
		expect((await fetch(sim.url + '/health')).status).toBe(503);
	});

	it('refuse: the socket is destroyed without an answer', async () => {
		sim.setMode('refuse');
		await expect(ask(question)).rejects.toThrow();
		expect(sim.stats().byStatus).toEqual({ refused: 1 });
	});

	it('slow: answers after the delay', async () => {
		sim.setMode('slow', { delayMs: 150 });
		const t0 = performance.now();
		expect((await ask(question)).status).toBe(200);
		expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
	});

	it('flaky: the given fraction fails with 503', async () => {
		const rolls = [0.1, 0.9, 0.2, 0.8];
		const flaky = await startRegistrySimulator({
			seed: DEMO_SEED,
			mode: 'flaky',
			modeOptions: { failRate: 0.5 },
			random: () => rolls.shift() ?? 0
		});
		try {
			const statuses = [];
			for (let i = 0; i < 4; i++) {
				statuses.push(
					(await fetch(flaky.url + '/verify', { method: 'POST', body: JSON.stringify(question) }))
						.status
				);
			}
			expect(statuses).toEqual([503, 200, 503, 200]);
		} finally {
			await flaky.close();
		}
	});

	it('wrong: not JSON, an impossible date, an unknown result, in turn', async () => {
		sim.setMode('wrong');
		const errors = [];
		for (let i = 0; i < 3; i++) {
			const res = await ask(question);
			expect(res.status).toBe(200);
			const parsed = parseVerifyAnswer(await res.text());
			errors.push(parsed.ok ? 'ok' : parsed.error);
		}
		expect(errors).toEqual([
			'not JSON',
			'expiresOn: must be a calendar date YYYY-MM-DD',
			expect.stringMatching(/^result: must be one of/)
		]);
	});

	it('refuses bad mode settings', () => {
		expect(() => sim.setMode('slow', { delayMs: -1 })).toThrow(/delayMs/);
		expect(() => sim.setMode('flaky', { failRate: 2 })).toThrow(/failRate/);
		expect(() => sim.setMode('sideways' as 'normal')).toThrow(/mode must be one of/);
	});
});

describe('control endpoints and stats', () => {
	it('switches mode, upserts a certificate, reports stats with arrivals', async () => {
		expect((await post('/_sim/mode', { mode: 'down', delayMs: 5 })).status).toBe(200);
		expect((await ask(question)).status).toBe(503);
		expect((await post('/_sim/mode', { mode: 'normal' })).status).toBe(200);
		const bad = await post('/_sim/mode', { mode: 'sideways' });
		expect(bad.status).toBe(400);

		const revoke = await post('/_sim/certificates', { ...HV, status: 'revoked' });
		expect(await revoke.json()).toEqual({ ok: true, created: false });
		expect(await (await ask(question)).json()).toMatchObject({ result: 'revoked' });
		const badEntry = await post('/_sim/certificates', { ...HV, expiresOn: 'soon' });
		expect(badEntry.status).toBe(400);
		expect(await badEntry.json()).toMatchObject({ error: /expiresOn/ });
		sim.upsert(HV);

		const stats = (await (await fetch(sim.url + '/_sim/stats')).json()) as Record<string, unknown>;
		expect(stats).toMatchObject({
			mode: 'normal',
			requests: 2,
			byMode: { down: 1, normal: 1 },
			byStatus: { 200: 1, 503: 1 },
			results: { revoked: 1 },
			maxPerSecond: 2
		});
		expect(stats.arrivals).toHaveLength(2);
		const short = (await (await fetch(sim.url + '/_sim/stats?arrivals=0')).json()) as object;
		expect(short).not.toHaveProperty('arrivals');
	});

	it('wants the API key on /verify and /_sim, not on /health', async () => {
		const locked = await startRegistrySimulator({ seed: DEMO_SEED, apiKey: 'k-123' });
		try {
			const verify = (key?: string) =>
				fetch(locked.url + '/verify', {
					method: 'POST',
					headers: key ? { authorization: `Bearer ${key}` } : {},
					body: JSON.stringify(question)
				});
			expect((await verify()).status).toBe(401);
			expect((await verify('wrong')).status).toBe(401);
			expect((await verify('k-123')).status).toBe(200);
			expect((await fetch(locked.url + '/_sim/stats')).status).toBe(401);
			expect((await fetch(locked.url + '/health')).status).toBe(200);
		} finally {
			await locked.close();
		}
	});

	it('maxInWindow counts the busiest window', () => {
		expect(maxInWindow([], 1000)).toBe(0);
		expect(maxInWindow([0, 100, 999, 1000, 1500, 1999], 1000)).toBe(3);
		expect(maxInWindow([0, 1000, 2000], 1000)).toBe(1);
	});

	it('close() does not wait for slow answers in progress', async () => {
		const other = await startRegistrySimulator({
			seed: DEMO_SEED,
			mode: 'slow',
			modeOptions: { delayMs: 10_000 }
		});
		const pending = fetch(other.url + '/verify', {
			method: 'POST',
			body: JSON.stringify(question)
		}).catch(() => 'failed');
		await new Promise((r) => setTimeout(r, 50));
		const t0 = performance.now();
		await other.close();
		expect(await pending).toBe('failed');
		expect(performance.now() - t0).toBeLessThan(1000);
	});
});
