// Work permits: the kinds as DOMAIN.md states them, grades raised at night and on holidays, each
// person judged against their role with the work-scope matrix, status at an instant, clashes, and
// what a permit means for a door or an interlock. Site time is Asia/Shanghai (UTC+8).
import { describe, expect, test } from 'vitest';
import type { Certificate } from './certificate-status';
import {
	checkPermit,
	clashes,
	effectiveGrade,
	extensionProblem,
	heightGrade,
	latestEnd,
	PERMIT_CATALOGUE,
	PERMIT_KIND_CODES,
	permitAccess,
	permitKind,
	permitStatus,
	windowFacts,
	type PermitCheckContext,
	type PermitDraft,
	type PermitOnRecord,
	type PermitWindow
} from './permits';

const TZ = 'Asia/Shanghai';
const CAL = { timeZone: TZ, weekendsAreHolidays: true };

function card(code: string, workerId: string, partial: Partial<Certificate> = {}): Certificate {
	const regime = code.startsWith('SO-') ? 'special_operation' : 'special_equipment';
	return {
		id: `cert-${code}-${workerId}`,
		workerId,
		regime,
		catalogueVersion: regime === 'special_operation' ? 'order30' : '2019',
		code,
		number: `N-${code}`,
		issuedOn: '2025-03-10',
		expiresOn: '2029-03-10',
		holderName: workerId,
		verification: { outcome: 'genuine', checkedAt: '2026-11-01T02:00:00Z', source: 'registry:x' },
		...partial
	};
}

const CERTS: Record<string, Certificate[]> = {
	welder: [card('SO-WELD-FUSION', 'welder')],
	hv: [card('SO-ELEC-HV', 'hv')],
	driver: [card('SE-2019-Q2', 'driver')],
	signaller: [card('SE-2019-Q1', 'signaller')],
	watch: [],
	// A scaffolder's card that lapses after Thursday 2026-12-03 (site time).
	lapsing: [card('SO-HEIGHT-SCAFFOLD', 'lapsing', { expiresOn: '2026-12-03' })]
};

const ctx = (stage: 'submit' | 'approve' = 'submit'): PermitCheckContext => ({
	site: { id: 'S1', kind: 'chemical' },
	calendar: CAL,
	certificatesOf: (p) => CERTS[p.workerId] ?? null,
	stage
});

const person = (workerId: string, role: string) => ({
	workerId,
	contractorId: 'C1',
	name: workerId,
	role
});

// Wednesday 2026-12-02, 09:00–15:00 site time: a weekday, daylight.
const DAY_FROM = '2026-12-02T01:00:00.000Z';
const DAY_UNTIL = '2026-12-02T07:00:00.000Z';

function hotWork(change: Partial<PermitDraft> = {}): PermitDraft {
	return {
		kind: 'hot_work',
		grade: 'second',
		zone: 'tank-1',
		work: '更换 3# 罐进料管法兰',
		validFrom: DAY_FROM,
		validUntil: DAY_UNTIL,
		people: [person('welder', 'operator'), person('watch', 'guardian')],
		hazards: ['火灾'],
		measures: ['清除可燃物'],
		gasTests: [{ at: '2026-12-02T00:45:00.000Z', o2Pct: 20.8, lelPct: 0, by: 'tester' }],
		isolations: [
			{ point: '进料阀 V-101', method: '上锁挂牌', confirmedBy: 'lead', confirmedAt: DAY_FROM }
		],
		...change
	};
}

const codes = (problems: { code: string }[]) => problems.map((p) => p.code);

