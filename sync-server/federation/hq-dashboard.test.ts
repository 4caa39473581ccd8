// Issue 11's "Done when": two site relays federated to one HQ relay, one of them cut off from
// HQ for a while, converge; and the dashboard HQ builds from its merged copies equals, number for
// number, what each site's own relay holds, its 全部工地 view being the sum of the two.
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_MAPS } from '../../src/lib/data/access';
import { eventsDoc, monthOf, parseDocName } from '../../src/lib/data/documents';
import { newUlid } from '../../src/lib/data/event-commands';
import { mergeDashboards } from '../../src/lib/data/stats/dashboard';
import { LiveDashboard } from '../../src/lib/data/stats/dashboard-live.svelte';
import type { Dashboard } from '../../src/lib/data/stats/types';
import {
	connect,
	makeRoot,
	records,
	seedOrg,
	startRelay,
	token,
	waitFor,
	type Client,
	type TestRelay
} from '../testing';

const MIN = 60_000;
const TZ = 'Asia/Shanghai';
const fast = { minBackoffMs: 50, maxBackoffMs: 300, listEveryMs: 200 };

let hq: TestRelay;
let a: TestRelay;
let b: TestRelay;
const clients: Client[] = [];
// One instant for every record and every dashboard, so the numbers are fixed by the seed alone.
const now = Date.now();
const month = monthOf(new Date(now));

async function startSite(site: string): Promise<TestRelay> {
	const relayToken = token(hq.server, { role: 'relay', sub: `relay-${site}`, sites: [site] });
	return startRelay({ upstream: { url: hq.server.url, token: relayToken, ...fast } });
}

function open(t: TestRelay, name: string, tok: string): Client {
	const c = connect(t.server, name, tok);
	clients.push(c);
	return c;
}

const staff = (t: TestRelay, site: string) =>
	token(t.server, { role: 'staff', staffRole: 'safety', sub: `safety-${site}`, sites: [site] });
const gate = (t: TestRelay, site: string) =>
	token(t.server, { role: 'gate', sub: `gate-${site}`, sites: [site] });

function content(t: TestRelay, name: string): string {
	const kind = parseDocName(name)!.kind;
	const json = t.server.relay.read(name, (doc) =>
		Object.fromEntries(DOC_MAPS[kind].map((m) => [m, doc.getMap(m).toJSON()]))
	);
	return canonical(json);
}

function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object')
		return `{${Object.keys(value)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
			.join(',')}}`;
	return JSON.stringify(value);
}

/** A relay's copy of a document, as a device would hold it. */
function copy(t: TestRelay, name: string): Y.Doc {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, t.server.relay.encodeState(name));
	return doc;
}

function certificate(id: string, workerId: string, expiresOn: string) {
	const at = new Date(now).toISOString();
	return {
		schema: 1,
		id,
		workerId,
		regime: 'special_operation',
		catalogueVersion: 'order30',
		code: 'SO-ELEC-HV',
		number: `T-${id}`,
		issuedOn: '2024-03-01',
		expiresOn,
		nextReviewOn: expiresOn,
		createdAt: at,
		updatedAt: at
	};
}

function passage(site: string, workerId: string, direction: 'in' | 'out', minutesAgo: number) {
	const t = now - minutesAgo * MIN;
	return records.attendance(workerId, {
		id: newUlid(t),
		siteId: site,
		direction,
		at: new Date(t).toISOString()
	});
}

function alert(site: string, workerId: string, minutesAgo: number) {
	const t = now - minutesAgo * MIN;
	return {
		schema: 1,
		id: newUlid(t),
		siteId: site,
		kind: 'ppe',
		at: new Date(t).toISOString(),
		workerId,
		deviceId: `gate-${site}`,
		message: '未戴安全帽'
	};
}

