// The emergency muster's records and list: who is listed, statuses from ticks and gates, the order
// (people to find first), leads, health by role, and the same list on every device.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { GeoZone } from '../domain';
import type { Claims, OrgView } from './access';
import { Presence } from './attendance';
import { eventsDoc } from './documents';
import { newUlid } from './event-commands';
import {
	activeMuster,
	endMuster,
	latestMarks,
	markRollCall,
	musters,
	musterView,
	pingsAt,
	presenceAt,
	RollCall,
	startMuster,
	type Muster,
	type MusterInput
} from './muster';

const claims = (c: Partial<Claims> & Pick<Claims, 'role' | 'sub'>): Claims => ({
	iss: 'org1',
	jti: `j-${c.sub}`,
	iat: 0,
	exp: 4102444800,
	...c
});
const orgView: OrgView = { contractorSites: (c) => ({ C1: ['S1'], C2: ['S1'] })[c] };
const staff = (sub: string) => ({
	claims: claims({ role: 'staff', sub, staffRole: 'safety', sites: ['S1'] }),
	org: orgView
});
const A = staff('uA');
const B = staff('uB');
const EV = eventsDoc('S1', '2026-11');
const T = (hhmm: string) => new Date(`2026-11-20T${hhmm}:00.000Z`);

const zones: GeoZone[] = [
	{
		id: 'z-pit',
		name: '基坑',
		kind: 'danger',
		area: [
			[31.0, 121.0],
			[31.0, 121.001],
			[31.001, 121.001],
			[31.001, 121.0]
		],
		requiresPermit: true,
		permitKinds: []
	},
	{
		id: 'z-yard',
		name: '钢筋加工场',
		kind: 'work',
		area: [
			[31.002, 121.0],
			[31.002, 121.001],
			[31.003, 121.001],
			[31.003, 121.0]
		],
		requiresPermit: false,
		permitKinds: []
	}
];
const PIT: [number, number] = [31.0005, 121.0005];
const YARD: [number, number] = [31.0025, 121.0005];

function orgDoc(): Y.Doc {
	const org = new Y.Doc();
	const at = T('00:00').toISOString();
	const c = (id: string, name: string, contactName: string, contactPhone: string) => ({
		schema: 1,
		id,
		name,
		contactName,
		contactPhone,
		sites: ['S1'],
		createdAt: at
	});
	org.getMap('contractors').set('C1', c('C1', '华东焊接', '王队长', '13800000001'));
	org.getMap('contractors').set('C2', c('C2', '安达起重', '李经理', '13800000002'));
	return org;
}

function contractorDocFor(cid: string, people: [string, string][]): Y.Doc {
	const doc = new Y.Doc();
	const at = T('00:00').toISOString();
	for (const [id, name] of people) {
		doc.getMap('workers').set(id, {
			schema: 2,
			id,
			contractorId: cid,
			name,
			docType: 'passport',
			docNumber: `P${id}`,
			phone: `139${id.padStart(8, '0').slice(-8)}`,
			trade: '焊工',
			createdAt: at,
			updatedAt: at
		});
		doc.getMap('health').set(id, {
			schema: 1,
			workerId: id,
			bloodType: 'O',
			rh: '+',
			allergies: '青霉素',
			updatedAt: at
		});
		doc.getMap('emergency').set(id, {
			schema: 1,
			workerId: id,
			name: `${name}家属`,
			relation: '配偶',
			phone: '13700000000',
			updatedAt: at
		});
	}
	return doc;
}

function pass(doc: Y.Doc, workerId: string, direction: 'in' | 'out', at: Date, allow = true) {
	const id = newUlid(at.getTime());
	doc.getMap('attendance').set(id, {
		schema: 1,
		id,
		siteId: 'S1',
		workerId,
		direction,
		at: at.toISOString(),
		deviceId: 'gate-1',
		method: 'qr',
		allow,
		reasons: []
	});
}

function ping(doc: Y.Doc, workerId: string, [lat, lng]: [number, number], at: Date) {
	const id = newUlid(at.getTime());
	doc.getMap('pings').set(id, { schema: 1, id, workerId, at: at.toISOString(), lat, lng });
}

const sync = (from: Y.Doc, to: Y.Doc) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from));

