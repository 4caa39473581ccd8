// A gate offline for a long shift: thousands of attendance events journalled and written to its
// replica with no relay, then the connection comes back. Every event reaches the relay exactly
// once, each is stamped with the relay's receive time, and the journal empties only after that.
import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Presence } from '../../src/lib/data/attendance';
import { orgViewOf } from '../../src/lib/data/org';
import { buildAttendance, putAttendance } from '../../src/lib/data/event-commands';
import { eventsDoc } from '../../src/lib/data/documents';
import { GateJournal } from '../../src/lib/sync/gate-journal';
import { connect, seedOrg, startRelay, stored, token, waitFor, type TestRelay } from '../testing';

const relays: TestRelay[] = [];

/** The gate's identity for commands, with the org as the relay holds it. */
function gateActor(relay: TestRelay) {
	const org = new Y.Doc();
	relay.server.relay.read('org', (d) => Y.applyUpdate(org, Y.encodeStateAsUpdate(d)));
	const claims = { sub: 'gate-1', role: 'gate' as const, sites: ['S1'] };
	return { claims: { ...claims, iss: 'x', jti: 'j', iat: 0, exp: 0 }, org: orgViewOf(org) };
}
afterAll(async () => {
	for (const r of relays) await r.server.close();
});

describe('attendance from an offline gate', () => {
	it('3,000 events queued offline arrive once each, stamped by the relay; the journal empties', async () => {
		const relay = await startRelay();
		relays.push(relay);
		seedOrg(relay.server);
		const name = eventsDoc('S1', '2026-11');
		const gateToken = token(relay.server, { sub: 'gate-1', role: 'gate', sites: ['S1'] });
		const actor = gateActor(relay);

		// Offline: the provider is not connected.
		const gate = connect(relay.server, name, gateToken, { connect: false });
		const journal = await GateJournal.open('journal-offline-test');
		const presence = new Presence('S1');
		presence.follow(gate.doc);
		const N = 3000;
		const ids: string[] = [];
		for (let i = 0; i < N; i++) {
			const event = buildAttendance({
				siteId: 'S1',
				workerId: `W${i % 500}`,
				direction: i < 500 ? 'in' : i < 1000 ? 'out' : i % 2 ? 'in' : 'out',
				at: new Date(Date.UTC(2026, 10, 10, 0, 0, 0, i)).toISOString(),
				deviceId: 'gate-1',
				method: 'face',
				allow: true,
				reasons: []
			});
			await journal.append(name, event);
			putAttendance(gate.doc, name, actor, event);
			ids.push(event.id);
		}
		expect(new Set(ids).size).toBe(N);
		expect(await journal.count()).toBe(N);
		// Nothing confirmed while offline: the journal keeps everything.
		expect(
			await journal.reconcile(
				() => gate.doc,
				() => {}
			)
		).toEqual({ replayed: 0, confirmed: 0 });

		// Back online.
		gate.provider.connect();
		await gate.synced();
		await waitFor(
			() => Object.keys(stored(relay.server, name, 'received')).length === N,
			'every event stamped',
			20_000
		);
		const atRelay = stored(relay.server, name, 'attendance');
		expect(Object.keys(atRelay).sort()).toEqual([...ids].sort());
		const received = stored(relay.server, name, 'received') as Record<string, string>;
		expect(new Set(Object.values(received)).size).toBeLessThanOrEqual(5);
		for (const at of Object.values(received)) expect(Date.parse(at)).toBeGreaterThan(0);

		// The stamps come back to the gate; only then does its journal let go.
		await waitFor(() => gate.doc.getMap('received').size === N, 'stamps synced to the gate');
		expect(
			await journal.reconcile(
				() => gate.doc,
				() => {}
			)
		).toEqual({
			replayed: 0,
			confirmed: N
		});
		expect(await journal.count()).toBe(0);
		// Presence read the log in order: W0–W499 ended with an 'out' or 'in' by the last event.
		const last = new Map<string, string>();
		for (let i = 0; i < N; i++) {
			last.set(`W${i % 500}`, i < 500 ? 'in' : i < 1000 ? 'out' : i % 2 ? 'in' : 'out');
		}
		for (const [w, dir] of last) expect(presence.onSite(w)).toBe(dir === 'in');
		gate.destroy();
		journal.close();
	}, 60_000);

	it('replays journalled events the replica lost (crash between journal and document)', async () => {
		const relay = await startRelay();
		relays.push(relay);
		seedOrg(relay.server);
		const name = eventsDoc('S1', '2026-11');
		const journal = await GateJournal.open('journal-replay-test');
		const event = buildAttendance({
			siteId: 'S1',
			workerId: 'W1',
			direction: 'in',
			at: new Date().toISOString(),
			deviceId: 'gate-1',
			method: 'qr',
			allow: true,
			reasons: []
		});
		await journal.append(name, event);
		// The replica never got it (the tab died right after the journal commit).
		const gate = connect(
			relay.server,
			name,
			token(relay.server, { sub: 'gate-1', role: 'gate', sites: ['S1'] })
		);
		await gate.synced();
		const actor = gateActor(relay);
		const result = await journal.reconcile(
			() => gate.doc,
			(doc, n, e) => putAttendance(doc, n, actor, e)
		);
		expect(result).toEqual({ replayed: 1, confirmed: 0 });
		await waitFor(() => gate.doc.getMap('received').has(event.id), 'stamped');
		expect(stored(relay.server, name, 'attendance')[event.id]).toMatchObject({ workerId: 'W1' });
		expect(
			await journal.reconcile(
				() => gate.doc,
				() => {}
			)
		).toEqual({
			replayed: 0,
			confirmed: 1
		});
		gate.destroy();
		journal.close();
	});

	it('a gate may not write receive stamps itself', async () => {
		const relay = await startRelay();
		relays.push(relay);
		seedOrg(relay.server);
		const name = eventsDoc('S1', '2026-11');
		const gate = connect(
			relay.server,
			name,
			token(relay.server, { sub: 'gate-1', role: 'gate', sites: ['S1'] })
		);
		await gate.synced();
		gate.doc.getMap('received').set('01JAAAAAAAAAAAAAAAAAAAAAAA', new Date(0).toISOString());
		const closed = await gate.closed;
		expect(closed.reason).toMatch(/READ_ONLY/);
		gate.destroy();
	});
});
