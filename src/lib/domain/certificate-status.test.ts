// Tests for certificate status: a table of realistic cards judged on one day, then the rules that
// decide between statuses (precedence, registry authority, settings, site time zone).
import { describe, expect, test } from 'vitest';
import {
	certificateStatus,
	statusRank,
	type Certificate,
	type CertificateStatus,
	type Verification
} from './certificate-status';

const TODAY = '2026-06-15';

const GENUINE: Verification = {
	outcome: 'genuine',
	checkedAt: '2026-05-20T02:00:00Z',
	source: 'registry:national'
};

function cert(
	partial: Partial<Certificate> & Pick<Certificate, 'code' | 'issuedOn' | 'expiresOn'>
): Certificate {
	const regime = partial.code.startsWith('SO-')
		? 'special_operation'
		: partial.code.startsWith('SE-')
			? 'special_equipment'
			: 'construction';
	return {
		id: `cert-${partial.code}`,
		workerId: 'w-1',
		regime,
		catalogueVersion:
			regime === 'special_operation' ? 'order30' : regime === 'construction' ? '2008' : '2019',
		number: 'T330106199003071236',
		verification: GENUINE,
		...partial
	};
}

interface Row {
	name: string;
	cert: Certificate;
	status: CertificateStatus;
	expect?: Partial<ReturnType<typeof certificateStatus>>;
}