/** A device: its events replica, a Presence following it, and the rest it holds. */
function device(events = new Y.Doc()) {
	const presence = new Presence('S1');
	presence.follow(events);
	return { events, presence };
}

const org = orgDoc();
const contractors = new Map([
	[
		'C1',
		contractorDocFor('C1', [
			['w1', '张伟'],
			['w2', '刘洋'],
			['w3', '陈静']
		])
	],
	[
		'C2',
		contractorDocFor('C2', [
			['w4', '孙磊'],
			['w5', '周强']
		])
	]
]);

function input(
	d: ReturnType<typeof device>,
	muster: Muster | null,
	over: Partial<MusterInput> = {}
): MusterInput {
	return {
		muster,
		musterDoc: muster ? d.events : null,
		presence: d.presence,
		pings: new Map(),
		zones,
		contractors,
		org,
		claims: A.claims,
		now: T('10:30'),
		...over
	};
}

const statuses = (v: ReturnType<typeof musterView>) =>
	Object.fromEntries(v.rows.map((r) => [r.workerId, r.status]));

describe('starting and ending', () => {
	it('starts with the roster the device sees, is the active one until ended, and keeps its record', () => {
		const d = device();
		pass(d.events, 'w1', 'in', T('08:00'));
		pass(d.events, 'w2', 'in', T('08:05'));
		pass(d.events, 'w3', 'in', T('08:10'));
		pass(d.events, 'w3', 'out', T('09:00'));
		pass(d.events, 'w4', 'in', T('08:20'), false); // refused: never entered
		const roster = d.presence.present().map((p) => p.workerId);
		const m = startMuster(
			d.events,
			EV,
			A,
			{
				siteId: 'S1',
				drill: true,
				reason: '季度演练',
				roster: [...roster, 'w1'],
				byName: '安全员甲'
			},
			T('10:00')
		);
		expect(m.roster).toEqual(['w1', 'w2']);
		expect(activeMuster([d.events])?.muster.id).toBe(m.id);
		const ended = endMuster(d.events, EV, B, m.id, '安全员乙', T('10:40'));
		expect(ended).toMatchObject({ endedBy: 'uB', endedByName: '安全员乙', roster: ['w1', 'w2'] });
		// Ending again keeps the first end.
		expect(endMuster(d.events, EV, A, m.id, '安全员甲', T('11:00')).endedBy).toBe('uB');
		expect(activeMuster([d.events])).toBeNull();
		expect(musters(d.events).map((x) => x.id)).toEqual([m.id]);
	});

	it('a tick is in the ticker’s own name', () => {
		const d = device();
		const m = startMuster(
			d.events,
			EV,
			A,
			{ siteId: 'S1', drill: false, reason: '', roster: ['w1'], byName: '甲' },
			T('10:00')
		);
		const mark = markRollCall(
			d.events,
			EV,
			B,
			{ musterId: m.id, workerId: 'w1', status: 'accounted', byName: '乙' },
			T('10:05')
		);
		expect(mark).toMatchObject({ by: 'uB', byName: '乙', workerId: 'w1' });
	});
});

