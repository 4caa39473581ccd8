// 1:N face search over the templates of the workers enrolled for a site, the 1:1 check for a
// claimed identity, and the compact text form a template takes in a Yjs record.
//
// Templates are stored quantised to Int8 (one contiguous Int8Array, a row per template) and
// scored with a WebAssembly SIMD kernel. In the prototype that chose it, 10,000 templates took
// 8.7 ms with a plain Float32Array loop, 1.1 ms with a SIMD float32 kernel and 0.39 ms with the
// SIMD Int8 kernel, which also needs a quarter of the memory; bench/README.md (face-match) has the
// shipped kernel's numbers in Node and in Chromium.
//
// Before quantising, a vector is turned by a fixed random rotation (sign flips, then a
// Walsh–Hadamard transform): it keeps every cosine exactly and spreads any large coordinates over
// all of them, so the Int8 error stays about 0.001 whatever the embedding's value distribution
// (without it, heavy-tailed vectors reached 0.005). Where SIMD WebAssembly is unavailable (old
// browsers, a CSP without 'wasm-unsafe-eval') the same rows are scored by a JavaScript loop,
// unrolled by 4, slower but with bit-identical scores.

/** faceres embeddings (FaceObservation.embedding) have 1024 values. */
export const EMBEDDING_DIM = 1024;

/** One worker's score against a probe: the best of their templates. */
export interface WorkerScore {
	workerId: string;
	/** Cosine similarity, −1..1. */
	score: number;
}

export interface SearchOptions {
	/** The best score must be at least this (chosen with threshold.ts from measured scores). */
	threshold: number;
	/** …and at least this far above the best score of any other worker. */
	margin: number;
}

export interface SearchResult {
	best: WorkerScore | null;
	/** The best score of a different worker than `best`. */
	second: WorkerScore | null;
	/**
	 * `match`: best ≥ threshold and best − second ≥ margin. `ambiguous`: best ≥ threshold but
	 * another worker is within the margin (two similar faces; ask for the QR/ID). `no_match`:
	 * nobody reaches the threshold, or nobody is enrolled.
	 */
	decision: 'match' | 'no_match' | 'ambiguous';
}

/** An embedding (number[] or Float32Array), or a template as encodeTemplate wrote it. */
export type TemplateInput = ArrayLike<number> | string;

export interface FaceIndexOptions {
	/** Values per embedding: a power of two from 32 to 2048. Default 1024 (faceres). */
	dim?: number;
	/** `auto` (default): SIMD WebAssembly when the runtime has it, else JavaScript. */
	kernel?: 'auto' | 'wasm' | 'js';
}

/**
 * The SIMD kernel: out[r] = Σ probe[i]·rows[r·dim + i] as i32, for rows 0..n−1 (probe Int16, rows
 * Int8, dim a multiple of 32). Assembled with wabt (`wat2wasm --enable-simd`) from this text, where
 * the `;;` lines stand for repetitive code:
 *
 *   (module (memory (export "memory") 1)
 *    (func (export "dots") (param $probe i32) (param $row i32) (param $n i32) (param $dim i32)
 *     (param $out i32) (local $end i32) (local $i i32) (local $p i32) (local $d v128)
 *     (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
 *     (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
 *     (block $done (loop $rows
 *      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
 *      ;; $a0..$a3 := 0, $i := 0, $p := $probe
 *      (loop $inner
 *       (local.set $d (v128.load (i32.add (local.get $row) (local.get $i))))
 *       (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s
 *        (i16x8.extend_low_i8x16_s (local.get $d)) (v128.load (local.get $p)))))
 *       (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s
 *        (i16x8.extend_high_i8x16_s (local.get $d)) (v128.load offset=16 (local.get $p)))))
 *       ;; the same with the next 16 bytes of the row into $a2, $a3 (probe offsets 32, 48)
 *       (local.set $i (i32.add (local.get $i) (i32.const 32)))
 *       (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *       (br_if $inner (i32.lt_u (local.get $i) (local.get $dim))))
 *      ;; out[r] := the sum of the 16 lanes of $a0..$a3
 *      (local.set $out (i32.add (local.get $out) (i32.const 4)))
 *      (local.set $row (i32.add (local.get $row) (local.get $dim)))
 *      (br $rows)))))
 *
 * The i32 sums cannot overflow: probe values are within ±8191 and row values within ±127, so by
 * Cauchy–Schwarz |Σ| ≤ 8191·127·dim, below 2³¹ for dim ≤ 2048.
 */
