// muster: "the muster list for 5,000 people on site appears in under 300 ms from local data"
// (issue 10). Realistic documents — 20 contractors with 5,500 workers (health and emergency
// records), a month's attendance (100,000+ passages, 5,000 in now), pings, zones, a muster with
// roll-call ticks — are encoded as a device stores them, then timed: decoding them into fresh
// Y.Docs + who is on site + the list; the list alone on loaded documents; one tick to the new list.
import * as Y from 'yjs';
import type { Claims } from '../src/lib/data/access';
import { Presence } from '../src/lib/data/attendance';
import { contractorDoc, controlDoc, eventsDoc } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import {
	assembleView,
	describePeople,
	markRollCall,
	musterView,
	RollCall,
	startMuster,
	type MusterInput
} from '../src/lib/data/muster';
import { geoZones, lastPings } from '../src/lib/data/sitemap';
import { generateLedger, prng } from './lib/ledger';
import { metricsTable, mib } from './lib/report';
import { machineInfo, metric, type Benchmark, type BenchResult } from './lib/result';
import { fmt } from './lib/stats';

const CONTRACTORS = 20;
const WORKERS = 5_500;
const ON_SITE = 5_000;
const DAYS = 10;
const PINGS_PER_PERSON = 6;
const ZONES = 12;
const TICKED = 2_500;
const ROUNDS = 7;
const MONTH = '2026-11';
const EV = eventsDoc('S1', MONTH);
const BUDGET_MS = 300;

const claims: Claims = {
	iss: 'org1',
	sub: 'safe1',
	jti: 'j1',
	iat: 0,
	exp: 4102444800,
	role: 'staff',
	staffRole: 'safety',
	sites: ['S1']
};

interface Built {
	updates: Map<string, Uint8Array>;
	counts: Record<string, number>;
	musterId: string;
}