describe('who is listed and their status', () => {
	function scene() {
		const d = device();
		pass(d.events, 'w1', 'in', T('08:00'));
		pass(d.events, 'w2', 'in', T('08:05'));
		pass(d.events, 'w4', 'in', T('08:30'));
		const m = startMuster(
			d.events,
			EV,
			A,
			{
				siteId: 'S1',
				drill: false,
				reason: '氨气泄漏',
				roster: d.presence.present().map((p) => p.workerId),
				byName: '甲'
			},
			T('10:00')
		);
		return { d, m };
	}

	it('adds a late-synced entry, marks exits after the start (and late-synced exits before it) as exited', () => {
		const { d, m } = scene();
		// A gate that was offline: w3 entered at 09:00 (before the start), w5 during the muster.
		const gate = new Y.Doc();
		pass(gate, 'w3', 'in', T('09:00'));
		pass(gate, 'w5', 'in', T('10:10'));
		// w2 left at 10:05 through the gate; w4's exit at 09:50 reached this device only now.
		pass(gate, 'w2', 'out', T('10:05'));
		pass(gate, 'w4', 'out', T('09:50'));
		sync(gate, d.events);
		const v = musterView(input(d, m));
		expect(statuses(v)).toEqual({
			w1: 'unaccounted',
			w3: 'unaccounted',
			w5: 'unaccounted',
			w2: 'exited',
			w4: 'exited'
		});
		const byId = new Map(v.rows.map((r) => [r.workerId, r]));
		expect(byId.get('w3')!.onRoster).toBe(false);
		expect(byId.get('w1')!.onRoster).toBe(true);
		expect(v.counts).toMatchObject({ total: 5, unaccounted: 3, exited: 2, accounted: 0 });
		expect(byId.get('w1')).toMatchObject({
			name: '张伟',
			contractorName: '华东焊接',
			phone: '139000000w1',
			health: { bloodType: 'O', rh: '+', allergies: '青霉素' },
			emergency: { name: '张伟家属', relation: '配偶', phone: '13700000000' }
		});
	});

	it('the latest tick wins, the same-time tie goes to the larger id on both devices, and cleared undoes', () => {
		const { d, m } = scene();
		const other = device();
		sync(d.events, other.events);
		markRollCall(
			d.events,
			EV,
			A,
			{ musterId: m.id, workerId: 'w1', status: 'missing', byName: '甲' },
			T('10:02')
		);
		const late = markRollCall(
			other.events,
			EV,
			B,
			{ musterId: m.id, workerId: 'w1', status: 'accounted', byName: '乙' },
			T('10:03')
		);
		// Same millisecond on both devices: ids decide.
		const a = markRollCall(
			d.events,
			EV,
			A,
			{ musterId: m.id, workerId: 'w2', status: 'accounted', byName: '甲' },
			T('10:04')
		);
		const b = markRollCall(
			other.events,
			EV,
			B,
			{ musterId: m.id, workerId: 'w2', status: 'absent', byName: '乙' },
			T('10:04')
		);
		const winner = a.id > b.id ? a : b;
		// w4: ticked, then the tick taken back.
		markRollCall(
			d.events,
			EV,
			A,
			{ musterId: m.id, workerId: 'w4', status: 'accounted', byName: '甲' },
			T('10:05')
		);
		markRollCall(
			d.events,
			EV,
			A,
			{ musterId: m.id, workerId: 'w4', status: 'cleared', byName: '甲' },
			T('10:06')
		);
		sync(d.events, other.events);
		sync(other.events, d.events);
		for (const dev of [d, other]) {
			const v = musterView(input(dev, m));
			const byId = new Map(v.rows.map((r) => [r.workerId, r]));
			expect(byId.get('w1')!.mark!.id).toBe(late.id);
			expect(byId.get('w1')).toMatchObject({ status: 'accounted', mark: { byName: '乙' } });
			expect(byId.get('w2')!.mark!.id).toBe(winner.id);
			expect(byId.get('w4')!.status).toBe('unaccounted');
		}
	});

	it('a tick made after the end still counts, flagged late; an ended muster lists who was in then', () => {
		const { d, m } = scene();
		pass(d.events, 'w5', 'in', T('10:10'));
		pass(d.events, 'w2', 'out', T('10:20'));
		const ended = endMuster(d.events, EV, A, m.id, '甲', T('10:30'));
		// An offline device that did not know it had ended.
		markRollCall(
			d.events,
			EV,
			B,
			{ musterId: m.id, workerId: 'w4', status: 'accounted', byName: '乙' },
			T('10:35')
		);
		// Later that day people come and go. The ended muster's list does not move.
		pass(d.events, 'w5', 'out', T('12:00'));
		pass(d.events, 'w2', 'in', T('13:00'));
		pass(d.events, 'w3', 'in', T('13:00'));
		const asOf = presenceAt([d.events], 'S1', ended.endedAt!);
		const v = musterView(input(d, ended, { presence: asOf, now: T('14:00') }));
		expect(statuses(v)).toEqual({
			w1: 'unaccounted',
			w5: 'unaccounted',
			w2: 'exited',
			w4: 'accounted'
		});
		expect(v.rows.find((r) => r.workerId === 'w4')!.lateMark).toBe(true);
		// Read with who is in now, the same muster would lose w5 and call w2 unaccounted.
		const live = musterView(input(d, ended, { now: T('14:00') }));
		expect(statuses(live)).toEqual({ w1: 'unaccounted', w2: 'unaccounted', w4: 'accounted' });
	});

	it('health data only for roles that may read it', () => {
		const { d, m } = scene();
		const contractorC2 = claims({ role: 'contractor', sub: 'k2', contractor: 'C2' });
		const v = musterView(input(d, m, { claims: contractorC2 }));
		const byId = new Map(v.rows.map((r) => [r.workerId, r]));
		expect(byId.get('w1')!.health).toBeNull();
		expect(byId.get('w4')!.health).toMatchObject({ bloodType: 'O' });
		expect(byId.get('w1')!.emergency).not.toBeNull();
		const gate = claims({ role: 'gate', sub: 'g1', sites: ['S1'] });
		expect(musterView(input(d, m, { claims: gate })).rows.every((r) => r.health === null)).toBe(
			true
		);
	});
});

