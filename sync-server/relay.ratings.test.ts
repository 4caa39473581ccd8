// Job ratings and safety incidents through a real relay and stock y-websocket clients (issue 11):
// site staff add them in their own name; a gate, a contractor or a staff member writing in someone
// else's name is refused and nothing is stored; they are append-only, validated, and not dated
// ahead of the relay's clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthOf } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import {
	connect,
	seedOrg,
	startRelay,
	stored,
	token,
	waitFor,
	type Client,
	type TestRelay
} from './testing';

let relay: TestRelay;
const clients: Client[] = [];
const open = (...args: Parameters<typeof connect>) => {
	const c = connect(...args);
	clients.push(c);
	return c;
};

beforeAll(async () => {
	relay = await startRelay();
	seedOrg(relay.server);
});

afterAll(async () => {
	for (const c of clients) c.destroy();
	await relay.server.close();
});

const T = {
	lead: () =>
		token(relay.server, { role: 'staff', staffRole: 'project_lead', sub: 'lead1', sites: ['S1'] }),
	safety: () =>
		token(relay.server, { role: 'staff', staffRole: 'safety', sub: 'safe1', sites: ['S1'] }),
	gate: () => token(relay.server, { role: 'gate', sub: 'gate1', sites: ['S1'] }),
	c1: () => token(relay.server, { role: 'contractor', sub: 'c1admin', contractor: 'C1' })
};

async function refused(client: Client, reason: string | RegExp) {
	const closed = await Promise.race([
		client.closed,
		new Promise<never>((_, fail) => setTimeout(() => fail(new Error('not closed')), 8000))
	]);
	expect(closed.code).toBe(4403);
	if (typeof reason === 'string') expect(closed.reason).toBe(reason);
	else expect(closed.reason).toMatch(reason);
}

const month = `site:S1:events:${monthOf(new Date())}`;
const rating = (by: string, over: Record<string, unknown> = {}) => ({
	schema: 1,
	siteId: 'S1',
	contractorId: 'C1',
	job: { title: '3号楼脚手架搭设' },
	quality: 4,
	safety: 5,
	tidiness: 3,
	at: new Date().toISOString(),
	by,
	byName: '王经理',
	...over
});
const incident = (by: string) => ({
	schema: 1,
	siteId: 'S1',
	contractorId: 'C1',
	workerIds: ['W1'],
	severity: 'minor',
	title: '手部划伤',
	at: new Date().toISOString(),
	by,
	byName: '李安全'
});

describe('ratings and incidents at the relay', () => {
	it('keeps staff’s own records and forwards them', async () => {
		const lead = open(relay.server, month, T.lead());
		await lead.synced();
		const safety = open(relay.server, month, T.safety());
		await safety.synced();
		const r = newUlid();
		const i = newUlid();
		lead.map('ratings').set(r, rating('lead1'));
		safety.map('incidents').set(i, incident('safe1'));
		await waitFor(() => safety.map('ratings').has(r), 'rating forwarded');
		await waitFor(() => lead.map('incidents').has(i), 'incident forwarded');
		expect(stored(relay.server, month, 'ratings')).toHaveProperty(r);
		expect(stored(relay.server, month, 'incidents')).toHaveProperty(i);
	});

	it('refuses a gate, a contractor and a rating in someone else’s name', async () => {
		const gate = open(relay.server, month, T.gate());
		await gate.synced();
		gate.map('ratings').set('GATE', rating('gate1'));
		await refused(gate, 'READ_ONLY ratings/GATE');

		const contractor = open(relay.server, month, T.c1());
		await refused(contractor, /FORBIDDEN_DOC/);

		const safety = open(relay.server, month, T.safety());
		await safety.synced();
		safety.map('ratings').set('OTHER', rating('lead1'));
		await refused(safety, 'NOT_OWN_RECORD ratings/OTHER');

		for (const key of ['GATE', 'OTHER'])
			expect(stored(relay.server, month, 'ratings')).not.toHaveProperty(key);
	});

	it('is append-only, validated, and not dated in the future', async () => {
		const lead = open(relay.server, month, T.lead());
		await lead.synced();
		const key = newUlid();
		lead.map('ratings').set(key, rating('lead1'));
		await waitFor(() => key in stored(relay.server, month, 'ratings'), 'rating stored');
		lead.map('ratings').set(key, rating('lead1', { quality: 1 }));
		await refused(lead, `APPEND_ONLY ratings/${key}`);
		expect((stored(relay.server, month, 'ratings')[key] as { quality: number }).quality).toBe(4);

		const bad = open(relay.server, month, T.lead());
		await bad.synced();
		bad.map('ratings').set('BAD', rating('lead1', { safety: 6 }));
		await refused(bad, 'INVALID_RECORD ratings/BAD');

		const ahead = open(relay.server, month, T.lead());
		await ahead.synced();
		const future = new Date(Date.now() + 3_600_000).toISOString();
		ahead.map('incidents').set('AHEAD', { ...incident('lead1'), at: future });
		await refused(ahead, 'INVALID_RECORD incidents/AHEAD');
		expect(stored(relay.server, month, 'incidents')).not.toHaveProperty('AHEAD');
	});
});
