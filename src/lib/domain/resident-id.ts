// Identity document numbers: the resident ID (居民身份证, GB 11643-1999), the HK/Macao/Taiwan
// residence permit (港澳台居民居住证), passports and other documents — parsing, checks and masking.

import { diffDays, isValidDate, localDate, type IsoDate } from './dates';

export type IdentityDocumentType = 'resident_id' | 'hmt_residence' | 'passport' | 'other';

export const IDENTITY_DOCUMENT_TYPES: readonly IdentityDocumentType[] = [
	'resident_id',
	'hmt_residence',
	'passport',
	'other'
];

/**
 * Province-level codes (first two digits of GB/T 2260 region codes), with the zh name as data.
 * 83 is not a province: it is the region used by residence permits of Taiwan residents.
 */
export const PROVINCE_CODES: Readonly<Record<string, string>> = {
	'11': '北京市',
	'12': '天津市',
	'13': '河北省',
	'14': '山西省',
	'15': '内蒙古自治区',
	'21': '辽宁省',
	'22': '吉林省',
	'23': '黑龙江省',
	'31': '上海市',
	'32': '江苏省',
	'33': '浙江省',
	'34': '安徽省',
	'35': '福建省',
	'36': '江西省',
	'37': '山东省',
	'41': '河南省',
	'42': '湖北省',
	'43': '湖南省',
	'44': '广东省',
	'45': '广西壮族自治区',
	'46': '海南省',
	'50': '重庆市',
	'51': '四川省',
	'52': '贵州省',
	'53': '云南省',
	'54': '西藏自治区',
	'61': '陕西省',
	'62': '甘肃省',
	'63': '青海省',
	'64': '宁夏回族自治区',
	'65': '新疆维吾尔自治区',
	'71': '台湾省',
	'81': '香港特别行政区',
	'82': '澳门特别行政区',
	'83': '台湾'
};

/** Regions a 港澳台居民居住证 number must carry (Hong Kong, Macao, Taiwan). */
export const HMT_RESIDENCE_REGIONS: readonly string[] = ['810000', '820000', '830000'];

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
// Birth dates before this are treated as typing errors rather than very old workers.
const EARLIEST_BIRTH_DATE = '1900-01-01';

export interface ResidentId {
	/** Normalised: trimmed, check character upper-case. */
	id: string;
	/** 6-digit administrative region code (行政区划代码) at the time of issue. */
	region: string;
	/** zh name of the province-level region, or null when the code is not in PROVINCE_CODES. */
	province: string | null;
	birthDate: IsoDate;
	/** From the sequence code (顺序码): odd = male. */
	sex: 'M' | 'F';
}

export type IdWarning =
	| { code: 'REGION_UNKNOWN'; region: string }
	/** A resident_id entered with an 81/82/83 region is most likely a residence permit. */
	| { code: 'LOOKS_LIKE_HMT_RESIDENCE'; region: string };

export type IdErrorCode = 'FORMAT' | 'CHECKSUM' | 'DATE' | 'REGION';

export interface IdError<C extends IdErrorCode = IdErrorCode> {
	code: C;
	/** Developer message in English; the UI translates by `code`. */
	message: string;
}

export type IdParseResult<T, C extends IdErrorCode = IdErrorCode> =
	{ ok: true; value: T; warnings: IdWarning[] } | { ok: false; error: IdError<C> };

/** The 18th character for 17 leading digits (ISO 7064 MOD 11-2 as used by GB 11643-1999). */
export function residentIdCheckChar(first17: string): string {
	if (!/^\d{17}$/.test(first17)) {
		throw new RangeError('residentIdCheckChar expects exactly 17 digits');
	}
	let sum = 0;
	for (let i = 0; i < 17; i++) sum += Number(first17.charAt(i)) * (WEIGHTS[i] ?? 0);
	return CHECK_CHARS.charAt(sum % 11);
}

function fail<C extends IdErrorCode>(code: C, message: string): { ok: false; error: IdError<C> } {
	return { ok: false, error: { code, message } };
}

/**
 * Parses an 18-character resident ID number. `today` (site-local date or instant, default now)
 * bounds the birth date; an unknown region is a warning because region codes change over time.
 * First-generation 15-digit numbers are rejected: those cards stopped being valid in 2013.
 */
