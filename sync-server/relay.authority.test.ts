// The relay's authority through real sockets and stock y-websocket clients: each role row of the
// read/write table both ways, refused changes never stored or forwarded, token checks, revocation.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Claims } from '../src/lib/data/access';
import { signDecision } from '../src/lib/data/approvals';
import { newSecretKey, recordHash, softwareSigner } from '../src/lib/data/signing';
import { signToken } from './tokens';
import {
	connect,
	records,
	seedOrg,
	startRelay,
	stored,
	token,
	waitFor,
	type Client,
	registerKey,
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

const at = () => new Date().toISOString();
const T = {
	admin: () => token(relay.server, { role: 'admin', sub: 'admin1' }),
	hq: () => token(relay.server, { role: 'hq', sub: 'hq1' }),
	lead: () =>
		token(relay.server, { role: 'staff', staffRole: 'project_lead', sub: 'lead1', sites: ['S1'] }),
	safety: () =>
		token(relay.server, { role: 'staff', staffRole: 'safety', sub: 'safe1', sites: ['S1'] }),
	c1: () => token(relay.server, { role: 'contractor', sub: 'c1admin', contractor: 'C1' }),
	gate: () => token(relay.server, { role: 'gate', sub: 'gate1', sites: ['S1'] }),
	worker: () => token(relay.server, { role: 'worker', sub: 'W9', sites: ['S1'], contractor: 'C1' }),
	integration: () => token(relay.server, { role: 'integration', sub: 'door1', sites: ['S1'] })
};

async function refused(client: Client, code: number, reason: string | RegExp) {
	const closed = await Promise.race([
		client.closed,
		new Promise<never>((_, fail) => setTimeout(() => fail(new Error('not closed')), 8000))
	]);
	expect(closed.code).toBe(code);
	if (typeof reason === 'string') expect(closed.reason).toBe(reason);
	else expect(closed.reason).toMatch(reason);
	expect(client.provider.shouldConnect).toBe(false);
}

describe('contractor admin', () => {
	it('reads and writes its own document, sees staff records in it', async () => {
		const staff = open(relay.server, 'contractor:C1', T.lead());
		await staff.synced();
		staff.map('workers').set('W1', records.worker('W1', '张三'));
		const own = open(relay.server, 'contractor:C1', T.c1());
		await own.synced();
		await waitFor(() => own.map('workers').has('W1'), 'staff record at contractor');
		own.map('workers').set('W2', records.worker('W2', '李四'));
		await waitFor(() => staff.map('workers').has('W2'), 'contractor record at staff');
		expect(Object.keys(stored(relay.server, 'contractor:C1', 'workers')).sort()).toEqual([
			'W1',
			'W2'
		]);
	});

	it("is refused another contractor's document and receives nothing of it", async () => {
		relay.server.relay.write('contractor:C2', (doc) =>
			doc.getMap('workers').set('X1', { schema: 1, id: 'X1', name: 'secret' })
		);
		const other = open(relay.server, 'contractor:C2', T.c1());
		await refused(other, 4403, 'FORBIDDEN_DOC contractor:C2');
		expect(other.map('workers').size).toBe(0);
	});

	it('warnings: a contractor acknowledges its own over the socket, and can forge none', async () => {
		const ack = (by: string) => ({ schema: 1, item: 'c-1:expiring:2026-12-20', by, at: at() });
		const contractor = open(relay.server, 'site:S1:control', T.c1());
		await contractor.synced();
		contractor.map('acks').set('c-1:expiring:2026-12-20|c1admin', ack('c1admin'));
		await waitFor(
			() => 'c-1:expiring:2026-12-20|c1admin' in stored(relay.server, 'site:S1:control', 'acks'),
			'acknowledgement stored'
		);
		contractor.map('warnings').set('fake', { schema: 1 });
		await refused(contractor, 4403, 'READ_ONLY warnings/fake');
		expect(stored(relay.server, 'site:S1:control', 'warnings')).toEqual({});

		// Staff record a manual check in their own name; a forged registry answer is refused.
		const safety = open(relay.server, 'site:S1:control', T.safety());
		await safety.synced();
		safety.map('verifications').set('01JZZZZZZZZZZZZZZZZZZZZZZZ', {
			schema: 1,
			trigger: 'schedule',
			source: 'http:registry',
			by: 'relay',
			evidence: {}
		});
		await refused(safety, 4403, /NOT_OWN_RECORD verifications/);
		expect(stored(relay.server, 'site:S1:control', 'verifications')).toEqual({});
	});

	it('writing an approval into site control closes the socket; nothing is stored or forwarded', async () => {
		const lead = registerKey(relay.server, 'lead1', { staffRole: 'project_lead', sites: ['S1'] });
		const decide = async (step: number, prev: string | null) =>
			signDecision(lead, {
				site: 'S1',
				application: 'C1/A1',
				worker: 'w1',
				round: '2026-11-28T01:00:00.000Z',
				step,
				stepId: 'lead_review',
				decision: 'approve',
				comment: '',
				conditions: [],
				signer: 'lead1',
				prev,
				at: at()
			});
		const d1 = await decide(0, null);
		const staff = open(relay.server, 'site:S1:control', T.lead());
		await staff.synced();
		staff.map('decisions').set(d1.hash, d1.record);
		const contractor = open(relay.server, 'site:S1:control', T.c1());
		await contractor.synced();
		await waitFor(() => contractor.map('decisions').has(d1.hash), 'contractor reads approvals');
		// A contractor replaying the lead's own, validly signed record is refused all the same.
		const d2 = await decide(0, d1.hash);
		contractor.map('decisions').set(d2.hash, d2.record);
		// The connection may write (its own acknowledgements of warnings); this record it may not.
		await refused(contractor, 4403, `READ_ONLY decisions/${d2.hash}`);
		// The staff client keeps its socket and never sees the refused record, now or after a fresh sync.
		const d3 = await decide(0, d1.hash);
		staff.map('decisions').set(d3.hash, d3.record);
		const fresh = open(relay.server, 'site:S1:control', T.lead());
		await fresh.synced();
		expect(fresh.map('decisions').has(d3.hash)).toBe(true);
		expect(fresh.map('decisions').has(d2.hash)).toBe(false);
		expect(staff.map('decisions').has(d2.hash)).toBe(false);
		expect(stored(relay.server, 'site:S1:control', 'decisions')).not.toHaveProperty(d2.hash);
		expect(
			relay.logs.some((l) => l.startsWith('refused 4403 READ_ONLY') && l.includes('c1admin'))
		).toBe(true);
	});

	it('a decision altered after signing, or signed by an unregistered key, is refused', async () => {
		const stranger = softwareSigner(newSecretKey());
		const fields = {
			site: 'S1',
			application: 'C1/A1',
			worker: 'w1',
			round: '2026-11-28T01:00:00.000Z',
			step: 0,
			stepId: 'lead_review',
			decision: 'approve' as const,
			comment: '',
			conditions: [],
			signer: 'lead1',
			prev: null,
			at: at()
		};
		const send = async (hash: string, record: unknown) => {
			const staff = open(relay.server, 'site:S1:control', T.lead());
			await staff.synced();
			staff.map('decisions').set(hash, record);
			await refused(staff, 4403, /INVALID_SIGNATURE decisions/);
			expect(stored(relay.server, 'site:S1:control', 'decisions')).not.toHaveProperty(hash);
		};
		// Signed by a key nobody registered.
		const unknown = await signDecision(stranger, fields);
		await send(unknown.hash, unknown.record);
		// Signed properly, then altered: approve became reject (stored under its new hash).
		const lead = registerKey(relay.server, 'lead1', { staffRole: 'project_lead', sites: ['S1'] });
		const good = await signDecision(lead, { ...fields, at: at() });
		const altered = { ...good.record, decision: 'reject' as const };
		await send(recordHash(altered), altered);
		// Or kept under the original hash.
		await send(good.hash, altered);
	});
});

describe('staff', () => {
	it('writes records of its sites; another site is refused', async () => {
		const a = open(relay.server, 'site:S1:control', T.lead());
		const b = open(relay.server, 'site:S1:control', T.safety());
		await Promise.all([a.synced(), b.synced()]);
		const zone = {
			schema: 1,
			id: 'Z1',
			siteId: 'S1',
			name: '一号罐区',
			kind: 'work',
			requiresPermit: true,
			permitKinds: [],
			neighbours: [],
			updatedAt: at(),
			updatedBy: 'lead1'
		};
		a.map('zones').set('Z1', zone);
		await waitFor(() => b.map('zones').has('Z1'), 'zone forwarded');
		a.map('zones').delete('Z1');
		await waitFor(() => !b.map('zones').has('Z1'), 'zone removed');
		const s2 = open(relay.server, 'site:S2:control', T.lead());
		await refused(s2, 4403, 'FORBIDDEN_DOC site:S2:control');
	});

	it('only safety staff write the blacklist; other staff read it', async () => {
		const safety = open(relay.server, 'blacklist', T.safety());
		await safety.synced();
		safety.map('entries').set('B1', {
			schema: 1,
			id: 'B1',
			docNumber: '11010519491231002X',
			reason: '两次违章',
			since: '2026-11-01',
			by: 'safety1',
			at: at()
		});
		const lead = open(relay.server, 'blacklist', T.lead());
		await lead.synced();
		await waitFor(() => lead.map('entries').has('B1'), 'lead reads the blacklist');
		lead.map('entries').set('B2', { schema: 1, idNumber: '1', reason: 'y' });
		await refused(lead, 4403, 'READ_ONLY blacklist');
		expect(Object.keys(stored(relay.server, 'blacklist', 'entries'))).toEqual(['B1']);
	});

	it('shared types inside records and unknown maps are refused', async () => {
		const nested = open(relay.server, 'site:S1:control', T.lead());
		await nested.synced();
		nested.map('zones').set('Z9', new Y.Map());
		await refused(nested, 4403, 'NESTED_TYPE zones/Z9');
		const unknown = open(relay.server, 'site:S1:control', T.lead());
		await unknown.synced();
		unknown.doc.getMap('secrets').set('k', 1);
		await refused(unknown, 4403, 'UNKNOWN_PATH secrets');
		const list = open(relay.server, 'site:S1:control', T.lead(), { doc: new Y.Doc() });
		list.doc.getArray('zones').push(['not a record']);
		await refused(list, 4403, /^UNKNOWN_PATH zones/);
		const snapshot = relay.server.relay.storage.loadDoc('site:S1:control');
		expect(snapshot.getMap('zones').has('Z9')).toBe(false);
		expect(snapshot.share.has('secrets')).toBe(false);
		expect(snapshot.getMap('zones').size).toBe(0);
	});
});

describe('record values', () => {
	const month = 'site:S1:events:2026-11';

	it('refuses a value that is not a valid record, keeps valid ones and newer versions', async () => {
		const staff = open(relay.server, month, T.lead());
		await staff.synced();
		const gate = open(relay.server, month, T.gate());
		await gate.synced();
		gate.map('attendance').set('OK1', records.attendance('W1'));
		// A record from a newer build is kept (sites upgrade devices one by one).
		gate.map('attendance').set('NEWER', { schema: 99, anything: true });
		await waitFor(() => staff.map('attendance').has('NEWER'), 'newer record forwarded');

		const cases: [unknown, string][] = [
			[{ ...records.attendance('W1'), direction: 'sideways' }, 'INVALID_RECORD attendance/BAD'],
			[{ workerId: 'W1' }, 'INVALID_RECORD attendance/BAD'],
			[new Uint8Array([1, 2, 3]), 'INVALID_RECORD attendance/BAD'],
			[['a', 'list'], 'INVALID_RECORD attendance/BAD'],
			['just text', 'INVALID_RECORD attendance/BAD']
		];
		for (const [value, reason] of cases) {
			const bad = open(relay.server, month, T.gate());
			await bad.synced();
			bad.map('attendance').set('BAD', value);
			await refused(bad, 4403, reason);
		}
		expect(stored(relay.server, month, 'attendance')).not.toHaveProperty('BAD');
		expect(staff.map('attendance').has('BAD')).toBe(false);
		expect(stored(relay.server, month, 'attendance')).toHaveProperty('OK1');
	});
});

describe('consent-bound data', () => {
	const consent = (id: string, granted: boolean, at: string) => ({
		schema: 1,
		id,
		workerId: 'W7',
		purpose: 'health',
		granted,
		textShown: granted ? '同意收集血型和过敏史' : '撤回同意',
		textVersion: 'h1',
		at,
		recordedBy: 'c1'
	});
	const health = { schema: 1, workerId: 'W7', bloodType: 'O', updatedAt: at() };

	it('health data is stored only while the worker consents', async () => {
		const staff = open(relay.server, 'contractor:C1', T.lead());
		await staff.synced();

		const noConsent = open(relay.server, 'contractor:C1', T.c1());
		await noConsent.synced();
		noConsent.map('health').set('W7', health);
		await refused(noConsent, 4403, 'NO_CONSENT health/W7');

		// Registration writes consent and health in one update: accepted.
		const withConsent = open(relay.server, 'contractor:C1', T.c1());
		await withConsent.synced();
		withConsent.doc.transact(() => {
			withConsent.map('consents').set('N1', consent('N1', true, '2026-11-01T00:00:00.000Z'));
			withConsent.map('health').set('W7', health);
		});
		await waitFor(() => staff.map('health').has('W7'), 'health with consent forwarded');

		// Withdrawn: the data goes, and a device that missed it cannot bring it back.
		withConsent.doc.transact(() => {
			withConsent.map('consents').set('N2', consent('N2', false, '2026-11-02T00:00:00.000Z'));
			withConsent.map('health').delete('W7');
		});
		await waitFor(() => !staff.map('health').has('W7'), 'withdrawal forwarded');
		const stale = open(relay.server, 'contractor:C1', T.c1());
		await stale.synced();
		stale.map('health').set('W7', { ...health, bloodType: 'A' });
		await refused(stale, 4403, 'NO_CONSENT health/W7');
		expect(stored(relay.server, 'contractor:C1', 'health')).not.toHaveProperty('W7');
	});
});

describe('gate', () => {
	const month = 'site:S1:events:2026-11';

	it('appends attendance but cannot delete or change it, nor write pings', async () => {
		const staff = open(relay.server, month, T.lead());
		await staff.synced();
		const gate = open(relay.server, month, T.gate());
		await gate.synced();
		gate.map('attendance').set('A1', records.attendance('W1'));
		await waitFor(() => staff.map('attendance').has('A1'), 'attendance forwarded');
		gate.map('attendance').delete('A1');
		await refused(gate, 4403, 'APPEND_ONLY attendance/A1');
		expect(stored(relay.server, month, 'attendance')).toHaveProperty('A1');
		expect(staff.map('attendance').has('A1')).toBe(true);

		const gate2 = open(relay.server, month, T.gate());
		await gate2.synced();
		gate2.map('pings').set('PX', { schema: 1, workerId: 'W1' });
		await refused(gate2, 4403, 'READ_ONLY pings/PX');
	});

	it("reads its site's control and contractors there, nothing else", async () => {
		const control = open(relay.server, 'site:S1:control', T.gate());
		await control.synced();
		const c1 = open(relay.server, 'contractor:C1', T.gate());
		await c1.synced();
		await waitFor(() => c1.map('workers').has('W1'), 'gate reads contractor at its site');
		const c2 = open(relay.server, 'contractor:C2', T.gate());
		await refused(c2, 4403, 'FORBIDDEN_DOC contractor:C2');
	});
});

describe('worker (write-only)', () => {
	const month = 'site:S1:events:2026-12';

	/** A WebSocket that keeps every frame the relay sends, to prove what the worker received. */
	const received: Uint8Array[] = [];
	class RecordingSocket extends WebSocket {
		constructor(address: string, protocols?: string | string[]) {
			super(address, protocols);
			this.on('message', (data: Buffer) => received.push(new Uint8Array(data)));
		}
	}

	it('its own ping reaches staff; it receives no content, updates or presence', async () => {
		const staff = open(relay.server, month, T.lead());
		await staff.synced();
		staff.map('attendance').set('A1', records.attendance('W1'));
		staff.provider.awareness.setLocalStateField('user', { name: 'lead1' });

		const worker = open(relay.server, month, T.worker(), { WebSocketPolyfill: RecordingSocket });
		await worker.synced();
		worker.map('pings').set('P1', records.ping('W9'));
		await waitFor(() => staff.map('pings').has('P1'), 'ping at staff');
		// More content and presence after the worker joined must not reach it either.
		staff.map('attendance').set('A2', records.attendance('W2'));
		staff.provider.awareness.setLocalStateField('user', { name: 'lead1 again' });
		const probe = open(relay.server, month, T.lead());
		await probe.synced();
		await waitFor(() => probe.map('attendance').has('A2'), 'A2 stored');

		expect(worker.map('attendance').size).toBe(0);
		expect([...worker.provider.awareness.getStates().keys()]).toEqual([worker.doc.clientID]);
		expect(stored(relay.server, month, 'pings')).toHaveProperty('P1');
		for (const frame of received) {
			const d = decoding.createDecoder(frame);
			const type = decoding.readVarUint(d);
			if (type === 0) {
				const step = decoding.readVarUint(d);
				const payload = decoding.readVarUint8Array(d);
				expect(step, 'no updates are forwarded to a write-only socket').not.toBe(2);
				if (step === 1) {
					const content = Y.decodeUpdate(payload);
					expect(content.structs).toHaveLength(0);
					expect(content.ds.clients.size).toBe(0);
				} else {
					// Our state vector, limited to the worker's own client ids.
					const sv = Y.decodeStateVector(payload);
					for (const client of sv.keys()) expect(client).toBe(worker.doc.clientID);
				}
			} else {
				expect(type).toBe(1);
				const update = decoding.readVarUint8Array(d);
				const ad = decoding.createDecoder(update);
				const n = decoding.readVarUint(ad);
				for (let i = 0; i < n; i++) {
					expect(decoding.readVarUint(ad)).toBe(worker.doc.clientID);
					decoding.readVarUint(ad);
					decoding.readVarString(ad);
				}
			}
		}
		expect(received.length).toBeGreaterThan(0);
	});

	it("is refused another worker's ping and any other record", async () => {
		const w = open(relay.server, month, T.worker());
		await w.synced();
		w.map('pings').set('P2', { schema: 1, workerId: 'W8', at: at() });
		await refused(w, 4403, 'NOT_OWN_RECORD pings/P2');
		const w2 = open(relay.server, month, T.worker());
		await w2.synced();
		w2.map('attendance').set('A9', { schema: 1, workerId: 'W9', at: at() });
		await refused(w2, 4403, 'NOT_OWN_RECORD attendance/A9');
		const stored_ = stored(relay.server, month, 'pings');
		expect(stored_).not.toHaveProperty('P2');
		expect(stored(relay.server, month, 'attendance')).not.toHaveProperty('A9');
	});

	it('is refused documents other than its site events and its own contractor’s (write-only)', async () => {
		const c2 = open(relay.server, 'contractor:C2', T.worker());
		await refused(c2, 4403, 'FORBIDDEN_DOC contractor:C2');
		const control = open(relay.server, 'site:S1:control', T.worker());
		await refused(control, 4403, 'FORBIDDEN_DOC site:S1:control');
	});

	it('gives its own location consent to its contractor’s document without reading it', async () => {
		relay.server.relay.write('contractor:C1', (d) =>
			d.getMap('workers').set('W1', { schema: 2, id: 'W1', name: '同事' })
		);
		const c = open(relay.server, 'contractor:C1', T.worker());
		await c.synced();
		// Write-only: none of its colleagues' records reach the phone.
		expect(c.map('workers').size).toBe(0);
		const consent = {
			schema: 1,
			id: 'loc1',
			workerId: 'W9',
			purpose: 'location',
			granted: true,
			textShown: '同意在进场期间记录位置',
			textVersion: 'location-1',
			at: at(),
			recordedBy: 'W9'
		};
		c.map('consents').set('loc1', consent);
		await waitFor(
			() => !!stored(relay.server, 'contractor:C1', 'consents').loc1,
			'consent stored at the relay'
		);
		const c2 = open(relay.server, 'contractor:C1', T.worker());
		await c2.synced();
		c2.map('consents').set('face1', { ...consent, id: 'face1', purpose: 'face' });
		await refused(c2, 4403, 'NOT_OWN_RECORD consents/face1');
		expect(stored(relay.server, 'contractor:C1', 'consents')).not.toHaveProperty('face1');
	});
});

describe('hq, admin, integration', () => {
	it('hq reads every site and contractor but writes nothing', async () => {
		const hq = open(relay.server, 'contractor:C2', T.hq());
		await hq.synced();
		await waitFor(() => hq.map('workers').has('X1'), 'hq reads contractor C2');
		hq.map('workers').set('X2', { schema: 1, id: 'X2', name: 'hq edit' });
		await refused(hq, 4403, 'READ_ONLY contractor:C2');
		expect(stored(relay.server, 'contractor:C2', 'workers')).not.toHaveProperty('X2');
	});

	it('admin writes the org directory, not site documents', async () => {
		const admin = open(relay.server, 'org', T.admin());
		await admin.synced();
		admin.map('contractors').set('C4', {
			schema: 1,
			id: 'C4',
			name: 'Contractor C4',
			sites: ['S2'],
			createdAt: at()
		});
		await waitFor(() => 'C4' in stored(relay.server, 'org', 'contractors'), 'C4 stored');
		const reader = open(relay.server, 'org', T.c1());
		await reader.synced();
		expect(reader.map('contractors').has('C4')).toBe(true);
		const control = open(relay.server, 'site:S1:control', T.admin());
		await control.synced();
		control.map('zones').set('ADM', { schema: 1 });
		await refused(control, 4403, 'READ_ONLY site:S1:control');
		const orgWriter = open(relay.server, 'org', T.lead());
		await orgWriter.synced();
		orgWriter.map('users').set('evil', { schema: 1, id: 'evil', role: 'admin' });
		await refused(orgWriter, 4403, 'READ_ONLY org');
		expect(stored(relay.server, 'org', 'users')).not.toHaveProperty('evil');
	});

	it('integrations use the REST API, never sockets', async () => {
		const c = open(relay.server, 'site:S1:control', T.integration());
		await refused(c, 4403, 'FORBIDDEN_DOC site:S1:control');
	});

	it('a contractor moved off a site loses the gate there at once', async () => {
		const gate = open(relay.server, 'contractor:C3', T.gate());
		await gate.synced();
		const admin = open(relay.server, 'org', T.admin());
		await admin.synced();
		admin.map('contractors').set('C3', {
			schema: 1,
			id: 'C3',
			name: 'Contractor C3',
			sites: ['S2'],
			createdAt: at()
		});
		await refused(gate, 4403, 'FORBIDDEN_DOC contractor:C3');
	});
});

describe('tokens', () => {
	it('missing, garbage, expired, foreign, unsigned and malformed-claims tokens get 4401', async () => {
		const claims: Claims = {
			iss: relay.server.orgId,
			sub: 'x1',
			role: 'hq',
			jti: 'abcdefgh12345678',
			iat: Math.floor(Date.now() / 1000),
			exp: Math.floor(Date.now() / 1000) + 3600
		};
		const { exp: _exp, ...neverExpires } = claims;
		const foreignKey = generateKeyPairSync('ed25519').privateKey;
		const noneToken =
			Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url') +
			'.' +
			Buffer.from(JSON.stringify(claims)).toString('base64url') +
			'.';
		const ownKey = createPrivateKey(readFileSync(`${relay.dataDir}/keys/relay-ed25519.key.pem`));
		const cases: [string | null, string][] = [
			[null, 'TOKEN_MISSING'],
			['garbage', 'TOKEN_INVALID'],
			['a.b.c', 'TOKEN_INVALID'],
			[noneToken, 'TOKEN_INVALID'],
			[signToken(claims, foreignKey), 'TOKEN_INVALID'],
			[signToken({ ...claims, iss: 'org-other' }, ownKey), 'TOKEN_INVALID'],
			[signToken({ ...claims, role: 'root' as 'hq' }, ownKey), 'TOKEN_INVALID'],
			[signToken({ ...claims, role: 'staff' }, ownKey), 'TOKEN_INVALID'],
			// Every token must expire.
			[signToken(neverExpires as Claims, ownKey), 'TOKEN_INVALID'],
			[token(relay.server, { role: 'hq', sub: 'x1' }, -5), 'TOKEN_EXPIRED']
		];
		for (const [t, reason] of cases) {
			const c = open(relay.server, 'org', t);
			await refused(c, 4401, reason);
		}
		// The same claims, properly signed, are fine.
		const good = open(relay.server, 'org', signToken(claims, ownKey));
		await good.synced();
	});

	it('revoking a token closes its live sockets and refuses it afterwards', async () => {
		const staffToken = T.lead();
		const jti = JSON.parse(Buffer.from(staffToken.split('.')[1]!, 'base64url').toString()).jti;
		const live = open(relay.server, 'site:S1:control', staffToken);
		const live2 = open(relay.server, 'org', staffToken);
		await Promise.all([live.synced(), live2.synced()]);
		const res = await fetch(`${relay.server.url}/api/revoke`, {
			method: 'POST',
			headers: { authorization: `Bearer ${T.admin()}`, 'content-type': 'application/json' },
			body: JSON.stringify({ jti, reason: 'lost laptop' })
		});
		expect(res.status).toBe(200);
		await refused(live, 4401, 'TOKEN_REVOKED');
		await refused(live2, 4401, 'TOKEN_REVOKED');
		expect(stored(relay.server, 'org', 'revoked')).toHaveProperty(jti);
		const again = open(relay.server, 'site:S1:control', staffToken);
		await refused(again, 4401, 'TOKEN_REVOKED');
	});

	it('an admin revoking through the org document closes the socket too', async () => {
		const gateToken = T.gate();
		const jti = JSON.parse(Buffer.from(gateToken.split('.')[1]!, 'base64url').toString()).jti;
		const live = open(relay.server, 'site:S1:control', gateToken);
		await live.synced();
		const admin = open(relay.server, 'org', T.admin());
		await admin.synced();
		admin.map('revoked').set(jti, { schema: 1, jti, at: at(), by: 'admin1' });
		await refused(live, 4401, 'TOKEN_REVOKED');
	});

	it("disabling a user in the org directory closes that user's sockets", async () => {
		const userToken = token(relay.server, { role: 'hq', sub: 'temp1' });
		const live = open(relay.server, 'blacklist', userToken);
		await live.synced();
		const admin = open(relay.server, 'org', T.admin());
		await admin.synced();
		admin.map('users').set('temp1', {
			schema: 1,
			id: 'temp1',
			name: 'Temp',
			role: 'hq',
			sites: [],
			createdAt: at(),
			disabled: true
		});
		await refused(live, 4401, 'PRINCIPAL_DISABLED');
		await refused(open(relay.server, 'org', userToken), 4401, 'PRINCIPAL_DISABLED');
	});

	it('a socket is closed when its token expires', async () => {
		const short = token(relay.server, { role: 'hq', sub: 'hq2' }, 2);
		const c = open(relay.server, 'org', short);
		await c.synced();
		await refused(c, 4401, 'TOKEN_EXPIRED');
	});
});
