// face-match: 1:N face search with the gate's FaceIndex (src/lib/vision/matcher.ts) at 1,000,
// 10,000 and 50,000 templates of 1024 values, in Node and in headless Chromium (the gate runs in a
// browser): latency of one search, the index's memory, and for reference a plain float32 loop.
//
// The harness below runs unchanged in both places: the page gets it bundled by esbuild from this
// very file. That is why the Node-only modules (playwright, esbuild, lib/result) are imported
// inside run(), and only pure modules at the top.
import {
	decodeTemplate,
	encodeTemplate,
	FaceIndex,
	type KernelName
} from '../src/lib/vision/matcher';
import { mib } from './lib/report';
import type { Benchmark, BenchResult, Metric } from './lib/result';
import { fmt } from './lib/stats';

type Variant = 'wasm' | 'js' | 'float32';

const DIM = 1024;
const SIZES = [1_000, 10_000, 50_000];
/** Enrolment keeps 3–5 frames per worker; the cost of a search depends on templates only. */
const PER_WORKER = 5;
/** Searches per run: the shipped kernel, and the slower reference variants. */
const SEARCHES: Record<Variant, number> = { wasm: 300, js: 200, float32: 200 };
const WARMUP = 30;
const SEED = 7;
/** Probes are new sightings of an enrolled worker: cosine ≈ 0.8 to one of their templates. */
const PROBE_SIMILARITY = 0.8;
const MATCH = { threshold: 0.5, margin: 0.05 };
const BUDGET_MS = 5;

export interface HarnessResult {
	variant: Variant;
	kernel: KernelName | 'float32-js';
	templates: number;
	/** ms to add all templates (quantising and rotating them), random generation excluded. */
	buildMs: number;
	/**
	 * SIMD variant only: ms to build the index again from the templates as stored in records
	 * (encodeTemplate strings), passed to `add` as they are, and after decodeTemplate.
	 */
	fromTextMs: number | null;
	fromDecodedMs: number | null;
	/** One sample per search, ms. */
	searchMs: number[];
	memoryBytes: number;
	/** Searches whose decision was `match` with the probe's own worker. */
	correct: number;
	crossOriginIsolated: boolean | null;
}

/** mulberry32 with Box–Muller: the same data in Node and in the page. */
function random(seed: number) {
	let a = seed >>> 0;
	const uniform = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const gauss = () =>
		Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
	return { uniform, gauss };
}

function randomUnit(gauss: () => number, out: Float32Array): Float32Array {
	let s = 0;
	for (let i = 0; i < out.length; i++) {
		const g = gauss();
		out[i] = g;
		s += g * g;
	}
	const inv = 1 / Math.sqrt(s);
	for (let i = 0; i < out.length; i++) out[i]! *= inv;
	return out;
}

/**
 * What a straightforward implementation would cost: float32 rows, a plain loop unrolled by 4,
 * the same top-two-workers scan. Not used by the app; the yardstick for the Int8 kernel.
 */
class Float32Reference {
	rows: Float32Array;
	owner: Int32Array;
	scores: Float32Array;
	n = 0;
	constructor(capacity: number) {
		this.rows = new Float32Array(capacity * DIM);
		this.owner = new Int32Array(capacity);
		this.scores = new Float32Array(capacity);
	}
	add(worker: number, v: Float32Array) {
		this.rows.set(v, this.n * DIM);
		this.owner[this.n++] = worker;
	}
	search(p: Float32Array): { worker: number; score: number; second: number } {
		const rows = this.rows;
		let best = -Infinity;
		let bestW = -1;
		let second = -Infinity;
		for (let r = 0, o = 0; r < this.n; r++, o += DIM) {
			let a0 = 0;
			let a1 = 0;
			let a2 = 0;
			let a3 = 0;
			for (let i = 0; i < DIM; i += 4) {
				a0 += p[i]! * rows[o + i]!;
				a1 += p[i + 1]! * rows[o + i + 1]!;
				a2 += p[i + 2]! * rows[o + i + 2]!;
				a3 += p[i + 3]! * rows[o + i + 3]!;
			}
			const s = a0 + a1 + a2 + a3;
			const w = this.owner[r]!;
			if (s > best) {
				if (w !== bestW) second = best;
				best = s;
				bestW = w;
			} else if (s > second && w !== bestW) second = s;
		}
		return { worker: bestW, score: best, second };
	}
	get memoryBytes() {
		return this.rows.byteLength + this.owner.byteLength + this.scores.byteLength;
	}
}

