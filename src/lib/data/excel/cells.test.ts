// Cell parsing: dates as sheets write them, phones, blood types, the formula-injection guard.
import { describe, expect, it } from 'vitest';
import {
	escapeCell,
	parseBloodType,
	parseDate,
	parseDateRange,
	parsePhone,
	unescapeCell
} from './cells';

describe('escapeCell', () => {
	it('guards strings a spreadsheet would evaluate, with a leading apostrophe', () => {
		expect(escapeCell('=1+1')).toBe("'=1+1");
		expect(escapeCell('+cmd')).toBe("'+cmd");
		expect(escapeCell('-2')).toBe("'-2");
		expect(escapeCell('@SUM(A1)')).toBe("'@SUM(A1)");
		expect(escapeCell('\t=1')).toBe("'\t=1");
		expect(escapeCell('\r=1')).toBe("'\r=1");
	});

	it('leaves everything else alone, including a dash inside text and numbers', () => {
		expect(escapeCell('高处安装-维护')).toBe('高处安装-维护');
		expect(escapeCell('李 - 明')).toBe('李 - 明');
		expect(escapeCell('11010519491231002X')).toBe('11010519491231002X');
		expect(escapeCell(-2)).toBe(-2);
		expect(escapeCell(null)).toBe(null);
		expect(escapeCell('')).toBe('');
	});

	it('unescapes what it escaped, and only that', () => {
		for (const s of ['=1+1', '+cmd', '-2', '@SUM(A1)']) expect(unescapeCell(escapeCell(s))).toBe(s);
		expect(unescapeCell("'abc")).toBe("'abc");
	});
});

describe('parseDate', () => {
	it.each([
		['2021-03-05', '2021-03-05'],
		['2021/3/5', '2021-03-05'],
		['2021.03.05', '2021-03-05'],
		['2021年3月5日', '2021-03-05'],
		['２０２１年３月５日', '2021-03-05'],
		['20210305', '2021-03-05'],
		['2021-03-05 08:30:00', '2021-03-05'],
		['2021-02-30', null],
		['2021-13-01', null],
		['1021-01-01', null],
		['3/5/2021', null],
		['长期', null]
	])('%s → %s', (text, expected) => expect(parseDate(text)).toBe(expected));

	it('reads a plain number as an Excel serial, and 8 digits as a compact date', () => {
		expect(parseDate('44260', 44260)).toBe('2021-03-05');
		expect(parseDate('20210305', 20210305)).toBe('2021-03-05');
		expect(parseDate('2021', 2021)).toBe(null);
		expect(parseDate('42798', 42798, true)).toBe('2021-03-05');
	});

	it('reads a validity range', () => {
		expect(parseDateRange('2020.01.01-2026.01.01')).toEqual({
			from: '2020-01-01',
			to: '2026-01-01'
		});
		expect(parseDateRange('2020年1月1日至2026年1月1日')).toEqual({
			from: '2020-01-01',
			to: '2026-01-01'
		});
		expect(parseDateRange('2026-01-01')).toBe(null);
	});
});

describe('parsePhone', () => {
	it('keeps mainland mobiles as 11 digits', () => {
		expect(parsePhone('13800138000')).toBe('13800138000');
		expect(parsePhone('138 0013 8000')).toBe('13800138000');
		expect(parsePhone('+86 138-0013-8000')).toBe('13800138000');
		expect(parsePhone('８６１３８００１３８０００')).toBe('13800138000');
	});

	it('refuses numbers that look like mobiles but are not', () => {
		for (const bad of [
			'12345678901',
			'1380013800',
			'138001380001',
			'23800138000x',
			'abc',
			'1234567'
		]) {
			expect(parsePhone(bad)).toBe(null);
		}
	});

	it('accepts landlines loosely', () => {
		for (const ok of [
			'010-12345678',
			'0755 8888 6666',
			'021-12345678-123',
			'87654321',
			'400-810-8888',
			'+852 9123 4567',
			'+86 10 12345678'
		]) {
			expect(parsePhone(ok)).not.toBe(null);
		}
	});
});

describe('parseBloodType', () => {
	it.each([
		['A', { bloodType: 'A' }],
		['AB型', { bloodType: 'AB' }],
		['O型 RH阴性', { bloodType: 'O', rh: '-' }],
		['B+', { bloodType: 'B', rh: '+' }],
		['不详', { bloodType: 'unknown' }],
		['C', null]
	])('%s', (text, expected) => expect(parseBloodType(text)).toEqual(expected));
});
