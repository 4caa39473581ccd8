// One measurement of automerge-vs-yjs in a fresh process (run with --expose-gc): build and encode
// the ledger, or decode it and measure memory, edit time and propagating one edit to a 2nd replica.
import * as A from '@automerge/automerge';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as Y from 'yjs';
import type { Ledger } from './lib/ledger';

export type Variant = 'yjs' | 'automerge' | 'automerge-text';
export const VARIANTS: readonly Variant[] = ['yjs', 'automerge', 'automerge-text'];

export interface BuildOutput {
	buildMs: number;
	saveMs: number;
	bytes: number;
	gzipBytes: number;
	peakRssMiB: number;
}

export interface LoadOutput {
	loadMs: number;
	heapDeltaMiB: number;
	externalDeltaMiB: number;
	rssDeltaMiB: number;
	records: number;
	edits?: {
		firstMs: number;
		samplesMs: number[];
		/** Bytes of the change one edit makes (Yjs update / Automerge change). */
		changeBytes: number[];
		propagate: {
			/** Sync handshake between two replicas already holding the same document. */
			handshake: { ms: number; messages: number; bytes: number };
			ms: number[];
			bytes: number[];
			messages: number[];
		};
	};
}

type Rec = Record<string, unknown>;
type AmDoc = { workers: Record<string, Rec>; certificates: Record<string, Rec> };

const gc = () => {
	const collect = (globalThis as { gc?: () => void }).gc;
	if (!collect) throw new Error('run with --expose-gc');
	for (let i = 0; i < 3; i++) collect();
};
const MiB = 2 ** 20;

/** Automerge stores JS strings as collaborative text; ImmutableString is its scalar string. */
function scalarStrings(record: Rec): Rec {
	const out: Rec = {};
	for (const [k, v] of Object.entries(record)) {
		out[k] = typeof v === 'string' ? new A.ImmutableString(v) : v;
	}
	return out;
}

/** Builds the document in memory (one transaction / one change), then encodes it. */
function build(
	variant: Variant,
	ledger: Ledger
): { buildMs: number; saveMs: number; bytes: Uint8Array } {
	const t0 = performance.now();
	if (variant === 'yjs') {
		const doc = new Y.Doc();
		doc.transact(() => {
			const workers = doc.getMap('workers');
			const certificates = doc.getMap('certificates');
			for (const w of ledger.workers) workers.set(w.id, w);
			for (const c of ledger.certificates) certificates.set(c.id, c);
		});
		const t1 = performance.now();
		const bytes = Y.encodeStateAsUpdate(doc);
		return { buildMs: t1 - t0, saveMs: performance.now() - t1, bytes };
	}
	const conv = variant === 'automerge' ? scalarStrings : (r: Rec) => r;
	const workers: Record<string, Rec> = {};
	const certificates: Record<string, Rec> = {};
	for (const w of ledger.workers) workers[w.id] = conv(w as unknown as Rec);
	for (const c of ledger.certificates) certificates[c.id] = conv(c as unknown as Rec);
	const doc = A.from<AmDoc>({ workers, certificates });
	const t1 = performance.now();
	const bytes = A.save(doc);
	return { buildMs: t1 - t0, saveMs: performance.now() - t1, bytes };
}

function phoneFor(i: number): string {
	return '139' + String(10_000_000 + i * 7919).slice(-8);
}

interface Replica {
	count(): number;
	edit(id: string, phone: string): number;
	phone(id: string): unknown;
}

function yjsReplica(bytes: Uint8Array): { replica: Replica; doc: Y.Doc } {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, bytes);
	const workers = doc.getMap<Rec>('workers');
	const certificates = doc.getMap<Rec>('certificates');
	let last = 0;
	doc.on('update', (u: Uint8Array) => {
		last = u.length;
	});
	return {
		doc,
		replica: {
			count: () => workers.size + certificates.size,
			edit: (id, phone) => {
				workers.set(id, { ...workers.get(id), phone, updatedAt: new Date().toISOString() });
				return last;
			},
			phone: (id) => workers.get(id)?.phone
		}
	};
}