/** Builds an index of `templates` random unit vectors and times `searches` searches in it. */
export function harness(templates: number, variant: Variant, searches: number): HarnessResult {
	const { uniform, gauss } = random(SEED);
	const total = WARMUP + searches;
	// Which template each probe is a new sighting of (chosen before building, same in every run).
	const targets = Array.from({ length: total }, () => Math.floor(uniform() * templates));
	const wanted = new Map<number, number[]>();
	targets.forEach((t, i) => wanted.set(t, [...(wanted.get(t) ?? []), i]));
	const probes: Float32Array[] = new Array(total);
	const noise = new Float32Array(DIM);
	const k = Math.sqrt(1 - PROBE_SIMILARITY ** 2);
	const index = variant === 'float32' ? null : new FaceIndex({ kernel: variant });
	const reference = variant === 'float32' ? new Float32Reference(templates) : null;
	const batch = Array.from({ length: PER_WORKER }, () => new Float32Array(DIM));
	let buildMs = 0;
	const stored: [string, string[]][] = [];
	for (let worker = 0; worker * PER_WORKER < templates; worker++) {
		const count = Math.min(PER_WORKER, templates - worker * PER_WORKER);
		const vectors = batch.slice(0, count);
		for (let j = 0; j < count; j++) {
			const t = worker * PER_WORKER + j;
			randomUnit(gauss, vectors[j]!);
			for (const i of wanted.get(t) ?? []) {
				randomUnit(gauss, noise);
				probes[i] = vectors[j]!.map((x, d) => PROBE_SIMILARITY * x + k * noise[d]!);
			}
		}
		const t0 = performance.now();
		if (index) index.add(`W${worker}`, vectors);
		else for (const v of vectors) reference!.add(worker, v);
		buildMs += performance.now() - t0;
		if (variant === 'wasm') stored.push([`W${worker}`, vectors.map(encodeTemplate)]);
	}
	const searchMs: number[] = [];
	let correct = 0;
	for (let i = 0; i < total; i++) {
		const probe = probes[i]!;
		const owner = Math.floor(targets[i]! / PER_WORKER);
		const t0 = performance.now();
		let ok: boolean;
		if (index) {
			const r = index.search(probe, MATCH);
			ok = r.decision === 'match' && r.best!.workerId === `W${owner}`;
		} else {
			// Unnormalised probe: the reference divides once, as a real one would.
			const r = reference!.search(probe);
			let ss = 0;
			for (let d = 0; d < DIM; d++) ss += probe[d]! * probe[d]!;
			const norm = Math.sqrt(ss);
			ok =
				r.worker === owner &&
				r.score / norm >= MATCH.threshold &&
				(r.score - r.second) / norm >= MATCH.margin;
		}
		const ms = performance.now() - t0;
		if (i >= WARMUP) {
			searchMs.push(ms);
			if (ok) correct++;
		}
	}
	let fromTextMs: number | null = null;
	let fromDecodedMs: number | null = null;
	if (variant === 'wasm') {
		let t0 = performance.now();
		FaceIndex.from(stored, { kernel: variant });
		fromTextMs = performance.now() - t0;
		t0 = performance.now();
		const again = new FaceIndex({ kernel: variant });
		for (const [id, texts] of stored) again.add(id, texts.map(decodeTemplate));
		fromDecodedMs = performance.now() - t0;
	}
	return {
		variant,
		kernel: index ? index.kernel : 'float32-js',
		templates,
		buildMs,
		fromTextMs,
		fromDecodedMs,
		searchMs,
		memoryBytes: index ? index.memoryBytes : reference!.memoryBytes,
		correct,
		crossOriginIsolated:
			typeof globalThis.crossOriginIsolated === 'boolean' ? globalThis.crossOriginIsolated : null
	};
}

const VARIANTS: Variant[] = ['wasm', 'js', 'float32'];
const VARIANT_LABEL: Record<Variant, string> = {
	wasm: 'SIMD Int8 (shipped)',
	js: 'JS Int8 (fallback)',
	float32: 'float32 JS loop (reference)'
};

interface Row extends Omit<HarnessResult, 'searchMs'> {
	where: 'node' | 'chromium';
	key: string;
}

// localhost is a secure context, which cross-origin isolation needs; page.route answers for it.
const PAGE = 'http://localhost:9/';
/** The modules run() imports, left out of the page's bundle. */
const NODE_ONLY = /^(esbuild|@playwright\/test|node:.*|\.\/lib\/(result|chromium))$/;

