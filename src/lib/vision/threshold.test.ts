import { describe, expect, it } from 'vitest';
import {
	chooseThreshold,
	equalErrorRate,
	errorRates,
	normalQuantile,
	perComparisonFar
} from './threshold';

function normals(n: number, mean: number, sd: number, seed: number): number[] {
	let a = seed >>> 0;
	const uniform = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return Array.from(
		{ length: n },
		() =>
			mean + sd * Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform())
	);
}

describe('errorRates', () => {
	it('counts a score equal to the threshold as accepted', () => {
		const r = errorRates([0.5, 0.7, 0.9, 0.4], [0.1, 0.5, 0.3], 0.5);
		expect(r).toEqual({ threshold: 0.5, far: 1 / 3, frr: 1 / 4, falseAccepts: 1, falseRejects: 1 });
	});
});

describe('equalErrorRate', () => {
	it('is 0 for separated scores, at a threshold between them', () => {
		const r = equalErrorRate([0.78, 0.85, 0.98], [0.1, 0.21, 0.46]);
		expect(r.eer).toBe(0);
		expect(r.threshold).toBeGreaterThan(0.46);
		expect(r.threshold).toBeLessThanOrEqual(0.78);
	});

	it('finds where FAR and FRR cross for overlapping scores', () => {
		// At 0.55: impostors 0.55 and 0.6 accepted (2/5), genuine 0.4 and 0.45 rejected (2/5).
		const genuine = [0.4, 0.45, 0.7, 0.8, 0.9];
		const impostor = [0.1, 0.2, 0.3, 0.55, 0.6];
		const r = equalErrorRate(genuine, impostor);
		expect(r.far).toBe(r.frr);
		expect(r.eer).toBe(0.4);
		expect(r.threshold).toBe(0.55);
	});
});

describe('perComparisonFar', () => {
	it('divides a gate-level FAR over the enrolled', () => {
		expect(perComparisonFar(0.01, 10_000)).toBeCloseTo(1.005e-6, 9);
		expect(perComparisonFar(0.01, 1)).toBeCloseTo(0.01, 12);
		expect(() => perComparisonFar(0, 10)).toThrow();
	});
});

describe('normalQuantile', () => {
	it('matches tabulated values', () => {
		expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
		expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
		expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
		expect(normalQuantile(1 - 1e-6)).toBeCloseTo(4.753424, 4);
	});
});

describe('chooseThreshold', () => {
	it('with enough impostor scores, picks the lowest threshold meeting maxFar', () => {
		const impostor = normals(20_000, 0.2, 0.08, 1);
		const genuine = normals(2_000, 0.85, 0.05, 2);
		const choice = chooseThreshold(genuine, impostor, { maxFar: 1e-3 });
		expect(choice.rule).toBe('measured');
		expect(choice.impostorsNeeded).toBe(3000);
		expect(choice.far).toBeLessThanOrEqual(1e-3);
		// One step lower lets too many impostors through: it is the lowest.
		expect(errorRates(genuine, impostor, choice.threshold - 1e-4).far).toBeGreaterThan(1e-3);
		// And it lands where the distribution says: 0.2 + 3.09 · 0.08 ≈ 0.447.
		expect(choice.threshold).toBeGreaterThan(0.42);
		expect(choice.threshold).toBeLessThan(0.47);
		expect(choice.normalTail).toBeCloseTo(0.447, 1);
		expect(choice.frr).toBe(0);
	});

	it('with few impostor scores, stays a safety step above the highest one', () => {
		// Like the 87 pairs of different people measured so far (mean 0.21, max 0.46).
		const impostor = normals(87, 0.21, 0.08, 3);
		const genuine = [0.78, 0.83, 0.9, 0.95, 0.98];
		const max = Math.max(...impostor);
		const loose = chooseThreshold(genuine, impostor, { maxFar: 0.01 });
		expect(loose.rule).toBe('extrapolated');
		expect(loose.impostorMax).toBe(max);
		expect(loose.threshold).toBeGreaterThanOrEqual(max + 0.05);
		expect(loose.far).toBe(0);
		expect(loose.frr).toBe(0);
		expect(loose.genuineMin).toBe(0.78);
		// A gate with 10,000 workers asks far more, and the normal tail takes over.
		const strict = chooseThreshold(genuine, impostor, { maxFar: perComparisonFar(0.01, 10_000) });
		expect(strict.threshold).toBeGreaterThanOrEqual(strict.normalTail);
		expect(strict.threshold).toBeGreaterThan(loose.threshold);
		expect(chooseThreshold(genuine, impostor, { maxFar: 0.01, safetyStep: 0.2 }).threshold).toBe(
			Math.max(Math.ceil((max + 0.2) * 1e4) / 1e4, loose.threshold)
		);
	});

	it('never lowers the threshold when asked for a stricter FAR', () => {
		const impostor = normals(5_000, 0.2, 0.1, 4);
		let previous = -Infinity;
		for (const maxFar of [0.2, 0.05, 0.01, 3e-3, 1e-3, 1e-4, 1e-6]) {
			const t = chooseThreshold([], impostor, { maxFar }).threshold;
			expect(t).toBeGreaterThanOrEqual(previous);
			previous = t;
		}
	});

	it('refuses what it cannot decide on', () => {
		expect(() => chooseThreshold([0.9], [0.1], { maxFar: 0.01 })).toThrow(/2 impostor/);
		expect(() => chooseThreshold([0.9], [0.1, 0.2], { maxFar: 0 })).toThrow(/maxFar/);
		expect(() => chooseThreshold([NaN], [0.1, 0.2], { maxFar: 0.01 })).toThrow(/genuine/);
		expect(() => equalErrorRate([], [0.1])).toThrow();
	});
});