describe('the kinds as data', () => {
	test('all eight kinds of GB 30871, each with a longest validity and a template', () => {
		expect(PERMIT_KIND_CODES).toHaveLength(8);
		for (const code of PERMIT_KIND_CODES) {
			const kind = permitKind(code)!;
			expect(kind.grades.length).toBeGreaterThan(0);
			expect(kind.measures.length).toBeGreaterThan(0);
			expect(kind.roles.some((r) => r.code === 'guardian')).toBe(true);
		}
	});

	test('longest validity as DOMAIN.md states it', () => {
		const hours = (kind: string, grade: string) =>
			permitKind(kind)!.grades.find((g) => g.code === grade)!;
		expect(hours('hot_work', 'special').maxHours).toBe(8);
		expect(hours('hot_work', 'first').maxHours).toBe(8);
		expect(hours('hot_work', 'second').maxHours).toBe(72);
		expect(hours('confined_space', 'single').maxHours).toBe(24);
		for (const g of permitKind('height')!.grades) expect(g.maxHours).toBe(7 * 24);
		expect(hours('temp_power', 'single')).toMatchObject({
			maxHours: 15 * 24,
			maxTotalHours: 30 * 24
		});
		// Kinds whose validity DOMAIN.md does not state say so.
		expect(permitKind('lifting')!.validityConfirmed).toBe(false);
		expect(permitKind('hot_work')!.validityConfirmed).toBe(true);
	});

	test('height grades follow GB/T 3608', () => {
		expect(heightGrade(1.9)).toBeNull();
		expect(heightGrade(2)!.code).toBe('first');
		expect(heightGrade(4.9)!.code).toBe('first');
		expect(heightGrade(5)!.code).toBe('second');
		expect(heightGrade(15)!.code).toBe('third');
		expect(heightGrade(30)!.code).toBe('special');
		expect(heightGrade(120)!.code).toBe('special');
	});
});

describe('grades raised at night and on holidays', () => {
	const hot = permitKind('hot_work')!;

	test('a weekday daytime window is not raised', () => {
		const facts = windowFacts(DAY_FROM, DAY_UNTIL, CAL);
		expect(facts).toEqual({ night: false, holiday: false });
		expect(effectiveGrade(hot, 'second', facts)).toMatchObject({ raised: false });
	});

	test('a window running past 18:00 is night work: grade 2 becomes grade 1, grade 1 special', () => {
		const facts = windowFacts('2026-12-02T08:00:00.000Z', '2026-12-02T11:00:00.000Z', CAL);
		expect(facts.night).toBe(true);
		expect(effectiveGrade(hot, 'second', facts)!.grade.code).toBe('first');
		expect(effectiveGrade(hot, 'first', facts)!.grade.code).toBe('special');
		// Nothing above special.
		expect(effectiveGrade(hot, 'special', facts)).toMatchObject({ raised: false });
	});

	test('Saturday, and a listed public holiday, are holidays', () => {
		// 2026-12-05 is a Saturday.
		expect(windowFacts('2026-12-05T01:00:00.000Z', '2026-12-05T03:00:00.000Z', CAL).holiday).toBe(
			true
		);
		const holidays = { timeZone: TZ, holidays: ['2026-12-02'], weekendsAreHolidays: false };
		expect(windowFacts(DAY_FROM, DAY_UNTIL, holidays).holiday).toBe(true);
		expect(
			windowFacts('2026-12-05T01:00:00.000Z', '2026-12-05T03:00:00.000Z', holidays).holiday
		).toBe(false);
	});

	test('kinds without grade raising are not raised', () => {
		const facts = { night: true, holiday: true };
		expect(effectiveGrade(permitKind('height')!, 'first', facts)).toMatchObject({ raised: false });
	});

	test('a raised grade shortens the longest validity: 10 h of night grade-2 hot work is too long', () => {
		const problems = checkPermit(
			hotWork({ validFrom: '2026-12-02T06:00:00.000Z', validUntil: '2026-12-02T16:00:00.000Z' }),
			ctx()
		);
		expect(codes(problems)).toContain('GRADE_RAISED');
		expect(problems.find((p) => p.code === 'WINDOW_TOO_LONG')).toMatchObject({
			severity: 'block',
			detail: { maxHours: 8, hours: 10 }
		});
	});
});