async function run(): Promise<BenchResult> {
	const started = performance.now();
	const { build } = await import('esbuild');
	const { chromium } = await import('@playwright/test');
	const { CHROMIUM, CHROMIUM_ARGS } = await import('./lib/chromium');
	const { chromiumVersion, machineInfo, metric } = await import('./lib/result');
	const { fileURLToPath } = await import('node:url');
	const notes: string[] = [];
	const metrics: Record<string, Metric> = {};
	const rows: Row[] = [];
	const record = (where: Row['where'], r: HarnessResult) => {
		const key = `${where}-${r.variant}-${r.templates}`;
		const label = `${where === 'node' ? 'Node' : 'Chromium'}, ${VARIANT_LABEL[r.variant]}, ${fmt(r.templates)} templates`;
		metrics[key] = metric(label, 'ms', r.searchMs);
		const { searchMs, ...rest } = r;
		rows.push({ ...rest, where, key });
		if (r.correct !== searchMs.length) {
			notes.push(`${label}: ${r.correct} of ${searchMs.length} probes matched their own worker`);
		}
	};

	for (const n of SIZES) for (const v of VARIANTS) record('node', harness(n, v, SEARCHES[v]));

	// The same harness in the page. Served from a made-up origin with COOP/COEP, so the page is
	// cross-origin isolated and performance.now() has 5 µs resolution instead of 100 µs.
	const bundled = await build({
		stdin: {
			contents: "import { harness } from './face-match';\n(globalThis as any).faceMatch = harness;",
			resolveDir: fileURLToPath(new URL('.', import.meta.url)),
			loader: 'ts'
		},
		bundle: true,
		format: 'esm',
		platform: 'browser',
		target: 'chrome120',
		write: false,
		logLevel: 'error',
		plugins: [
			{
				// run()'s own imports stay dynamic imports that the page never reaches.
				name: 'node-only',
				setup(b) {
					b.onResolve({ filter: NODE_ONLY }, (a) => ({ path: a.path, external: true }));
				}
			}
		]
	});
	const script = bundled.outputFiles[0]!.text;
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
	try {
		const page = await browser.newPage();
		const isolation = {
			'cross-origin-opener-policy': 'same-origin',
			'cross-origin-embedder-policy': 'require-corp'
		};
		await page.route(`${PAGE}**`, (route) =>
			route.fulfill(
				route.request().url().endsWith('.js')
					? { contentType: 'text/javascript', headers: isolation, body: script }
					: {
							contentType: 'text/html',
							headers: isolation,
							body: '<!doctype html><meta charset="utf-8"><title>face-match</title><script type="module" src="/harness.js"></script>'
						}
			)
		);
		await page.goto(PAGE);
		await page.waitForFunction('typeof globalThis.faceMatch === "function"');
		for (const n of SIZES) {
			for (const v of VARIANTS) {
				// As source text: tsx's name-keeping helpers do not exist in the page.
				const r = (await page.evaluate(
					`globalThis.faceMatch(${n}, '${v}', ${SEARCHES[v]})`
				)) as HarnessResult;
				record('chromium', r);
			}
		}
		if (rows.some((r) => r.where === 'chromium' && r.crossOriginIsolated !== true)) {
			notes.push('the page was not cross-origin isolated: Chromium timings have 100 µs steps');
		}
		return {
			name: 'face-match',
			title: '1:N face search at 1,000 / 10,000 / 50,000 templates',
			measures:
				'Time of one `FaceIndex.search(probe, {threshold, margin})` (src/lib/vision/matcher.ts): quantise and rotate the probe, score every template, find the two best distinct workers, decide; in Node and in headless Chromium, over random 1024-value unit vectors, 5 templates per worker, each probe a new sighting (cosine 0.8) of an enrolled template.',
			machine: machineInfo(chromiumVersion(CHROMIUM)),
			durationSeconds: (performance.now() - started) / 1000,
			params: {
				dim: DIM,
				sizes: SIZES,
				templatesPerWorker: PER_WORKER,
				searches: SEARCHES,
				warmup: WARMUP,
				seed: SEED,
				probeSimilarity: PROBE_SIMILARITY,
				match: MATCH,
				budgetMs: BUDGET_MS,
				browser: `${CHROMIUM} ${CHROMIUM_ARGS.join(' ')}, cross-origin isolated page`
			},
			metrics,
			extra: { rows },
			notes
		};
	} finally {
		await browser.close();
	}
}

function rowsOf(r: BenchResult): Row[] {
	return (r.extra as { rows: Row[] }).rows;
}