/** The dashboard of `site` built from `t`'s copies, as the page builds it (LiveDashboard). */
async function dashboardAt(t: TestRelay, site: string): Promise<Dashboard> {
	const org = copy(t, 'org');
	const contractors = [...org.getMap('contractors').entries()]
		.filter(([, c]) => (c as { sites: string[] }).sites.includes(site))
		.map(([id, c]) => ({
			contractorId: id,
			contractorName: (c as { name: string }).name,
			doc: copy(t, `contractor:${id}`)
		}));
	const name = eventsDoc(site, month);
	const live = new LiveDashboard({
		siteId: site,
		timeZone: TZ,
		org,
		control: copy(t, `site:${site}:control`),
		blacklist: copy(t, 'blacklist'),
		contractors,
		events: [{ name, month, doc: copy(t, name) }],
		now: () => new Date(now),
		batchMs: 1
	});
	try {
		await waitFor(() => live.dashboard !== null, `the dashboard of ${site}`);
		return live.dashboard!;
	} finally {
		live.destroy();
	}
}

beforeAll(async () => {
	hq = await startRelay({ root: makeRoot() });
	seedOrg(hq.server);
	a = await startSite('S1');
	b = await startSite('S2');
	await waitFor(
		() =>
			!!a.server.relay.orgView().contractorSites('C1') &&
			!!b.server.relay.orgView().contractorSites('C2'),
		'the org at both sites'
	);
}, 30_000);

afterAll(async () => {
	for (const c of clients) c.destroy();
	for (const t of [a, b, hq]) await t?.server.close();
});

