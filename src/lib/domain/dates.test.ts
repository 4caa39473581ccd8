// Tests for calendar-date helpers: validity, month-end clamping, and the site-local date of an instant.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { addDays, addMonths, addYears, diffDays, isValidDate, localDate, minDate } from './dates';

describe('isValidDate', () => {
	test.each([
		['2026-06-15', true],
		['2024-02-29', true],
		['2000-02-29', true],
		['1900-02-29', false],
		['2023-02-29', false],
		['2026-04-31', false],
		['2026-13-01', false],
		['2026-00-10', false],
		['2026-6-15', false],
		['2026-06-15T00:00:00Z', false],
		[' 2026-06-15', false],
		['', false]
	])('%s → %s', (value, expected) => {
		expect(isValidDate(value)).toBe(expected);
	});

	test('rejects non-strings', () => {
		expect(isValidDate(20260615)).toBe(false);
		expect(isValidDate(null)).toBe(false);
		expect(isValidDate(new Date())).toBe(false);
	});
});

describe('date arithmetic', () => {
	test('addDays crosses month, year and leap-day boundaries', () => {
		expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
		expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
		expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
		expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
		expect(addDays('2026-06-15', -30)).toBe('2026-05-16');
	});

	test('addMonths clamps to the last day of a shorter month', () => {
		expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
		expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
		expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
		expect(addMonths('2026-11-15', 3)).toBe('2027-02-15');
		expect(addMonths('2026-01-15', -1)).toBe('2025-12-15');
		expect(addMonths('2026-09-30', -3)).toBe('2026-06-30');
	});

	test('addYears clamps 29 February in common years', () => {
		expect(addYears('2024-02-29', 1)).toBe('2025-02-28');
		expect(addYears('2024-02-29', 4)).toBe('2028-02-29');
		expect(addYears('2020-03-15', 6)).toBe('2026-03-15');
	});

	test('diffDays is signed: positive when the second date is later', () => {
		expect(diffDays('2026-06-15', '2026-06-25')).toBe(10);
		expect(diffDays('2026-06-25', '2026-06-15')).toBe(-10);
		expect(diffDays('2024-01-01', '2025-01-01')).toBe(366);
		expect(diffDays('2026-06-15', '2026-06-15')).toBe(0);
	});

	test('minDate returns the earlier date', () => {
		expect(minDate('2026-06-15', '2025-12-31')).toBe('2025-12-31');
		expect(minDate('2025-01-01', '2025-01-02')).toBe('2025-01-01');
	});

	test('invalid dates throw instead of producing nonsense', () => {
		expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
		expect(() => addMonths('not a date', 1)).toThrow(RangeError);
		expect(() => diffDays('2026-06-15', '2026/06/16')).toThrow(RangeError);
	});

	test('addDays and diffDays agree with the UTC calendar of Date (property)', () => {
		const day = 86_400_000;
		const from1900 = Date.UTC(1900, 0, 1);
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 73_000 }),
				fc.integer({ min: -20_000, max: 20_000 }),
				(offset, delta) => {
					const start = new Date(from1900 + offset * day).toISOString().slice(0, 10);
					const expected = new Date(from1900 + (offset + delta) * day).toISOString().slice(0, 10);
					expect(addDays(start, delta)).toBe(expected);
					expect(diffDays(start, expected)).toBe(delta);
				}
			)
		);
	});
});

describe('localDate', () => {
	test('an instant after 16:00Z is already the next day in Shanghai', () => {
		expect(localDate('2026-12-01T16:30:00Z')).toBe('2026-12-02');
		expect(localDate('2026-12-01T15:59:59Z')).toBe('2026-12-01');
		expect(localDate(new Date('2026-12-01T16:30:00Z'))).toBe('2026-12-02');
	});

	test('the site time zone is honoured', () => {
		expect(localDate('2026-12-01T16:30:00Z', 'UTC')).toBe('2026-12-01');
		expect(localDate('2026-12-01T03:00:00Z', 'America/Los_Angeles')).toBe('2026-11-30');
		expect(localDate('2026-12-01T23:30:00+08:00')).toBe('2026-12-01');
	});

	test('a plain date is already site-local and passes through', () => {
		expect(localDate('2026-12-01')).toBe('2026-12-01');
		expect(localDate('2026-12-01', 'America/Los_Angeles')).toBe('2026-12-01');
	});

	test('a date-time without offset is site wall-clock time, not the host zone', () => {
		expect(localDate('2026-12-01T23:30')).toBe('2026-12-01');
		expect(localDate('2026-12-01T00:10:00', 'America/Los_Angeles')).toBe('2026-12-01');
	});

	test('garbage throws', () => {
		expect(() => localDate('yesterday')).toThrow(RangeError);
		expect(() => localDate('2026-02-30')).toThrow(RangeError);
		expect(() => localDate(new Date(Number.NaN))).toThrow(RangeError);
		expect(() => localDate('2026-06-15T00:00:00Z', 'Mars/Olympus')).toThrow(RangeError);
	});
});
