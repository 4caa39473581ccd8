// Cell-level parsing shared by import validation: text clean-up, dates typed in the ways Chinese
// spreadsheets write them, phone numbers, blood types, and the formula-injection guard.
import { isValidDate, addDays, type IsoDate } from '../../domain';

/** Whitespace Excel users leave around values, including the ideographic space and NBSP. */
export function cleanText(value: string | null | undefined): string | null {
	if (value === null || value === undefined) return null;
	const text = unescapeCell(value.replace(/^[\s\u3000\u00a0\ufeff]+|[\s\u3000\u00a0]+$/g, ''));
	return text === '' ? null : text;
}

/** NFKC turns full-width digits, letters and brackets ('１２Ｘ', '（') into ASCII ones. */
export function halfWidth(value: string): string {
	return value.normalize('NFKC');
}

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Formula-injection guard (OWASP "CSV injection"): a string starting with = + - @ tab or CR gets a
 * leading apostrophe so a spreadsheet shows it as text and never evaluates it. Numbers and null
 * pass unchanged.
 */
export function escapeCell<T extends string | number | null | undefined>(value: T): T {
	if (typeof value === 'string' && FORMULA_START.test(value)) return `'${value}` as T;
	return value;
}

/** Reverses `escapeCell`, so a sheet this module exported imports back unchanged. */
export function unescapeCell(value: string): string {
	return value.length > 1 && value.startsWith("'") && FORMULA_START.test(value.slice(1))
		? value.slice(1)
		: value;
}

/** What Excel shows for a long number typed into a General cell, e.g. '1.10105E+17'. */
export const SCIENTIFIC_NUMBER = /^[+-]?\d+(\.\d+)?E\+?\d+$/i;

/** Numbers at or above this cannot hold an 18-digit ID: Excel keeps 15 significant digits. */
export const PRECISION_LIMIT = 1e15;

const EXCEL_EPOCH_1900: IsoDate = '1899-12-30';
const EXCEL_EPOCH_1904: IsoDate = '1904-01-01';

/** Excel serial day number (integer part) to a calendar date. */
export function excelSerialToDate(serial: number, date1904 = false): IsoDate | null {
	// 10000..80000 is 1927..2119: a smaller number is a year or a typo, not a date.
	if (!Number.isFinite(serial) || serial < 10000 || serial > 80000) return null;
	return addDays(date1904 ? EXCEL_EPOCH_1904 : EXCEL_EPOCH_1900, Math.floor(serial));
}

const YMD = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TOKEN = /(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)/g;

function ymd(y: string, m: string, d: string): IsoDate | null {
	if (Number(y) < 1900 || Number(y) > 2199) return null;
	const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
	return isValidDate(iso) ? iso : null;
}

/**
 * A date cell: 'YYYY-MM-DD' (as the reader writes date cells), 'YYYY/M/D', 'YYYY.M.D',
 * 'YYYY年M月D日', 'YYYYMMDD', optionally followed by a time; or an Excel serial when the cell held a
 * plain number. Returns null for anything else, including impossible dates such as 2023-02-30.
 */
export function parseDate(text: string, serial?: number, date1904 = false): IsoDate | null {
	if (serial !== undefined && !/^\d{8}$/.test(text)) return excelSerialToDate(serial, date1904);
	const compact = halfWidth(text)
		.replace(/\s+/g, ' ')
		.trim()
		.replace(/[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/, '')
		.replace(/\s/g, '');
	const m = YMD.exec(compact) ?? COMPACT.exec(compact);
	return m ? ymd(m[1]!, m[2]!, m[3]!) : null;
}

/**
 * A validity written as a range ('2020.01.01-2026.01.01', '2020年1月1日至2026年1月1日'): both
 * ends, or null when the text holds other than exactly two dates.
 */
export function parseDateRange(text: string): { from: IsoDate | null; to: IsoDate | null } | null {
	const found = [...halfWidth(text).replace(/\s/g, '').matchAll(DATE_TOKEN)];
	if (found.length !== 2) return null;
	const [a, b] = found.map((m) => (m[1] ? ymd(m[1], m[2]!, m[3]!) : ymd(m[4]!, m[5]!, m[6]!))) as [
		IsoDate | null,
		IsoDate | null
	];
	return { from: a, to: b };
}

const MOBILE = /^1[3-9]\d{9}$/;
const EXTENSION = /\s*(?:-|转|分机|ext\.?|x)\s*\d{1,6}$/i;

function landline(digits: string, plus86: boolean): boolean {
	return (
		/^0[1-9]\d{1,2}\d{7,8}$/.test(digits) ||
		/^[2-9]\d{6,7}$/.test(digits) ||
		/^[48]00\d{7}$/.test(digits) ||
		// +86 landline written without the trunk 0 (+86 10 12345678).
		(plus86 && /^[1-9]\d{1,2}\d{7,8}$/.test(digits))
	);
}

/**
 * Mainland mobiles must be 1[3-9] plus 9 digits (a +86/0086 prefix is dropped) and are stored as
 * 11 digits. Landlines are accepted loosely: area code with 0 and 7–8 digits, a 7–8 digit local
 * number, 400/800 numbers, an extension, or a non-mainland international number.
 */
export function parsePhone(input: string): string | null {
	const text = halfWidth(input).trim();
	const compact = (t: string) => t.replace(/[\s\-()]/g, '');
	const all = compact(text);
	const plus86 = /^(\+86|0086)/.test(all);
	const national = (d: string) =>
		plus86 ? d.replace(/^(\+86|0086)/, '') : /^86\d{11}$/.test(d) ? d.slice(2) : d;
	const digits = national(all);
	if (MOBILE.test(digits)) return digits;
	if (!plus86 && all.startsWith('+')) {
		return /^\+[1-9]\d{6,14}$/.test(compact(text.replace(EXTENSION, ''))) ||
			/^\+[1-9]\d{6,14}$/.test(all)
			? text
			: null;
	}
	if (/^\d+$/.test(digits) && landline(digits, plus86)) return text;
	const base = national(compact(text.replace(EXTENSION, '')));
	return base !== digits && /^\d+$/.test(base) && landline(base, plus86) ? text : null;
}

export type BloodType = 'A' | 'B' | 'AB' | 'O' | 'unknown';
export type Rh = '+' | '-' | 'unknown';

/** 'A', 'AB型', 'O型 RH阴性', 'B+', '不详' → blood type and Rh; null when unrecognisable. */
export function parseBloodType(input: string): { bloodType: BloodType; rh?: Rh } | null {
	const text = halfWidth(input)
		.toUpperCase()
		.replace(/\s|血型|型|血/g, '');
	if (/^(不详|未知|UNKNOWN|不清楚|未测)$/.test(text)) return { bloodType: 'unknown' };
	const m = /^(AB|A|B|O)(.*)$/.exec(text);
	if (!m) return null;
	const bloodType = m[1] as BloodType;
	const rest = m[2]!.replace(/^RH/, '').replace(/[()]/g, '');
	if (rest === '') return { bloodType };
	if (/^(\+|阳性|阳|POSITIVE|POS)$/.test(rest)) return { bloodType, rh: '+' };
	if (/^(-|阴性|阴|NEGATIVE|NEG)$/.test(rest)) return { bloodType, rh: '-' };
	return null;
}
