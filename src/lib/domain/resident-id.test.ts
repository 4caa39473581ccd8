// Tests for identity document parsing: GB 11643-1999 checksum and date rules (by example and by
// property), residence permits, passports and masking.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { addDays } from './dates';
import {
	maskIdNumber,
	parseIdentityDocument,
	parseResidentId,
	PROVINCE_CODES,
	residentIdCheckChar
} from './resident-id';

const TODAY = '2026-06-15';

describe('residentIdCheckChar', () => {
	test('matches the published example 11010519491231002X', () => {
		expect(residentIdCheckChar('11010519491231002')).toBe('X');
		expect(residentIdCheckChar('33010619900307123')).toBe('6');
		expect(residentIdCheckChar('44030519851115004')).toBe('0');
	});

	test('rejects anything but 17 digits', () => {
		expect(() => residentIdCheckChar('1101051949123100')).toThrow(RangeError);
		expect(() => residentIdCheckChar('1101051949123100A')).toThrow(RangeError);
	});
});

describe('parseResidentId examples', () => {
	test('a valid number yields region, province, birth date and sex', () => {
		const result = parseResidentId('11010519491231002X', TODAY);
		expect(result).toEqual({
			ok: true,
			value: {
				id: '11010519491231002X',
				region: '110105',
				province: '北京市',
				birthDate: '1949-12-31',
				sex: 'F'
			},
			warnings: []
		});
	});

	test('odd sequence is male', () => {
		const result = parseResidentId('330106199003071236', TODAY);
		expect(result.ok && result.value.sex).toBe('M');
		expect(result.ok && result.value.province).toBe('浙江省');
	});

	test('lower-case x and surrounding spaces are accepted and normalised', () => {
		const result = parseResidentId('  11010519491231002x \t', TODAY);
		expect(result.ok && result.value.id).toBe('11010519491231002X');
	});

	test.each([
		['17 characters', '11010519491231002', 'FORMAT'],
		['19 characters', '11010519491231002X1', 'FORMAT'],
		['letters inside', '1101A519491231002X', 'FORMAT'],
		['X not in last place', '1101051949123100X2', 'FORMAT'],
		['inner spaces', '110105 19491231002X', 'FORMAT'],
		['old 15-digit number', '110105491231002', 'FORMAT'],
		['empty', '', 'FORMAT'],
		['wrong check character', '110105194912310021', 'CHECKSUM'],
		// The check character is right for these, so only the date rule can catch them.
		['31 February', `11010519900231001${residentIdCheckChar('11010519900231001')}`, 'DATE'],
		['future birth date', `11010520300101001${residentIdCheckChar('11010520300101001')}`, 'DATE'],
		['born before 1900', `11010518991231001${residentIdCheckChar('11010518991231001')}`, 'DATE']
	])('%s → %s', (_name, input, code) => {
		const result = parseResidentId(input, TODAY);
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.error.code).toBe(code);
			expect(result.error.message.length).toBeGreaterThan(0);
		}
	});

	test('a birth date of today is accepted, tomorrow is not', () => {
		const body = '110105' + TODAY.replaceAll('-', '') + '003';
		expect(parseResidentId(body + residentIdCheckChar(body), TODAY).ok).toBe(true);
		const tomorrow = '110105' + addDays(TODAY, 1).replaceAll('-', '') + '003';
		const result = parseResidentId(tomorrow + residentIdCheckChar(tomorrow), TODAY);
		expect(!result.ok && result.error.code).toBe('DATE');
	});

	test('an unknown region is a warning, not an error', () => {
		const result = parseResidentId('990000199001010017', TODAY);
		expect(result.ok).toBe(true);
		if (result.ok) {
			expect(result.value.province).toBeNull();
			expect(result.warnings).toEqual([{ code: 'REGION_UNKNOWN', region: '990000' }]);
		}
	});
});