function render(r: BenchResult): string {
	const rows = rowsOf(r);
	const s = (key: string) => r.metrics[key]!.summary;
	const lines = [
		'| templates (workers) | where | kernel | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | n | index memory | build |',
		'| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
	];
	for (const row of rows) {
		const m = s(row.key);
		const bold = row.variant === 'wasm' ? (x: string) => `**${x}**` : (x: string) => x;
		lines.push(
			`| ${fmt(row.templates)} (${fmt(Math.ceil(row.templates / PER_WORKER))}) | ${row.where === 'node' ? 'Node' : 'Chromium'} | ${VARIANT_LABEL[row.variant]} | ${bold(fmt(m.median))} | ${bold(fmt(m.p95))} | ${fmt(m.p99)} | ${fmt(m.max)} | ${m.n} | ${mib(row.memoryBytes)} | ${fmt(row.buildMs)} ms |`
		);
	}
	const at = (where: string, v: Variant, n: number) => s(`${where}-${v}-${n}`);
	const node10 = at('node', 'wasm', 10_000);
	const chrome10 = at('chromium', 'wasm', 10_000);
	const chrome50 = at('chromium', 'wasm', 50_000);
	const js10 = at('chromium', 'js', 10_000);
	const f10 = at('chromium', 'float32', 10_000);
	const mem10 = rows.find((x) => x.key === 'node-wasm-10000')!.memoryBytes;
	const correct = rows.every((x) => x.correct === SEARCHES[x.variant]);
	const builds = rows
		.filter((x) => x.variant === 'wasm' && x.templates >= 10_000)
		.map(
			(x) =>
				`${fmt(x.templates)} in ${x.where === 'node' ? 'Node' : 'Chromium'}: ${fmt(x.fromTextMs!)} ms from the stored strings, ${fmt(x.fromDecodedMs!)} ms through decodeTemplate`
		)
		.join('; ');
	return [
		lines.join('\n'),
		'',
		`**Reading:** with 10,000 templates (2,000 workers enrolled 5 times each) one search takes ${fmt(node10.median)} ms at the median and ${fmt(node10.p95)} ms at p95 in Node, ${fmt(chrome10.median)} / ${fmt(chrome10.p95)} ms in Chromium, against the issue's ${BUDGET_MS} ms; 50,000 templates (10,000 workers × 5) take ${fmt(chrome50.median)} / ${fmt(chrome50.p95)} ms in Chromium. ` +
			`The shipped kernel is WebAssembly SIMD over Int8 rows (i32x4.dot_i16x8_s); where a browser lacks SIMD WebAssembly the same rows are scored in JavaScript (${fmt(js10.median)} ms at 10,000 in Chromium, over the budget: such a gate should hold fewer templates), and the plain float32 loop a first version would write takes ${fmt(f10.median)} ms. ` +
			`The index holds ${fmt(mem10 / 10_000)} bytes per template at 10,000 (${mib(mem10)}): one byte per value plus a scale and an owner per row, and headroom, since its capacity doubles as it grows; the float32 rows alone would be 4,096 bytes per template. ` +
			`Rebuilding the index from the templates as records store them: ${builds}. Strings go into the rows as they are; decoding first means rotating and quantising every template again, so the gate should pass the strings to \`add\`. ` +
			(correct
				? `Every probe was matched to its own worker in every run (threshold ${MATCH.threshold}, margin ${MATCH.margin}).`
				: 'Not every probe was matched to its own worker: see the notes.'),
		'',
		'Caveats: random unit vectors, not faces: the cost of a search does not depend on what the vectors look like, but the identification accuracy does, and that is measured elsewhere. Build time is the time to quantise, rotate and store the templates (`add`), without generating them. One search is timed at a time; the gate runs one per analysed frame, far below any throughput limit here.'
	].join('\n');
}

export const faceMatch: Benchmark = {
	name: 'face-match',
	title: '1:N face search at 1,000 / 10,000 / 50,000 templates',
	run,
	render,
	headline: (r) => {
		// Short enough that the summary table keeps its column widths.
		const n = r.metrics['node-wasm-10000']!.summary;
		const c = r.metrics['chromium-wasm-10000']!.summary;
		const c50 = r.metrics['chromium-wasm-50000']!.summary;
		return `10,000 templates: p50 ${fmt(n.median)} ms, p95 ${fmt(n.p95)} ms in Node; Chromium ${fmt(c.median)} / ${fmt(c.p95)} ms; 50,000: ${fmt(c50.median)} / ${fmt(c50.p95)} ms (n=${n.n})`;
	}
};
