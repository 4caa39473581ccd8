// Which warnings a certificate calls for, and that their keys make each one exist once.
import { describe, expect, it } from 'vitest';
import { certificateStatus, type Certificate } from '../domain';
import { certificateWarnings } from './warnings';

const base: Certificate = {
	id: 'c1',
	workerId: 'w1',
	regime: 'special_operation',
	catalogueVersion: 'order30',
	code: 'SO-ELEC-HV',
	number: 'T1',
	issuedOn: '2024-03-01',
	expiresOn: '2030-03-01',
	nextReviewOn: '2027-03-01',
	verification: { outcome: 'genuine', checkedAt: '2026-11-01T00:00:00Z', source: 'http:sim' }
};
const fp = 'a'.repeat(32);
const warn = (cert: Certificate, day: string, days = 30) =>
	certificateWarnings(cert, certificateStatus(cert, day, { warningDays: days }), fp, days);

describe('certificateWarnings', () => {
	it('nothing for a sound certificate far from its dates', () => {
		expect(warn(base, '2026-11-28')).toEqual([]);
	});

	it('review within the warning period (and the period is the site’s)', () => {
		expect(warn(base, '2027-01-15')).toEqual([]);
		expect(warn(base, '2027-02-10').map((w) => w.id)).toEqual(['c1:review_due:2027-03-01']);
		expect(warn(base, '2027-01-15', 60).map((w) => w.kind)).toEqual(['review_due']);
	});

	it('expiry within the warning period, then expired — each keyed by its date', () => {
		const c = { ...base, expiresOn: '2026-12-20', nextReviewOn: null };
		expect(warn(c, '2026-11-28')).toEqual([
			{ id: 'c1:expiring:2026-12-20', kind: 'expiring', dueOn: '2026-12-20', daysLeft: 22 }
		]);
		expect(warn(c, '2026-12-21').map((w) => w.id)).toEqual(['c1:expired:2026-12-20']);
		// Renewed: fresh warnings about the new date, none repeated about the old one.
		expect(warn({ ...c, expiresOn: '2027-01-05' }, '2026-12-10')[0]!.id).toBe(
			'c1:expiring:2027-01-05'
		);
	});

	it('review overdue', () => {
		expect(warn(base, '2027-03-02').map((w) => w.kind)).toEqual(['review_overdue']);
	});

	it('registry answers: revoked, not found, holder mismatch', () => {
		const v = (outcome: 'revoked' | 'not_found' | 'mismatch') => ({
			...base,
			verification: { ...base.verification!, outcome }
		});
		expect(warn(v('revoked'), '2026-11-28').map((w) => w.kind)).toEqual(['revoked']);
		expect(warn(v('not_found'), '2026-11-28').map((w) => w.kind)).toEqual(['not_found']);
		expect(warn(v('mismatch'), '2026-11-28').map((w) => w.kind)).toEqual(['mismatch']);
	});

	it('an unreachable registry raises no warning and never an "expired"', () => {
		const c = { ...base, verification: { ...base.verification!, outcome: 'unavailable' as const } };
		expect(warn(c, '2026-11-28')).toEqual([]);
	});

	it('the same day twice gives the same keys (so the relay writes each warning once)', () => {
		const c = { ...base, expiresOn: '2026-12-20', nextReviewOn: null };
		expect(warn(c, '2026-11-28')).toEqual(
			warn(c, '2026-11-29').map((w) => ({ ...w, daysLeft: 22 }))
		);
	});
});
