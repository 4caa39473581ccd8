// relay-throughput: 50 clients on 10 contractor documents (5 each) writing small records as fast as
// the child-process relay accepts them for 10 s: accepted (stored) updates/s and deliveries/s.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataDir } from '../sync-server/datadir';
import { connectClient, seedOrg, sleep, waitFor, type NodeClient } from './lib/clients';
import { prepareDataDir, startRelayChild } from './lib/relay-child';
import { latencyTable, metricsTable } from './lib/report';
import { machineInfo, metric, type Benchmark, type BenchResult } from './lib/result';
import { fmt } from './lib/stats';

const DOCS = 10;
const PER_DOC = 5;
const DURATION_MS = 10_000;
/** Updates a writer may have sent that no other client has received yet (closed loop). */
const WINDOW = 4;
/** Hard cap on updates in one run, whatever the machine. */
const MAX_UPDATES = 300_000;

interface Writer {
	index: number;
	doc: number;
	client: NodeClient;
	seq: number;
	outstanding: number;
	sentAt: Map<number, number>;
}

function record(writer: number, doc: number, seq: number, at: string) {
	const id = `T${writer}-${seq}`;
	return {
		id,
		value: {
			schema: 2,
			id,
			contractorId: `C${doc + 1}`,
			name: '测试工人',
			docType: 'passport',
			docNumber: `E${String(writer * 1_000_000 + seq).padStart(8, '0')}`,
			phone: '13800138000',
			trade: '焊工',
			createdAt: at,
			updatedAt: at
		}
	};
}

/**
 * The ceiling the disk sets: single-row SQLite commits per second with the relay's pragmas (WAL,
 * synchronous=FULL) in the same temp folder, nothing else going on.
 */