const KERNEL_WASM =
	'AGFzbQEAAAABCQFgBX9/f39/AAMCAQAFAwEAAQcRAgZtZW1vcnkCAARkb3RzAAAKugIBtwICA38FeyAEIAJBAnRqIQUCQANA' +
	'IAQgBU8NAf0MAAAAAAAAAAAAAAAAAAAAACEJ/QwAAAAAAAAAAAAAAAAAAAAAIQr9DAAAAAAAAAAAAAAAAAAAAAAhC/0MAAAA' +
	'AAAAAAAAAAAAAAAAACEMQQAhBiAAIQcDQCABIAZq/QAEACEIIAkgCP2HASAH/QAEAP26Af2uASEJIAogCP2IASAH/QAEEP26' +
	'Af2uASEKIAEgBmr9AAQQIQggCyAI/YcBIAf9AAQg/boB/a4BIQsgDCAI/YgBIAf9AAQw/boB/a4BIQwgBkEgaiEGIAdBwABq' +
	'IQcgBiADSQ0ACyAJIAr9rgEgCyAM/a4B/a4BIQkgBCAJ/RsAIAn9GwFqIAn9GwIgCf0bA2pqNgIAIARBBGohBCABIANqIQEM' +
	'AAsLCw==';

/** Probe values are scaled to ±8191 (13 bits), which keeps the i32 sums in range (see above). */
const PROBE_RANGE = 8191;
/** Template values are scaled to ±127, the Int8 range. */
const ROW_RANGE = 127;
const PAGE = 65536;

let compiled: WebAssembly.Module | null | undefined;

/** The SIMD module, or null where WebAssembly or its SIMD instructions are not available. */
function kernelModule(): WebAssembly.Module | null {
	if (compiled !== undefined) return compiled;
	compiled = null;
	try {
		const bytes = fromBase64(KERNEL_WASM);
		if (typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes)) {
			compiled = new WebAssembly.Module(bytes);
		}
	} catch {
		// A Content Security Policy without 'wasm-unsafe-eval' refuses to compile: use JavaScript.
	}
	return compiled;
}

interface Kernel {
	buffer(): ArrayBuffer;
	/** Makes the buffer at least `bytes` long, keeping its contents. */
	ensure(bytes: number): void;
	dots(probe: number, rows: number, n: number, dim: number, out: number): void;
}

function wasmKernel(module: WebAssembly.Module): Kernel {
	const instance = new WebAssembly.Instance(module, {});
	const memory = instance.exports.memory as WebAssembly.Memory;
	const dots = instance.exports.dots as Kernel['dots'];
	return {
		buffer: () => memory.buffer as ArrayBuffer,
		ensure(bytes) {
			const need = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
			if (need > 0) memory.grow(need);
		},
		dots
	};
}

/** What the gate actually uses to score: `wasm-simd` or the JavaScript fallback. */
export type KernelName = 'wasm-simd' | 'js';

/**
 * Templates of enrolled workers, searched 1:N or checked 1:1.
 *
 * A worker may have several templates (enrolment keeps 3–5 frames). A worker's score is the
 * maximum over their templates: the enrolment frames are checked to agree with each other
 * (quality.ts, pairwise ≥ 0.6), so the one closest to today's pose and light is the fairest
 * evidence, and a worker with a single template is not penalised as a mean of the top two would.
 * It also lets one pass over the scores find the two best distinct workers without sorting.
 */
export class FaceIndex {
	readonly dim: number;
	readonly kernel: KernelName;
	#wasm: Kernel | null;
	#plain = new ArrayBuffer(0);
	#capacity = 0;
	#count = 0;
	/** Views over the kernel's buffer: rows (Int8), probe (Int16), raw sums (Int32). */
	#rows = new Int8Array(0);
	#probe16 = new Int16Array(0);
	#sums = new Int32Array(0);
	/** The same probe as float64 for the JavaScript loop (its products and sums stay exact). */
	#probe64: Float64Array;
	/** Scratch for the rotated probe, and for a template being added. */
	#turned: Float64Array;
	#scratch: Float64Array;
	/** Per row: 1/‖row‖ (so a score is a true cosine of the stored vectors) and its worker slot. */
	#rowScale = new Float64Array(0);
	#owner = new Int32Array(0);
	#slots = new Map<string, number>();
	#ids: string[] = [];
	#free: number[] = [];

