// Webhooks through a real relay: a receiver that fails twice then acknowledges gets the event
// exactly once acknowledged, retried with growing delays; a pending delivery survives a restart
// and goes out after it, while an acknowledged one is never sent again; signatures verify; gate
// decisions, alerts and permit changes each become an event, once.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventsDoc } from '../../src/lib/data/documents';
import { makeRoot, records, startRelay, token, waitFor, type TestRelay } from '../testing';
import type { DeliveryRow, WebhookPayload } from './webhooks';
import { approvePermit, buildWorld, putPermit } from './world';

interface Received {
	headers: Record<string, string | string[] | undefined>;
	body: string;
}

/** A receiver answering with `status()` for each request, keeping everything it got. */
async function receiver(status: () => number) {
	const got: Received[] = [];
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
			res.writeHead(status()).end('ok');
		});
	});
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
	return { got, url, close: () => new Promise<void>((done) => server.close(() => done())) };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
	for (const x of open.splice(0).reverse()) await x.close();
});

async function addWebhook(relay: TestRelay, url: string, events: string[]) {
	const admin = token(relay.server, { sub: 'admin1', role: 'admin' });
	const res = await fetch(`${relay.server.url}/api/v1/webhooks`, {
		method: 'POST',
		headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
		body: JSON.stringify({ url, events, site: 'S1' })
	});
	expect(res.status).toBe(201);
	return (await res.json()) as { id: string; secret: string };
}

async function deliveries(relay: TestRelay, id: string): Promise<DeliveryRow[]> {
	const admin = token(relay.server, { sub: 'admin1', role: 'admin' });
	const res = await fetch(`${relay.server.url}/api/v1/webhooks/${id}/deliveries`, {
		headers: { authorization: `Bearer ${admin}` }
	});
	return ((await res.json()) as { deliveries: DeliveryRow[] }).deliveries;
}

function gatePassage(relay: TestRelay, workerId: string) {
	const event = { ...records.attendance(workerId), contractorId: 'C1' };
	const doc = eventsDoc('S1', new Date().toISOString().slice(0, 7));
	relay.server.relay.write(doc, (d) => d.getMap('attendance').set(event.id, event));
	return { event, doc };
}

function verify(secret: string, r: Received): boolean {
	const header = String(r.headers['x-sitepass-signature']);
	const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
	if (!m) return false;
	const mac = createHmac('sha256', secret).update(`${m[1]}.${r.body}`).digest('hex');
	return mac === m[2];
}

