// Gate scenarios for decideEntry: a table of realistic arrivals on 2026-06-15 (09:30 in Shanghai),
// then exits, rule settings, reason ordering and the time-zone edge.
import { describe, expect, test } from 'vitest';
import type { Certificate, Verification } from './certificate-status';
import {
	decideEntry,
	decideUnidentified,
	DEFAULT_SITE_RULES,
	REASON_CODES,
	type EntryInput,
	type Reason,
	type ReasonCode
} from './entry';

const AT = '2026-06-15T01:30:00Z';
const SITE = 'site-hz';

const GENUINE: Verification = {
	outcome: 'genuine',
	checkedAt: '2026-05-20T02:00:00Z',
	source: 'registry:national'
};

function card(code: string, partial: Partial<Certificate> = {}): Certificate {
	const regime = code.startsWith('SO-')
		? 'special_operation'
		: code.startsWith('SE-')
			? 'special_equipment'
			: 'construction';
	return {
		id: `cert-${code}`,
		workerId: 'w-zhang',
		regime,
		catalogueVersion:
			regime === 'special_operation' ? 'order30' : regime === 'construction' ? '2008' : '2019',
		code,
		number: 'T330106199003071236',
		issuedOn: '2025-03-10',
		expiresOn: regime === 'construction' ? '2027-03-10' : '2029-03-10',
		holderName: '张伟',
		verification: GENUINE,
		...partial
	};
}

const HV = card('SO-ELEC-HV', { expiresOn: '2031-03-10' });

/** A high-voltage electrician fully in order at an industrial site; rows change one thing. */
function arrival(change: Partial<EntryInput> = {}): EntryInput {
	return {
		at: AT,
		direction: 'in',
		site: { id: SITE, kind: 'industrial' },
		worker: { id: 'w-zhang', name: '张伟' },
		certificates: [HV],
		training: [{ id: 't-ind', kind: 'site_induction', siteId: SITE, date: '2026-03-01', hours: 8 }],
		medical: [{ id: 'm-1', examDate: '2026-01-10', result: 'fit', validUntil: '2027-01-10' }],
		blacklist: [],
		approval: {
			status: 'approved',
			siteId: SITE,
			validFrom: '2026-06-01',
			validUntil: '2026-12-31'
		},
		workType: 'hv_electrical',
		identity: { method: 'face', confirmed: true, liveness: 'passed', score: 0.93 },
		ppe: { worn: true, confidence: 0.92 },
		onSite: false,
		...change
	};
}

function at(kind: EntryInput['site']['kind']): Pick<EntryInput, 'site'> {
	return { site: { id: SITE, kind } };
}

interface Row {
	name: string;
	input: EntryInput;
	allow: boolean;
	/** Exactly the reason codes expected, in any order. */
	codes: ReasonCode[];
	/** Data some reason must carry. */
	details?: Partial<Reason>[];
}

const BLACKLIST_ENTRY = { id: 'bl-7', reason: 'two violations (违章两次)', since: '2026-03-02' };

