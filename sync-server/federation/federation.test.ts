// Federation end to end: one HQ relay and two site relays (A for S1, B for S2) in this process,
// each site federated with a `relay` token HQ issued, real stock clients writing at each site.
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_MAPS } from '../../src/lib/data/access';
import { signDecision } from '../../src/lib/data/approvals';
import { eventsDoc, monthOf, parseDocName } from '../../src/lib/data/documents';
import {
	connect,
	makeRoot,
	records,
	registerKey,
	seedOrg,
	startRelay,
	token,
	waitFor,
	type Client,
	type TestRelay
} from '../testing';

let hq: TestRelay;
let hqRoot: ReturnType<typeof makeRoot>;
let a: TestRelay;
let b: TestRelay;
const clients: Client[] = [];
const month = monthOf(new Date());
const EVENTS_S1 = eventsDoc('S1', month);
const EVENTS_S2 = eventsDoc('S2', month);

// The periodic listing is slow on purpose: an org change from HQ makes the site ask at once.
const fast = { minBackoffMs: 50, maxBackoffMs: 300, listEveryMs: 60_000 };

async function startSite(site: string): Promise<TestRelay> {
	const relayToken = token(
		hq.server,
		{ role: 'relay', sub: `relay-${site}`, sites: [site] },
		86400
	);
	return startRelay({ upstream: { url: hq.server.url, token: relayToken, ...fast } });
}

/** Everything a document holds, map by map, as JSON (what "converged" compares). */
function content(t: TestRelay, name: string): Record<string, unknown> {
	const kind = parseDocName(name)!.kind;
	return t.server.relay.read(name, (doc) =>
		Object.fromEntries(DOC_MAPS[kind].map((m) => [m, doc.getMap(m).toJSON()]))
	);
}