function build(): Built {
	const rand = prng(10);
	const at = '2026-11-01T00:00:00.000Z';
	const org = new Y.Doc();
	const contractorIds = Array.from({ length: CONTRACTORS }, (_, i) => `C${i + 1}`);
	const cdocs = new Map<string, Y.Doc>();
	const workers: string[] = [];
	org.transact(() => {
		org.getMap('sites').set('S1', {
			schema: 1,
			id: 'S1',
			name: '滨江一号工地',
			kind: 'construction',
			timeZone: 'Asia/Shanghai',
			createdAt: at
		});
		for (const cid of contractorIds)
			org.getMap('contractors').set(cid, {
				schema: 1,
				id: cid,
				name: `第${cid.slice(1)}建设工程有限公司`,
				contactName: '王队长',
				contactPhone: '13800000000',
				sites: ['S1'],
				createdAt: at
			});
	});
	const per = WORKERS / CONTRACTORS;
	contractorIds.forEach((cid, ci) => {
		const doc = new Y.Doc();
		const ledger = generateLedger(per, cid, 1000 + ci);
		doc.transact(() => {
			for (const w of ledger.workers) {
				workers.push(w.id);
				doc.getMap('workers').set(w.id, w);
				if (rand() < 0.8)
					doc.getMap('health').set(w.id, {
						schema: 1,
						workerId: w.id,
						bloodType: ['A', 'B', 'AB', 'O'][Math.floor(rand() * 4)],
						rh: rand() < 0.99 ? '+' : '-',
						...(rand() < 0.1 ? { allergies: '青霉素' } : {}),
						updatedAt: at
					});
				doc.getMap('emergency').set(w.id, {
					schema: 1,
					workerId: w.id,
					name: `${w.name.slice(0, 1)}家属`,
					relation: '配偶',
					phone: `137${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`,
					updatedAt: at
				});
			}
		});
		cdocs.set(cid, doc);
	});

	// Zones in a 1.2 km × 0.9 km site: a grid of 4 × 3.
	const control = new Y.Doc();
	const base: [number, number] = [31.23, 121.47];
	const cell = 0.003;
	control.transact(() => {
		for (let i = 0; i < ZONES; i++) {
			const lat = base[0] + Math.floor(i / 4) * cell;
			const lng = base[1] + (i % 4) * cell;
			control.getMap('zones').set(`z${i}`, {
				schema: 1,
				id: `z${i}`,
				siteId: 'S1',
				name: `${i + 1}号作业区`,
				kind: i % 5 === 0 ? 'danger' : 'work',
				requiresPermit: false,
				area: [
					[lat, lng],
					[lat, lng + cell],
					[lat + cell, lng + cell],
					[lat + cell, lng]
				],
				permitKinds: [],
				neighbours: [],
				updatedAt: at,
				updatedBy: 'bench'
			});
		}
	});

	// A month's attendance: DAYS days of entries and exits; on the last day 5,000 are in.
	const events = new Y.Doc();
	const day0 = Date.UTC(2026, 10, 10, 0, 0);
	let attendance = 0;
	let pings = 0;
	const put = (map: string, id: string, value: unknown) => events.getMap(map).set(id, value);
	events.transact(() => {
		for (let d = 0; d < DAYS; d++) {
			const last = d === DAYS - 1;
			for (let i = 0; i < workers.length; i++) {
				if (last ? i >= ON_SITE : rand() < 0.1) continue;
				const workerId = workers[i]!;
				const inAt = day0 + d * 86_400_000 + Math.floor(rand() * 3 * 3600_000);
				const passages: ['in' | 'out', number][] = [['in', inAt]];
				if (!last) passages.push(['out', inAt + 9 * 3600_000 + Math.floor(rand() * 3600_000)]);
				for (const [direction, t] of passages) {
					const id = newUlid(t);
					put('attendance', id, {
						schema: 1,
						id,
						siteId: 'S1',
						workerId,
						contractorId: `C${Math.floor(i / per) + 1}`,
						direction,
						at: new Date(t).toISOString(),
						deviceId: 'gate-1',
						method: 'face',
						matchScore: 0.81,
						liveness: 'passed',
						allow: true,
						reasons: []
					});
					attendance++;
				}
				if (!last) continue;
				for (let p = 0; p < PINGS_PER_PERSON; p++) {
					const t = inAt + (p + 1) * 10 * 60_000;
					const id = newUlid(t);
					put('pings', id, {
						schema: 1,
						id,
						workerId,
						at: new Date(t).toISOString(),
						lat: base[0] + rand() * 3 * cell,
						lng: base[1] + rand() * 4 * cell,
						accuracy: 10
					});
					pings++;
				}
			}
		}
	});

	// The muster, started on a device that saw the 5,000, and half of them ticked.
	const actor = { claims, org: { contractorSites: () => ['S1'] } };
	const startAt = new Date(day0 + (DAYS - 1) * 86_400_000 + 5 * 3600_000);
	const presence = new Presence('S1');
	presence.follow(events);
	const m = startMuster(
		events,
		EV,
		actor,
		{
			siteId: 'S1',
			drill: true,
			reason: '季度演练',
			roster: presence.present().map((p) => p.workerId),
			byName: '安全员'
		},
		startAt
	);
	for (let i = 0; i < TICKED; i++)
		markRollCall(
			events,
			EV,
			actor,
			{ musterId: m.id, workerId: workers[i]!, status: 'accounted', byName: '安全员' },
			new Date(startAt.getTime() + 60_000 + i * 200)
		);

	const updates = new Map<string, Uint8Array>([
		['org', Y.encodeStateAsUpdate(org)],
		[controlDoc('S1'), Y.encodeStateAsUpdate(control)],
		[EV, Y.encodeStateAsUpdate(events)],
		...[...cdocs].map(([cid, doc]): [string, Uint8Array] => [
			contractorDoc(cid),
			Y.encodeStateAsUpdate(doc)
		])
	]);
	return {
		updates,
		counts: { workers: workers.length, attendance, pings, ticks: TICKED, zones: ZONES },
		musterId: m.id
	};
}

