// The command line: `sitepass token` checks its arguments with clear messages and prints a token
// that the relay accepts; `sitepass serve` refuses bad options before starting anything.
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli';
import { openDataDir } from './datadir';
import { tempDir } from './testing';
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
