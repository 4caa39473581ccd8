// POST /api/v1/authorize end to end through a real relay: the DOMAIN.md scope examples (an HV
// electrician is no scaffolder; a crane needs a Q2 driver), a permit that opens a zone until its
// end and not after, a clash flagged, workers named by id, ID number and pass, and who is on site.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventsDoc } from '../../src/lib/data/documents';
import { records, startRelay, token, type TestRelay } from '../testing';
import { approvePermit, buildWorld, FROM, putPermit, UNTIL, type World } from './world';

let relay: TestRelay;
let world: World;
let door: string;

beforeEach(async () => {
	relay = await startRelay({ webhooks: { autoStart: false } });
	world = await buildWorld(relay.server);
	door = token(relay.server, { sub: 'door1', role: 'integration', sites: ['S1'] });
});

afterEach(async () => {
	await relay.server.close();
});

interface Answer {
	allow: boolean;
	reasons: { code: string; severity: string; message: string; [k: string]: unknown }[];
	worker: { id: string; contractorId: string; name: string } | null;
	workType: string | null;
	permit: string | null;
	clashes: { kind: string; a: string; b: string; message: string }[];
}

async function ask(body: Record<string, unknown>, lang?: string): Promise<Answer> {
	const res = await fetch(`${relay.server.url}/api/v1/authorize`, {
		method: 'POST',
		headers: {
			authorization: `Bearer ${door}`,
			'content-type': 'application/json',
			...(lang ? { 'accept-language': lang } : {})
		},
		body: JSON.stringify({ site: 'S1', at: FROM, ...body })
	});
	expect(res.status).toBe(200);
	return (await res.json()) as Answer;
}

const codes = (a: Answer) => a.reasons.filter((r) => r.severity === 'deny').map((r) => r.code);

describe('the DOMAIN.md scope examples through /api/v1/authorize', () => {
	it('lets the HV electrician in for HV work and refuses him scaffolding with SCOPE_MISMATCH', async () => {
		const hv = await ask({ action: 'enter', worker: { id: 'hv' } });
		expect(hv.allow).toBe(true);
		expect(hv.workType).toBe('hv_electrical');
		expect(hv.worker).toEqual({ id: 'hv', contractorId: 'C1', name: '王电工' });

		const scaffold = await ask(
			{ action: 'enter', worker: { id: 'hv' }, workType: 'scaffolding' },
			'en-GB,en;q=0.9'
		);
		expect(scaffold.allow).toBe(false);
		expect(codes(scaffold)).toEqual(['SCOPE_MISMATCH']);
		const reason = scaffold.reasons[0]!;
		expect(reason.workType).toBe('scaffolding');
		expect(reason.held).toEqual(['SO-ELEC-HV']);
		expect(reason.message).toMatch(/scaffold/i);
		// Chinese unless English is asked for.
		const zh = await ask({ action: 'enter', worker: { id: 'hv' }, workType: 'scaffolding' });
		expect(zh.reasons[0]!.message).toMatch(/[\u4e00-\u9fff]/);
	});

	it('a crane refuses the rigger (Q1, no Q2) and accepts the driver with a verified Q2', async () => {
		const rigger = await ask({ action: 'operate', equipment: 'tc-1', worker: { id: 'rigger' } });
		expect(rigger.allow).toBe(false);
		expect(rigger.workType).toBe('crane_operator');
		expect(codes(rigger)).toEqual(['SCOPE_MISMATCH']);
		expect(rigger.reasons[0]!.required).toContain('SE-2019-Q2');

		const driver = await ask({ action: 'operate', equipment: 'tc-1', worker: { id: 'driver' } });
		expect(driver).toMatchObject({ allow: true, workType: 'crane_operator' });
		expect(codes(driver)).toEqual([]);

		// The same card without the registry's answer does not count.
		world.control.getMap('verifications').forEach((raw, key) => {
			if ((raw as { certificateId: string }).certificateId === 'c-driver')
				world.control.getMap('verifications').delete(key);
		});
		relay.server.relay.write('site:S1:control', (doc) =>
			doc.getMap('verifications').forEach((raw, key) => {
				if ((raw as { certificateId: string }).certificateId === 'c-driver')
					doc.getMap('verifications').delete(key);
			})
		);
		const unverified = await ask({
			action: 'operate',
			equipment: 'tc-1',
			worker: { id: 'driver' }
		});
		expect(unverified.allow).toBe(false);
		expect(codes(unverified)).toContain('CERT_UNVERIFIED');
	});

	it('an unknown machine or worker is a refusal with its reason, not an error', async () => {
		const machine = await ask({ action: 'operate', equipment: 'nope', worker: { id: 'driver' } });
		expect(codes(machine)).toEqual(['EQUIPMENT_UNKNOWN']);
		const nobody = await ask({ action: 'enter', worker: { id: 'ghost' } });
		expect(nobody).toMatchObject({ allow: false, worker: null });
		expect(codes(nobody)).toEqual(['WORKER_UNKNOWN']);
		const pass = await ask({ action: 'enter', worker: { pass: 'SP1.bad.sig' } });
		expect(pass.reasons[0]).toMatchObject({ code: 'PASS_INVALID', problem: 'MALFORMED' });
	});
});