const rows: Row[] = [
	// Happy paths, one per kind of site.
	{ name: 'industrial: HV electrician on HV work', input: arrival(), allow: true, codes: [] },
	{
		name: 'construction: 建筑架子工 erecting scaffolds',
		input: arrival({
			...at('construction'),
			certificates: [card('CN-SCAFFOLD')],
			workType: 'scaffolding'
		}),
		allow: true,
		codes: []
	},
	{
		name: 'chemical: forklift driver with N1',
		input: arrival({ ...at('chemical'), certificates: [card('SE-2019-N1')], workType: 'forklift' }),
		allow: true,
		codes: []
	},
	{
		name: 'other: general labourer without any card',
		input: arrival({ ...at('other'), certificates: [], workType: 'general_labour' }),
		allow: true,
		codes: []
	},

	// Certificates.
	{
		name: 'card expired five days ago',
		input: arrival({
			certificates: [
				card('SO-ELEC-HV', {
					issuedOn: '2020-06-10',
					expiresOn: '2026-06-10',
					nextReviewOn: '2026-06-10'
				})
			]
		}),
		allow: false,
		codes: ['CERT_EXPIRED'],
		details: [{ code: 'CERT_EXPIRED', certificateId: 'cert-SO-ELEC-HV', expiredOn: '2026-06-10' }]
	},
	{
		name: 'card revoked by the registry',
		input: arrival({ certificates: [{ ...HV, verification: { ...GENUINE, outcome: 'revoked' } }] }),
		allow: false,
		codes: ['CERT_REVOKED'],
		details: [{ code: 'CERT_REVOKED', byRegistry: true, revokedOn: null }]
	},
	{
		name: 'card never checked against the registry',
		input: arrival({ certificates: [{ ...HV, verification: null }] }),
		allow: false,
		codes: ['CERT_UNVERIFIED'],
		details: [{ code: 'CERT_UNVERIFIED', verification: 'none' }]
	},
	{
		name: 'registry cannot find the card (possible forgery)',
		input: arrival({
			certificates: [{ ...HV, verification: { ...GENUINE, outcome: 'not_found' } }]
		}),
		allow: false,
		codes: ['CERT_UNVERIFIED'],
		details: [{ code: 'CERT_UNVERIFIED', flags: ['NOT_FOUND_IN_REGISTRY'] }]
	},
	{
		name: '复审 overdue since 2026-05-01',
		input: arrival({
			certificates: [card('SO-ELEC-HV', { issuedOn: '2023-05-01', expiresOn: '2029-05-01' })]
		}),
		allow: false,
		codes: ['CERT_REVIEW_OVERDUE'],
		details: [{ code: 'CERT_REVIEW_OVERDUE', reviewDueOn: '2026-05-01' }]
	},
	{
		name: '复审 due in 35 days: allowed with a warning',
		input: arrival({
			certificates: [card('SO-ELEC-HV', { issuedOn: '2023-07-20', expiresOn: '2029-07-20' })]
		}),
		allow: true,
		codes: ['CERT_REVIEW_DUE'],
		details: [{ code: 'CERT_REVIEW_DUE', reviewDueOn: '2026-07-20', daysToReview: 35 }]
	},
	{
		name: 'forklift card expiring in 10 days: allowed with a warning',
		input: arrival({
			certificates: [card('SE-2019-N1', { issuedOn: '2022-06-25', expiresOn: '2026-06-25' })],
			workType: 'forklift'
		}),
		allow: true,
		codes: ['CERT_EXPIRING'],
		details: [{ code: 'CERT_EXPIRING', expiresOn: '2026-06-25', daysToExpiry: 10 }]
	},
	{
		name: 'registry shows a later expiry than typed: allowed, record flagged for correction',
		input: arrival({
			certificates: [
				card('SE-2019-N1', {
					expiresOn: '2026-06-01',
					verification: { ...GENUINE, registryExpiry: '2030-06-01' }
				})
			],
			workType: 'forklift'
		}),
		allow: true,
		codes: ['CERT_RECORD_DIFFERS'],
		details: [{ code: 'CERT_RECORD_DIFFERS', flags: ['REGISTRY_EXPIRY_DIFFERS'] }]
	},
	{
		name: 'card in another person’s name',
		input: arrival({ certificates: [{ ...HV, holderName: '李强' }] }),
		allow: true,
		codes: ['CERT_HOLDER_NAME_DIFFERS'],
		details: [{ code: 'CERT_HOLDER_NAME_DIFFERS', holderName: '李强' }]
	},
	{
		name: 'renewed card beside the expired old one',
		input: arrival({
			certificates: [
				card('SO-ELEC-HV', {
					id: 'old',
					issuedOn: '2019-03-10',
					expiresOn: '2025-03-10',
					nextReviewOn: '2025-03-10'
				}),
				{ ...HV, id: 'renewed' }
			]
		}),
		allow: true,
		codes: []
	},

	// Work scope.
	{
		name: 'HV electrician assigned to scaffolding',
		input: arrival({ workType: 'scaffolding' }),
		allow: false,
		codes: ['SCOPE_MISMATCH'],
		details: [
			{
				code: 'SCOPE_MISMATCH',
				workType: 'scaffolding',
				required: ['SO-HEIGHT-SCAFFOLD'],
				held: ['SO-ELEC-HV']
			}
		]
	},
	{
		name: 'LV electrician assigned to HV work',
		input: arrival({ certificates: [card('SO-ELEC-LV')] }),
		allow: false,
		codes: ['SCOPE_MISMATCH'],
		details: [{ code: 'SCOPE_MISMATCH', required: ['SO-ELEC-HV'], held: ['SO-ELEC-LV'] }]
	},
	{
		name: 'no card at all for HV work',
		input: arrival({ certificates: [] }),
		allow: false,
		codes: ['CERT_MISSING'],
		details: [{ code: 'CERT_MISSING', workType: 'hv_electrical', required: ['SO-ELEC-HV'] }]
	},
	{
		name: '建筑架子工 card on an industrial site',
		input: arrival({ certificates: [card('CN-SCAFFOLD')], workType: 'scaffolding' }),
		allow: false,
		codes: ['SCOPE_MISMATCH'],
		details: [{ code: 'SCOPE_MISMATCH', required: ['SO-HEIGHT-SCAFFOLD'], held: ['CN-SCAFFOLD'] }]
	},
	{
		name: 'crane operator holding only the signaller card Q1',
		input: arrival({ certificates: [card('SE-2019-Q1')], workType: 'crane_operator' }),
		allow: false,
		codes: ['SCOPE_MISMATCH']
	},
	{
		name: 'crane operator with a 2011 "Q2" (crane electrical repair)',
		input: arrival({
			certificates: [card('SE-2011-Q2', { catalogueVersion: '2011' })],
			workType: 'crane_operator'
		}),
		allow: false,
		codes: ['SCOPE_MISMATCH']
	},
	{
		name: 'crane operator with Q2',
		input: arrival({ certificates: [card('SE-2019-Q2')], workType: 'crane_operator' }),
		allow: true,
		codes: []
	},
	{
		name: '建筑起重机械司机 driving a tower crane on a building site',
		input: arrival({
			...at('construction'),
			certificates: [card('CN-CRANE-OPERATOR')],
			workType: 'crane_operator'
		}),
		allow: true,
		codes: []
	},
	{
		name: 'signaller with 建筑起重信号司索工 on a chemical site',
		input: arrival({
			...at('chemical'),
			certificates: [card('CN-RIGGER-SIGNAL')],
			workType: 'crane_signaller'
		}),
		allow: false,
		codes: ['SCOPE_MISMATCH']
	},
	{
		name: 'no work assigned today',
		input: arrival({ workType: null }),
		allow: false,
		codes: ['WORK_UNASSIGNED']
	},
	{
		name: 'work type the site does not know',
		input: arrival({ workType: 'confined_space' }),
		allow: false,
		codes: ['WORK_TYPE_UNKNOWN'],
		details: [{ code: 'WORK_TYPE_UNKNOWN', workType: 'confined_space' }]
	},

	// Blacklist and approval.
	{
		name: 'blacklisted AND card expired: both reported',
		input: arrival({
			blacklist: [BLACKLIST_ENTRY],
			certificates: [
				card('SO-ELEC-HV', {
					issuedOn: '2020-06-10',
					expiresOn: '2026-06-10',
					nextReviewOn: '2026-06-10'
				})
			]
		}),
		allow: false,
		codes: ['BLACKLISTED', 'CERT_EXPIRED'],
		details: [{ code: 'BLACKLISTED', entryId: 'bl-7', since: '2026-03-02', until: null }]
	},
	{
		name: 'blacklist entry that ended in January',
		input: arrival({
			blacklist: [{ ...BLACKLIST_ENTRY, since: '2025-01-02', until: '2026-01-01' }]
		}),
		allow: true,
		codes: []
	},
	{
		name: 'blacklist entry starting next month',
		input: arrival({ blacklist: [{ ...BLACKLIST_ENTRY, since: '2026-07-01' }] }),
		allow: true,
		codes: []
	},
	{
		name: 'application still pending',
		input: arrival({ approval: { status: 'pending', siteId: SITE } }),
		allow: false,
		codes: ['NOT_APPROVED'],
		details: [{ code: 'NOT_APPROVED', approvalStatus: 'pending', detail: 'status' }]
	},
	{
		name: 'no application at all',
		input: arrival({ approval: null }),
		allow: false,
		codes: ['NOT_APPROVED'],
		details: [{ code: 'NOT_APPROVED', approvalStatus: 'none', detail: 'status' }]
	},
	{
		name: 'approval window ended yesterday',
		input: arrival({
			approval: {
				status: 'approved',
				siteId: SITE,
				validFrom: '2026-05-01',
				validUntil: '2026-06-14'
			}
		}),
		allow: false,
		codes: ['NOT_APPROVED'],
		details: [{ code: 'NOT_APPROVED', detail: 'ended', validUntil: '2026-06-14' }]
	},
	{
		name: 'approval starts next week',
		input: arrival({ approval: { status: 'approved', siteId: SITE, validFrom: '2026-06-22' } }),
		allow: false,
		codes: ['NOT_APPROVED'],
		details: [{ code: 'NOT_APPROVED', detail: 'not_yet_valid', validFrom: '2026-06-22' }]
	},
	{
		name: 'approved for another site',
		input: arrival({ approval: { status: 'approved', siteId: 'site-nb' } }),
		allow: false,
		codes: ['NOT_APPROVED'],
		details: [{ code: 'NOT_APPROVED', detail: 'other_site' }]
	},

	// Training and medical.
	{
		name: 'no site induction',
		input: arrival({ training: [] }),
		allow: false,
		codes: ['TRAINING_MISSING']
	},
	{
		name: 'induction done at another site only',
		input: arrival({
			training: [
				{ id: 't-x', kind: 'site_induction', siteId: 'site-nb', date: '2026-03-01', hours: 8 }
			]
		}),
		allow: false,
		codes: ['TRAINING_MISSING']
	},
	{
		name: 'induction older than 12 months',
		input: arrival({
			training: [
				{ id: 't-old', kind: 'site_induction', siteId: SITE, date: '2025-06-01', hours: 8 }
			]
		}),
		allow: false,
		codes: ['TRAINING_EXPIRED'],
		details: [{ code: 'TRAINING_EXPIRED', trainingId: 't-old', expiredOn: '2026-06-01' }]
	},
	{
		name: 'induction valid for 20 more days',
		input: arrival({
			training: [
				{ id: 't-ind', kind: 'site_induction', siteId: SITE, date: '2025-07-05', hours: 8 }
			]
		}),
		allow: true,
		codes: ['TRAINING_EXPIRING'],
		details: [{ code: 'TRAINING_EXPIRING', validUntil: '2026-07-05', daysLeft: 20 }]
	},
	{
		name: 'medical result unfit',
		input: arrival({
			medical: [{ id: 'm-2', examDate: '2026-05-01', result: 'unfit', validUntil: '2027-05-01' }]
		}),
		allow: false,
		codes: ['MEDICAL_UNFIT'],
		details: [{ code: 'MEDICAL_UNFIT', medicalId: 'm-2' }]
	},
	{
		name: 'a newer unfit result outweighs an older fit one',
		input: arrival({
			medical: [
				{ id: 'm-1', examDate: '2026-01-10', result: 'fit', validUntil: '2027-01-10' },
				{ id: 'm-2', examDate: '2026-05-01', result: 'unfit', validUntil: '2027-05-01' }
			]
		}),
		allow: false,
		codes: ['MEDICAL_UNFIT']
	},
	{
		name: 'medical expired',
		input: arrival({
			medical: [{ id: 'm-0', examDate: '2025-05-01', result: 'fit', validUntil: '2026-05-01' }]
		}),
		allow: false,
		codes: ['MEDICAL_EXPIRED'],
		details: [{ code: 'MEDICAL_EXPIRED', expiredOn: '2026-05-01' }]
	},
	{
		name: 'medical record claims two years but the site counts twelve months',
		input: arrival({
			medical: [{ id: 'm-0', examDate: '2025-06-01', result: 'fit', validUntil: '2027-06-01' }]
		}),
		allow: false,
		codes: ['MEDICAL_EXPIRED'],
		details: [{ code: 'MEDICAL_EXPIRED', expiredOn: '2026-06-01' }]
	},
	{
		name: 'no medical record',
		input: arrival({ medical: [] }),
		allow: false,
		codes: ['MEDICAL_MISSING']
	},
	{
		name: 'restricted medical expiring in 16 days',
		input: arrival({
			medical: [
				{ id: 'm-r', examDate: '2025-07-01', result: 'restricted', validUntil: '2026-07-01' }
			]
		}),
		allow: true,
		codes: ['MEDICAL_EXPIRING', 'MEDICAL_RESTRICTED'],
		details: [{ code: 'MEDICAL_EXPIRING', daysLeft: 16 }]
	},

	// Identity, PPE, anti-passback.
	{
		name: 'face match without a liveness check',
		input: arrival({ identity: { method: 'face', confirmed: true, liveness: 'not_checked' } }),
		allow: false,
		codes: ['LIVENESS_UNCHECKED']
	},
	{
		name: 'face match on a photo (liveness failed)',
		input: arrival({
			identity: { method: 'face', confirmed: true, liveness: 'failed', score: 0.97 }
		}),
		allow: false,
		codes: ['LIVENESS_FAILED']
	},
	{
		name: 'QR pass needs no liveness',
		input: arrival({ identity: { method: 'qr', confirmed: true, liveness: 'not_checked' } }),
		allow: true,
		codes: []
	},
	{
		name: 'identity not confirmed',
		input: arrival({ identity: { method: 'id_pin', confirmed: false } }),
		allow: false,
		codes: ['IDENTITY_UNCONFIRMED'],
		details: [{ code: 'IDENTITY_UNCONFIRMED', method: 'id_pin' }]
	},
	{
		name: 'guard confirmed identity manually',
		input: arrival({ identity: { method: 'manual', confirmed: true } }),
		allow: true,
		codes: ['IDENTITY_MANUAL']
	},
	{
		name: 'no hard hat',
		input: arrival({ ppe: { worn: false, confidence: 0.88 } }),
		allow: false,
		codes: ['PPE_MISSING']
	},
	{
		name: 'hard hat unknown',
		input: arrival({ ppe: { worn: 'unknown', confidence: 0 } }),
		allow: false,
		codes: ['PPE_UNCONFIRMED']
	},
	{
		name: 'no PPE reading at all',
		input: arrival({ ppe: null }),
		allow: false,
		codes: ['PPE_UNCONFIRMED'],
		details: [{ code: 'PPE_UNCONFIRMED', worn: null, confidence: null }]
	},
	{
		name: 'low-confidence "helmet" (a coloured cap?)',
		input: arrival({ ppe: { worn: true, confidence: 0.41 } }),
		allow: false,
		codes: ['PPE_UNCONFIRMED']
	},
	{
		name: 'entering while already on site (pass shared?)',
		input: arrival({ onSite: true }),
		allow: false,
		codes: ['ANTI_PASSBACK']
	},

	// Site time zone.
	{
		name: 'card expiring 2026-12-01, at 2026-12-01T16:30Z (already 12-02 in Shanghai)',
		input: arrival({
			at: '2026-12-01T16:30:00Z',
			certificates: [card('SE-2019-N1', { issuedOn: '2022-12-01', expiresOn: '2026-12-01' })],
			workType: 'forklift'
		}),
		allow: false,
		codes: ['CERT_EXPIRED'],
		details: [{ code: 'CERT_EXPIRED', expiredOn: '2026-12-01' }]
	},
	{
		name: 'same card at 2026-12-01T15:59Z (still 12-01 in Shanghai)',
		input: arrival({
			at: '2026-12-01T15:59:00Z',
			certificates: [card('SE-2019-N1', { issuedOn: '2022-12-01', expiresOn: '2026-12-01' })],
			workType: 'forklift'
		}),
		allow: true,
		codes: ['CERT_EXPIRING'],
		details: [{ code: 'CERT_EXPIRING', daysToExpiry: 0 }]
	},

	// Everything at once: every problem is reported, not just the first.
	{
		name: 'everything wrong at once',
		input: arrival({
			identity: { method: 'face', confirmed: false, liveness: 'failed' },
			blacklist: [BLACKLIST_ENTRY],
			approval: { status: 'rejected', siteId: SITE },
			workType: 'scaffolding',
			training: [],
			medical: [],
			ppe: { worn: false, confidence: 0.95 },
			onSite: true
		}),
		allow: false,
		codes: [
			'IDENTITY_UNCONFIRMED',
			'LIVENESS_FAILED',
			'BLACKLISTED',
			'NOT_APPROVED',
			'SCOPE_MISMATCH',
			'TRAINING_MISSING',
			'MEDICAL_MISSING',
			'PPE_MISSING',
			'ANTI_PASSBACK'
		]
	}
];

