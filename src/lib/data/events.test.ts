import { describe, expect, it } from 'vitest';
import { EVENT_FUTURE_ALLOWANCE_MS, eventTimeRefusal } from './events';

const now = Date.parse('2026-11-29T08:00:00.000Z');
const iso = (ms: number) => new Date(now + ms).toISOString();
const add = (map: string, value: object) => ({ map, key: 'k', action: 'add', value });

describe('eventTimeRefusal: events dated ahead of the relay’s clock', () => {
	it('refuses pings, ticks, alerts and musters dated beyond the allowance; accepts the past', () => {
		const ahead = iso(EVENT_FUTURE_ALLOWANCE_MS + 1000);
		for (const map of ['pings', 'rollcall', 'alerts', 'alertActions'])
			expect(eventTimeRefusal('events', add(map, { at: ahead }), now)?.code, map).toBe(
				'INVALID_RECORD'
			);
		expect(
			eventTimeRefusal('events', add('musters', { startedAt: iso(0), endedAt: ahead }), now)
		).not.toBeNull();
		expect(eventTimeRefusal('events', add('pings', { at: iso(60_000) }), now)).toBeNull();
		// A phone offline for days syncs old pings: fine.
		expect(eventTimeRefusal('events', add('pings', { at: iso(-5 * 86_400_000) }), now)).toBeNull();
		expect(eventTimeRefusal('control', add('pings', { at: ahead }), now)).toBeNull();
		expect(
			eventTimeRefusal('events', { map: 'pings', key: 'k', action: 'delete' }, now)
		).toBeNull();
	});
});