function loadAndEdit(
	variant: Variant,
	bytes: Uint8Array,
	ids: string[],
	edits: boolean
): LoadOutput {
	gc();
	const m0 = process.memoryUsage();
	const t0 = performance.now();
	let count: () => number;
	let yjs: { replica: Replica; doc: Y.Doc } | null = null;
	let am: AmDoc | null = null;
	if (variant === 'yjs') {
		yjs = yjsReplica(bytes);
		count = yjs.replica.count;
	} else {
		am = A.load<AmDoc>(bytes);
		const doc = am;
		count = () => Object.keys(doc.workers).length + Object.keys(doc.certificates).length;
	}
	const records = count();
	const loadMs = performance.now() - t0;
	gc();
	const m1 = process.memoryUsage();
	const out: LoadOutput = {
		loadMs,
		heapDeltaMiB: (m1.heapUsed - m0.heapUsed) / MiB,
		externalDeltaMiB: (m1.external - m0.external) / MiB,
		rssDeltaMiB: (m1.rss - m0.rss) / MiB,
		records
	};
	if (!edits) return out;

	const samplesMs: number[] = [];
	const changeBytes: number[] = [];
	const propagate = { ms: [] as number[], bytes: [] as number[], messages: [] as number[] };
	let firstMs = NaN;
	let handshake = { ms: NaN, messages: 0, bytes: 0 };
	const editCount = ids.length;

	if (yjs) {
		const replica = yjs.replica;
		for (let i = 0; i < editCount; i++) {
			const t = performance.now();
			const size = replica.edit(ids[i]!, phoneFor(i));
			const ms = performance.now() - t;
			if (i === 0) firstMs = ms;
			else samplesMs.push(ms);
			changeBytes.push(size);
		}
		// Second replica holding the same state; edits travel as Yjs updates. The handshake is
		// y-protocols' both ways: state vector each, and each side's (empty) difference.
		const other = yjsReplica(Y.encodeStateAsUpdate(yjs.doc));
		const t = performance.now();
		const sv1 = Y.encodeStateVector(other.doc);
		const diff1 = Y.encodeStateAsUpdate(yjs.doc, sv1);
		Y.applyUpdate(other.doc, diff1);
		const sv2 = Y.encodeStateVector(yjs.doc);
		const diff2 = Y.encodeStateAsUpdate(other.doc, sv2);
		Y.applyUpdate(yjs.doc, diff2);
		handshake = {
			ms: performance.now() - t,
			messages: 4,
			bytes: sv1.length + diff1.length + sv2.length + diff2.length
		};
		let update: Uint8Array = new Uint8Array();
		yjs.doc.on('update', (u: Uint8Array) => {
			update = u;
		});
		for (let i = 0; i < editCount; i++) {
			const phone = phoneFor(1000 + i);
			// The update is encoded inside the edit's transaction (timed as the edit); this is apply.
			replica.edit(ids[i]!, phone);
			const t2 = performance.now();
			Y.applyUpdate(other.doc, update);
			const t3 = performance.now();
			if (other.replica.phone(ids[i]!) !== phone) throw new Error('Yjs edit did not arrive');
			propagate.ms.push(t3 - t2);
			propagate.bytes.push(update.length);
			propagate.messages.push(1);
		}
	} else {
		let doc = am!;
		const str =
			variant === 'automerge' ? (s: string) => new A.ImmutableString(s) : (s: string) => s;
		const editAm = (d: AmDoc, id: string, phone: string) =>
			A.change(d, (x) => {
				x.workers[id]!.phone = str(phone);
				x.workers[id]!.updatedAt = str(new Date().toISOString());
			});
		for (let i = 0; i < editCount; i++) {
			const t = performance.now();
			doc = editAm(doc, ids[i]!, phoneFor(i));
			const ms = performance.now() - t;
			if (i === 0) firstMs = ms;
			else samplesMs.push(ms);
			changeBytes.push(A.getLastLocalChange(doc)?.length ?? NaN);
		}
		// Second replica with its own actor; edits travel by Automerge's sync protocol.
		let other = A.clone(doc, randomBytes(16).toString('hex'));
		let s1 = A.initSyncState();
		let s2 = A.initSyncState();
		const sync = () => {
			let messages = 0;
			let size = 0;
			for (let round = 0; round < 20; round++) {
				let m1: Uint8Array | null;
				let m2: Uint8Array | null;
				[s1, m1] = A.generateSyncMessage(doc, s1);
				if (m1) {
					messages++;
					size += m1.length;
					[other, s2] = A.receiveSyncMessage(other, s2, m1);
				}
				[s2, m2] = A.generateSyncMessage(other, s2);
				if (m2) {
					messages++;
					size += m2.length;
					[doc, s1] = A.receiveSyncMessage(doc, s1, m2);
				}
				if (!m1 && !m2) return { messages, bytes: size };
			}
			throw new Error('Automerge sync did not settle in 20 rounds');
		};
		const th = performance.now();
		const hs = sync();
		handshake = { ms: performance.now() - th, ...hs };
		for (let i = 0; i < editCount; i++) {
			const phone = phoneFor(1000 + i);
			doc = editAm(doc, ids[i]!, phone);
			const t = performance.now();
			const r = sync();
			propagate.ms.push(performance.now() - t);
			propagate.bytes.push(r.bytes);
			propagate.messages.push(r.messages);
			if (String(other.workers[ids[i]!]!.phone) !== phone) {
				throw new Error('Automerge edit did not arrive');
			}
		}
	}
	out.edits = { firstMs, samplesMs, changeBytes, propagate: { handshake, ...propagate } };
	return out;
}

async function main() {
	const [task, variant, dir, editsArg] = process.argv.slice(2) as [
		string,
		Variant,
		string,
		string?
	];
	if (!VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}`);
	const file = join(dir, `${variant}.bin`);
	if (task === 'build') {
		const ledger = JSON.parse(readFileSync(join(dir, 'ledger.json'), 'utf8')) as Ledger;
		const { buildMs, saveMs, bytes } = build(variant, ledger);
		const peakRssMiB = process.resourceUsage().maxRSS / 1024;
		writeFileSync(file, bytes);
		const out: BuildOutput = {
			buildMs,
			saveMs,
			bytes: bytes.length,
			gzipBytes: gzipSync(bytes).length,
			peakRssMiB
		};
		process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
	} else if (task === 'load') {
		const ids = JSON.parse(readFileSync(join(dir, 'edit-ids.json'), 'utf8')) as string[];
		const bytes = new Uint8Array(readFileSync(file));
		const out = loadAndEdit(variant, bytes, ids, editsArg === 'edits');
		process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
	} else {
		throw new Error(`unknown task ${task}`);
	}
}

await main();
