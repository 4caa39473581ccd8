// Summaries of benchmark samples: median, percentiles and spread, computed the same way everywhere.

export interface Summary {
	n: number;
	median: number;
	mean: number;
	min: number;
	max: number;
	p10: number;
	p90: number;
	p95: number;
	p99: number;
}

/** Percentile of sorted values by linear interpolation between closest ranks (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
	if (sorted.length === 0) return NaN;
	const rank = (p / 100) * (sorted.length - 1);
	const lo = Math.floor(rank);
	const hi = Math.ceil(rank);
	const a = sorted[lo]!;
	const b = sorted[hi]!;
	return a + (b - a) * (rank - lo);
}

export function summarize(samples: readonly number[]): Summary {
	const sorted = [...samples].sort((a, b) => a - b);
	const n = sorted.length;
	return {
		n,
		median: percentile(sorted, 50),
		mean: n ? sorted.reduce((s, x) => s + x, 0) / n : NaN,
		min: n ? sorted[0]! : NaN,
		max: n ? sorted[n - 1]! : NaN,
		p10: percentile(sorted, 10),
		p90: percentile(sorted, 90),
		p95: percentile(sorted, 95),
		p99: percentile(sorted, 99)
	};
}

/** A number for a table: 3 significant digits, thousands kept whole. */
export function fmt(x: number): string {
	if (!Number.isFinite(x)) return '–';
	const abs = Math.abs(x);
	if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
	if (abs >= 100) return x.toFixed(0);
	if (abs >= 10) return x.toFixed(1);
	if (abs >= 1) return x.toFixed(2);
	if (abs === 0) return '0';
	return x.toPrecision(2);
}

/** Rounds samples for storage (keeps JSON small without losing meaningful digits). */
export function round(samples: readonly number[], digits = 4): number[] {
	return samples.map((x) => Number(x.toPrecision(digits + 2)));
}