describe('people against their roles (the work-scope matrix)', () => {
	test('a welder with a guardian on a daytime grade-2 permit has nothing blocking', () => {
		expect(checkPermit(hotWork(), ctx('approve'))).toEqual([]);
	});

	test('a high-voltage electrician cannot be the hot-work operator: SCOPE_MISMATCH blocks', () => {
		const problems = checkPermit(
			hotWork({ people: [person('hv', 'operator'), person('watch', 'guardian')] }),
			ctx()
		);
		const p = problems.find((x) => x.code === 'PERSON_NOT_QUALIFIED')!;
		expect(p).toMatchObject({ severity: 'block', workerId: 'hv', role: 'operator' });
		expect(p.reasons!.map((r) => r.code)).toEqual(['SCOPE_MISMATCH']);
	});

	test('a card that lapses during the window does not cover the work', () => {
		// Three days at height from Wednesday 09:00: valid at the start, lapsed by Saturday.
		const height = (until: string) =>
			checkPermit(
				hotWork({
					kind: 'height',
					grade: 'second',
					heightMetres: 8,
					validUntil: until,
					gasTests: [],
					isolations: [],
					people: [person('lapsing', 'operator'), person('watch', 'guardian')]
				}),
				ctx()
			);
		const p = height('2026-12-05T01:00:00.000Z').find((x) => x.code === 'PERSON_NOT_QUALIFIED')!;
		expect(p.reasons!.map((r) => r.code)).toContain('CERT_EXPIRED');
		expect(height('2026-12-03T09:00:00.000Z')).toEqual([]);
	});

	test('lifting needs a Q2 driver and a Q1 signaller; a guardian alone is missing both', () => {
		const lifting: PermitDraft = {
			...hotWork(),
			kind: 'lifting',
			grade: 'third',
			gasTests: [],
			isolations: [],
			people: [
				person('driver', 'crane_operator'),
				person('signaller', 'signaller'),
				person('watch', 'guardian')
			]
		};
		expect(checkPermit(lifting, ctx('approve'))).toEqual([]);
		const swapped = checkPermit(
			{
				...lifting,
				people: [
					person('signaller', 'crane_operator'),
					person('driver', 'signaller'),
					person('watch', 'guardian')
				]
			},
			ctx()
		);
		expect(
			swapped
				.filter((p) => p.code === 'PERSON_NOT_QUALIFIED')
				.map((p) => p.workerId)
				.sort()
		).toEqual(['driver', 'signaller']);
		const alone = checkPermit({ ...lifting, people: [person('watch', 'guardian')] }, ctx());
		expect(
			alone
				.filter((p) => p.code === 'ROLE_MISSING')
				.map((p) => p.role)
				.sort()
		).toEqual(['crane_operator', 'signaller']);
	});

	test('someone this device does not know, listed twice, or in a role the kind lacks', () => {
		const problems = checkPermit(
			hotWork({
				people: [
					person('stranger', 'operator'),
					person('watch', 'guardian'),
					person('watch', 'guardian'),
					person('welder', 'signaller')
				]
			}),
			ctx()
		);
		expect(codes(problems)).toEqual(
			expect.arrayContaining(['PERSON_UNKNOWN', 'PERSON_TWICE', 'ROLE_UNKNOWN'])
		);
	});
});

describe('before the work starts: gas tests and isolations', () => {
	test('no gas test warns at submission and blocks approval', () => {
		const draft = hotWork({ gasTests: [] });
		expect(
			checkPermit(draft, ctx('submit')).find((p) => p.code === 'GAS_TEST_MISSING')!.severity
		).toBe('warn');
		expect(
			checkPermit(draft, ctx('approve')).find((p) => p.code === 'GAS_TEST_MISSING')!.severity
		).toBe('block');
	});

	test('a reading out of range blocks; one older than 30 minutes before the start is stale', () => {
		const bad = hotWork({
			gasTests: [{ at: '2026-12-02T00:50:00.000Z', o2Pct: 18.9, lelPct: 12, by: 't' }]
		});
		expect(checkPermit(bad, ctx()).find((p) => p.code === 'GAS_OUT_OF_RANGE')!.severity).toBe(
			'block'
		);
		const old = hotWork({
			gasTests: [{ at: '2026-12-02T00:00:00.000Z', o2Pct: 20.9, lelPct: 0, by: 't' }]
		});
		expect(checkPermit(old, ctx('approve')).find((p) => p.code === 'GAS_TEST_STALE')).toMatchObject(
			{
				severity: 'block',
				detail: { minutes: 60 }
			}
		);
	});

	test('isolations must be confirmed before approval', () => {
		const draft = hotWork({ isolations: [{ point: '进料阀 V-101', method: '上锁挂牌' }] });
		expect(
			checkPermit(draft, ctx('submit')).find((p) => p.code === 'ISOLATION_UNCONFIRMED')!.severity
		).toBe('warn');
		expect(
			checkPermit(draft, ctx('approve')).find((p) => p.code === 'ISOLATION_UNCONFIRMED')!.severity
		).toBe('block');
	});
});