describe('order, groups and leads', () => {
	it('puts people to find first, zones with most to find first, unknown zone last, leads by who is missing', () => {
		const d = device();
		for (const w of ['w1', 'w2', 'w3', 'w4', 'w5']) pass(d.events, w, 'in', T('08:00'));
		ping(d.events, 'w1', PIT, T('09:50'));
		ping(d.events, 'w2', PIT, T('09:51'));
		ping(d.events, 'w4', YARD, T('09:52'));
		ping(d.events, 'w5', YARD, T('09:53'));
		// w3's only ping is from before today's entry: another visit, not where they are.
		ping(d.events, 'w3', PIT, T('07:00'));
		const m = startMuster(
			d.events,
			EV,
			A,
			{
				siteId: 'S1',
				drill: true,
				reason: '',
				roster: ['w1', 'w2', 'w3', 'w4', 'w5'],
				byName: '甲'
			},
			T('10:00')
		);
		const tick = (w: string) =>
			markRollCall(
				d.events,
				EV,
				A,
				{ musterId: m.id, workerId: w, status: 'accounted', byName: '甲' },
				T('10:05')
			);
		tick('w1');
		tick('w2');
		tick('w5');
		const pings = pingsAt([d.events], T('10:30').toISOString());
		const v = musterView(input(d, m, { pings }));
		expect(v.groups.map((g) => [g.zone?.name ?? null, g.unaccounted, g.rows.length])).toEqual([
			['钢筋加工场', 1, 2],
			[null, 1, 1],
			['基坑', 0, 2]
		]);
		expect(v.groups[0]!.rows.map((r) => r.workerId)).toEqual(['w4', 'w5']);
		expect(v.rows.map((r) => r.status)).toEqual([
			'unaccounted',
			'unaccounted',
			'accounted',
			'accounted',
			'accounted'
		]);
		expect(v.rows.find((r) => r.workerId === 'w1')!.lastPing).toMatchObject({
			ageSeconds: 40 * 60
		});
		expect(v.rows.find((r) => r.workerId === 'w3')!.lastPing).toBeNull();
		// Equal numbers to find: by name (pinyin: 安 before 华).
		expect(v.leads).toEqual([
			{
				contractorId: 'C2',
				name: '安达起重',
				contactName: '李经理',
				contactPhone: '13800000002',
				total: 2,
				unaccounted: 1
			},
			{
				contractorId: 'C1',
				name: '华东焊接',
				contactName: '王队长',
				contactPhone: '13800000001',
				total: 3,
				unaccounted: 1
			}
		]);
	});

	it('a preview before any muster lists who is in now', () => {
		const d = device();
		pass(d.events, 'w1', 'in', T('08:00'));
		pass(d.events, 'w2', 'in', T('08:00'));
		pass(d.events, 'w2', 'out', T('09:00'));
		const v = musterView(input(d, null));
		expect(v.rows.map((r) => [r.workerId, r.status])).toEqual([['w1', 'unaccounted']]);
	});
});