/** JSON with keys sorted: two replicas may hold a map's keys in different insertion orders. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object')
		return `{${Object.keys(value)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
			.join(',')}}`;
	return JSON.stringify(value);
}

function sameAt(x: TestRelay, y: TestRelay, name: string): boolean {
	return canonical(content(x, name)) === canonical(content(y, name));
}

function open(t: TestRelay, name: string, tok: string): Client {
	const c = connect(t.server, name, tok);
	clients.push(c);
	return c;
}

const staffToken = (t: TestRelay, site: string) =>
	token(t.server, { role: 'staff', staffRole: 'project_lead', sub: `lead-${site}`, sites: [site] });
const gateToken = (t: TestRelay, site: string) =>
	token(t.server, { role: 'gate', sub: `gate-${site}`, sites: [site] });

beforeAll(async () => {
	hqRoot = makeRoot();
	hq = await startRelay({ root: hqRoot });
	seedOrg(hq.server);
	a = await startSite('S1');
	b = await startSite('S2');
	// HQ's org (its sites and contractors, its identity) comes down to both sites.
	await waitFor(
		() =>
			!!a.server.relay.orgView().contractorSites('C1') &&
			!!b.server.relay.orgView().contractorSites('C2'),
		'the org at both sites'
	);
}, 30_000);

afterAll(async () => {
	for (const c of clients) c.destroy();
	await a?.server.close();
	await b?.server.close();
	await hq?.server.close();
});

describe('federation', () => {
	it('takes HQ’s org identity; the site’s own tokens and first admin stay its own', async () => {
		expect(a.server.orgId).toBe(hq.server.orgId);
		await waitFor(() => sameAt(a, hq, 'org'), 'org identical at A and HQ');
		const meta = (relay: TestRelay) => content(relay, 'org').meta;
		expect(meta(a)).toEqual(meta(hq));
		// The first start printed an enrolment link for this site's own admin (not HQ's "admin").
		expect(a.server.adminLink).toMatch(/\/enrol#code=/);
		expect(a.logs.join('\n')).toMatch(/federation: org connected/);
	});

	it('converges HQ to the union of both sites’ writes', async () => {
		// Site A: a worker, attendance, and a signed approval decision in its control document.
		const staffA = open(a, 'contractor:C1', staffToken(a, 'S1'));
		await staffA.synced();
		staffA.map('workers').set('WA1', records.worker('WA1', '张三', 'C1'));
		const gateA = open(a, EVENTS_S1, gateToken(a, 'S1'));
		await gateA.synced();
		const attA = records.attendance('WA1');
		gateA.map('attendance').set(attA.id, attA);
		// Enrolment at A writes the user with its key (HQ takes keys of A's own people only).
		a.server.relay.write('org', (doc) =>
			doc.getMap('users').set('lead-S1', {
				schema: 1,
				id: 'lead-S1',
				name: '项目负责人',
				role: 'staff',
				staffRole: 'project_lead',
				sites: ['S1'],
				createdAt: new Date().toISOString()
			})
		);
		const signer = registerKey(a.server, 'lead-S1', { staffRole: 'project_lead', sites: ['S1'] });
		const decision = await signDecision(signer, {
			site: 'S1',
			application: 'C1/A1',
			worker: 'WA1',
			round: '2026-11-28T01:00:00.000Z',
			step: 0,
			stepId: 'lead_review',
			decision: 'approve',
			comment: '',
			conditions: [],
			signer: 'lead-S1',
			prev: null,
			at: new Date().toISOString()
		});
		const control = open(a, 'site:S1:control', staffToken(a, 'S1'));
		await control.synced();
		control.map('decisions').set(decision.hash, decision.record);

		// Site B: a worker and attendance with an alert.
		const staffB = open(b, 'contractor:C2', staffToken(b, 'S2'));
		await staffB.synced();
		staffB.map('workers').set('WB1', records.worker('WB1', '李四', 'C2'));
		const gateB = open(b, EVENTS_S2, gateToken(b, 'S2'));
		await gateB.synced();
		const attB = records.attendance('WB1', { siteId: 'S2' });
		gateB.map('attendance').set(attB.id, attB);

		// A's relay stamps `received` for its attendance; that stamp (not HQ's) is what HQ keeps.
		await waitFor(
			() =>
				content(a, EVENTS_S1).received !== undefined &&
				Object.keys(content(a, EVENTS_S1).received as object).length === 1,
			'A stamped receipt'
		);
		for (const name of ['contractor:C1', EVENTS_S1, 'site:S1:control', 'org'])
			await waitFor(() => sameAt(a, hq, name), `${name} at HQ`, 10_000);
		for (const name of ['contractor:C2', EVENTS_S2])
			await waitFor(() => sameAt(b, hq, name), `${name} at HQ`, 10_000);
		// HQ stamped none of A's attendance itself (a second stamp would overwrite A's, leaving a
		// deletion behind): the month's document has no deletions at all.
		const ds = Y.decodeUpdate(hq.server.relay.encodeState(EVENTS_S1)).ds;
		expect(ds.clients.size).toBe(0);
		expect(Object.keys(content(hq, 'contractor:C1').workers as object)).toEqual(['WA1']);
		expect(Object.keys(content(hq, 'contractor:C2').workers as object)).toEqual(['WB1']);
		expect(Object.keys(content(hq, 'site:S1:control').decisions as object)).toEqual([
			decision.hash
		]);
		// A site relay sees only its own sites: B never received S1's documents.
		expect(b.server.relay.docNames()).not.toContain(EVENTS_S1);
		expect(a.server.relay.docNames()).not.toContain('contractor:C2');
		// HQ knows S1 and S2 are served downstream (its certificate watch leaves them alone).
		expect(hq.server.downstream.has('S1') && hq.server.downstream.has('S2')).toBe(true);
		// Status per document.
		const status = await fetch(`${a.server.url}/api/federation/status`, {
			headers: { authorization: `Bearer ${token(a.server, { role: 'admin', sub: 'adm' })}` }
		}).then((r) => r.json());
		const org = status.upstream.docs.find((d: { doc: string }) => d.doc === 'org');
		expect(org).toMatchObject({ connected: true, synced: true });
		expect(org.bytesSent).toBeGreaterThan(0);
		expect(org.bytesReceived).toBeGreaterThan(0);
	}, 30_000);

	it('leaves a downstream site’s findings to its own relay (HQ’s certificate watch skips it)', async () => {
		const staffA = open(a, 'contractor:C1', staffToken(a, 'S1'));
		await staffA.synced();
		const at = new Date().toISOString();
		const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
		staffA.map('certificates').set('c-WA1', {
			schema: 1,
			id: 'c-WA1',
			workerId: 'WA1',
			regime: 'special_operation',
			catalogueVersion: 'order30',
			code: 'SO-ELEC-HV',
			number: 'T-0001',
			issuedOn: '2024-03-01',
			expiresOn: soon,
			nextReviewOn: soon,
			createdAt: at,
			updatedAt: at
		});
		await waitFor(
			() => hq.server.relay.read('contractor:C1', (d) => d.getMap('certificates').has('c-WA1')),
			'the certificate at HQ'
		);
		const atHq = await hq.server.verification.tick();
		expect(atHq.warnings).toBe(0);
		expect(content(hq, 'site:S1:control').warnings).toEqual({});
		// The site's own pass warns, and its warning is what HQ shows.
		const atA = await a.server.verification.tick();
		expect(atA.warnings).toBeGreaterThan(0);
		await waitFor(() => sameAt(a, hq, 'site:S1:control'), 'A’s warnings at HQ');
		expect(Object.keys(content(hq, 'site:S1:control').warnings as object).length).toBe(
			atA.warnings
		);
	}, 30_000);

	it('resumes after an outage by state vector: only the missing diff crosses', async () => {
		const gateB = open(b, EVENTS_S2, gateToken(b, 'S2'));
		await gateB.synced();
		// A month's worth of traffic first, synced to HQ.
		gateB.doc.transact(() => {
			for (let i = 0; i < 400; i++) {
				const att = records.attendance(`W${i}`, { siteId: 'S2' });
				gateB.map('attendance').set(att.id, att);
			}
		});
		const count = (t: TestRelay) =>
			t.server.relay.read(EVENTS_S2, (d) => d.getMap('attendance').size);
		// Stored at B and stamped by B's relay (its `received` map), then all of it at HQ.
		const stamped = (t: TestRelay) =>
			t.server.relay.read(EVENTS_S2, (d) => d.getMap('received').size);
		await waitFor(() => count(b) >= 400 && stamped(b) === count(b), 'stamped at B');
		await waitFor(() => sameAt(b, hq, EVENTS_S2), 'the month at HQ', 10_000);

		const upstream = b.server.upstream!;
		await upstream.suspend();
		expect(upstream.status().docs.every((d) => !d.connected)).toBe(true);
		// B keeps taking writes from its own devices while HQ is out of reach.
		const offline = [1, 2, 3, 4, 5].map((i) => records.attendance(`WOFF${i}`, { siteId: 'S2' }));
		for (const att of offline) gateB.map('attendance').set(att.id, att);
		await waitFor(
			() =>
				offline.every((att) =>
					b.server.relay.read(EVENTS_S2, (d) => d.getMap('attendance').has(att.id))
				),
			'stored at B'
		);
		expect(sameAt(b, hq, EVENTS_S2)).toBe(false);

		upstream.resume();
		await waitFor(
			() => stamped(b) === count(b) && sameAt(b, hq, EVENTS_S2),
			'B’s outage writes at HQ',
			10_000
		);
		await waitFor(() => upstream.status().docs.every((d) => d.synced), 'all links synced');
		const links = upstream.status().docs;
		const resumeBytes = links.reduce((n, d) => n + d.bytesSentThisConnection, 0);
		const fullBytes = links.reduce((n, d) => n + b.server.relay.encodeState(d.doc).length, 0);
		console.log(
			`federation resume: ${resumeBytes} bytes sent for ${links.length} documents; full state ${fullBytes} bytes`
		);
		expect(resumeBytes).toBeLessThan(fullBytes / 10);
	}, 30_000);

	it('carries a catch-up diff above HQ’s 8 MiB device limit (a busy month’s first sync)', async () => {
		const upstream = a.server.upstream!;
		await upstream.suspend();
		// Written at A while HQ is out of reach: its state vector then asks for all of it at once.
		const at = new Date().toISOString();
		for (let chunk = 0; chunk < 7; chunk++) {
			a.server.relay.write('contractor:C1', (doc) => {
				const workers = doc.getMap('workers');
				for (let i = 0; i < 4500; i++) {
					const id = `WBIG${chunk}x${i}`;
					workers.set(id, {
						...records.worker(id, `工人${chunk}-${i}`, 'C1'),
						trade: '钢筋工'.repeat(10),
						createdAt: at,
						updatedAt: at
					});
				}
			});
		}
		const missing = a.server.relay.encodeState(
			'contractor:C1',
			hq.server.relay.stateVector('contractor:C1')
		).length;
		expect(missing).toBeGreaterThan(8 * 1024 * 1024);
		upstream.resume();
		await waitFor(() => sameAt(a, hq, 'contractor:C1'), 'the big diff at HQ', 40_000);
		const link = upstream.status().docs.find((d) => d.doc === 'contractor:C1')!;
		expect(link.bytesSentThisConnection).toBeGreaterThan(8 * 1024 * 1024);
		expect(link.lastError ?? '').not.toMatch(/TOO_LARGE/);
		console.log(`federation: a ${missing}-byte catch-up diff reached HQ in one message`);
	}, 90_000);

	it('carries HQ’s blacklist and org changes down to both sites', async () => {
		const at = new Date().toISOString();
		hq.server.relay.write('blacklist', (doc) => {
			doc.getMap('entries').set('BL1', {
				schema: 1,
				id: 'BL1',
				docNumber: 'E1234567',
				reason: '违章动火作业',
				since: at.slice(0, 10),
				by: 'hq-safety',
				at
			});
		});
		hq.server.relay.write('org', (doc) => {
			doc.getMap('contractors').set('C4', {
				schema: 1,
				id: 'C4',
				name: 'Contractor C4',
				sites: ['S1', 'S2'],
				createdAt: at
			});
		});
		// A contractor document that exists only at HQ comes down too.
		hq.server.relay.write('contractor:C4', (doc) => {
			doc.getMap('workers').set('W4', records.worker('W4', '王五', 'C4'));
		});
		for (const site of [a, b]) {
			await waitFor(() => sameAt(site, hq, 'blacklist'), 'blacklist at the site', 10_000);
			await waitFor(() => !!site.server.relay.orgView().contractorSites('C4'), 'C4 at the site');
			await waitFor(() => sameAt(site, hq, 'contractor:C4'), 'C4’s document at the site', 10_000);
		}
		expect(Object.keys(content(a, 'blacklist').entries as object)).toEqual(['BL1']);
	}, 30_000);

	it('refuses a site relay’s write to another site’s documents and to org.meta', async () => {
		const relayA = token(hq.server, { role: 'relay', sub: 'relay-S1', sites: ['S1'] });
		const other = open(hq, 'site:S2:control', relayA);
		expect((await other.closed).reason).toMatch(/^FORBIDDEN_DOC/);
		const org = open(hq, 'org', relayA);
		await org.synced();
		org.map('meta').set('org', { schema: 1, id: 'evil', name: 'x', createdAt: 'x', relayKey: 'x' });
		expect((await org.closed).reason).toMatch(/^READ_ONLY meta\/org/);
		expect((content(hq, 'org').meta as { org: { id: string } }).org.id).toBe(hq.server.orgId);
		// Through applyAs as well (the offline bundles' path).
		const doc = new Y.Doc();
		doc.getMap('workers').set('WX', records.worker('WX', 'x', 'C2'));
		const refused = hq.server.relay.applyAs(
			{
				iss: hq.server.orgId,
				sub: 'relay-S1',
				role: 'relay',
				sites: ['S1'],
				jti: 'jti-abcdefgh',
				iat: 0,
				exp: 2e9
			},
			'contractor:C2',
			Y.encodeStateAsUpdate(doc)
		);
		expect(refused?.reason).toBe('FORBIDDEN_DOC');
	}, 30_000);

	it('refuses at the site its own admin’s org edits HQ would refuse; nothing goes up', async () => {
		const adminA = token(a.server, { role: 'admin', sub: 'admin-S1' });
		const at = new Date().toISOString();
		const edits: [string, string, unknown][] = [
			// Its site added to another site's contractor (to read that contractor's document at HQ).
			[
				'contractors',
				'C2',
				{ schema: 1, id: 'C2', name: 'C2', sites: ['S2', 'S1'], createdAt: at }
			],
			[
				'sites',
				'S9',
				{ schema: 1, id: 'S9', name: 'S9', kind: 'other', timeZone: 'Asia/Shanghai', createdAt: at }
			],
			['settings', 'scorecard', { schema: 1 }],
			// HQ's own admin, disabled from a site.
			[
				'users',
				'hq-admin',
				{
					schema: 1,
					id: 'hq-admin',
					name: 'x',
					role: 'admin',
					sites: [],
					createdAt: at,
					disabled: true
				}
			]
		];
		for (const [map, key, value] of edits) {
			const org = open(a, 'org', adminA);
			await org.synced();
			org.map(map).set(key, value);
			const { reason } = await org.closed;
			expect(reason).toMatch(new RegExp(`^(READ_ONLY|NOT_OWN_RECORD) ${map}/${key} `));
			expect(reason).toContain('此工地已接入总部：工地、承包商和规则由总部管理');
			expect(
				a.server.relay.read('org', (d) => d.getMap(map).has(key) && map !== 'contractors')
			).toBe(false);
		}
		expect(a.server.relay.orgView().contractorSites('C2')).toEqual(['S2']);
		// Its own staff it still manages, and that reaches HQ.
		const org = open(a, 'org', adminA);
		await org.synced();
		org.map('users').set('gate-S1-2', {
			schema: 1,
			id: 'gate-S1-2',
			name: '二号门',
			role: 'gate',
			sites: ['S1'],
			createdAt: at
		});
		await waitFor(
			() => hq.server.relay.read('org', (d) => d.getMap('users').has('gate-S1-2')),
			'the gate at HQ',
			10_000
		);
		expect(org.closedWith).toBeNull();
		expect(hq.server.relay.orgView().contractorSites('C2')).toEqual(['S2']);
		expect(hq.server.relay.read('org', (d) => d.getMap('sites').has('S9'))).toBe(false);
		// Enrolment at the site: its own people only.
		const enrol = (body: unknown) =>
			fetch(`${a.server.url}/api/enrolments`, {
				method: 'POST',
				headers: { authorization: `Bearer ${adminA}`, 'content-type': 'application/json' },
				body: JSON.stringify(body)
			}).then(async (r) => ({ status: r.status, body: await r.json() }));
		const outside = await enrol({
			role: 'staff',
			staffRole: 'director',
			name: '总监',
			sites: ['S2']
		});
		expect(outside.status).toBe(403);
		expect(outside.body.error.message).toMatch(/^此工地已接入总部/);
		expect((await enrol({ role: 'admin', sub: 'admin-2', name: '管理员' })).status).toBe(403);
		expect(
			(await enrol({ role: 'staff', staffRole: 'safety', name: '安全员', sites: ['S1'] })).status
		).toBe(201);
		// No link was refused by HQ on the way.
		expect(a.server.upstream!.status().docs.every((d) => !d.lastError?.startsWith('refused'))).toBe(
			true
		);
	}, 30_000);

	it('marks a document HQ refuses as blocked, and unblocks it once HQ takes it', async () => {
		// B's relay binds a key for someone HQ does not know (HQ cannot judge it: refused).
		const at = new Date().toISOString();
		b.server.relay.write('org', (doc) =>
			doc.getMap('keys').set('k-orphan', {
				schema: 1,
				id: 'k-orphan',
				principal: 'lead-S2b',
				publicKey: 'A'.repeat(43),
				role: 'staff',
				staffRole: 'safety',
				sites: ['S2'],
				validFrom: at,
				registeredBy: 'admin-S2'
			})
		);
		const orgLink = () => b.server.upstream!.status().docs.find((d) => d.doc === 'org')!;
		await waitFor(() => !!orgLink().blocked, 'the org link blocked');
		expect(orgLink().blocked).toMatch(/^4403 NOT_OWN_RECORD keys\/k-orphan/);
		expect(b.logs.filter((l) => /federation: BLOCKED org/.test(l))).toHaveLength(1);
		const health = await fetch(`${b.server.url}/healthz`).then((r) => r.json());
		expect(health.federation.blocked).toBe(1);
		const status = await fetch(`${b.server.url}/api/federation/status`, {
			headers: { authorization: `Bearer ${token(b.server, { role: 'admin', sub: 'adm' })}` }
		}).then((r) => r.json());
		expect(status.upstream.docs.find((d: { doc: string }) => d.doc === 'org').blocked).toMatch(
			/NOT_OWN_RECORD/
		);
		expect(hq.server.relay.read('org', (d) => d.getMap('keys').has('k-orphan'))).toBe(false);
		// Fixed at HQ (the person is registered there): the next retry goes through.
		hq.server.relay.write('org', (doc) =>
			doc.getMap('users').set('lead-S2b', {
				schema: 1,
				id: 'lead-S2b',
				name: '安全员',
				role: 'staff',
				staffRole: 'safety',
				sites: ['S2'],
				createdAt: at
			})
		);
		await waitFor(
			() => hq.server.relay.read('org', (d) => d.getMap('keys').has('k-orphan')),
			'the key at HQ',
			10_000
		);
		await waitFor(() => orgLink().blocked === null, 'the org link unblocked', 10_000);
		expect(b.logs.some((l) => /federation: org is accepted by upstream again/.test(l))).toBe(true);
	}, 30_000);

	it('loses nothing when HQ restarts mid-stream', async () => {
		const gateA = open(a, EVENTS_S1, gateToken(a, 'S1'));
		await gateA.synced();
		const port = hq.server.port;
		const written: string[] = [];
		const write = () => {
			const att = records.attendance(`WR${written.length}`);
			gateA.map('attendance').set(att.id, att);
			written.push(att.id);
		};
		for (let i = 0; i < 5; i++) write();
		const closing = hq.server.close();
		for (let i = 0; i < 5; i++) write();
		await closing;
		for (let i = 0; i < 5; i++) write();
		await waitFor(
			() =>
				a.server.relay.read(EVENTS_S1, (d) =>
					written.every((id) => d.getMap('attendance').has(id))
				),
			'stored at A'
		);
		hq = await startRelay({ root: hqRoot, port });
		await waitFor(() => sameAt(a, hq, EVENTS_S1), 'A’s writes at the restarted HQ', 15_000);
		for (let i = 0; i < 3; i++) write();
		const atA = () =>
			a.server.relay.read(EVENTS_S1, (d) => written.every((id) => d.getMap('attendance').has(id)));
		await waitFor(atA, 'stored at A');
		await waitFor(() => sameAt(a, hq, EVENTS_S1), 'live again after the restart', 10_000);
		const atHq = content(hq, EVENTS_S1).attendance as Record<string, unknown>;
		expect(written.every((id) => id in atHq)).toBe(true);
		expect(a.logs.some((l) => /federation: .* disconnected/.test(l))).toBe(true);
	}, 40_000);
});
