// Hostile and broken input on the sync endpoint: each is refused with its close code, the relay keeps
// answering, and documents stored before are intact afterwards.
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, rawSocket, startRelay, stored, token, waitFor, type TestRelay } from './testing';

let relay: TestRelay;
let staffToken: string;
const MAX = 256 * 1024;
const DOC = 'site:S1:control';

function syncMessage(step: number, payload: Uint8Array): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	encoding.writeVarUint(e, step);
	encoding.writeVarUint8Array(e, payload);
	return encoding.toUint8Array(e);
}

function recordUpdate(key: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('assignments').set(key, { schema: 1, zone: 'Z1' });
	return Y.encodeStateAsUpdate(doc);
}

beforeAll(async () => {
	relay = await startRelay({ maxMessageBytes: MAX, pendingTimeoutMs: 500 });
	staffToken = token(relay.server, {
		role: 'staff',
		staffRole: 'project_lead',
		sub: 'lead1',
		sites: ['S1']
	});
	const seed = connect(relay.server, DOC, staffToken);
	await seed.synced();
	seed.map('assignments').set('KEEP', { schema: 1, zone: 'Z1', note: 'stored before the attacks' });
	await waitFor(() => 'KEEP' in stored(relay.server, DOC, 'assignments'), 'seed stored');
	seed.destroy();
});

afterAll(() => relay.server.close());

const path = (name: string, t: string | null = staffToken) =>
	`/sync/${name}${t === null ? '' : `?token=${encodeURIComponent(t)}`}`;

async function expectClose(
	frames: (Uint8Array | string)[],
	code: number,
	reason: string | RegExp,
	name = encodeURIComponent(DOC)
) {
	const s = rawSocket(relay.server, path(name));
	await s.opened;
	for (const f of frames) s.ws.send(f);
	const closed = await s.closed;
	expect(closed.code).toBe(code);
	if (typeof reason === 'string') expect(closed.reason).toBe(reason);
	else expect(closed.reason).toMatch(reason);
}

describe('malformed input', () => {
	it('refuses text frames', () => expectClose(['hello'], 4400, 'TEXT_FRAME'));

	it('refuses unknown message types', () =>
		expectClose([new Uint8Array([7, 1, 2])], 4400, 'UNKNOWN_MESSAGE'));

	it('refuses an auth message from a client', () =>
		expectClose([new Uint8Array([2, 0])], 4400, 'UNKNOWN_MESSAGE'));

	it('refuses an empty frame and a lone varint that never ends', async () => {
		await expectClose([new Uint8Array([])], 4400, 'MALFORMED');
		await expectClose([new Uint8Array([0xff, 0xff, 0xff])], 4400, 'MALFORMED');
	});

	it('refuses unknown sync steps and trailing bytes', async () => {
		await expectClose([syncMessage(9, new Uint8Array([0]))], 4400, 'UNKNOWN_MESSAGE');
		const withTail = new Uint8Array([...syncMessage(2, recordUpdate('T')), 1, 2, 3]);
		await expectClose([withTail], 4400, 'MALFORMED');
	});

	it('refuses a truncated update and a truncated step 1', async () => {
		const update = recordUpdate('TRUNC');
		await expectClose(
			[syncMessage(2, update.slice(0, update.length - 6))],
			4400,
			/BAD_UPDATE|MALFORMED/
		);
		const cut = syncMessage(0, Y.encodeStateVector(new Y.Doc()));
		await expectClose([cut.slice(0, 2)], 4400, 'MALFORMED');
	});

	it('refuses random garbage without crashing, whatever it decodes to', async () => {
		let seed = 42;
		const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		for (let i = 0; i < 25; i++) {
			const bytes = new Uint8Array(1 + Math.floor(rnd() * 200)).map(() => Math.floor(rnd() * 256));
			// Half of them look like sync updates, so the update decoder is exercised too.
			const frame = i % 2 ? syncMessage(2, bytes) : bytes;
			const s = rawSocket(relay.server, path(encodeURIComponent(DOC)));
			await s.opened;
			s.ws.send(frame);
			s.ws.send(new Uint8Array([0, 0, 1, 0])); // a valid step 1 after it
			const closed = await Promise.race([
				s.closed,
				new Promise<null>((done) => setTimeout(() => done(null), 300))
			]);
			if (closed) expect([4400, 4403, 4503]).toContain(closed.code);
			s.ws.terminate();
		}
	});

	it('refuses an oversized message with 4413 (and 1009-level frames too)', async () => {
		await expectClose([syncMessage(2, new Uint8Array(MAX + 10))], 4413, /^TOO_LARGE/);
		await expectClose([new Uint8Array(MAX * 3)], 4413, /^TOO_LARGE/);
	});

	it('holds an update with missing dependencies, never applies it, and closes with 4503', async () => {
		const source = new Y.Doc();
		source.getMap('assignments').set('GAP1', { schema: 1 });
		const first = Y.encodeStateAsUpdate(source);
		const sv = Y.encodeStateVector(source);
		source.getMap('assignments').set('GAP2', { schema: 1 });
		const second = Y.encodeStateAsUpdate(source, sv);
		await expectClose([syncMessage(2, second)], 4503, 'MISSING_DEPS');
		expect(stored(relay.server, DOC, 'assignments')).not.toHaveProperty('GAP2');
		// Sent in the wrong order on one socket, the pair is applied once complete.
		const s = rawSocket(relay.server, path(encodeURIComponent(DOC)));
		await s.opened;
		s.ws.send(syncMessage(2, second));
		s.ws.send(syncMessage(1, first));
		await waitFor(() => 'GAP2' in stored(relay.server, DOC, 'assignments'), 'pair applied');
		expect(stored(relay.server, DOC, 'assignments')).toHaveProperty('GAP1');
		s.ws.close();
	});
});

describe('names and tokens', () => {
	it('refuses names that are not documents, including traversal', async () => {
		for (const name of [
			'..%2F..%2Fetc%2Fpasswd',
			'..%2F..%2Fetc',
			'org%2F..%2Fblacklist',
			'site%3AS1%3Acontrol%2F..',
			'site%3AS1%3Aevents%3A2026-13',
			'contractor%3A',
			'%00',
			'x'.repeat(400),
			'%E0%A4%A'
		]) {
			const s = rawSocket(relay.server, path(name));
			const closed = await s.closed;
			expect(closed.code, name).toBe(4404);
			expect(closed.reason, name).toMatch(/^NOT_A_DOCUMENT/);
			expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
		}
	});

	it('refuses paths outside /sync/ and a bad token before looking at the name', async () => {
		expect((await rawSocket(relay.server, '/other').closed).code).toBe(4404);
		expect((await rawSocket(relay.server, path('org', 'x.y.z')).closed).code).toBe(4401);
		expect((await rawSocket(relay.server, path('..%2Fx', null)).closed).code).toBe(4401);
	});

	it('the relay still answers and earlier documents are intact', async () => {
		const health = await fetch(`${relay.server.url}/healthz`);
		expect(health.status).toBe(200);
		const c = connect(relay.server, DOC, staffToken);
		await c.synced();
		expect(c.map('assignments').get('KEEP')).toMatchObject({ note: 'stored before the attacks' });
		expect(stored(relay.server, DOC, 'assignments')).toHaveProperty('KEEP');
		// Every refusal was logged, one line each.
		expect(relay.logs.filter((l) => l.startsWith('refused ')).length).toBeGreaterThan(20);
		c.destroy();
	});
});
