import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Presence } from './attendance';
import { ulid as newUlid } from 'ulid';

const T = Date.parse('2026-11-29T00:00:00.000Z');
function passage(workerId: string, direction: 'in' | 'out', minutes: number, extra = {}) {
	const id = newUlid(T + minutes * 60_000);
	return {
		schema: 1,
		id,
		siteId: 'S1',
		workerId,
		direction,
		at: new Date(T + minutes * 60_000).toISOString(),
		deviceId: 'gate-east',
		method: 'face',
		allow: true,
		reasons: [],
		...extra
	};
}

describe('Presence: each worker’s newest admitted passage', () => {
	it('reads a whole month on the first look: refused, corrupt and other sites’ records do not count', () => {
		const doc = new Y.Doc();
		const map = doc.getMap('attendance');
		const put = (p: { id: string }) => map.set(p.id, p);
		put(passage('a', 'in', 1));
		put(passage('a', 'out', 2, { allow: false, reasons: [{ code: 'X' }] }));
		put(passage('b', 'in', 1));
		put(passage('b', 'out', 3));
		put(passage('c', 'in', 1));
		// Newest for c is corrupt (direction unreadable) though it looks admitted: the slow path.
		put(passage('c', 'out', 4, { direction: 'sideways' }));
		put(passage('d', 'in', 5, { siteId: 'S2' }));
		// A key that does not match its record's id is not taken.
		const wrong = passage('e', 'in', 6);
		map.set(newUlid(T), wrong);
		const presence = new Presence('S1');
		presence.follow(doc);
		expect(
			presence
				.present()
				.map((p) => p.workerId)
				.sort()
		).toEqual(['a', 'c']);
		expect(presence.onSite('b')).toBe(false);
		expect(presence.last('d')).toBeUndefined();
		expect(presence.last('e')).toBeUndefined();
		expect(presence.last('c')?.direction).toBe('in');
	});

	it('follows later passages as they arrive, across two months in either order', () => {
		const nov = new Y.Doc();
		const dec = new Y.Doc();
		const enter = passage('a', 'in', 1);
		nov.getMap('attendance').set(enter.id, enter);
		const presence = new Presence('S1');
		presence.follow(dec);
		presence.follow(nov);
		expect(presence.onSite('a')).toBe(true);
		const leave = passage('a', 'out', 60 * 24 * 3);
		dec.getMap('attendance').set(leave.id, leave);
		expect(presence.onSite('a')).toBe(false);
		// An older passage arriving late (an offline gate) changes nothing.
		const late = passage('a', 'in', 30);
		nov.getMap('attendance').set(late.id, late);
		expect(presence.onSite('a')).toBe(false);
	});
});
