import { describe, expect, it } from 'vitest';
import type { Claims } from '$lib/data/access';
import type { PermitView, SiteZone } from '$lib/data/permits';
import { DEFAULT_PERMIT_CHAINS } from '$lib/data/permits';
import type { PermitStatus } from '$lib/domain';
import {
	boardByZone,
	defaultUntil,
	instantOfLocal,
	siteLocalInput,
	tableOrder,
	waitsFor
} from './permit-view';

const zone = (id: string, name: string): SiteZone => ({
	schema: 1,
	id,
	siteId: 'S1',
	name,
	kind: 'work',
	requiresPermit: false,
	permitKinds: [],
	neighbours: [],
	updatedAt: '2026-01-01T00:00:00.000Z',
	updatedBy: 'x'
});

function view(
	id: string,
	zoneId: string,
	status: PermitStatus,
	validFrom: string,
	pendingRole: 'project_lead' | 'safety' | null = null
): PermitView {
	const chain = DEFAULT_PERMIT_CHAINS['confined_space']!;
	return {
		permit: { id, siteId: 'S1', zone: zoneId, validFrom } as PermitView['permit'],
		grade: 'single',
		raised: false,
		calendar: { timeZone: 'Asia/Shanghai' },
		facts: { gasTests: [], isolations: [] },
		chain,
		approval: {
			application: `permit:${id}`,
			worker: id,
			round: pendingRole ? validFrom : null,
			status: pendingRole ? 'pending' : 'approved',
			current: pendingRole ? (pendingRole === 'project_lead' ? 0 : 1) : null,
			steps: chain.steps.map((step, index) => ({
				step,
				index,
				since: validFrom,
				deadline: '2099-01-01T00:00:00.000Z',
				remindAt: null,
				decided: null,
				superseded: []
			})),
			forged: [],
			earlier: []
		},
		actions: [],
		timeline: { status, until: '2099-01-01T00:00:00.000Z', refusedExtensions: [], since: null }
	};
}

const safety: Claims = {
	iss: 'o',
	sub: 'safe1',
	role: 'staff',
	staffRole: 'safety',
	sites: ['S1'],
	jti: 'j',
	iat: 0,
	exp: 9e9
};

describe('the live board', () => {
	it('lists every zone, live permits only, active before suspended before scheduled', () => {
		const board = boardByZone(
			[
				view('p1', 'z1', 'scheduled', '2026-05-01T10:00:00.000Z'),
				view('p2', 'z1', 'active', '2026-05-01T12:00:00.000Z'),
				view('p3', 'z1', 'expired', '2026-05-01T01:00:00.000Z'),
				view('p4', 'z1', 'suspended', '2026-05-01T02:00:00.000Z'),
				view('p5', 'gone', 'active', '2026-05-01T02:00:00.000Z'),
				view('p6', 'z2', 'closed', '2026-05-01T02:00:00.000Z')
			],
			[zone('z1', 'A'), zone('z2', 'B')]
		);
		expect(board.map((z) => [z.zoneId, z.permits.map((p) => p.permit.id)])).toEqual([
			['z1', ['p2', 'p4', 'p1']],
			['z2', []],
			['gone', ['p5']]
		]);
		expect(board[2]!.zone).toBeNull();
	});
});

describe('the table order', () => {
	it('puts what waits for my signature first', () => {
		const views = [
			view('a', 'z1', 'active', '2026-05-02T00:00:00.000Z'),
			view('b', 'z1', 'pending', '2026-05-01T00:00:00.000Z', 'project_lead'),
			view('c', 'z1', 'pending', '2026-05-01T00:00:00.000Z', 'safety')
		];
		const now = new Date('2026-05-03T00:00:00.000Z');
		expect(waitsFor(safety, views[2]!, now)).toBe(true);
		expect(waitsFor(safety, views[1]!, now)).toBe(false);
		expect(waitsFor(null, views[2]!, now)).toBe(false);
		expect(tableOrder(views, safety, now).map((v) => v.permit.id)).toEqual(['c', 'b', 'a']);
	});
});

describe('site wall clock', () => {
	it('reads and writes datetime-local values on the site clock, whatever the device zone', () => {
		expect(siteLocalInput('2026-05-01T02:30:00.000Z', 'Asia/Shanghai')).toBe('2026-05-01T10:30');
		expect(instantOfLocal('2026-05-01T10:30', 'Asia/Shanghai')).toBe('2026-05-01T02:30:00.000Z');
		expect(instantOfLocal('2026-07-01T10:30', 'Europe/Berlin')).toBe('2026-07-01T08:30:00.000Z');
		expect(instantOfLocal('2026-01-01T10:30', 'Europe/Berlin')).toBe('2026-01-01T09:30:00.000Z');
		expect(instantOfLocal('not a time', 'Asia/Shanghai')).toBeNull();
		expect(siteLocalInput('nope', 'Asia/Shanghai')).toBe('');
	});
});

describe('the default window', () => {
	const cal = { timeZone: 'Asia/Shanghai', weekendsAreHolidays: false };
	it('is the grade’s longest validity', () => {
		// Tuesday 08:00 site time; 一级 hot work: 8 h, ends 16:00, no night.
		expect(defaultUntil('hot_work', 'first', '2026-05-05T00:00:00.000Z', cal)).toBe(
			'2026-05-05T08:00:00.000Z'
		);
		expect(defaultUntil('confined_space', 'single', '2026-05-05T00:00:00.000Z', cal)).toBe(
			'2026-05-06T00:00:00.000Z'
		);
	});
	it('is the raised grade’s when the longest window would reach the night', () => {
		// 二级 allows 72 h, which reaches the night: raised to 一级, 8 h.
		expect(defaultUntil('hot_work', 'second', '2026-05-05T00:00:00.000Z', cal)).toBe(
			'2026-05-05T08:00:00.000Z'
		);
	});
	it('is nothing for an unknown kind or grade', () => {
		expect(defaultUntil('nope', 'x', '2026-05-05T00:00:00.000Z', cal)).toBeNull();
		expect(defaultUntil('hot_work', 'x', '2026-05-05T00:00:00.000Z', cal)).toBeNull();
	});
});