function sqliteCommitsPerSecond(): number {
	const dir = mkdtempSync(join(tmpdir(), 'sitepass-bench-fsync-'));
	const db = new Database(join(dir, 'probe.db'));
	try {
		db.pragma('journal_mode = WAL');
		db.pragma('synchronous = FULL');
		db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)');
		const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
		const payload = Buffer.alloc(300, 7);
		const start = performance.now();
		let n = 0;
		while (performance.now() - start < 1500) {
			insert.run(payload);
			n++;
		}
		return n / ((performance.now() - start) / 1000);
	} finally {
		db.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

async function run(): Promise<BenchResult> {
	const started = performance.now();
	const prepared = await prepareDataDir('sitepass-bench-throughput-');
	const relay = await startRelayChild(prepared);
	const notes: string[] = [];
	let stopped = false;
	try {
		await seedOrg(relay.url, prepared.tokens.admin, DOCS);
		const writers: Writer[] = [];
		for (let d = 0; d < DOCS; d++) {
			for (let k = 0; k < PER_DOC; k++) {
				const client = connectClient(relay.url, `contractor:C${d + 1}`, prepared.tokens.lead);
				writers.push({
					index: writers.length,
					doc: d,
					client,
					seq: 0,
					outstanding: 0,
					sentAt: new Map()
				});
			}
		}
		await Promise.all(writers.map((w) => w.client.synced()));

		let start = 0;
		let end = Infinity;
		let sent = 0;
		let acked = 0;
		let deliveries = 0;
		let deliveriesInWindow = 0;
		const seconds = Math.ceil(DURATION_MS / 1000);
		const ackedPerSecond = new Array<number>(seconds).fill(0);
		const deliveredPerSecond = new Array<number>(seconds).fill(0);
		const ackLatency: number[] = [];
		const at = new Date().toISOString();

		const pump = (w: Writer) => {
			const workers = w.client.doc.getMap('workers');
			while (w.outstanding < WINDOW && performance.now() < end && sent < MAX_UPDATES) {
				const seq = w.seq++;
				const { id, value } = record(w.index, w.doc, seq, at);
				w.outstanding++;
				sent++;
				w.sentAt.set(seq, performance.now());
				// One small record per transaction: one update message each.
				workers.set(id, value);
			}
		};

		for (const reader of writers) {
			const workers = reader.client.doc.getMap('workers');
			workers.observe((event) => {
				if (event.transaction.origin !== reader.client.provider) return;
				const now = performance.now();
				for (const key of event.keysChanged) {
					const dash = key.indexOf('-');
					const from = writers[Number(key.slice(1, dash))]!;
					const seq = Number(key.slice(dash + 1));
					deliveries++;
					const second = Math.floor((now - start) / 1000);
					if (now < end) {
						deliveriesInWindow++;
						deliveredPerSecond[second]!++;
					}
					const sentAt = from.sentAt.get(seq);
					if (sentAt === undefined) continue;
					// First device to receive it: the relay has stored it (it commits before forwarding).
					from.sentAt.delete(seq);
					from.outstanding--;
					acked++;
					ackLatency.push(now - sentAt);
					const sentSecond = Math.floor((sentAt - start) / 1000);
					if (sentSecond < seconds) ackedPerSecond[sentSecond]!++;
					setImmediate(() => pump(from));
				}
			});
		}

		const cpuRelay0 = relay.cpuSeconds();
		const cpuGen0 = process.cpuUsage();
		start = performance.now();
		end = start + DURATION_MS;
		for (const w of writers) pump(w);
		await sleep(DURATION_MS);
		const windowRelayCpu = relay.cpuSeconds() - cpuRelay0;
		const gen = process.cpuUsage(cpuGen0);
		const windowGenCpu = (gen.user + gen.system) / 1e6;
		const ackedInWindow = acked;
		// Drain: everything sent is acknowledged, then every other client has it.
		await waitFor(() => acked === sent, 'all updates acknowledged', 30_000).catch((err) =>
			notes.push(String(err))
		);
		const expectedDeliveries = sent * (PER_DOC - 1);
		await waitFor(() => deliveries >= expectedDeliveries, 'all deliveries', 30_000).catch((err) =>
			notes.push(String(err))
		);
		const refused = writers.filter((w) => w.client.closedWith).length;
		if (refused) notes.push(`${refused} sockets were closed by the relay`);
		const refusals = relay.refusals();
		if (refusals.length) notes.push(`relay log: ${refusals.slice(0, 3).join('; ')}`);
		const memory = relay.memory();
		for (const w of writers) w.client.destroy();
		await relay.stop();
		stopped = true;

		// What the relay durably holds, read from its database after it shut down.
		const data = openDataDir(prepared.dataDir);
		let stored = 0;
		try {
			for (let d = 1; d <= DOCS; d++) {
				const doc = data.storage.loadDoc(`contractor:C${d}`);
				stored += doc.getMap('workers').size;
				doc.destroy();
			}
		} finally {
			data.close();
		}
		if (stored !== sent) notes.push(`sent ${sent} updates but the relay stored ${stored}`);

		const secondsRun = DURATION_MS / 1000;
		const sqliteCeiling = sqliteCommitsPerSecond();
		return {
			name: 'relay-throughput',
			title: 'Relay throughput, 50 clients on 10 documents',
			measures:
				'50 Node y-websocket clients (5 per contractor document, 10 documents) each keep up to 4 one-record updates in flight for 10 s against the relay in a child process; an update counts as accepted when another client receives it (the relay commits to SQLite before forwarding), deliveries count every receipt by the other 4 clients.',
			machine: machineInfo(),
			durationSeconds: (performance.now() - started) / 1000,
			params: {
				documents: DOCS,
				clientsPerDocument: PER_DOC,
				clients: DOCS * PER_DOC,
				windowPerClient: WINDOW,
				durationMs: DURATION_MS,
				maxUpdates: MAX_UPDATES,
				recordBytesJson: JSON.stringify(record(49, 9, 99_999, new Date().toISOString()).value)
					.length,
				transport: 'ws over loopback, one process for all 50 clients, relay in another'
			},
			metrics: {
				acceptedPerSecond: metric('accepted updates per 1-s slice', 'updates/s', ackedPerSecond),
				deliveriesPerSecond: metric(
					'deliveries to other clients per 1-s slice',
					'deliveries/s',
					deliveredPerSecond
				),
				ackLatency: metric('send → first other client has it, under load', 'ms', ackLatency)
			},
			extra: {
				sent,
				acknowledged: acked,
				ackedInWindow,
				storedAfterShutdown: stored,
				deliveries,
				deliveriesInWindow,
				expectedDeliveries,
				acceptedPerSecondOverall: ackedInWindow / secondsRun,
				deliveriesPerSecondOverall: deliveriesInWindow / secondsRun,
				relayCpuShare: windowRelayCpu / secondsRun,
				generatorCpuShare: windowGenCpu / secondsRun,
				relayRssMiB: memory.rssMiB,
				relayPeakRssMiB: memory.peakMiB,
				sqliteCommitsPerSecond: sqliteCeiling
			},
			notes
		};
	} finally {
		if (!stopped) await relay.stop();
		relay.cleanup();
	}
}

function render(r: BenchResult): string {
	const x = r.extra as {
		sent: number;
		storedAfterShutdown: number;
		deliveries: number;
		expectedDeliveries: number;
		acceptedPerSecondOverall: number;
		deliveriesPerSecondOverall: number;
		relayCpuShare: number;
		generatorCpuShare: number;
		relayPeakRssMiB: number;
		sqliteCommitsPerSecond: number;
	};
	// better-sqlite3 commits synchronously on the relay's event loop: time blocked in fsync is not
	// CPU time, so estimate it from the bare commit rate measured on the same disk.
	const fsyncShare = x.acceptedPerSecondOverall / x.sqliteCommitsPerSecond;
	const relayBusy = x.relayCpuShare + fsyncShare;
	const genBound = x.generatorCpuShare >= 0.85;
	const bottleneck =
		relayBusy >= 0.85
			? `the relay's single thread was busy for essentially the whole window: about ${fmt(x.relayCpuShare * 100)} % on CPU (authorization, applying the update, forwarding it) plus an estimated ${fmt(fsyncShare * 100)} % blocked in synchronous SQLite commits (one fsync per accepted update, on the event loop). ${fsyncShare > x.relayCpuShare ? 'Waiting for the disk is the larger share' : 'CPU is the larger share, the disk a close second'}; committing several waiting updates in one transaction (group commit) would raise the ceiling if it ever mattered. Under this saturating load the acknowledgement latency is queueing: 200 updates in flight divided by the rate`
			: genBound
				? 'the load generator (50 Yjs clients applying each other’s updates in one Node process) was the busy one, so the relay was not saturated and this number is a lower bound for it'
				: 'neither process was saturated: the 4-update window per client and the round trips set the pace, so this is a lower bound for the relay';
	return [
		metricsTable(r, ['acceptedPerSecond', 'deliveriesPerSecond']),
		'',
		latencyTable(r, ['ackLatency']),
		'',
		`Whole window: **${fmt(x.acceptedPerSecondOverall)} accepted updates/s** and **${fmt(x.deliveriesPerSecondOverall)} deliveries/s**. ` +
			`Sent ${fmt(x.sent)}, found in the relay's database after shutdown ${fmt(x.storedAfterShutdown)}` +
			`${x.sent === x.storedAfterShutdown ? ' (all of them)' : ' (MISMATCH)'}; deliveries ${fmt(x.deliveries)} of ${fmt(x.expectedDeliveries)} expected. ` +
			`A bare SQLite commit probe with the relay's pragmas in the same temp folder: ${fmt(x.sqliteCommitsPerSecond)} commits/s. ` +
			`CPU during the window: relay ${fmt(x.relayCpuShare * 100)} % of a core, load generator ${fmt(x.generatorCpuShare * 100)} %; relay peak RSS ${fmt(x.relayPeakRssMiB)} MiB.`,
		'',
		`**Reading:** ${
			r.background && Math.max(r.background.before, r.background.after) > 0.1
				? 'other work was using the machine during this run (see above), so the CPU shares below say little about where the relay’s limit is; on these shares alone, '
				: ''
		}${bottleneck}. Each accepted update costs the relay an authorization pass, one ` +
			'SQLite commit with fsync and a forward to 4 sockets. This VM’s disk is erratic: while these ' +
			'benchmarks were written the bare commit probe ranged from about 1,000 to 4,800 commits/s between ' +
			'runs, and this benchmark from about 290 to 2,200 accepted updates/s (the low end with other test suites running on the machine) — read the number with the probe beside it. A site relay serving a few hundred ' +
			'devices that make a handful of edits a minute each needs a few updates per second, orders of ' +
			'magnitude below this; bursts (a gate syncing a day of events after an outage) arrive as one ' +
			'merged update per document rather than as thousands of small ones.'
	].join('\n');
}

export const relayThroughput: Benchmark = {
	name: 'relay-throughput',
	title: 'Relay throughput, 50 clients on 10 documents',
	run,
	render,
	headline: (r) => {
		const a = r.metrics.acceptedPerSecond!.summary;
		const d = r.metrics.deliveriesPerSecond!.summary;
		return `${fmt(a.median)} accepted updates/s (1-s slices p10–p90 ${fmt(a.p10)}–${fmt(a.p90)}, n=${a.n}); ${fmt(d.median)} deliveries/s (${fmt(d.p10)}–${fmt(d.p90)})`;
	}
};