describe('parseResidentId properties', () => {
	const provinces = Object.keys(PROVINCE_CODES);
	const birthOffset = fc.integer({ min: 0, max: 28_854 }); // 1930-01-01 .. 2008-12-31
	const validId = fc
		.record({
			province: fc.constantFrom(...provinces),
			rest: fc.integer({ min: 0, max: 9999 }),
			offset: birthOffset,
			sequence: fc.integer({ min: 0, max: 999 })
		})
		.map(({ province, rest, offset, sequence }) => {
			const birthDate = addDays('1930-01-01', offset);
			const body =
				province +
				String(rest).padStart(4, '0') +
				birthDate.replaceAll('-', '') +
				String(sequence).padStart(3, '0');
			return { id: body + residentIdCheckChar(body), birthDate, sequence };
		});

	test('every well-formed number parses with its birth date and sex', () => {
		fc.assert(
			fc.property(validId, ({ id, birthDate, sequence }) => {
				const result = parseResidentId(id, TODAY);
				expect(result.ok).toBe(true);
				if (result.ok) {
					expect(result.value.id).toBe(id);
					expect(result.value.birthDate).toBe(birthDate);
					expect(result.value.sex).toBe(sequence % 2 === 1 ? 'M' : 'F');
					expect(result.warnings).toEqual([]);
				}
			})
		);
	});

	test('no single-character substitution is ever accepted', () => {
		fc.assert(
			fc.property(
				validId,
				fc.integer({ min: 0, max: 17 }),
				fc.constantFrom(...'0123456789X'),
				({ id }, position, replacement) => {
					fc.pre(id.charAt(position) !== replacement);
					const typo = id.slice(0, position) + replacement + id.slice(position + 1);
					const result = parseResidentId(typo, TODAY);
					expect(result.ok).toBe(false);
				}
			),
			{ numRuns: 2000 }
		);
	});
});

describe('parseIdentityDocument', () => {
	test('resident_id delegates to the resident ID rules', () => {
		const ok = parseIdentityDocument('resident_id', '11010519491231002x', TODAY);
		expect(ok.ok && ok.value).toMatchObject({
			type: 'resident_id',
			number: '11010519491231002X',
			birthDate: '1949-12-31',
			sex: 'F'
		});
		const bad = parseIdentityDocument('resident_id', '110105194912310021', TODAY);
		expect(!bad.ok && bad.error.code).toBe('CHECKSUM');
	});

	test('a resident_id with a Hong Kong region suggests the residence permit type', () => {
		const result = parseIdentityDocument('resident_id', '810000198805210038', TODAY);
		expect(result.ok && result.warnings).toEqual([
			{ code: 'LOOKS_LIKE_HMT_RESIDENCE', region: '810000' }
		]);
	});

	test('hmt_residence needs the checksum and region 810000/820000/830000', () => {
		const hk = parseIdentityDocument('hmt_residence', '810000198805210038', TODAY);
		expect(hk.ok && hk.value).toMatchObject({ region: '810000', province: '香港特别行政区' });
		const tw = parseIdentityDocument('hmt_residence', '830000199001010020', TODAY);
		expect(tw.ok && tw.value.province).toBe('台湾');

		const mainland = parseIdentityDocument('hmt_residence', '11010519491231002X', TODAY);
		expect(!mainland.ok && mainland.error.code).toBe('REGION');
		const typo = parseIdentityDocument('hmt_residence', '810000198805210039', TODAY);
		expect(!typo.ok && typo.error.code).toBe('CHECKSUM');
	});

	test.each([
		['e12345678', true, 'E12345678'],
		[' K1234567 ', true, 'K1234567'],
		['A1234', true, 'A1234'],
		['A123', false, null],
		['A12345678901234567', false, null],
		['E1234-5678', false, null],
		['护照123456', false, null]
	])('passport %j → ok %s', (input, ok, number) => {
		const result = parseIdentityDocument('passport', input, TODAY);
		expect(result.ok).toBe(ok);
		if (result.ok) {
			expect(result.value).toEqual({
				type: 'passport',
				number,
				birthDate: null,
				sex: null,
				region: null,
				province: null
			});
		} else {
			expect(result.error.code).toBe('FORMAT');
		}
	});

	test('other documents: 2 to 40 characters after trimming', () => {
		expect(parseIdentityDocument('other', '  外国人永久居留证 123 ', TODAY)).toMatchObject({
			ok: true,
			value: { type: 'other', number: '外国人永久居留证 123' }
		});
		expect(parseIdentityDocument('other', ' 9 ', TODAY).ok).toBe(false);
		expect(parseIdentityDocument('other', 'x'.repeat(40), TODAY).ok).toBe(true);
		expect(parseIdentityDocument('other', 'x'.repeat(41), TODAY).ok).toBe(false);
	});
});

describe('maskIdNumber', () => {
	test('an 18-character ID keeps its first 4 and last 4', () => {
		expect(maskIdNumber('330106199003071236')).toBe('3301**********1236');
		expect(maskIdNumber('11010519491231002X', 'resident_id')).toBe('1101**********002X');
	});

	test('other documents keep only the last 4', () => {
		expect(maskIdNumber('E12345678', 'passport')).toBe('*****5678');
		expect(maskIdNumber('330106199003071236', 'other')).toBe('**************1236');
		expect(maskIdNumber('外国人永久居留证1234', 'other')).toBe('********1234');
	});

	test('numbers of 4 characters or fewer are fully masked', () => {
		expect(maskIdNumber('1234')).toBe('****');
		expect(maskIdNumber('')).toBe('');
	});
});