	constructor(options: FaceIndexOptions = {}) {
		const dim = options.dim ?? EMBEDDING_DIM;
		if (!isRotatable(dim) || dim < 32) {
			throw new Error(`FaceIndex: dim must be a power of two from 32 to 2048, got ${dim}`);
		}
		this.dim = dim;
		const want = options.kernel ?? 'auto';
		const module = want === 'js' ? null : kernelModule();
		if (want === 'wasm' && !module) {
			throw new Error('FaceIndex: SIMD WebAssembly is not available in this runtime');
		}
		this.#wasm = module ? wasmKernel(module) : null;
		this.kernel = module ? 'wasm-simd' : 'js';
		this.#probe64 = new Float64Array(dim);
		this.#turned = new Float64Array(dim);
		this.#scratch = new Float64Array(dim);
		this.#grow(256);
	}

	/** Builds an index from `[workerId, templates]` pairs (a Map's entries, for instance). */
	static from(
		entries: Iterable<readonly [string, Iterable<TemplateInput>]>,
		options?: FaceIndexOptions
	): FaceIndex {
		const index = new FaceIndex(options);
		for (const [workerId, templates] of entries) index.add(workerId, templates);
		return index;
	}

	/** Number of templates held (what a search's cost grows with). */
	get size(): number {
		return this.#count;
	}

	/** Number of workers with at least one template. */
	get workers(): number {
		return this.#slots.size;
	}

	/** Bytes held for the templates and the scratch space of a search. */
	get memoryBytes(): number {
		const buffer = this.#wasm ? this.#wasm.buffer() : this.#plain;
		return (
			buffer.byteLength +
			this.#rowScale.byteLength +
			this.#owner.byteLength +
			this.#probe64.byteLength
		);
	}

	has(workerId: string): boolean {
		return this.#slots.has(workerId);
	}

