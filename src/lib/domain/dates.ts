// Calendar-date arithmetic on plain 'YYYY-MM-DD' strings, and the site-local date of an instant.
// Rules compare calendar dates as the site sees them, never instants, so expiry never shifts by a time zone.

/** A calendar date, 'YYYY-MM-DD'. Fixed width, so string comparison orders dates correctly. */
export type IsoDate = string;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
// A date-time with no offset is read as site-local wall-clock time (see localDate).
const LOCAL_DATE_TIME_RE = /^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

interface Ymd {
	y: number;
	m: number;
	d: number;
}

function isLeapYear(y: number): boolean {
	return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
	if (m === 2) return isLeapYear(y) ? 29 : 28;
	return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function parse(date: string): Ymd | null {
	const match = DATE_RE.exec(date);
	if (!match) return null;
	const y = Number(match[1]);
	const m = Number(match[2]);
	const d = Number(match[3]);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
	return { y, m, d };
}

function parseOrThrow(date: string): Ymd {
	const ymd = parse(date);
	if (!ymd) throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
	return ymd;
}

function format({ y, m, d }: Ymd): IsoDate {
	return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm); pure integer
// arithmetic avoids the Date object's two-digit-year and host-time-zone quirks.
function toDayNumber({ y, m, d }: Ymd): number {
	const yy = m <= 2 ? y - 1 : y;
	const era = Math.floor(yy / 400);
	const yoe = yy - era * 400;
	const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
	const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
	return era * 146097 + doe - 719468;
}

function fromDayNumber(n: number): Ymd {
	const z = n + 719468;
	const era = Math.floor(z / 146097);
	const doe = z - era * 146097;
	const yoe = Math.floor(
		(doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365
	);
	const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
	const mp = Math.floor((5 * doy + 2) / 153);
	const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
	const m = mp < 10 ? mp + 3 : mp - 9;
	return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** True for a real calendar date written 'YYYY-MM-DD' (years 0001–9999). */
export function isValidDate(value: unknown): value is IsoDate {
	return typeof value === 'string' && parse(value) !== null;
}

export function addDays(date: IsoDate, days: number): IsoDate {
	return format(fromDayNumber(toDayNumber(parseOrThrow(date)) + Math.trunc(days)));
}

/** Adds calendar months; a day that does not exist in the target month clamps to its last day. */
export function addMonths(date: IsoDate, months: number): IsoDate {
	const { y, m, d } = parseOrThrow(date);
	const index = y * 12 + (m - 1) + Math.trunc(months);
	const ny = Math.floor(index / 12);
	const nm = index - ny * 12 + 1;
	return format({ y: ny, m: nm, d: Math.min(d, daysInMonth(ny, nm)) });
}

/** Adds calendar years with the same clamping: 2024-02-29 + 1 year = 2025-02-28. */
export function addYears(date: IsoDate, years: number): IsoDate {
	return addMonths(date, Math.trunc(years) * 12);
}

/** Whole days from `from` to `to`: positive when `to` is later. */
export function diffDays(from: IsoDate, to: IsoDate): number {
	return toDayNumber(parseOrThrow(to)) - toDayNumber(parseOrThrow(from));
}

/** The earlier of two dates. */
export function minDate(a: IsoDate, b: IsoDate): IsoDate {
	return a <= b ? a : b;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
	let formatter = formatters.get(timeZone);
	if (!formatter) {
		// Throws RangeError for an unknown zone, which is what a misconfigured site should see.
		formatter = new Intl.DateTimeFormat('en-US', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit'
		});
		formatters.set(timeZone, formatter);
	}
	return formatter;
}

/**
 * The calendar date at the site when `at` happened.
 * - a Date or an ISO string with an offset ('…Z', '…+08:00') is an instant, converted to `timeZone`;
 * - a plain 'YYYY-MM-DD' is already a site date and is returned as is;
 * - a date-time without offset is site wall-clock time (not the host's zone, which would make the
 *   result depend on the machine running the rule).
 */
export function localDate(at: Date | string, timeZone = 'Asia/Shanghai'): IsoDate {
	if (typeof at === 'string') {
		const trimmed = at.trim();
		if (DATE_RE.test(trimmed)) return format(parseOrThrow(trimmed));
		const local = LOCAL_DATE_TIME_RE.exec(trimmed);
		if (local) return format(parseOrThrow(local[1] ?? ''));
	}
	const instant = typeof at === 'string' ? new Date(at) : at;
	if (Number.isNaN(instant.getTime())) {
		throw new RangeError(`Not a date or instant: ${JSON.stringify(String(at))}`);
	}
	let y = '';
	let m = '';
	let d = '';
	for (const part of formatterFor(timeZone).formatToParts(instant)) {
		if (part.type === 'year') y = part.value;
		else if (part.type === 'month') m = part.value;
		else if (part.type === 'day') d = part.value;
	}
	return `${y.padStart(4, '0')}-${m}-${d}`;
}
