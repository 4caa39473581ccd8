import { describe, expect, it } from 'vitest';
import { decodeTemplate, encodeTemplate, FaceIndex } from './matcher';

const DIM = 1024;

/** Deterministic randomness (mulberry32), so a failure can be reproduced. */
function rng(seed: number) {
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

function unit(v: ArrayLike<number>): Float64Array {
	let s = 0;
	for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
	return Float64Array.from(v, (x) => x / Math.sqrt(s));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
	let s = 0;
	for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
	return s;
}

/** A unit vector at cosine ≈ `similarity` from `centre`. */
function near(centre: Float64Array, similarity: number, draw: () => number): Float64Array {
	const noise = unit(Float64Array.from({ length: DIM }, draw));
	const k = Math.sqrt(1 - similarity * similarity);
	return unit(centre.map((x, i) => similarity * x + k * noise[i]!));
}

/** `workers` people, each a random centre with `templates` enrolment vectors around it. */
function clusters(workers: number, templates: number, seed: number) {
	const { gauss } = rng(seed);
	const people = Array.from({ length: workers }, (_, w) => {
		const centre = unit(Float64Array.from({ length: DIM }, gauss));
		return {
			id: `W${w}`,
			centre,
			templates: Array.from({ length: templates }, () => near(centre, 0.9, gauss))
		};
	});
	return { people, gauss };
}

const MATCH = { threshold: 0.6, margin: 0.05 };

describe.each(['wasm', 'js'] as const)('FaceIndex (%s kernel)', (kernel) => {
	it('runs the kernel it was asked for', () => {
		expect(new FaceIndex({ kernel }).kernel).toBe(kernel === 'wasm' ? 'wasm-simd' : 'js');
	});

	it('finds the right worker among 300 with 3 templates each, every time', () => {
		const { people, gauss } = clusters(300, 3, 1);
		const index = FaceIndex.from(
			people.map((p) => [p.id, p.templates] as const),
			{ kernel }
		);
		expect(index.size).toBe(900);
		expect(index.workers).toBe(300);
		for (const person of people) {
			// A new sighting: as close to the centre as the enrolment frames, not equal to any.
			const probe = near(person.centre, 0.85, gauss);
			const result = index.search(probe, MATCH);
			expect(result.decision).toBe('match');
			expect(result.best!.workerId).toBe(person.id);
			expect(result.second!.workerId).not.toBe(person.id);
			// The worker's score is their best template, within the Int8 error of float32.
			const exact = Math.max(...person.templates.map((t) => dot(t, probe)));
			expect(Math.abs(result.best!.score - exact)).toBeLessThan(0.002);
		}
	});

	it('says no_match for a stranger and on an empty index', () => {
		const { people, gauss } = clusters(50, 3, 2);
		const empty = new FaceIndex({ kernel });
		const stranger = unit(Float64Array.from({ length: DIM }, gauss));
		expect(empty.search(stranger, MATCH)).toEqual({
			best: null,
			second: null,
			decision: 'no_match'
		});
		const index = FaceIndex.from(
			people.map((p) => [p.id, p.templates] as const),
			{ kernel }
		);
		const result = index.search(stranger, MATCH);
		expect(result.decision).toBe('no_match');
		expect(result.best!.score).toBeLessThan(0.3);
	});

	it('is ambiguous when a second worker is within the margin, and the margin decides', () => {
		const { gauss } = rng(3);
		const a = unit(Float64Array.from({ length: DIM }, gauss));
		const b = near(a, 0.9, gauss); // two very similar faces (twins, or a poor enrolment)
		const index = new FaceIndex({ kernel });
		index.add('A', [a]);
		index.add('B', [b]);
		const between = unit(a.map((x, i) => x + b[i]!));
		const result = index.search(between, MATCH);
		expect(result.decision).toBe('ambiguous');
		expect(new Set([result.best!.workerId, result.second!.workerId])).toEqual(new Set(['A', 'B']));
		expect(result.best!.score - result.second!.score).toBeLessThan(0.05);
		// Closer to A than B by more than the margin: a match.
		const nearA = near(a, 0.97, gauss);
		const clear = index.search(nearA, MATCH);
		expect(clear.best!.workerId).toBe('A');
		expect(clear.best!.score - clear.second!.score).toBeGreaterThanOrEqual(0.05);
		expect(clear.decision).toBe('match');
		expect(index.search(between, { threshold: 0.6, margin: 0 }).decision).toBe('match');
		// Above the margin but below the threshold is still no match.
		expect(index.search(nearA, { threshold: 0.99, margin: 0.05 }).decision).toBe('no_match');
	});

	it('never reports the same worker as best and second', () => {
		const { gauss } = rng(4);
		const a = unit(Float64Array.from({ length: DIM }, gauss));
		const index = new FaceIndex({ kernel });
		index.add('A', [near(a, 0.95, gauss), near(a, 0.95, gauss), near(a, 0.95, gauss)]);
		index.add('B', [unit(Float64Array.from({ length: DIM }, gauss))]);
		const result = index.search(a, MATCH);
		expect(result.best!.workerId).toBe('A');
		expect(result.second!.workerId).toBe('B');
		expect(result.decision).toBe('match');
		const alone = new FaceIndex({ kernel });
		alone.add('A', [a, near(a, 0.95, gauss)]);
		expect(alone.search(a, MATCH)).toMatchObject({ second: null, decision: 'match' });
	});

	it('removes a worker: never found again, everyone else scores as before', () => {
		const { people, gauss } = clusters(120, 4, 5);
		const index = FaceIndex.from(
			people.map((p) => [p.id, p.templates] as const),
			{ kernel }
		);
		const gone = people[37]!;
		const without = FaceIndex.from(
			people.filter((p) => p !== gone).map((p) => [p.id, p.templates] as const),
			{ kernel }
		);
		expect(index.remove(gone.id)).toBe(true);
		expect(index.remove(gone.id)).toBe(false);
		expect(index.has(gone.id)).toBe(false);
		expect(index.size).toBe(119 * 4);
		expect(index.workers).toBe(119);
		const probeGone = near(gone.centre, 0.9, gauss);
		const result = index.search(probeGone, MATCH);
		expect(result.decision).toBe('no_match');
		expect(result.best!.workerId).not.toBe(gone.id);
		for (const person of people.filter((p) => p !== gone).slice(0, 40)) {
			const probe = near(person.centre, 0.85, gauss);
			expect(index.search(probe, MATCH)).toEqual(without.search(probe, MATCH));
		}
		// The freed slot is reused cleanly.
		index.add('NEW', gone.templates);
		expect(index.search(probeGone, MATCH).best!.workerId).toBe('NEW');
	});

	it('set replaces a worker’s templates; add appends', () => {
		const { gauss } = rng(6);
		const old = unit(Float64Array.from({ length: DIM }, gauss));
		const fresh = unit(Float64Array.from({ length: DIM }, gauss));
		const index = new FaceIndex({ kernel });
		index.add('A', [old]);
		index.add('A', [near(old, 0.9, gauss)]);
		expect(index.size).toBe(2);
		index.set('A', [fresh]);
		expect(index.size).toBe(1);
		expect(index.search(old, MATCH).decision).toBe('no_match');
		expect(index.search(fresh, MATCH).best).toMatchObject({ workerId: 'A' });
	});

	it('verifies a claimed identity at the threshold, without the margin', () => {
		const { gauss } = rng(7);
		const a = unit(Float64Array.from({ length: DIM }, gauss));
		const b = near(a, 0.9, gauss);
		const index = new FaceIndex({ kernel });
		index.add('A', [a]);
		index.add('B', [b]);
		const between = unit(a.map((x, i) => x + b[i]!));
		expect(index.search(between, MATCH).decision).toBe('ambiguous');
		expect(index.verify(between, 'A', 0.6)).toBe(true);
		expect(index.scoreOf(between, 'A')).toBeCloseTo(dot(a, between), 2);
		const stranger = unit(Float64Array.from({ length: DIM }, gauss));
		expect(index.verify(stranger, 'A', 0.6)).toBe(false);
		expect(index.verify(a, 'nobody', 0.6)).toBe(false);
		expect(index.scoreOf(a, 'nobody')).toBeNull();
		// The same score as a search gives, and the same threshold rule (≥).
		const score = index.scoreOf(a, 'A')!;
		expect(score).toBe(index.search(a, MATCH).best!.score);
		expect(index.verify(a, 'A', score)).toBe(true);
		expect(index.verify(a, 'A', score + 1e-9)).toBe(false);
	});

	it('clears everything, then takes new workers', () => {
		const { people, gauss } = clusters(20, 3, 12);
		const index = FaceIndex.from(
			people.map((p) => [p.id, p.templates] as const),
			{ kernel }
		);
		index.clear();
		expect(index.size).toBe(0);
		expect(index.workers).toBe(0);
		const probe = near(people[3]!.centre, 0.9, gauss);
		expect(index.search(probe, MATCH).decision).toBe('no_match');
		expect(index.has(people[3]!.id)).toBe(false);
		index.add('X', people[3]!.templates);
		expect(index.search(probe, MATCH)).toMatchObject({ best: { workerId: 'X' }, second: null });
	});

	it('refuses embeddings of the wrong size with a clear error, leaving the index as it was', () => {
		const index = new FaceIndex({ kernel });
		index.add('A', [unit(Float64Array.from({ length: DIM }, (_, i) => Math.sin(i)))]);
		expect(() => index.search(new Float32Array(512).fill(0.1), MATCH)).toThrow(
			/512 values; expected a 1024-value embedding/
		);
		expect(() => index.verify(new Float32Array(128).fill(0.1), 'A', 0.6)).toThrow(/128 values/);
		expect(() => index.scoreOf(new Float32Array(128).fill(0.1), 'A')).toThrow(/128 values/);
		expect(() =>
			index.add('B', [new Float32Array(DIM).fill(0.1), new Float32Array(10).fill(1)])
		).toThrow(/template 1 of B has 10 values/);
		expect(index.size).toBe(1);
		expect(index.has('B')).toBe(false);
		expect(() => index.search(new Float32Array(DIM), MATCH)).toThrow(/all zeros/);
		expect(() => index.search(new Float32Array(DIM).fill(NaN), MATCH)).toThrow(/non-finite/);
		// One vector instead of a list of them.
		expect(() => index.add('C', new Float32Array(DIM) as unknown as number[][])).toThrow(
			/must be a list/
		);
		expect(() => new FaceIndex({ dim: 1000 })).toThrow(/power of two/);
	});
});

describe('SIMD and JavaScript kernels', () => {
	it('give identical scores', () => {
		const { people, gauss } = clusters(40, 3, 8);
		const entries = people.map((p) => [p.id, p.templates] as const);
		const wasm = FaceIndex.from(entries, { kernel: 'wasm' });
		const js = FaceIndex.from(entries, { kernel: 'js' });
		for (let i = 0; i < 20; i++) {
			const probe = near(people[i]!.centre, 0.7, gauss);
			expect(wasm.search(probe, MATCH)).toEqual(js.search(probe, MATCH));
		}
	});
});

describe('encodeTemplate / decodeTemplate', () => {
	const shapes: Record<string, (r: ReturnType<typeof rng>) => number> = {
		gaussian: (r) => r.gauss(),
		// Heavy tails and non-negative activations: what a real embedding might look like.
		'student-t(3)': (r) =>
			r.gauss() / Math.sqrt((r.gauss() ** 2 + r.gauss() ** 2 + r.gauss() ** 2) / 3),
		'non-negative': (r) => Math.max(0, r.gauss()),
		sparse: (r) => (r.uniform() < 0.05 ? r.gauss() : 0)
	};

	it.each(Object.entries(shapes))(
		'keeps cosines within 0.005 of float32 (%s vectors)',
		(_, draw) => {
			const r = rng(9);
			let worst = 0;
			for (let t = 0; t < 300; t++) {
				const a = unit(Float64Array.from({ length: DIM }, () => draw(r)));
				const other = unit(Float64Array.from({ length: DIM }, () => draw(r)));
				const rho = r.uniform();
				const b = unit(a.map((x, i) => rho * x + (1 - rho) * other[i]!));
				const exact = dot(a, b);
				const coded = dot(decodeTemplate(encodeTemplate(a)), decodeTemplate(encodeTemplate(b)));
				worst = Math.max(worst, Math.abs(coded - exact));
			}
			expect(worst).toBeLessThan(0.005);
			// What was measured when the format was chosen: about 0.001 for every shape.
			expect(worst).toBeLessThan(0.002);
		}
	);

	it('is compact, decodes to a unit vector, and reads number[] and Float32Array alike', () => {
		const { gauss } = rng(10);
		const v = Array.from({ length: DIM }, gauss);
		const text = encodeTemplate(v);
		expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
		expect(text.length).toBe(1368);
		expect(encodeTemplate(Float32Array.from(v))).toBe(text);
		const back = decodeTemplate(text);
		expect(back).toBeInstanceOf(Float32Array);
		expect(back.length).toBe(DIM);
		expect(dot(back, back)).toBeCloseTo(1, 5);
		expect(dot(back, unit(v))).toBeGreaterThan(0.999);
		// Re-encoding a decoded template loses nothing more.
		expect(encodeTemplate(back)).toBe(text);
	});

	it('keeps format 1 stable: templates already stored must keep their meaning', () => {
		// If this changes, every template in every record changes meaning: bump the format instead.
		const v = Array.from({ length: DIM }, (_, i) => Math.sin(i + 1));
		const text = encodeTemplate(v);
		expect(text.slice(0, 60)).toBe('ATcDCz0W/DUKFo0AL0UBI8dI4ggx8yTuHt4UEgUhFt7tJBrHHgXzNh/N/PcV');
		expect(text.slice(-40)).toBe('1wPzOsH4HuIuEFvGCAcY7gf02gzwCg3l++/E8dU=');
		expect(dot(decodeTemplate(text), unit(v))).toBeGreaterThan(0.999);
	});

	it('indexes an encoded template exactly as its decoded vector', () => {
		const { people, gauss } = clusters(30, 3, 11);
		const fromText = FaceIndex.from(people.map((p) => [p.id, p.templates.map(encodeTemplate)]));
		const fromVectors = FaceIndex.from(
			people.map((p) => [p.id, p.templates.map((t) => decodeTemplate(encodeTemplate(t)))])
		);
		for (let i = 0; i < 10; i++) {
			const probe = near(people[i]!.centre, 0.8, gauss);
			expect(fromText.search(probe, MATCH)).toEqual(fromVectors.search(probe, MATCH));
			expect(fromText.search(probe, MATCH).best!.workerId).toBe(people[i]!.id);
		}
	});

	it('refuses what is not a template', () => {
		expect(() => encodeTemplate([])).toThrow(/0 values/);
		expect(() => encodeTemplate(new Float32Array(1000).fill(1))).toThrow(/1000 values/);
		expect(() => encodeTemplate(new Float32Array(DIM))).toThrow(/all zeros/);
		expect(() => decodeTemplate('not base64!')).toThrow(/not a base64 template/);
		expect(() => decodeTemplate(btoa('\x02' + '\x01'.repeat(DIM)))).toThrow(
			/unknown template format 2/
		);
		expect(() => decodeTemplate(btoa('\x01' + '\x01'.repeat(1000)))).toThrow(/1000 values/);
		const index = new FaceIndex();
		expect(() => index.add('A', [encodeTemplate(new Float32Array(512).fill(1))])).toThrow(
			/512 values; this index holds 1024-value embeddings/
		);
	});
});