describe('HQ dashboard over two federated sites', () => {
	it('equals each site’s own numbers per site, and their sum for 全部工地, after B’s outage', async () => {
		const soon = new Date(now + 20 * 86_400_000).toISOString().slice(0, 10);
		const later = new Date(now + 75 * 86_400_000).toISOString().slice(0, 10);

		// Site A (S1): two C1 workers and one of C3 (who works at both sites).
		const c1 = open(a, 'contractor:C1', staff(a, 'S1'));
		const c3a = open(a, 'contractor:C3', staff(a, 'S1'));
		const gateA = open(a, eventsDoc('S1', month), gate(a, 'S1'));
		await Promise.all([c1.synced(), c3a.synced(), gateA.synced()]);
		c1.doc.transact(() => {
			c1.map('workers').set('WA1', records.worker('WA1', '张三', 'C1'));
			c1.map('workers').set('WA2', records.worker('WA2', '李四', 'C1'));
			c1.map('certificates').set('cA1', certificate('cA1', 'WA1', soon));
		});
		c3a.map('workers').set('X1', records.worker('X1', '王五', 'C3'));
		gateA.doc.transact(() => {
			for (const p of [
				passage('S1', 'WA1', 'in', 50),
				passage('S1', 'WA2', 'in', 50),
				passage('S1', 'WA2', 'out', 20),
				passage('S1', 'X1', 'in', 40)
			])
				gateA.map('attendance').set(p.id, p);
			const al = alert('S1', 'WA1', 30);
			gateA.map('alerts').set(al.id, al);
		});

		// Site B (S2) loses HQ, and keeps working: a C2 worker and C3's second worker.
		const upstream = b.server.upstream!;
		await upstream.suspend();
		const c2 = open(b, 'contractor:C2', staff(b, 'S2'));
		const c3b = open(b, 'contractor:C3', staff(b, 'S2'));
		const gateB = open(b, eventsDoc('S2', month), gate(b, 'S2'));
		await Promise.all([c2.synced(), c3b.synced(), gateB.synced()]);
		c2.doc.transact(() => {
			c2.map('workers').set('WB1', records.worker('WB1', '赵六', 'C2'));
			c2.map('certificates').set('cB1', certificate('cB1', 'WB1', later));
		});
		c3b.map('workers').set('X2', records.worker('X2', '钱七', 'C3'));
		gateB.doc.transact(() => {
			for (const p of [
				passage('S2', 'WB1', 'in', 60),
				passage('S2', 'X2', 'in', 45),
				passage('S2', 'X2', 'out', 15)
			])
				gateB.map('attendance').set(p.id, p);
			for (const al of [alert('S2', 'WB1', 35), alert('S2', 'X2', 25)])
				gateB.map('alerts').set(al.id, al);
		});
		const siteDocs = {
			S1: ['contractor:C1', 'contractor:C3', 'site:S1:control', eventsDoc('S1', month)],
			S2: ['contractor:C2', 'contractor:C3', 'site:S2:control', eventsDoc('S2', month)]
		};
		await waitFor(
			() => b.server.relay.read(eventsDoc('S2', month), (d) => d.getMap('alerts').size === 2),
			'B stored its outage writes'
		);
		// While B is cut off, HQ has A's day and none of B's.
		for (const name of siteDocs.S1.filter((n) => n !== 'contractor:C3'))
			await waitFor(() => content(a, name) === content(hq, name), `${name} at HQ`, 10_000);
		expect(content(b, eventsDoc('S2', month))).not.toBe(content(hq, eventsDoc('S2', month)));
		const during = await dashboardAt(hq, 'S2');
		expect(during.onSite.total).toBe(0);

		// B reconnects: everything converges (C3's document holds both sites' writes everywhere).
		upstream.resume();
		for (const name of siteDocs.S2)
			await waitFor(() => content(b, name) === content(hq, name), `${name} at HQ`, 10_000);
		await waitFor(
			() => content(a, 'contractor:C3') === content(hq, 'contractor:C3'),
			'C3 back at A',
			10_000
		);

		const atA = await dashboardAt(a, 'S1');
		const atB = await dashboardAt(b, 'S2');
		const hqS1 = await dashboardAt(hq, 'S1');
		const hqS2 = await dashboardAt(hq, 'S2');
		// Per site, HQ's copy gives the site's own numbers exactly.
		expect(hqS1).toEqual(atA);
		expect(hqS2).toEqual(atB);

		// The seed, by hand. S1: WA1 and X1 inside, WA2 came and went (30 min); one PPE alert; cA1
		// expires within 30 days. S2: WB1 inside, X2 came and went (30 min); two PPE alerts; cB1
		// expires within 90 days.
		expect(atA.onSite.total).toBe(2);
		expect(atB.onSite.total).toBe(1);
		const sumAlerts = (d: Dashboard) => d.days.reduce((n, p) => n + p.ppe, 0);
		expect(sumAlerts(atA)).toBe(1);
		expect(sumAlerts(atB)).toBe(2);
		expect(atA.certificates.d30.count).toBe(1);
		expect(atB.certificates.d90.count).toBe(1);

		// 全部工地 at HQ: the sum of the two sites.
		const all = mergeDashboards([hqS1, hqS2]);
		expect(all.siteIds.sort()).toEqual(['S1', 'S2']);
		expect(all.onSite.total).toBe(atA.onSite.total + atB.onSite.total);
		expect(all.onSite.total).toBe(3);
		for (const c of ['C1', 'C2', 'C3'])
			expect(all.onSite.byContractor[c] ?? 0).toBe(
				(atA.onSite.byContractor[c] ?? 0) + (atB.onSite.byContractor[c] ?? 0)
			);
		expect(all.onSite.byContractor.C3).toBe(1);
		expect(sumAlerts(all)).toBe(3);
		const hours = (d: Dashboard) => Object.values(d.hoursByContractor).reduce((x, y) => x + y, 0);
		expect(hours(all)).toBe(hours(atA) + hours(atB));
		expect(all.hoursByContractor.C3).toBe(
			(atA.hoursByContractor.C3 ?? 0) + (atB.hoursByContractor.C3 ?? 0)
		);
		for (const bucket of ['lapsed', 'd30', 'd60', 'd90'] as const)
			expect(all.certificates[bucket].count).toBe(
				atA.certificates[bucket].count + atB.certificates[bucket].count
			);
	}, 60_000);
});