describe('convergence', () => {
	it('two devices that ticked apart show the identical list whichever way their updates merge', () => {
		const base = device();
		for (const w of ['w1', 'w2', 'w3', 'w4', 'w5']) pass(base.events, w, 'in', T('08:00'));
		const m = startMuster(
			base.events,
			EV,
			A,
			{
				siteId: 'S1',
				drill: false,
				reason: '',
				roster: ['w1', 'w2', 'w3', 'w4', 'w5'],
				byName: '甲'
			},
			T('10:00')
		);
		const u0 = Y.encodeStateAsUpdate(base.events);
		const left = new Y.Doc();
		const right = new Y.Doc();
		Y.applyUpdate(left, u0);
		Y.applyUpdate(right, u0);
		const mark = (
			doc: Y.Doc,
			who: typeof A,
			w: string,
			status: 'accounted' | 'missing',
			t: string
		) =>
			markRollCall(
				doc,
				EV,
				who,
				{ musterId: m.id, workerId: w, status, byName: who.claims.sub },
				T(t)
			);
		mark(left, A, 'w1', 'accounted', '10:01');
		mark(left, A, 'w2', 'missing', '10:02');
		mark(right, B, 'w2', 'accounted', '10:02');
		mark(right, B, 'w3', 'accounted', '10:03');
		pass(right, 'w5', 'out', T('10:04'));
		const uL = Y.encodeStateAsUpdate(left);
		const uR = Y.encodeStateAsUpdate(right);
		const one = new Y.Doc();
		Y.applyUpdate(one, uL);
		Y.applyUpdate(one, uR);
		const two = new Y.Doc();
		Y.applyUpdate(two, uR);
		Y.applyUpdate(two, uL);
		const view = (doc: Y.Doc) => {
			const dev = device(doc);
			return musterView(input(dev, musters(doc)[0]!));
		};
		expect(JSON.stringify(view(one))).toBe(JSON.stringify(view(two)));
		expect(view(one).counts).toMatchObject({ accounted: 3, exited: 1, unaccounted: 1 });
	});

	it('RollCall follows ticks as they arrive and agrees with a full read', () => {
		const d = device();
		const m = startMuster(
			d.events,
			EV,
			A,
			{ siteId: 'S1', drill: false, reason: '', roster: ['w1', 'w2'], byName: '甲' },
			T('10:00')
		);
		const seen: string[][] = [];
		const rc = new RollCall(d.events, m.id, (w) => seen.push(w));
		const remote = new Y.Doc();
		sync(d.events, remote);
		markRollCall(
			remote,
			EV,
			B,
			{ musterId: m.id, workerId: 'w2', status: 'accounted', byName: '乙' },
			T('10:02')
		);
		markRollCall(
			d.events,
			EV,
			A,
			{ musterId: m.id, workerId: 'w2', status: 'missing', byName: '甲' },
			T('10:01')
		);
		sync(remote, d.events);
		expect(rc.marks.get('w2')!.status).toBe('accounted');
		expect([...rc.marks]).toEqual([...latestMarks(d.events, m.id)]);
		expect(seen).toEqual([['w2'], ['w2']]);
		rc.destroy();
	});
});

const MUSTER_ID = '01KB0000000000000000000000';

describe('a tick replaces what its ticker saw, whatever the clocks say', () => {
	it('is dated just after a tick from a device whose clock runs fast', () => {
		const doc = new Y.Doc();
		const name = 'site:S1:events:2026-11';
		const actor = (sub: string) => ({
			claims: claims({ sub, role: 'staff', staffRole: 'safety', sites: ['S1'] }),
			org: { contractorSites: () => ['S1'] } as OrgView
		});
		const now = new Date('2026-11-29T08:00:00.000Z');
		const fast = markRollCall(
			doc,
			name,
			actor('a'),
			{ musterId: MUSTER_ID, workerId: 'w1', status: 'accounted', byName: 'A' },
			new Date(now.getTime() + 3 * 60_000)
		);
		const later = markRollCall(
			doc,
			name,
			actor('b'),
			{ musterId: MUSTER_ID, workerId: 'w1', status: 'missing', byName: 'B' },
			new Date(now.getTime() + 60_000)
		);
		expect(Date.parse(later.at)).toBe(Date.parse(fast.at) + 1);
		expect(latestMarks(doc, MUSTER_ID).get('w1')?.status).toBe('missing');
	});
});
