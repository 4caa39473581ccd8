// The command line: `sitepass token` checks its arguments with clear messages and prints a token
// that the relay accepts; `sitepass serve` refuses bad options before starting anything;
// `sitepass registry-sim` refuses bad options and seeds, and runs until SIGTERM.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli';
import { openDataDir } from './datadir';
import { tempDir, waitFor } from './testing';
import { verifyToken } from './tokens';

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

const data = () => join(tempDir('sitepass-cli-'), 'data');

describe('sitepass token', () => {
	it('initialises an empty data folder and prints a token the relay verifies', async () => {
		const dir = data();
		capture();
		const code = await main([
			'token',
			'--data',
			dir,
			'--role',
			'staff',
			'--staff-role',
			'safety',
			'--sub',
			'li',
			'--site',
			'S1',
			'--site',
			'S2',
			'--ttl',
			'12h'
		]);
		expect(code).toBe(0);
		expect(err).toMatch(/created org org-\S+ .*enrol#code=/);
		const d = openDataDir(dir);
		const check = verifyToken(out.trim(), d.keys.publicKey, d.orgId);
		d.close();
		expect(check).toMatchObject({
			ok: true,
			claims: { role: 'staff', staffRole: 'safety', sub: 'li', sites: ['S1', 'S2'] }
		});
		if (check.ok) expect(check.claims.exp! - check.claims.iat).toBe(12 * 3600);
	});

	it.each([
		[['--role', 'staff', '--sub', 'a'], /--staff-role/],
		[['--role', 'contractor', '--sub', 'a'], /--contractor/],
		[['--role', 'gate', '--sub', 'a'], /--site/],
		[['--role', 'worker', '--sub', 'a', '--contractor', 'C1'], /--site/],
		[['--role', 'hq', '--sub', 'a', '--staff-role', 'safety'], /--staff-role/],
		[['--role', 'boss', '--sub', 'a'], /--role must be one of/],
		[['--sub', 'a'], /--role is required/],
		[['--role', 'hq'], /--sub is required/],
		[['--role', 'hq', '--sub', '../x'], /is not an id/],
		[['--role', 'hq', '--sub', 'a', '--ttl', 'forever'], /--ttl/],
		[['--role', 'hq', '--sub', 'a', '--bogus'], /Unknown option/]
	])('refuses %j', async (args, message) => {
		capture();
		expect(await main(['token', '--data', data(), ...args])).toBe(2);
		expect(err).toMatch(message);
		expect(out).toBe('');
	});
});

describe('sitepass serve', () => {
	it.each([
		[['--port', 'x'], /--port/],
		[['--max-message-bytes', '12'], /--max-message-bytes/],
		[['--tls-cert', 'a.pem'], /go together/],
		[['--public-url', 'ftp://x'], /--public-url/]
	])('refuses %j', async (args, message) => {
		capture();
		expect(await main(['serve', '--data', data(), ...args])).toBe(2);
		expect(err).toMatch(message);
	});
});

describe('sitepass registry-sim', () => {
	const seed = fileURLToPath(new URL('./registry/fixtures/demo-seed.json', import.meta.url));

	it.each([
		[[], /--seed FILE is required/],
		[['--seed', seed, '--port', 'x'], /--port/],
		[['--seed', seed, '--mode', 'sideways'], /--mode must be one of normal, slow/],
		[['--seed', seed, '--delay-ms', '-5'], /--delay-ms/],
		[['--seed', seed, '--fail-rate', '1.5'], /--fail-rate/],
		[['--seed', seed, '--api-key', 'a b'], /--api-key/],
		[['--seed', seed, '--bogus'], /Unknown option/]
	])('refuses %j', async (args, message) => {
		capture();
		expect(await main(['registry-sim', ...args])).toBe(2);
		expect(err).toMatch(message);
		expect(out).toBe('');
	});

	it('refuses a bad seed file with exit code 2, naming the entry', async () => {
		const file = join(tempDir('sitepass-cli-'), 'seed.json');
		writeFileSync(
			file,
			JSON.stringify({
				certificates: [
					{
						category: 'SO-ELEC-HV',
						number: 'T1',
						holderName: '王建国',
						status: 'valid',
						expiresOn: '2027-02-30'
					}
				]
			})
		);
		capture();
		expect(await main(['registry-sim', '--seed', file])).toBe(2);
		expect(err).toMatch(/bad seed: .*seed\.json: certificates\[0\] \(SO-ELEC-HV T1\): expiresOn/);
		capture();
		expect(await main(['registry-sim', '--seed', join(tempDir(), 'none.json')])).toBe(2);
		expect(err).toMatch(/none\.json: no such file/);
	});

	it('runs as a process: prints its URL, answers, stops on SIGTERM', async () => {
		const child = spawn(
			process.execPath,
			['bin/sitepass.js', 'registry-sim', '--seed', seed, '--port', '0', '--mode', 'down'],
			{ cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] }
		);
		try {
			let output = '';
			child.stdout.on('data', (d: Buffer) => (output += d.toString()));
			child.stderr.on('data', (d: Buffer) => (output += d.toString()));
			const exited = new Promise<number | null>((done) => child.once('exit', done));
			await waitFor(
				() => /running at http/.test(output) || child.exitCode !== null,
				'start',
				15000
			);
			const url = /running at (http:\/\/\S+)/.exec(output)?.[1];
			expect(url, output).toBeDefined();
			expect(output).toMatch(/11 certificates, mode down/);
			expect((await fetch(`${url}/health`)).status).toBe(503);
			const normal = await fetch(`${url}/_sim/mode`, {
				method: 'POST',
				body: JSON.stringify({ mode: 'normal' })
			});
			expect(normal.status).toBe(200);
			const answer = await fetch(`${url}/verify`, {
				method: 'POST',
				body: JSON.stringify({
					regime: 'special_operation',
					category: 'SO-HEIGHT-SCAFFOLD',
					number: 'T130628199008235736',
					holderName: '孙伟'
				})
			});
			expect(await answer.json()).toMatchObject({ result: 'genuine', expiresOn: '2031-06-30' });
			child.kill('SIGTERM');
			expect(await exited).toBe(0);
			expect(output).toMatch(/SIGTERM, stopping/);
		} finally {
			if (child.exitCode === null) child.kill('SIGKILL');
		}
	});
});