/** A device opening the muster page: its documents loaded, who is in, the list. */
function open(built: Built) {
	const t0 = performance.now();
	const docs = new Map<string, Y.Doc>();
	for (const [name, update] of built.updates) {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, update);
		docs.set(name, doc);
	}
	const t1 = performance.now();
	const events = docs.get(EV)!;
	const presence = new Presence('S1');
	presence.follow(events);
	const t2 = performance.now();
	const contractors = new Map<string, Y.Doc>();
	for (let i = 1; i <= CONTRACTORS; i++)
		contractors.set(`C${i}`, docs.get(contractorDoc(`C${i}`))!);
	const muster = readMuster(events, built.musterId);
	const rollCall = new RollCall(events, muster.id);
	const input: MusterInput = {
		muster,
		musterDoc: events,
		marks: rollCall.marks,
		presence,
		pings: lastPings([events]),
		zones: geoZones(docs.get(controlDoc('S1'))!),
		contractors,
		org: docs.get('org')!,
		claims,
		now: new Date(Date.parse(muster.startedAt) + 600_000)
	};
	const base = describePeople(input);
	const view = assembleView(base, input);
	const t3 = performance.now();
	return {
		docs,
		events,
		input,
		base,
		view,
		rollCall,
		ms: { decode: t1 - t0, presence: t2 - t1, list: t3 - t2, total: t3 - t0 }
	};
}

function readMuster(events: Y.Doc, id: string) {
	return events.getMap('musters').get(id) as MusterInput['muster'] & object;
}

async function run(): Promise<BenchResult> {
	const started = performance.now();
	const built = build();
	const bytes = [...built.updates.values()].reduce((a, u) => a + u.byteLength, 0);
	const eventsBytes = built.updates.get(EV)!.byteLength;

	const cold = { decode: [] as number[], presence: [] as number[], list: [] as number[] };
	const total: number[] = [];
	let opened = open(built); // warm-up (JIT), not counted
	for (let r = 0; r < ROUNDS; r++) {
		opened = open(built);
		cold.decode.push(opened.ms.decode);
		cold.presence.push(opened.ms.presence);
		cold.list.push(opened.ms.list);
		total.push(opened.ms.total);
	}
	const rows = opened.view.rows.length;
	const accounted = opened.view.counts.accounted;

	// The list alone on loaded documents (musterView: people + statuses).
	const viewMs: number[] = [];
	for (let r = 0; r < ROUNDS; r++) {
		const t0 = performance.now();
		musterView(opened.input);
		viewMs.push(performance.now() - t0);
	}

	// One tick (here or synced from another device) → the new list: the RollCall observer reads
	// the one new mark, assembleView re-sorts without re-reading anyone.
	const actor = { claims, org: { contractorSites: () => ['S1'] } };
	const tickMs: number[] = [];
	const writeMs: number[] = [];
	const unticked = opened.view.rows.filter((r) => r.status === 'unaccounted');
	let last = opened.view;
	for (let r = 0; r < ROUNDS * 3; r++) {
		const row = unticked[r]!;
		const t0 = performance.now();
		markRollCall(opened.events, EV, actor, {
			musterId: opened.input.muster!.id,
			workerId: row.workerId,
			status: 'accounted',
			byName: '安全员'
		});
		const t1 = performance.now();
		last = assembleView(opened.base, opened.input);
		tickMs.push(performance.now() - t0);
		writeMs.push(t1 - t0);
	}
	if (last.counts.accounted !== accounted + ROUNDS * 3)
		throw new Error(`ticks not counted: ${last.counts.accounted}`);

	const totalMedian = [...total].sort((a, b) => a - b)[Math.floor(total.length / 2)]!;
	const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
	// The issue's target: the list from local data (documents loaded, as the running app has them).
	const fromLoaded = median(cold.presence) + median(cold.list);
	const failures =
		fromLoaded > BUDGET_MS
			? [
					`the muster list for ${rows} people took ${fmt(fromLoaded)} ms from loaded documents (median), over the ${BUDGET_MS} ms target`
				]
			: [];
	const notes = [
		`${rows} rows listed, ${accounted} of them ticked before the run; documents ${mib(bytes)} encoded (the month's events ${mib(eventsBytes)}).`
	];
	if (totalMedian > BUDGET_MS)
		notes.push(
			`Over the ${BUDGET_MS} ms budget from encoded documents (median ${fmt(totalMedian)} ms): see the breakdown; decoding the month's events is most of it.`
		);
	return {
		name: 'muster',
		title: 'The muster list for 5,000 people on site, from local data',
		measures:
			'In Node: from the encoded documents a device keeps (org, 20 contractor documents, the site control document, the month’s events) to the list — decoding into fresh Y.Docs, `Presence` following the month, then `describePeople` + `assembleView` (the page’s LiveMuster does the same); the list alone on loaded documents (`musterView`); one roll-call tick written to the events document → the re-sorted list.',
		machine: machineInfo(),
		durationSeconds: (performance.now() - started) / 1000,
		params: {
			contractors: CONTRACTORS,
			workers: WORKERS,
			onSite: ON_SITE,
			days: DAYS,
			pingsPerPerson: PINGS_PER_PERSON,
			zones: ZONES,
			ticked: TICKED,
			rounds: ROUNDS,
			budgetMs: BUDGET_MS
		},
		failures,
		metrics: {
			total: metric('encoded documents → list (decode + presence + list)', 'ms', total),
			decode: metric('decode every document into a fresh Y.Doc', 'ms', cold.decode),
			presence: metric('Presence: first pass over the month’s attendance', 'ms', cold.presence),
			list: metric('the list: pings, zones, roll call, people, statuses', 'ms', cold.list),
			view: metric('musterView alone (documents loaded)', 'ms', viewMs),
			tick: metric('one tick → re-sorted list', 'ms', tickMs),
			tickWrite: metric(
				'of which writing the tick (checked, authorised, in a transaction)',
				'ms',
				writeMs
			)
		},
		extra: { ...built.counts, bytes, eventsBytes, rows },
		notes
	};
}