describe('webhook deliveries', () => {
	it('a receiver failing twice then acknowledging gets it once acknowledged, with growing delays', async () => {
		let now = Date.now();
		const relay = await startRelay({
			webhooks: { autoStart: false, now: () => now, random: () => 0.5, baseDelayMs: 2_000 }
		});
		open.push({ close: () => relay.server.close() });
		await buildWorld(relay.server);
		const answers = [500, 503, 204];
		const hook = await receiver(() => answers.shift() ?? 200);
		open.push(hook);
		const { id, secret } = await addWebhook(relay, hook.url, ['entry.decision']);
		expect(secret).toMatch(/^whsec_/);

		const { event, doc } = gatePassage(relay, 'hv');
		expect(await relay.server.webhooks.tick()).toBe(0);
		let [row] = await deliveries(relay, id);
		expect(row).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
		// base 2 s × jitter 0.75
		expect(Date.parse(row!.nextAt!) - now).toBe(1_500);
		// Not due yet: nothing is sent.
		now += 1_000;
		await relay.server.webhooks.tick();
		expect(hook.got).toHaveLength(1);

		now += 500;
		expect(await relay.server.webhooks.tick()).toBe(0);
		[row] = await deliveries(relay, id);
		expect(row).toMatchObject({ status: 'pending', attempts: 2, lastError: 'HTTP 503' });
		expect(Date.parse(row!.nextAt!) - now).toBe(3_000);

		now += 3_000;
		expect(await relay.server.webhooks.tick()).toBe(1);
		[row] = await deliveries(relay, id);
		expect(row).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 204 });

		// Acknowledged: never again, whatever else happens to the document.
		now += 86_400_000;
		relay.server.relay.write(doc, (d) => d.getMap('pings').set('x', records.ping('hv')));
		relay.server.relay.write(doc, (d) => d.getMap('attendance').set(event.id, event));
		await relay.server.webhooks.tick();
		expect(hook.got).toHaveLength(3);
		expect(await deliveries(relay, id)).toHaveLength(1);

		const ids = new Set(hook.got.map((g) => g.headers['x-sitepass-delivery']));
		expect(ids.size).toBe(1);
		for (const g of hook.got) {
			expect(verify(secret, g)).toBe(true);
			expect(g.headers['x-sitepass-event']).toBe('entry.decision');
		}
		expect(verify('whsec_wrong', hook.got[0]!)).toBe(false);
		const payload = JSON.parse(hook.got[2]!.body) as WebhookPayload;
		expect(payload).toMatchObject({ event: 'entry.decision', site: 'S1', id: row!.id });
		expect(payload.data).toMatchObject({ eventId: event.id, workerId: 'hv', allow: true });
	});

	it('gives up after the configured attempts and keeps the row; a bad URL never breaks the relay', async () => {
		let now = Date.now();
		const relay = await startRelay({
			webhooks: { autoStart: false, now: () => now, maxAttempts: 2 }
		});
		open.push({ close: () => relay.server.close() });
		await buildWorld(relay.server);
		// Nothing listens there.
		const { id } = await addWebhook(relay, 'http://127.0.0.1:1/hook', ['entry.decision']);
		gatePassage(relay, 'hv');
		await relay.server.webhooks.tick();
		now += 3_600_000;
		await relay.server.webhooks.tick();
		const [row] = await deliveries(relay, id);
		expect(row).toMatchObject({ status: 'failed', attempts: 2, nextAt: null });
		expect(row!.lastError).toMatch(/ECONNREFUSED|fetch failed/);
		const health = await fetch(`${relay.server.url}/healthz`);
		expect(health.status).toBe(200);
	});

	it('a pending delivery goes out after a restart; an acknowledged one is never sent again', async () => {
		let failing = false;
		const hook = await receiver(() => (failing ? 503 : 200));
		open.push(hook);
		const root = makeRoot();
		const fast = { baseDelayMs: 20, maxDelayMs: 100 };
		let relay = await startRelay({ root, webhooks: fast });
		await buildWorld(relay.server);
		const { id } = await addWebhook(relay, hook.url, ['entry.decision']);
		const first = gatePassage(relay, 'hv').event;
		await waitFor(() => hook.got.length === 1, 'first delivery');

		failing = true;
		const second = gatePassage(relay, 'driver').event;
		await waitFor(() => hook.got.length >= 3, 'failed attempts');
		await relay.server.close();
		const rows = await (async () => {
			relay = await startRelay({ root, webhooks: { ...fast, autoStart: false } });
			return deliveries(relay, id);
		})();
		expect(rows.map((r) => r.status).sort()).toEqual(['delivered', 'pending']);
		await relay.server.close();

		failing = false;
		const before = hook.got.length;
		relay = await startRelay({ root, webhooks: fast });
		open.push({ close: () => relay.server.close() });
		await waitFor(
			() => hook.got.slice(before).some((g) => g.body.includes(second.id)),
			'delivery after restart'
		);
		await new Promise((r) => setTimeout(r, 200));
		const bodies = hook.got.map((g) => JSON.parse(g.body) as WebhookPayload);
		expect(bodies.filter((b) => b.data.eventId === first.id)).toHaveLength(1);
		const after = hook.got.slice(before).map((g) => JSON.parse(g.body) as WebhookPayload);
		expect(after.map((b) => b.data.eventId)).toEqual([second.id]);
		expect((await deliveries(relay, id)).every((r) => r.status === 'delivered')).toBe(true);
	});
});

describe('what becomes an event', () => {
	it('alerts and permit changes, each state once; events before the receiver existed are not sent', async () => {
		const now = Date.now();
		const relay = await startRelay({ webhooks: { autoStart: false, now: () => now } });
		open.push({ close: () => relay.server.close() });
		const world = await buildWorld(relay.server);
		const hook = await receiver(() => 200);
		open.push(hook);
		const old = { ...records.attendance('hv'), at: new Date(now - 3_600_000).toISOString() };
		const doc = eventsDoc('S1', new Date().toISOString().slice(0, 7));
		relay.server.relay.write(doc, (d) => d.getMap('attendance').set(old.id, old));
		const { id } = await addWebhook(relay, hook.url, [
			'entry.decision',
			'alert.raised',
			'permit.changed'
		]);

		const alert = {
			schema: 1,
			id: records.ping('x').id,
			siteId: 'S1',
			kind: 'zone',
			at: new Date(now).toISOString(),
			deviceId: 'monitor-1',
			zoneName: '塔吊下方'
		};
		relay.server.relay.write(doc, (d) => d.getMap('alerts').set(alert.id, alert));
		const passage = gatePassage(relay, 'driver').event;

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
		// Permits written "now" (the receiver's clock), so they are news to it.
		world.control.getMap('permits').set('cs1', {
			...(world.control.getMap('permits').get('cs1') as object),
			updatedAt: new Date(now).toISOString()
		});
		world.push();
		await approvePermit(world, 'cs1');
		world.push();
		world.push();
		await relay.server.webhooks.tick();
		const got = hook.got.map((g) => JSON.parse(g.body) as WebhookPayload);
		expect(got.map((g) => g.event).sort()).toEqual([
			'alert.raised',
			'entry.decision',
			'permit.changed',
			'permit.changed'
		]);
		// The passage an hour before the receiver was registered is not news to it.
		expect(got.find((g) => g.event === 'entry.decision')!.data.eventId).toBe(passage.id);
		const permits = got.filter((g) => g.event === 'permit.changed').map((g) => g.data);
		expect(permits.map((p) => p.approval).sort()).toEqual(['approved', 'pending']);
		expect(got.find((g) => g.event === 'alert.raised')!.data).toMatchObject({
			alertId: alert.id,
			kind: 'zone'
		});
		expect(await deliveries(relay, id)).toHaveLength(4);
	});
});