	/** Adds templates for a worker (appends to any they already have). */
	add(workerId: string, templates: Iterable<TemplateInput>): void {
		const list = templateList(templates, workerId);
		// Validate everything first, so a bad template leaves the index as it was.
		const rows = list.map((t, i) => this.#quantise(t, `template ${i} of ${workerId}`));
		if (rows.length === 0) return;
		let slot = this.#slots.get(workerId);
		if (slot === undefined) {
			slot = this.#free.pop() ?? this.#ids.length;
			this.#slots.set(workerId, slot);
			this.#ids[slot] = workerId;
		}
		if (this.#count + rows.length > this.#capacity) {
			this.#grow(Math.max(this.#capacity * 2, this.#count + rows.length));
		}
		for (const q of rows) {
			const r = this.#count++;
			this.#rows.set(q, r * this.dim);
			this.#rowScale[r] = 1 / Math.sqrt(sumSquares(q));
			this.#owner[r] = slot;
		}
	}

	/** Replaces a worker's templates (a re-enrolment). */
	set(workerId: string, templates: Iterable<TemplateInput>): void {
		const list = templateList(templates, workerId);
		for (const [i, t] of list.entries()) this.#quantise(t, `template ${i} of ${workerId}`);
		this.remove(workerId);
		this.add(workerId, list);
	}

	/** Removes all of a worker's templates; false if they had none. */
	remove(workerId: string): boolean {
		const slot = this.#slots.get(workerId);
		if (slot === undefined) return false;
		const dim = this.dim;
		// From the end down, moving the last row into each freed one: rows above r are already
		// free of this worker, so the row moved in never needs checking again.
		for (let r = this.#count - 1; r >= 0; r--) {
			if (this.#owner[r] !== slot) continue;
			const last = --this.#count;
			if (r !== last) {
				this.#rows.copyWithin(r * dim, last * dim, (last + 1) * dim);
				this.#rowScale[r] = this.#rowScale[last]!;
				this.#owner[r] = this.#owner[last]!;
			}
		}
		this.#slots.delete(workerId);
		this.#ids[slot] = '';
		this.#free.push(slot);
		return true;
	}

	/**
	 * Who is this? The two best-scoring distinct workers and the decision. A probe need not be
	 * normalised. The scan allocates nothing; only the small result object is new.
	 */
	search(probe: ArrayLike<number>, options: SearchOptions): SearchResult {
		const n = this.#count;
		const probeScale = this.#loadProbe(probe, 'search');
		if (n === 0) return { best: null, second: null, decision: 'no_match' };
		this.#score(n);
		const sums = this.#sums;
		const scale = this.#rowScale;
		const owner = this.#owner;
		let best = -Infinity;
		let bestSlot = -1;
		let second = -Infinity;
		let secondSlot = -1;
		for (let r = 0; r < n; r++) {
			const s = sums[r]! * scale[r]!;
			const w = owner[r]!;
			if (s > best) {
				if (w !== bestSlot) {
					second = best;
					secondSlot = bestSlot;
				}
				best = s;
				bestSlot = w;
			} else if (s > second && w !== bestSlot) {
				second = s;
				secondSlot = w;
			}
		}
		const top = { workerId: this.#ids[bestSlot]!, score: cosine(best * probeScale) };
		const next =
			secondSlot < 0
				? null
				: { workerId: this.#ids[secondSlot]!, score: cosine(second * probeScale) };
		let decision: SearchResult['decision'] = 'no_match';
		if (top.score >= options.threshold) {
			decision = next && top.score - next.score < options.margin ? 'ambiguous' : 'match';
		}
		return { best: top, second: next, decision };
	}

	/**
	 * Is this the worker they claim to be (they also tapped their QR pass or ID)? The same
	 * threshold as a search, because the same evidence has to carry the same weight; no margin,
	 * because the margin protects the search from choosing between two similar enrolled faces, and
	 * with a claimed identity there is no choice to make. False for a worker with no template.
	 */
	verify(probe: ArrayLike<number>, workerId: string, threshold: number): boolean {
		const score = this.scoreOf(probe, workerId);
		return score !== null && score >= threshold;
	}

	/** The worker's score (their best template) against a probe; null if they have no template. */
	scoreOf(probe: ArrayLike<number>, workerId: string): number | null {
		const probeScale = this.#loadProbe(probe, 'scoreOf');
		const slot = this.#slots.get(workerId);
		if (slot === undefined) return null;
		const dim = this.dim;
		const p = this.#probe64;
		const rows = this.#rows;
		let best = -Infinity;
		for (let r = 0; r < this.#count; r++) {
			if (this.#owner[r] !== slot) continue;
			const o = r * dim;
			let dot = 0;
			for (let i = 0; i < dim; i++) dot += p[i]! * rows[o + i]!;
			best = Math.max(best, dot * this.#rowScale[r]!);
		}
		return cosine(best * probeScale);
	}

	/** Forgets every template (before rebuilding from the synced records). */
	clear(): void {
		this.#count = 0;
		this.#slots.clear();
		this.#ids = [];
		this.#free = [];
	}

	#grow(capacity: number): void {
		const dim = this.dim;
		const bytes = capacity * dim + dim * 2 + capacity * 4;
		let buffer: ArrayBuffer;
		if (this.#wasm) {
			this.#wasm.ensure(bytes);
			buffer = this.#wasm.buffer();
		} else {
			buffer = new ArrayBuffer(bytes);
			new Int8Array(buffer).set(this.#rows.subarray(0, this.#count * dim));
			this.#plain = buffer;
		}
		// Rows stay at offset 0 when the memory grows; the probe and sums after them are scratch.
		this.#rows = new Int8Array(buffer, 0, capacity * dim);
		this.#probe16 = new Int16Array(buffer, capacity * dim, dim);
		this.#sums = new Int32Array(buffer, capacity * dim + dim * 2, capacity);
		this.#rowScale = grown(this.#rowScale, new Float64Array(capacity));
		this.#owner = grown(this.#owner, new Int32Array(capacity));
		this.#capacity = capacity;
	}

	/** Quantises the probe into the scratch arrays; returns 1/‖quantised probe‖. */
	#loadProbe(probe: ArrayLike<number>, what: string): number {
		const dim = this.dim;
		const turned = rotate(load(probe, this.#turned, `FaceIndex.${what}: the probe`));
		const peak = maxAbs(turned);
		const p16 = this.#probe16;
		const p64 = this.#probe64;
		let ss = 0;
		for (let i = 0; i < dim; i++) {
			const q = Math.round((turned[i]! / peak) * PROBE_RANGE);
			p16[i] = q;
			p64[i] = q;
			ss += q * q;
		}
		return 1 / Math.sqrt(ss);
	}

	/** Raw integer dot products of the loaded probe with rows 0..n−1 into #sums. */
	#score(n: number): void {
		const dim = this.dim;
		if (this.#wasm) {
			this.#wasm.dots(this.#probe16.byteOffset, 0, n, dim, this.#sums.byteOffset);
			return;
		}
		const p = this.#probe64;
		const rows = this.#rows;
		const sums = this.#sums;
		// Products of integers below 2^20 summed in float64 stay exact: same sums as the kernel.
		for (let r = 0, o = 0; r < n; r++, o += dim) {
			let a0 = 0;
			let a1 = 0;
			let a2 = 0;
			let a3 = 0;
			for (let i = 0; i < dim; i += 4) {
				a0 += p[i]! * rows[o + i]!;
				a1 += p[i + 1]! * rows[o + i + 1]!;
				a2 += p[i + 2]! * rows[o + i + 2]!;
				a3 += p[i + 3]! * rows[o + i + 3]!;
			}
			sums[r] = a0 + a1 + a2 + a3;
		}
	}

	/** A template as the Int8 row it will be stored as. */
	#quantise(template: TemplateInput, what: string): Int8Array {
		if (typeof template === 'string') {
			const q = templateBytes(template);
			if (q.length !== this.dim) {
				throw new Error(
					`FaceIndex: ${what} has ${q.length} values; this index holds ${this.dim}-value embeddings`
				);
			}
			return q;
		}
		return quantiseInt8(rotate(load(template, this.#scratch, `FaceIndex: ${what}`)));
	}
}

/** A list of templates; one vector or one encoded string passed by mistake is refused. */
function templateList(templates: Iterable<TemplateInput>, workerId: string): TemplateInput[] {
	const list = typeof templates === 'string' ? null : [...templates];
	if (!list || list.some((t) => typeof t !== 'string' && typeof t?.length !== 'number')) {
		throw new Error(
			`FaceIndex: templates of ${workerId} must be a list of embeddings or encoded templates`
		);
	}
	return list;
}

function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
	to.set(from.subarray(0, Math.min(from.length, to.length)));
	return to;
}

/** Cosine similarity of two plain vectors (no quantisation); −1 when the lengths differ. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
	if (a.length !== b.length) return -1;
	let ab = 0;
	let aa = 0;
	let bb = 0;
	for (let i = 0; i < a.length; i++) {
		ab += a[i]! * b[i]!;
		aa += a[i]! * a[i]!;
		bb += b[i]! * b[i]!;
	}
	return ab / Math.sqrt(aa * bb);
}

/** Rounding can put a cosine a hair outside −1..1. */
function cosine(x: number): number {
	return Math.max(-1, Math.min(1, x));
}

/**
 * `v` copied into `out` and checked. The copy keeps every later loop on one array type: reading
 * number[], Float32Array and Float64Array alike through ArrayLike was measured 5–10× slower.
 */
function load(v: ArrayLike<number>, out: Float64Array, what: string): Float64Array {
	if (v.length !== out.length) {
		throw new Error(
			`${what} has ${v.length} values; expected a ${out.length}-value embedding (faceres, FaceObservation.embedding)`
		);
	}
	out.set(v);
	let nonZero = false;
	for (let i = 0; i < out.length; i++) {
		const x = out[i]!;
		if (!Number.isFinite(x)) throw new Error(`${what} has a non-finite value at ${i}`);
		if (x !== 0) nonZero = true;
	}
	if (!nonZero) throw new Error(`${what} is all zeros`);
	return out;
}

function maxAbs(v: Float64Array): number {
	let m = 0;
	for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
	return m;
}

function sumSquares(q: Float64Array | Int8Array): number {
	let s = 0;
	for (let i = 0; i < q.length; i++) s += q[i]! * q[i]!;
	return s;
}

// The rotation: flip signs by a fixed pseudo-random sequence, then a Walsh–Hadamard transform
// (orthogonal up to the factor √dim, which the quantiser's scaling absorbs). The sequence is part
// of template format 1: changing it would make every stored template meaningless.
const MAX_DIM = 2048;
const SIGNS = (() => {
	const signs = new Float64Array(MAX_DIM);
	let x = 0x9e3779b9;
	for (let i = 0; i < MAX_DIM; i++) {
		// xorshift32
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		signs[i] = x & 1 ? 1 : -1;
	}
	return signs;
})();

function isRotatable(n: number): boolean {
	return Number.isInteger(n) && n > 0 && n <= MAX_DIM && (n & (n - 1)) === 0;
}

/** In place: the fast Walsh–Hadamard transform of a power-of-two-long array. */
function hadamard(x: Float64Array): void {
	const n = x.length;
	for (let h = 1; h < n; h *= 2) {
		for (let i = 0; i < n; i += 2 * h) {
			for (let j = i; j < i + h; j++) {
				const a = x[j]!;
				const b = x[j + h]!;
				x[j] = a + b;
				x[j + h] = a - b;
			}
		}
	}
}

/** x rotated in place. */
function rotate(x: Float64Array): Float64Array {
	for (let i = 0; i < x.length; i++) x[i]! *= SIGNS[i]!;
	hadamard(x);
	return x;
}

/** The inverse: H·H = n·I and the signs undo themselves; the scale is left to the caller. */
function unrotate(y: Int8Array): Float64Array {
	const out = Float64Array.from(y);
	hadamard(out);
	for (let i = 0; i < out.length; i++) out[i]! *= SIGNS[i]!;
	return out;
}

/** Scales to ±127 by the largest magnitude and rounds: the direction is what a cosine needs. */
function quantiseInt8(v: Float64Array): Int8Array {
	const peak = maxAbs(v);
	const q = new Int8Array(v.length);
	for (let i = 0; i < v.length; i++) q[i] = Math.round((v[i]! / peak) * ROW_RANGE);
	return q;
}

// ---- Templates as text in a Yjs record ----------------------------------------------------------
//
// Format 1: base64 of [0x01, then one signed byte per value of the rotated vector], scaled to ±127
// by the largest magnitude. 1,025 bytes → 1,368 characters for faceres; Float16 would be 2,732.
// The vector's length carries no identity information and is not stored: decoding returns the
// unit vector. Measured against float32 cosines (matcher.test.ts; random pairs at every
// similarity, Gaussian, heavy-tailed, non-negative and sparse vectors): Int8 after the rotation
// stays within about 0.0012, inside the 0.005 allowed; Float16 would be within 0.0001 at twice the
// size, precision nothing downstream can use. The index stores the very same Int8 rows, so a
// template read from a record is indexed without a second rounding.

const FORMAT_INT8 = 1;

/** A template in compact text form, for a Yjs record. */
export function encodeTemplate(vec: ArrayLike<number>): string {
	if (!isRotatable(vec.length)) {
		throw new Error(
			`encodeTemplate: the embedding has ${vec.length} values; expected a power of two up to ${MAX_DIM} (faceres: 1024)`
		);
	}
	const v = load(vec, new Float64Array(vec.length), 'encodeTemplate: the embedding');
	const q = quantiseInt8(rotate(v));
	const bytes = new Uint8Array(q.length + 1);
	bytes[0] = FORMAT_INT8;
	bytes.set(new Uint8Array(q.buffer), 1);
	return toBase64(bytes);
}

/** The unit vector a template stands for. */
export function decodeTemplate(s: string): Float32Array {
	const v = unrotate(templateBytes(s));
	const inv = 1 / Math.sqrt(sumSquares(v));
	const out = new Float32Array(v.length);
	for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
	return out;
}

/** The Int8 values of an encoded template, checked. */
function templateBytes(s: string): Int8Array {
	let bytes: Uint8Array;
	try {
		bytes = fromBase64(s);
	} catch {
		throw new Error('decodeTemplate: not a base64 template');
	}
	if (!isRotatable(bytes.length - 1)) {
		throw new Error(`decodeTemplate: a template of ${bytes.length - 1} values cannot be right`);
	}
	if (bytes[0] !== FORMAT_INT8) {
		throw new Error(`decodeTemplate: unknown template format ${bytes[0]} (this app reads 1)`);
	}
	const q = new Int8Array(bytes.buffer, bytes.byteOffset + 1, bytes.length - 1);
	let nonZero = false;
	for (let i = 0; i < q.length && !nonZero; i++) nonZero = q[i] !== 0;
	if (!nonZero) throw new Error('decodeTemplate: the template is all zeros');
	return q;
}

// btoa/atob exist in browsers, workers and Node ≥ 16, unlike Buffer.
function toBase64(bytes: Uint8Array): string {
	let binary = '';
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	}
	return btoa(binary);
}

function fromBase64(s: string): Uint8Array<ArrayBuffer> {
	const binary = atob(s);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}
