// Token claims and enrolment requests: role-specific fields are required where the role needs them
// and refused where it does not; lifetimes parse in the units people type.
import { describe, expect, it } from 'vitest';
import { claimProblems, parseClaims, parseEnrolmentRequest, parseTtl } from './claims';

const base = { iss: 'org-1', sub: 'u1', jti: 'abcdefgh1234', iat: 1, exp: 4102444800 };

describe('claims', () => {
	it.each([
		[{ role: 'staff', staffRole: 'safety', sites: ['S1'] }, true],
		[{ role: 'staff' }, false],
		[{ role: 'hq', staffRole: 'safety' }, false],
		[{ role: 'contractor', contractor: 'C1' }, true],
		[{ role: 'contractor' }, false],
		[{ role: 'gate', sites: ['S1'] }, true],
		[{ role: 'gate', sites: [] }, false],
		[{ role: 'worker', sites: ['S1'], contractor: 'C1' }, true],
		[{ role: 'worker' }, false],
		[{ role: 'admin', sites: ['S1', 'S1'] }, false],
		[{ role: 'admin', sites: ['../x'] }, false],
		[{ role: 'root' }, false]
	])('%j valid: %s', (shape, valid) => {
		expect(parseClaims({ ...base, ...shape }).ok).toBe(valid);
	});

	it('names the field to fix', () => {
		expect(claimProblems({ role: 'gate' })).toEqual([
			{ field: 'sites', message: 'a gate needs at least one site' }
		]);
	});

	it('refuses bad bookkeeping fields', () => {
		expect(parseClaims({ ...base, role: 'hq', jti: 'short' }).ok).toBe(false);
		expect(parseClaims({ ...base, role: 'hq', iat: -1 }).ok).toBe(false);
		expect(parseClaims({ ...base, role: 'hq', exp: 1.5 }).ok).toBe(false);
		const { exp: _exp, ...neverExpires } = base;
		expect(parseClaims({ ...neverExpires, role: 'hq' }).ok).toBe(false);
		expect(parseClaims(null).ok).toBe(false);
	});
});

describe('enrolment requests', () => {
	it('accept a complete request and refuse inconsistent ones', () => {
		expect(
			parseEnrolmentRequest({ role: 'gate', name: ' 门岗 ', sites: ['S1'], ttl: '30d' })
		).toEqual({
			ok: true,
			value: { role: 'gate', name: '门岗', sites: ['S1'], ttl: '30d' }
		});
		const bad = parseEnrolmentRequest({ role: 'staff', name: 'x' });
		expect(bad.ok).toBe(false);
		if (!bad.ok) expect(bad.problems.join()).toMatch(/staff role/);
		expect(parseEnrolmentRequest({ role: 'hq', name: 'x', ttl: '10s' }).ok).toBe(false);
	});
});

describe('parseTtl', () => {
	it.each([
		['30d', 30 * 86400],
		['12h', 12 * 3600],
		['90m', 5400],
		['2w', 14 * 86400],
		['3600s', 3600],
		['59s', null],
		['6000d', null],
		['1y', null],
		['-1d', null],
		['', null]
	])('%s → %s', (text, seconds) => {
		expect(parseTtl(text)).toBe(seconds);
	});
});
