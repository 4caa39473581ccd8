// Sync through the relay with stock clients: offline edits converge, documents survive restarts,
// compaction keeps content while shrinking the log, duplicates are not stored, presence is shared.
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
	connect,
	records,
	makeRoot,
	rawSocket,
	startRelay,
	stored,
	token,
	waitFor,
	type Client,
	type TestRelay
} from './testing';

const running: TestRelay[] = [];
const clients: Client[] = [];
afterEach(async () => {
	for (const c of clients.splice(0)) c.destroy();
	for (const r of running.splice(0)) await r.server.close();
});

async function start(options: Parameters<typeof startRelay>[0] = {}) {
	const r = await startRelay(options);
	running.push(r);
	return r;
}
const open = (...args: Parameters<typeof connect>) => {
	const c = connect(...args);
	clients.push(c);
	return c;
};
const lead = (r: TestRelay, sub = 'lead1') =>
	token(r.server, { role: 'staff', staffRole: 'project_lead', sub, sites: ['S1'] });
const DOC = 'site:S1:control';
/** Key order of toJSON() follows local insertion order; compare content, not order. */
const canonical = (map: Y.Map<unknown>) =>
	JSON.stringify(Object.entries(map.toJSON()).sort(([x], [y]) => (x < y ? -1 : 1)));

describe('offline edits converge', () => {
	it('two clients cut off from each other and the relay converge when they reconnect', async () => {
		const r = await start();
		const a = open(r.server, DOC, lead(r, 'a'));
		const b = open(r.server, DOC, lead(r, 'b'));
		await Promise.all([a.synced(), b.synced()]);
		a.map('assignments').set('shared', { schema: 1, name: 'before' });
		await waitFor(() => b.map('assignments').has('shared'), 'initial record at b');

		a.provider.disconnect();
		b.provider.disconnect();
		a.map('assignments').set('ZA', { schema: 1, name: 'edited offline by a' });
		b.map('assignments').set('ZB', { schema: 1, name: 'edited offline by b' });
		a.map('assignments').set('shared', { schema: 1, name: 'a wins?' });
		b.map('assignments').set('shared', { schema: 1, name: 'b wins?' });
		b.map('assignments').delete('ZA'); // b never saw ZA: deleting nothing, must not hide it
		expect(a.map('assignments').has('ZB')).toBe(false);

		a.provider.connect();
		b.provider.connect();
		await waitFor(
			() =>
				a.map('assignments').has('ZB') &&
				b.map('assignments').has('ZA') &&
				canonical(a.map('assignments')) === canonical(b.map('assignments')),
			'convergence'
		);
		expect(Object.keys(a.map('assignments').toJSON()).sort()).toEqual(['ZA', 'ZB', 'shared']);
		expect(a.map('assignments').get('shared')).toEqual(b.map('assignments').get('shared'));
		expect(stored(r.server, DOC, 'assignments')).toEqual(a.map('assignments').toJSON());
	});

	it('edits made while the relay is down reach everyone after it restarts', async () => {
		const root = makeRoot();
		const first = await startRelay({ root });
		const port = first.server.port;
		const a = open(first.server, DOC, lead(first, 'a'));
		const b = open(first.server, DOC, lead(first, 'b'));
		await Promise.all([a.synced(), b.synced()]);
		a.map('assignments').set('Z0', { schema: 1 });
		await waitFor(() => b.map('assignments').has('Z0'), 'Z0 at b');
		await first.server.close();
		await waitFor(
			() => !a.provider.wsconnected && !b.provider.wsconnected,
			'clients see the relay go'
		);
		a.map('assignments').set('ZA', { schema: 1 });
		b.map('assignments').set('ZB', { schema: 1 });

		const second = await start({ root, port });
		await waitFor(
			() => a.map('assignments').has('ZB') && b.map('assignments').has('ZA'),
			'convergence after restart',
			10000
		);
		expect(Object.keys(stored(second.server, DOC, 'assignments')).sort()).toEqual([
			'Z0',
			'ZA',
			'ZB'
		]);
	});
});

describe('reconnecting', () => {
	it('a change sent before the handshake finishes waits for what it depends on, then applies', async () => {
		const r = await start();
		const a = open(r.server, DOC, lead(r, 'a'));
		await a.synced();
		a.provider.disconnect();
		for (let i = 0; i < 20; i++) a.map('assignments').set(`OFF${i}`, { schema: 1, i });
		// Written the moment the socket opens: it goes out right after step 1, before the device
		// has sent the 20 offline records, so the relay sees a gap in this client's clock.
		const onStatus = ({ status }: { status: string }) => {
			if (status !== 'connected') return;
			a.provider.off('status', onStatus);
			a.map('assignments').set('RACE', { schema: 1 });
		};
		a.provider.on('status', onStatus);
		a.provider.connect();
		const b = open(r.server, DOC, lead(r, 'b'));
		await waitFor(() => b.map('assignments').size === 21, 'all 21 records at another client');
		expect(a.closedWith).toBeNull();
		expect(a.provider.wsconnected).toBe(true);
		expect(Object.keys(stored(r.server, DOC, 'assignments'))).toHaveLength(21);
		expect(r.logs.filter((l) => l.startsWith('refused'))).toEqual([]);
	});
});