const rows: Row[] = [
	{
		name: 'HV electrician card, one year old, verified',
		cert: cert({ code: 'SO-ELEC-HV', issuedOn: '2025-03-10', expiresOn: '2031-03-10' }),
		status: 'valid',
		expect: {
			reviewDueOn: '2028-03-10',
			reviewSource: 'default',
			reviewWindowFrom: '2028-01-10',
			expirySource: 'record',
			flags: []
		}
	},
	{
		name: '特种作业 card past its 3-year review with no review recorded',
		cert: cert({ code: 'SO-HEIGHT-SCAFFOLD', issuedOn: '2023-05-01', expiresOn: '2029-05-01' }),
		status: 'review_overdue',
		expect: { reviewDueOn: '2026-05-01', daysToReview: -45 }
	},
	{
		name: '特种作业 card inside the 60-day review window',
		cert: cert({ code: 'SO-WELD-FUSION', issuedOn: '2023-07-20', expiresOn: '2029-07-20' }),
		status: 'review_due',
		expect: { reviewDueOn: '2026-07-20', reviewWindowFrom: '2026-05-21', daysToReview: 35 }
	},
	{
		name: '特种作业 card exactly 60 days before its review: window opens today',
		cert: cert({ code: 'SO-WELD-FUSION', issuedOn: '2023-08-14', expiresOn: '2029-08-14' }),
		status: 'review_due',
		expect: { reviewWindowFrom: '2026-06-15', daysToReview: 60 }
	},
	{
		name: '特种作业 card 61 days before its review is not yet due',
		cert: cert({ code: 'SO-WELD-FUSION', issuedOn: '2023-08-15', expiresOn: '2029-08-15' }),
		status: 'valid',
		expect: { reviewWindowFrom: '2026-06-16', daysToReview: 61 }
	},
	{
		name: 'reviewed card whose next review is the renewal at expiry',
		cert: cert({
			code: 'SO-ELEC-LV',
			issuedOn: '2020-08-01',
			expiresOn: '2026-08-01',
			nextReviewOn: '2026-08-01'
		}),
		status: 'review_due',
		expect: { reviewSource: 'record', daysToExpiry: 47, reviewWindowFrom: '2026-06-02' }
	},
	{
		name: 'crane operator card expiring in 16 days',
		cert: cert({ code: 'SE-2019-Q2', issuedOn: '2022-07-01', expiresOn: '2026-07-01' }),
		status: 'expiring',
		expect: {
			daysToExpiry: 16,
			warningFrom: '2026-06-01',
			renewalFrom: '2026-04-02',
			reviewDueOn: null,
			daysToReview: null
		}
	},
	{
		name: 'forklift card on its last valid day',
		cert: cert({ code: 'SE-2019-N1', issuedOn: '2022-06-15', expiresOn: '2026-06-15' }),
		status: 'expiring',
		expect: { daysToExpiry: 0 }
	},
	{
		name: 'forklift card expired yesterday',
		cert: cert({ code: 'SE-2019-N1', issuedOn: '2022-06-14', expiresOn: '2026-06-14' }),
		status: 'expired',
		expect: { daysToExpiry: -1 }
	},
	{
		name: '建筑架子工 card, renewal window 3 calendar months',
		cert: cert({ code: 'CN-SCAFFOLD', issuedOn: '2025-08-31', expiresOn: '2027-08-31' }),
		status: 'valid',
		expect: { renewalFrom: '2027-05-31', reviewDueOn: null }
	},
	{
		name: 'card revoked by staff two weeks ago',
		cert: cert({
			code: 'SO-ELEC-HV',
			issuedOn: '2025-03-10',
			expiresOn: '2031-03-10',
			revokedOn: '2026-06-01'
		}),
		status: 'revoked',
		expect: { revokedOn: '2026-06-01' }
	},
	{
		name: 'revocation recorded for a later date does not apply yet',
		cert: cert({
			code: 'SO-ELEC-HV',
			issuedOn: '2025-03-10',
			expiresOn: '2031-03-10',
			revokedOn: '2026-07-01'
		}),
		status: 'valid'
	},
	{
		name: 'registry says revoked',
		cert: cert({
			code: 'SE-2019-Q1',
			issuedOn: '2024-01-01',
			expiresOn: '2028-01-01',
			verification: { ...GENUINE, outcome: 'revoked' }
		}),
		status: 'revoked',
		expect: { verification: 'revoked', flags: ['REVOKED_IN_REGISTRY'], revokedOn: null }
	},
	{
		name: 'never checked against the registry',
		cert: cert({
			code: 'SO-ELEC-HV',
			issuedOn: '2025-03-10',
			expiresOn: '2031-03-10',
			verification: null
		}),
		status: 'unverified',
		expect: { verification: 'none', flags: [] }
	},
	{
		name: 'registry does not know the number',
		cert: cert({
			code: 'SO-ELEC-HV',
			issuedOn: '2025-03-10',
			expiresOn: '2031-03-10',
			verification: { ...GENUINE, outcome: 'not_found' }
		}),
		status: 'unverified',
		expect: { verification: 'not_found', flags: ['NOT_FOUND_IN_REGISTRY'] }
	},
	{
		name: 'registry has the number under another holder',
		cert: cert({
			code: 'SO-ELEC-HV',
			issuedOn: '2025-03-10',
			expiresOn: '2031-03-10',
			verification: { ...GENUINE, outcome: 'mismatch', registryExpiry: '2032-01-01' }
		}),
		status: 'unverified',
		// A registry date from a card that is not this holder's is not used.
		expect: { flags: ['HOLDER_MISMATCH'], expiresOn: '2031-03-10', expirySource: 'record' }
	},
	{
		name: 'registry unreachable at the last check',
		cert: cert({
			code: 'SE-2019-N1',
			issuedOn: '2024-01-01',
			expiresOn: '2028-01-01',
			verification: { ...GENUINE, outcome: 'unavailable' }
		}),
		status: 'unverified',
		expect: { flags: ['REGISTRY_UNAVAILABLE'] }
	},
	{
		name: 'registry expiry earlier than the typed one wins',
		cert: cert({
			code: 'SE-2019-Q2',
			issuedOn: '2022-06-01',
			expiresOn: '2028-06-01',
			verification: { ...GENUINE, registryExpiry: '2026-06-01' }
		}),
		status: 'expired',
		expect: {
			expiresOn: '2026-06-01',
			expirySource: 'registry',
			flags: ['REGISTRY_EXPIRY_DIFFERS']
		}
	},
	{
		name: 'registry review date recorded after a review the contractor did not type',
		cert: cert({
			code: 'SO-ELEC-HV',
			issuedOn: '2023-05-01',
			expiresOn: '2029-05-01',
			nextReviewOn: '2026-05-01',
			verification: { ...GENUINE, registryReviewDate: '2029-05-01' }
		}),
		status: 'valid',
		expect: {
			reviewDueOn: '2029-05-01',
			reviewSource: 'registry',
			flags: ['REGISTRY_REVIEW_DIFFERS']
		}
	},
	{
		name: 'issuer extended review to every 6 years',
		cert: cert({
			code: 'SO-ELEC-HV',
			issuedOn: '2021-01-10',
			expiresOn: '2027-01-10',
			reviewIntervalYears: 6
		}),
		status: 'valid',
		expect: { reviewDueOn: '2027-01-10' }
	},
	{
		name: 'expired and never verified: expired is the worse news',
		cert: cert({
			code: 'SE-2019-N1',
			issuedOn: '2021-01-01',
			expiresOn: '2025-01-01',
			verification: null
		}),
		status: 'expired'
	},
	{
		name: 'revoked and expired: revoked is the worse news',
		cert: cert({
			code: 'SE-2019-N1',
			issuedOn: '2021-01-01',
			expiresOn: '2025-01-01',
			revokedOn: '2024-06-01'
		}),
		status: 'revoked'
	},
	{
		name: 'review overdue and never verified: overdue is the worse news',
		cert: cert({
			code: 'SO-HEIGHT-MAINT',
			issuedOn: '2023-05-01',
			expiresOn: '2029-05-01',
			verification: null
		}),
		status: 'review_overdue'
	},
	{
		name: 'review due and never verified: unverified is the worse news',
		cert: cert({
			code: 'SO-HEIGHT-MAINT',
			issuedOn: '2023-07-20',
			expiresOn: '2029-07-20',
			verification: null
		}),
		status: 'unverified'
	},
	{
		name: 'typed expiry missing: estimated from the issue date',
		cert: cert({ code: 'SE-2019-Q2', issuedOn: '2022-07-01', expiresOn: '' }),
		status: 'expiring',
		expect: { expiresOn: '2026-07-01', expirySource: 'estimated', flags: ['EXPIRY_ESTIMATED'] }
	},
	{
		name: 'no usable dates at all',
		cert: cert({ code: 'SE-2019-Q2', issuedOn: '2022-13-01', expiresOn: 'soon' }),
		status: 'unverified',
		expect: { expiresOn: null, daysToExpiry: null, flags: ['DATES_INVALID'] }
	}
];