describe('decideEntry at the gate', () => {
	test.each(rows)('$name', (row) => {
		const decision = decideEntry(row.input);
		expect(decision.allow).toBe(row.allow);
		expect(decision.reasons.map((r) => r.code).sort()).toEqual([...row.codes].sort());
		for (const detail of row.details ?? []) {
			expect(decision.reasons).toContainEqual(expect.objectContaining(detail));
		}
		// allow is exactly "no deny reason".
		expect(decision.allow).toBe(!decision.reasons.some((r) => r.severity === 'deny'));
	});

	test('the table covers at least 20 scenarios', () => {
		expect(rows.length).toBeGreaterThanOrEqual(20);
	});

	test('reports the site-local date and the certificate it judged by', () => {
		const decision = decideEntry(
			arrival({
				certificates: [
					card('SO-ELEC-HV', {
						id: 'old',
						issuedOn: '2019-03-10',
						expiresOn: '2025-03-10',
						nextReviewOn: '2025-03-10'
					}),
					{ ...HV, id: 'renewed' }
				]
			})
		);
		expect(decision.date).toBe('2026-06-15');
		expect(decision.certificate).toMatchObject({ id: 'renewed', status: 'valid' });
	});

	test('of two unusable cards, the less bad one is reported', () => {
		const decision = decideEntry(
			arrival({
				certificates: [
					{ ...HV, id: 'revoked', revokedOn: '2026-01-01' },
					{ ...HV, id: 'unchecked', verification: null }
				]
			})
		);
		expect(decision.reasons.map((r) => r.code)).toEqual(['CERT_UNVERIFIED']);
		expect(decision.certificate?.id).toBe('unchecked');
	});

	test('deny reasons come before warnings', () => {
		const decision = decideEntry(
			arrival({
				identity: { method: 'manual', confirmed: true },
				medical: [
					{ id: 'm-r', examDate: '2025-07-01', result: 'restricted', validUntil: '2026-07-01' }
				],
				ppe: null
			})
		);
		expect(decision.reasons.map((r) => [r.code, r.severity])).toEqual([
			['PPE_UNCONFIRMED', 'deny'],
			['IDENTITY_MANUAL', 'warn'],
			['MEDICAL_EXPIRING', 'warn'],
			['MEDICAL_RESTRICTED', 'warn']
		]);
	});
});

