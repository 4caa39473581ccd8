// The relay's value check for the one non-record value: a relay's receive stamp.
import { describe, expect, it } from 'vitest';
import { checkRecordValue } from './registry';

const stamp = (value: unknown) =>
	checkRecordValue('events', { map: 'received', key: '01JATT', action: 'add', value })?.code ??
	null;

describe('checkRecordValue: events.received', () => {
	it('takes an ISO time, as a relay stamps it', () => {
		expect(stamp(new Date().toISOString())).toBeNull();
		expect(stamp('2026-03-01T08:00:00.000Z')).toBeNull();
	});

	it('refuses what Date.parse takes but is not an ISO time, and non-strings', () => {
		for (const value of [
			'March 1, 2026',
			'2026',
			'1',
			'Sun, 01 Mar 2026 08:00:00 GMT',
			'',
			5,
			null
		])
			expect(stamp(value)).toBe('INVALID_RECORD');
	});
});