describe('certificateStatus on 2026-06-15', () => {
	test.each(rows)('$name → $status', (row) => {
		const result = certificateStatus(row.cert, TODAY);
		expect(result.status).toBe(row.status);
		expect(result.today).toBe(TODAY);
		if (row.expect) expect(result).toMatchObject(row.expect);
	});
});

describe('settings', () => {
	const unchecked = cert({
		code: 'SO-ELEC-HV',
		issuedOn: '2025-03-10',
		expiresOn: '2031-03-10',
		verification: null
	});

	test('without required verification an unchecked card is valid', () => {
		expect(certificateStatus(unchecked, TODAY, { requireVerification: false }).status).toBe(
			'valid'
		);
		const unavailable = {
			...unchecked,
			verification: { ...GENUINE, outcome: 'unavailable' as const }
		};
		expect(certificateStatus(unavailable, TODAY, { requireVerification: false }).status).toBe(
			'valid'
		);
	});

	test('a negative registry answer counts even where verification is not required', () => {
		for (const outcome of ['not_found', 'mismatch'] as const) {
			const refuted = { ...unchecked, verification: { ...GENUINE, outcome } };
			expect(certificateStatus(refuted, TODAY, { requireVerification: false }).status).toBe(
				'unverified'
			);
		}
	});

	test('warningDays moves the start of "expiring"', () => {
		const card = cert({ code: 'SE-2019-Q2', issuedOn: '2022-08-01', expiresOn: '2026-08-01' });
		expect(certificateStatus(card, TODAY).status).toBe('valid');
		const early = certificateStatus(card, TODAY, { warningDays: 60 });
		expect(early.status).toBe('expiring');
		expect(early.warningFrom).toBe('2026-06-02');
	});

	test('an old genuine answer goes stale when a maximum age is set', () => {
		const card = cert({
			code: 'SE-2019-Q2',
			issuedOn: '2024-01-01',
			expiresOn: '2028-01-01',
			verification: { ...GENUINE, checkedAt: '2025-10-01T08:00:00+08:00' }
		});
		expect(certificateStatus(card, TODAY).status).toBe('valid');
		const stale = certificateStatus(card, TODAY, { verificationMaxAgeDays: 180 });
		expect(stale.status).toBe('unverified');
		expect(stale.flags).toEqual(['VERIFICATION_STALE']);
		expect(certificateStatus(card, TODAY, { verificationMaxAgeDays: 365 }).status).toBe('valid');
	});
});

describe('site time zone', () => {
	const card = cert({ code: 'SE-2019-N1', issuedOn: '2022-12-01', expiresOn: '2026-12-01' });

	test('16:30Z on the expiry day is already the next day in Shanghai', () => {
		expect(certificateStatus(card, '2026-12-01T16:30:00Z').status).toBe('expired');
		expect(certificateStatus(card, '2026-12-01T15:59:00Z').status).toBe('expiring');
	});

	test('the same instant at a UTC site is still the expiry day', () => {
		const result = certificateStatus(card, '2026-12-01T16:30:00Z', { timeZone: 'UTC' });
		expect(result.status).toBe('expiring');
		expect(result.today).toBe('2026-12-01');
	});
});

test('statusRank orders statuses from best to worst', () => {
	const order: CertificateStatus[] = [
		'valid',
		'expiring',
		'review_due',
		'unverified',
		'review_overdue',
		'expired',
		'revoked'
	];
	const ranks = order.map(statusRank);
	expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
	expect(new Set(ranks).size).toBe(order.length);
});