function render(r: BenchResult): string {
	const x = r.extra as {
		workers: number;
		attendance: number;
		pings: number;
		zones: number;
		ticks: number;
		bytes: number;
		eventsBytes: number;
		rows: number;
	};
	const t = r.metrics.total!.summary;
	const fromLoaded = r.metrics.presence!.summary.median + r.metrics.list!.summary.median;
	return [
		metricsTable(r, ['total', 'decode', 'presence', 'list', 'view', 'tick', 'tickWrite']),
		'',
		`Data: ${x.workers} workers in ${r.params.contractors} contractor documents (80 % with a health record, all with an emergency contact), ${x.attendance} attendance records over ${r.params.days} days with ${r.params.onSite} people in now, ${x.pings} pings, ${x.zones} zones, a muster with ${x.ticks} ticks; ${mib(x.bytes)} encoded, of which the month’s events ${mib(x.eventsBytes)}.`,
		'',
		`**Reading:** with the documents already in memory (the app keeps its replicas open, so opening the page or pressing the button starts here) the list for ${x.rows} people takes ${fmt(fromLoaded)} ms (who is on site ${fmt(r.metrics.presence!.summary.median)} ms + the list ${fmt(r.metrics.list!.summary.median)} ms), against the ${r.params.budgetMs} ms budget${fromLoaded > Number(r.params.budgetMs) ? ` — **over it by ${fmt(fromLoaded - Number(r.params.budgetMs))} ms**; the biggest part is \`Presence\`’s first pass validating every one of the ${x.attendance} attendance records, where validating only each worker’s newest passage (as \`lastPings\` does for pings) is the next fix` : ''}. From the encoded documents, as a device that has just started reads them from IndexedDB, it is ${fmt(t.median)} ms at the median (${fmt(t.min)}–${fmt(t.max)} ms), most of it Yjs decoding the month’s events. A tick re-sorts the list in ${fmt(r.metrics.tick!.summary.median)} ms without re-reading anyone. The page renders the first 150 rows and more as you scroll (printing renders all).`
	].join('\n');
}

export const musterBench: Benchmark = {
	name: 'muster',
	title: 'The muster list for 5,000 people on site, from local data',
	run,
	render,
	headline: (r) => {
		const p = r.metrics.presence!.summary.median + r.metrics.list!.summary.median;
		const t = r.metrics.total!.summary;
		return `documents loaded → list ${fmt(p)} ms; from encoded documents ${fmt(t.median)} ms (${fmt(t.min)}–${fmt(t.max)}); tick → list ${fmt(r.metrics.tick!.summary.median)} ms; budget ${BUDGET_MS} ms`;
	}
};