export function parseResidentId(
	input: string,
	today: IsoDate | Date = new Date()
): IdParseResult<ResidentId, 'FORMAT' | 'CHECKSUM' | 'DATE'> {
	const id = input.trim().toUpperCase();
	if (!/^\d{17}[\dX]$/.test(id)) {
		return fail('FORMAT', 'expected 17 digits followed by a digit or X');
	}
	if (residentIdCheckChar(id.slice(0, 17)) !== id.charAt(17)) {
		return fail('CHECKSUM', 'check character does not match');
	}
	const birthDate = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
	if (!isValidDate(birthDate)) return fail('DATE', 'birth date is not a calendar date');
	if (birthDate < EARLIEST_BIRTH_DATE) return fail('DATE', 'birth date is before 1900');
	if (diffDays(localDate(today), birthDate) > 0) return fail('DATE', 'birth date is in the future');

	const region = id.slice(0, 6);
	const province = PROVINCE_CODES[id.slice(0, 2)] ?? null;
	const warnings: IdWarning[] = province === null ? [{ code: 'REGION_UNKNOWN', region }] : [];
	const sex = Number(id.charAt(16)) % 2 === 1 ? 'M' : 'F';
	return { ok: true, value: { id, region, province, birthDate, sex }, warnings };
}

export interface IdentityDocument {
	type: IdentityDocumentType;
	/** Normalised number as stored. */
	number: string;
	/** Known only for the 18-digit documents. */
	birthDate: IsoDate | null;
	sex: 'M' | 'F' | null;
	region: string | null;
	province: string | null;
}

/** Validates a document number of the given type and normalises it for storage. */
export function parseIdentityDocument(
	type: IdentityDocumentType,
	input: string,
	today: IsoDate | Date = new Date()
): IdParseResult<IdentityDocument> {
	const trimmed = input.trim();
	switch (type) {
		case 'resident_id':
		case 'hmt_residence': {
			const parsed = parseResidentId(trimmed, today);
			if (!parsed.ok) return parsed;
			const { id, region, province, birthDate, sex } = parsed.value;
			const isHmtRegion = HMT_RESIDENCE_REGIONS.includes(region);
			if (type === 'hmt_residence' && !isHmtRegion) {
				return fail('REGION', 'residence permit region must be 810000, 820000 or 830000');
			}
			const warnings: IdWarning[] =
				type === 'resident_id' && isHmtRegion
					? [...parsed.warnings, { code: 'LOOKS_LIKE_HMT_RESIDENCE', region }]
					: parsed.warnings;
			return {
				ok: true,
				value: { type, number: id, birthDate, sex, region, province },
				warnings
			};
		}
		case 'passport': {
			const number = trimmed.toUpperCase();
			if (!/^[A-Z0-9]{5,17}$/.test(number)) {
				return fail('FORMAT', 'passport number must be 5-17 letters or digits');
			}
			return { ok: true, value: blankDocument(type, number), warnings: [] };
		}
		case 'other': {
			const length = Array.from(trimmed).length;
			if (length < 2 || length > 40) {
				return fail('FORMAT', 'document number must be 2-40 characters');
			}
			return { ok: true, value: blankDocument(type, trimmed), warnings: [] };
		}
	}
}

function blankDocument(type: IdentityDocumentType, number: string): IdentityDocument {
	return { type, number, birthDate: null, sex: null, region: null, province: null };
}

/**
 * Masks a document number for roles that need not see it: an 18-character ID keeps its first 4
 * (region, not identifying on its own) and last 4; other numbers keep only the last 4; numbers of 4
 * characters or fewer are fully masked, since "the last 4" would be all of it.
 */
export function maskIdNumber(id: string, type?: IdentityDocumentType): string {
	const chars = Array.from(id.trim());
	const eighteenDigit = type === undefined || type === 'resident_id' || type === 'hmt_residence';
	if (eighteenDigit && chars.length === 18) {
		return chars.slice(0, 4).join('') + '*'.repeat(10) + chars.slice(14).join('');
	}
	if (chars.length <= 4) return '*'.repeat(chars.length);
	return '*'.repeat(chars.length - 4) + chars.slice(-4).join('');
}