describe('persistence', () => {
	it('a restart keeps documents', async () => {
		const root = makeRoot();
		const first = await startRelay({ root });
		first.server.relay.write('org', (doc) =>
			doc.getMap('contractors').set('C1', {
				schema: 1,
				id: 'C1',
				name: 'C1',
				sites: ['S1'],
				createdAt: new Date().toISOString()
			})
		);
		const b = open(first.server, 'contractor:C1', lead(first));
		await b.synced();
		b.map('workers').set('W1', records.worker('W1', '王五'));
		await waitFor(() => 'W1' in stored(first.server, 'contractor:C1', 'workers'), 'stored');
		const orgId = first.server.orgId;
		await first.server.close();

		const second = await start({ root });
		expect(second.server.orgId).toBe(orgId);
		expect(second.server.adminLink).toBeNull();
		const c = open(second.server, 'contractor:C1', lead(second));
		await c.synced();
		expect(c.map('workers').get('W1')).toMatchObject({ schema: 2, id: 'W1', name: '王五' });
	});

	it('compaction keeps content and shrinks the log (in the background and on leaving memory)', async () => {
		const r = await start({ compactAfter: 20 });
		const storage = r.server.relay.storage;
		const a = open(r.server, DOC, lead(r));
		await a.synced();
		for (let i = 0; i < 60; i++) a.map('assignments').set(`Z${i}`, { schema: 1, i });
		a.map('assignments').delete('Z0');
		await waitFor(
			() => Object.keys(stored(r.server, DOC, 'assignments')).length === 59,
			'all stored'
		);
		await waitFor(() => storage.logLength(DOC) <= 20, 'background compaction');
		const before = a.map('assignments').toJSON();
		expect(stored(r.server, DOC, 'assignments')).toEqual(before);

		a.map('assignments').set('LAST', { schema: 1 });
		await waitFor(() => storage.logLength(DOC) > 0, 'one more entry');
		expect(r.server.relay.stats().docs).toBe(2);
		a.provider.disconnect();
		// Leaving memory (last client gone) folds the log; the org document stays loaded.
		await waitFor(() => r.server.relay.stats().docs === 1, 'doc unloaded');
		expect(storage.logLength(DOC)).toBe(0);
		expect(Object.keys(stored(r.server, DOC, 'assignments'))).toHaveLength(60);

		// compact() on demand: the log goes to zero, the content stays, deleted content is gone.
		const b = open(r.server, DOC, lead(r));
		await b.synced();
		b.map('assignments').set('SECRET', { schema: 1, text: 'erase me' });
		await waitFor(() => storage.logLength(DOC) === 1, 'logged');
		b.map('assignments').delete('SECRET');
		await waitFor(() => storage.logLength(DOC) === 2, 'delete logged');
		expect(r.server.relay.compact(DOC)).toEqual({ before: 2, after: 0 });
		const raw = storage.readDoc(DOC).updates;
		expect(raw).toHaveLength(1);
		expect(Buffer.from(raw[0]!).includes('erase me')).toBe(false);
		expect(Object.keys(stored(r.server, DOC, 'assignments'))).toHaveLength(60);
	});

	it('an update the relay already has is not stored again', async () => {
		const r = await start();
		const storage = r.server.relay.storage;
		const src = new Y.Doc();
		src.getMap('assignments').set('DUP', { schema: 1 });
		const update = Y.encodeStateAsUpdate(src);
		const e = encoding.createEncoder();
		encoding.writeVarUint(e, 0);
		encoding.writeVarUint(e, 2);
		encoding.writeVarUint8Array(e, update);
		const frame = encoding.toUint8Array(e);
		const s = rawSocket(r.server, `/sync/${encodeURIComponent(DOC)}?token=${lead(r)}`);
		await s.opened;
		s.ws.send(frame);
		s.ws.send(frame);
		s.ws.send(frame);
		const watcher = open(r.server, DOC, lead(r));
		await watcher.synced();
		await waitFor(() => watcher.map('assignments').has('DUP'), 'applied');
		expect(storage.logLength(DOC)).toBe(1);
		s.ws.close();
	});
});

describe('liveness', () => {
	it('a socket that stops answering pings is dropped and its document unloaded', async () => {
		const r = await start({ pingIntervalMs: 100 });
		const s = rawSocket(r.server, `/sync/${encodeURIComponent(DOC)}?token=${lead(r)}`);
		await s.opened;
		await waitFor(() => r.server.relay.stats().connections === 1, 'connected');
		// Stop reading: pings go unanswered, as with a device that lost its network.
		(s.ws as unknown as { _socket: { pause(): void } })._socket.pause();
		await waitFor(() => r.server.relay.stats().connections === 0, 'dropped');
		expect(r.server.relay.stats().docs).toBe(1);
		s.ws.terminate();
	});
});

describe('presence', () => {
	it('readers see each other and the presence goes when a client leaves', async () => {
		const r = await start();
		const a = open(r.server, DOC, lead(r, 'a'));
		const b = open(r.server, DOC, lead(r, 'b'));
		await Promise.all([a.synced(), b.synced()]);
		a.provider.awareness.setLocalStateField('user', { name: 'A' });
		await waitFor(
			() =>
				(b.provider.awareness.getStates().get(a.doc.clientID) as { user?: { name: string } })?.user
					?.name === 'A',
			'A visible at B'
		);
		a.provider.disconnect();
		await waitFor(() => !b.provider.awareness.getStates().has(a.doc.clientID), 'A gone at B');
	});
});