describe('workers named by ID number', () => {
	it('finds the worker whatever the case of the trailing X, and follows edits to the ledger', async () => {
		const a = await ask({ action: 'enter', worker: { idNumber: '11010519491231002x' } });
		expect(a.worker?.id).toBe('driver');
		expect(a.allow).toBe(true);
		// A contractor edits the number: the index is rebuilt after the commit.
		world.contractor.getMap('workers').set('driver', {
			...WORKER_DRIVER(),
			docNumber: '110105195001010031'
		});
		world.push();
		expect(
			(await ask({ action: 'enter', worker: { idNumber: '11010519491231002X' } })).worker
		).toBe(null);
		expect(
			(await ask({ action: 'enter', worker: { idNumber: '110105195001010031' } })).worker?.id
		).toBe('driver');
	});
});

function WORKER_DRIVER() {
	return world.contractor.getMap('workers').get('driver') as Record<string, unknown>;
}

describe('permits at zone doors', () => {
	it('an approved permit opens its zone until its end time and not after', async () => {
		putPermit(world, {
			id: 'cs1',
			kind: 'confined_space',
			grade: 'single',
			zone: 'tank-1',
			people: [
				{ workerId: 'hv', role: 'operator' },
				{ workerId: 'rigger', role: 'guardian' }
			]
		});
		world.push();
		// Submitted, not yet approved: the door stays shut.
		const pending = await ask({ action: 'enter', zone: 'tank-1', worker: { id: 'hv' } });
		expect(pending.allow).toBe(false);
		expect(codes(pending)).toEqual(['PERMIT_NOT_ACTIVE']);

		await approvePermit(world, 'cs1');
		world.push();
		const during = await ask({ action: 'enter', zone: 'tank-1', worker: { id: 'hv' } });
		expect(during).toMatchObject({ allow: true, permit: 'cs1' });
		const lastMinute = await ask({
			action: 'enter',
			zone: 'tank-1',
			worker: { id: 'hv' },
			at: new Date(Date.parse(UNTIL) - 60_000).toISOString()
		});
		expect(lastMinute.allow).toBe(true);
		const atEnd = await ask({ action: 'enter', zone: 'tank-1', worker: { id: 'hv' }, at: UNTIL });
		expect(atEnd.allow).toBe(false);
		expect(atEnd.reasons[0]).toMatchObject({
			code: 'PERMIT_NOT_ACTIVE',
			permitId: 'cs1',
			status: 'expired'
		});
		// Somebody not on the permit never gets in; a zone without a permit rule is open.
		const driver = await ask({ action: 'enter', zone: 'tank-1', worker: { id: 'driver' } });
		expect(codes(driver)).toEqual(['PERMIT_REQUIRED']);
	});

	it('flags a clash: hot work next to the confined space it must not run beside', async () => {
		putPermit(world, {
			id: 'cs1',
			kind: 'confined_space',
			grade: 'single',
			zone: 'tank-1',
			people: [
				{ workerId: 'hv', role: 'operator' },
				{ workerId: 'rigger', role: 'guardian' }
			]
		});
		putPermit(world, {
			id: 'hw1',
			kind: 'hot_work',
			grade: 'second',
			zone: 'tank-2',
			people: [{ workerId: 'driver', role: 'guardian' }]
		});
		await approvePermit(world, 'cs1');
		world.push();
		const a = await ask({ action: 'enter', zone: 'tank-1', worker: { id: 'hv' } }, 'en');
		expect(a.allow).toBe(true);
		expect(a.clashes).toHaveLength(1);
		expect(a.clashes[0]).toMatchObject({ kind: 'incompatible_work', a: 'cs1', b: 'hw1' });
		expect(a.clashes[0]!.message).toMatch(/incompatible/);
	});
});

describe('GET /api/v1/sites/{site}/onsite', () => {
	it('lists whoever last passed the gate inwards, following new passages', async () => {
		const get = async () => {
			const res = await fetch(`${relay.server.url}/api/v1/sites/S1/onsite`, {
				headers: { authorization: `Bearer ${door}` }
			});
			expect(res.status).toBe(200);
			return (await res.json()) as {
				count: number;
				people: { workerId: string; name: string; via: string }[];
			};
		};
		expect((await get()).count).toBe(0);
		const month = new Date().toISOString().slice(0, 7);
		const doc = eventsDoc('S1', month);
		const inHv = { ...records.attendance('hv'), contractorId: 'C1', method: 'qr' };
		relay.server.relay.write(doc, (d) => d.getMap('attendance').set(inHv.id, inHv));
		const first = await get();
		expect(first.people).toMatchObject([{ workerId: 'hv', name: '王电工', via: 'qr' }]);
		// Anti-passback at the site gate: he is in already.
		const again = await ask({
			action: 'enter',
			worker: { id: 'hv' },
			at: new Date().toISOString()
		});
		expect(codes(again)).toContain('ANTI_PASSBACK');
		const out = { ...records.attendance('hv'), contractorId: 'C1', direction: 'out' };
		relay.server.relay.write(doc, (d) => d.getMap('attendance').set(out.id, out));
		expect((await get()).count).toBe(0);
	});
});