describe('exits', () => {
	test('are always allowed, whatever else is wrong', () => {
		const decision = decideEntry(
			arrival({
				direction: 'out',
				blacklist: [BLACKLIST_ENTRY],
				approval: null,
				certificates: [],
				training: [],
				medical: [],
				ppe: null,
				workType: null,
				onSite: true
			})
		);
		expect(decision).toMatchObject({ allow: true, direction: 'out', reasons: [] });
	});

	test('identity problems on the way out are warnings', () => {
		const decision = decideEntry(
			arrival({
				direction: 'out',
				onSite: true,
				identity: { method: 'face', confirmed: false, liveness: 'failed' }
			})
		);
		expect(decision.allow).toBe(true);
		expect(decision.reasons).toEqual([
			{ code: 'IDENTITY_UNCONFIRMED', severity: 'warn', method: 'face' },
			{ code: 'LIVENESS_FAILED', severity: 'warn' }
		]);
	});

	test('an exit with no entry on record is flagged for reconciliation', () => {
		const decision = decideEntry(arrival({ direction: 'out', onSite: false }));
		expect(decision.reasons).toEqual([{ code: 'EXIT_WITHOUT_ENTRY', severity: 'warn' }]);
	});
});

describe('site rules', () => {
	test('strict defaults', () => {
		expect(DEFAULT_SITE_RULES).toMatchObject({
			warningDays: 30,
			timeZone: 'Asia/Shanghai',
			requireVerification: true,
			requireInduction: true,
			inductionValidMonths: 12,
			requireMedical: true,
			medicalWarningDays: 30,
			requirePpe: true,
			requireLivenessForFace: true,
			antiPassback: true
		});
	});

	test('a site that relaxes the optional checks lets the same worker in', () => {
		const input = arrival({
			certificates: [{ ...HV, verification: null }],
			training: [],
			medical: [],
			ppe: null,
			onSite: true,
			identity: { method: 'face', confirmed: true, liveness: 'not_checked' }
		});
		expect(decideEntry(input).allow).toBe(false);
		const relaxed = decideEntry({
			...input,
			site: {
				id: SITE,
				kind: 'industrial',
				rules: {
					requireVerification: false,
					requireInduction: false,
					requireMedical: false,
					requirePpe: false,
					antiPassback: false,
					requireLivenessForFace: false
				}
			}
		});
		expect(relaxed).toMatchObject({ allow: true, reasons: [] });
	});

	test('a longer warning period warns earlier', () => {
		const input = arrival({
			certificates: [card('SE-2019-N1', { issuedOn: '2022-08-01', expiresOn: '2026-08-01' })],
			workType: 'forklift'
		});
		expect(decideEntry(input).reasons).toEqual([]);
		const early = decideEntry({ ...input, site: { ...input.site, rules: { warningDays: 60 } } });
		expect(early.reasons.map((r) => r.code)).toEqual(['CERT_EXPIRING']);
	});

	test('scope overrides from the site rules are applied', () => {
		const input = arrival({ certificates: [card('SO-WELD-BRAZE')], workType: 'hot_work' });
		expect(decideEntry(input).reasons.map((r) => r.code)).toEqual(['SCOPE_MISMATCH']);
		const overridden = decideEntry({
			...input,
			site: {
				...input.site,
				rules: { scopeOverrides: { extraAlternatives: { hot_work: [{ code: 'SO-WELD-BRAZE' }] } } }
			}
		});
		expect(overridden).toMatchObject({ allow: true, reasons: [] });
	});

	test('the site time zone decides the day', () => {
		const input = arrival({
			at: '2026-12-01T16:30:00Z',
			certificates: [card('SE-2019-N1', { issuedOn: '2022-12-01', expiresOn: '2026-12-01' })],
			workType: 'forklift'
		});
		const utc = decideEntry({ ...input, site: { ...input.site, rules: { timeZone: 'UTC' } } });
		expect(utc.date).toBe('2026-12-01');
		expect(utc.allow).toBe(true);
	});
});

test('reason codes are unique', () => {
	expect(new Set(REASON_CODES).size).toBe(REASON_CODES.length);
});

describe('decideUnidentified', () => {
	test('refuses an entry nobody could be identified for and lets the exit through with the warning', () => {
		const inside = decideUnidentified('2026-06-15T01:30:00.000Z', 'in', 'face');
		expect(inside).toMatchObject({ allow: false, date: '2026-06-15' });
		expect(inside.reasons).toEqual([
			{ code: 'IDENTITY_UNCONFIRMED', severity: 'deny', method: 'face' }
		]);
		const out = decideUnidentified('2026-06-15T01:30:00.000Z', 'out', 'qr');
		expect(out.allow).toBe(true);
		expect(out.reasons).toEqual([{ code: 'IDENTITY_UNCONFIRMED', severity: 'warn', method: 'qr' }]);
	});
});