describe('status at an instant', () => {
	const base = { ...hotWork(), lifecycle: 'submitted' as const };
	const at = (iso: string) => new Date(iso);

	test('lifecycle and approval come first', () => {
		expect(
			permitStatus({ ...base, lifecycle: 'draft' }, 'none', [], at(DAY_FROM), CAL).status
		).toBe('draft');
		expect(permitStatus(base, 'pending', [], at(DAY_FROM), CAL).status).toBe('pending');
		expect(permitStatus(base, 'rejected', [], at(DAY_FROM), CAL).status).toBe('rejected');
		expect(
			permitStatus({ ...base, lifecycle: 'cancelled' }, 'approved', [], at(DAY_FROM), CAL).status
		).toBe('cancelled');
	});

	test('approved: scheduled, active, and expired by itself exactly at its end', () => {
		expect(permitStatus(base, 'approved', [], at('2026-12-02T00:59:59.999Z'), CAL).status).toBe(
			'scheduled'
		);
		expect(permitStatus(base, 'approved', [], at(DAY_FROM), CAL).status).toBe('active');
		expect(permitStatus(base, 'approved', [], at('2026-12-02T06:59:59.999Z'), CAL).status).toBe(
			'active'
		);
		expect(permitStatus(base, 'approved', [], at(DAY_UNTIL), CAL).status).toBe('expired');
	});

	test('suspended until resumed; closed for good', () => {
		const actions = [
			{ action: 'suspend' as const, at: '2026-12-02T02:00:00.000Z' },
			{ action: 'resume' as const, at: '2026-12-02T03:00:00.000Z' },
			{ action: 'close' as const, at: '2026-12-02T05:00:00.000Z' }
		];
		const s = (iso: string) => permitStatus(base, 'approved', actions, at(iso), CAL).status;
		expect(s('2026-12-02T02:30:00.000Z')).toBe('suspended');
		expect(s('2026-12-02T04:00:00.000Z')).toBe('active');
		expect(s('2026-12-02T05:00:00.000Z')).toBe('closed');
		expect(s('2026-12-02T09:00:00.000Z')).toBe('closed');
	});

	test('an extension counts within the longest validity only, and never into a raised grade', () => {
		// Grade 2 hot work, Wednesday 09:00–15:00: extended to 17:30 the same day.
		const ok = [
			{
				action: 'extend' as const,
				at: '2026-12-02T06:00:00.000Z',
				until: '2026-12-02T09:30:00.000Z'
			}
		];
		const t = permitStatus(base, 'approved', ok, at('2026-12-02T08:00:00.000Z'), CAL);
		expect(t).toMatchObject({ status: 'active', until: '2026-12-02T09:30:00.000Z' });
		// Into the night it would be grade 1 (8 h, a longer chain): refused, it ends at 15:00.
		const night = [
			{
				action: 'extend' as const,
				at: '2026-12-02T06:00:00.000Z',
				until: '2026-12-03T07:00:00.000Z'
			}
		];
		expect(extensionProblem(base, '2026-12-03T07:00:00.000Z', CAL)).toBe('EXTENSION_RAISES_GRADE');
		const r = permitStatus(base, 'approved', night, at('2026-12-02T08:00:00.000Z'), CAL);
		expect(r.status).toBe('expired');
		expect(r.refusedExtensions).toHaveLength(1);
		// Past 72 h from the start.
		const long = { ...base, grade: 'second', effectiveGrade: 'second' };
		expect(extensionProblem(long, '2026-12-06T07:00:00.000Z', CAL)).toBe('EXTENSION_PAST_LIMIT');
		expect(latestEnd(long, CAL)).toBe('2026-12-05T01:00:00.000Z');
		// Temporary power: 15 days, extendable to 30.
		const power = {
			...base,
			kind: 'temp_power',
			grade: 'single',
			validUntil: '2026-12-17T01:00:00.000Z'
		};
		const ext = [
			{
				action: 'extend' as const,
				at: '2026-12-10T00:00:00.000Z',
				until: '2027-01-01T01:00:00.000Z'
			}
		];
		expect(permitStatus(power, 'approved', ext, at('2026-12-20T00:00:00.000Z'), CAL).status).toBe(
			'active'
		);
		const past = [
			{
				action: 'extend' as const,
				at: '2026-12-10T00:00:00.000Z',
				until: '2027-01-02T01:00:00.000Z'
			}
		];
		expect(permitStatus(power, 'approved', past, at('2026-12-20T00:00:00.000Z'), CAL).status).toBe(
			'expired'
		);
	});

	test('an extension made after the permit expired does not revive it', () => {
		const late = [
			{
				action: 'extend' as const,
				at: '2026-12-02T08:00:00.000Z',
				until: '2026-12-03T07:00:00.000Z'
			}
		];
		expect(permitStatus(base, 'approved', late, at('2026-12-02T09:00:00.000Z'), CAL).status).toBe(
			'expired'
		);
	});
});

