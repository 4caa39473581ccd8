// Markdown for bench/README.md: the machine line and the per-metric table every benchmark shares.
import type { BenchResult, Machine } from './result';
import { fmt } from './stats';

export function machineLine(m: Machine): string {
	const chromium = m.chromium ? `, ${m.chromium.replace(/ built on .*/, '')}` : '';
	return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}, Node ${m.node}${chromium}; ${m.date.slice(0, 16).replace('T', ' ')} UTC`;
}

/** median, p10/p90 (or the spread asked for), min/max and n for the given metrics. */
export function metricsTable(result: BenchResult, keys = Object.keys(result.metrics)): string {
	const lines = [
		'| metric | median | p10 | p90 | min | max | n |',
		'| --- | ---: | ---: | ---: | ---: | ---: | ---: |'
	];
	for (const key of keys) {
		const m = result.metrics[key];
		if (!m) continue;
		const s = m.summary;
		lines.push(
			`| ${m.label} (${m.unit}) | **${fmt(s.median)}** | ${fmt(s.p10)} | ${fmt(s.p90)} | ${fmt(s.min)} | ${fmt(s.max)} | ${s.n} |`
		);
	}
	return lines.join('\n');
}

/** Tail latencies: p50/p95/p99 and max. */
export function latencyTable(result: BenchResult, keys: string[]): string {
	const lines = [
		'| metric | p50 | p95 | p99 | max | mean | n |',
		'| --- | ---: | ---: | ---: | ---: | ---: | ---: |'
	];
	for (const key of keys) {
		const m = result.metrics[key];
		if (!m) continue;
		const s = m.summary;
		lines.push(
			`| ${m.label} (${m.unit}) | **${fmt(s.median)}** | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} | ${fmt(s.mean)} | ${s.n} |`
		);
	}
	return lines.join('\n');
}

export function mib(bytes: number): string {
	return `${fmt(bytes / 2 ** 20)} MiB`;
}