describe('clashes', () => {
	const hot: PermitWindow = {
		id: 'P-hot',
		kind: 'hot_work',
		zone: 'tank-1',
		from: DAY_FROM,
		until: DAY_UNTIL,
		people: [{ workerId: 'welder', contractorId: 'C1' }]
	};
	const confined: PermitWindow = {
		id: 'P-cs',
		kind: 'confined_space',
		zone: 'tank-2',
		from: '2026-12-02T05:00:00.000Z',
		until: '2026-12-02T09:00:00.000Z',
		people: [{ workerId: 'entrant', contractorId: 'C2' }]
	};
	const neighbours = (a: string, b: string) =>
		(a === 'tank-1' && b === 'tank-2') || (a === 'tank-2' && b === 'tank-1');

	test('hot work beside a confined-space entry at overlapping times clashes, both ways', () => {
		const found = clashes(hot, [confined], neighbours);
		expect(found).toEqual([
			expect.objectContaining({
				kind: 'incompatible_work',
				a: 'P-hot',
				b: 'P-cs',
				from: '2026-12-02T05:00:00.000Z',
				until: DAY_UNTIL
			})
		]);
		expect(clashes(confined, [hot], neighbours)).toHaveLength(1);
	});

	test('no clash when the windows only touch, the zones are apart, or the work is compatible', () => {
		expect(clashes(hot, [{ ...confined, from: DAY_UNTIL }], neighbours)).toEqual([]);
		expect(clashes(hot, [{ ...confined, zone: 'far' }], neighbours)).toEqual([]);
		expect(clashes(hot, [{ ...confined, kind: 'temp_power' }], neighbours)).toEqual([]);
		expect(clashes(hot, [hot], neighbours)).toEqual([]);
	});

	test('one person on two permits in two places at once', () => {
		const twice = {
			...confined,
			kind: 'temp_power',
			people: [{ workerId: 'welder', contractorId: 'C1' }]
		};
		expect(clashes(hot, [twice], neighbours)).toEqual([
			expect.objectContaining({ kind: 'person_double_booked', workerId: 'welder' })
		]);
	});

	test('the table is symmetric: every kind named as clashing exists', () => {
		for (const kind of PERMIT_CATALOGUE.kinds)
			for (const other of kind.clashesWith) expect(permitKind(other)).not.toBeNull();
	});
});

describe('doors and interlocks', () => {
	const lift: PermitOnRecord = {
		id: 'P-lift',
		kind: 'lifting',
		zone: 'yard',
		status: 'active',
		until: DAY_UNTIL,
		people: [
			{ workerId: 'driver', contractorId: 'C1', role: 'crane_operator' },
			{ workerId: 'watch', contractorId: 'C1', role: 'guardian' }
		]
	};
	const w = (workerId: string) => ({ workerId, contractorId: 'C1' });

	test('on an active permit for the zone: allowed', () => {
		expect(permitAccess(w('driver'), 'yard', ['lifting'], [lift], 'crane_operator')).toMatchObject({
			allow: true,
			permit: { id: 'P-lift' }
		});
	});

	test('the guardian may enter the zone but not drive the crane', () => {
		expect(permitAccess(w('watch'), 'yard', [], [lift]).allow).toBe(true);
		expect(permitAccess(w('watch'), 'yard', ['lifting'], [lift], 'crane_operator').reasons).toEqual(
			[expect.objectContaining({ code: 'PERMIT_ROLE_MISMATCH', role: 'guardian' })]
		);
	});

	test('an expired or suspended permit says so; no permit at all says one is required', () => {
		expect(permitAccess(w('driver'), 'yard', [], [{ ...lift, status: 'expired' }]).reasons).toEqual(
			[expect.objectContaining({ code: 'PERMIT_NOT_ACTIVE', status: 'expired' })]
		);
		expect(permitAccess(w('driver'), 'yard', [], [{ ...lift, status: 'suspended' }]).allow).toBe(
			false
		);
		expect(permitAccess(w('stranger'), 'yard', ['lifting'], [lift]).reasons).toEqual([
			expect.objectContaining({ code: 'PERMIT_REQUIRED', kinds: ['lifting'] })
		]);
		expect(permitAccess(w('driver'), 'other-zone', [], [lift]).allow).toBe(false);
	});
});
