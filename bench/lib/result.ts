// The shape of bench/results/<name>.json (raw samples, summaries, machine) and the machine facts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { round, summarize, type Summary } from './stats';

export interface Metric {
	label: string;
	unit: string;
	samples: number[];
	summary: Summary;
}

export interface Machine {
	cpu: string;
	cores: number;
	ramGiB: number;
	os: string;
	node: string;
	chromium: string | null;
	date: string;
	packages: Record<string, string>;
}

export interface BenchResult {
	name: string;
	title: string;
	/** One sentence: what was timed, from where to where. */
	measures: string;
	machine: Machine;
	durationSeconds: number;
	params: Record<string, unknown>;
	metrics: Record<string, Metric>;
	/** Benchmark-specific tables and counters. */
	extra: Record<string, unknown>;
	notes: string[];
	/**
	 * Targets the run missed (an issue's "under N ms"): the results are still written, and
	 * `npm run bench` exits non-zero, so a regression past the target does not pass unseen.
	 */
	failures?: string[];
	/** Share of all cores busy with other work in the second before and after the run (0–1). */
	background?: { before: number; after: number };
}

export function metric(label: string, unit: string, samples: readonly number[]): Metric {
	return { label, unit, samples: round(samples), summary: summarize(samples) };
}

function packageVersion(name: string): string {
	try {
		const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
		return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
	} catch {
		return 'not installed';
	}
}

export function chromiumVersion(executable = '/usr/bin/chromium'): string | null {
	try {
		return execFileSync(executable, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
			.toString()
			.trim();
	} catch {
		return null;
	}
}

function osName(): string {
	try {
		const line = readFileSync('/etc/os-release', 'utf8')
			.split('\n')
			.find((l) => l.startsWith('PRETTY_NAME='));
		if (line) return `${line.slice('PRETTY_NAME='.length).replace(/"/g, '')}, Linux ${release()}`;
	} catch {
		// not Linux
	}
	return `${process.platform} ${release()}`;
}

function cpuTimes(): { busy: number; total: number } {
	const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
	const n = fields.map(Number);
	const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
	const idle = (n[3] ?? 0) + (n[4] ?? 0);
	return { busy: total - idle, total };
}

/**
 * How busy the machine is while this process waits: the share of all cores used by other
 * processes over `ms` (Linux /proc/stat; NaN elsewhere). Benchmarks on a shared machine say so.
 */
export async function backgroundCpu(ms = 1000): Promise<number> {
	try {
		const a = cpuTimes();
		await new Promise((r) => setTimeout(r, ms));
		const b = cpuTimes();
		return (b.busy - a.busy) / (b.total - a.total || 1);
	} catch {
		return NaN;
	}
}

export function machineInfo(chromium: string | null = null): Machine {
	const list = cpus();
	return {
		cpu: list[0]?.model.trim() ?? 'unknown',
		cores: list.length,
		ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
		os: osName(),
		node: process.version,
		chromium,
		date: new Date().toISOString(),
		packages: Object.fromEntries(
			[
				'yjs',
				'y-websocket',
				'y-indexeddb',
				'y-protocols',
				'ws',
				'better-sqlite3',
				'@automerge/automerge',
				'@playwright/test'
			].map((p) => [p, packageVersion(p)])
		)
	};
}

/** One benchmark: runs and returns its result; renders its README section from a stored result. */
export interface Benchmark {
	name: string;
	title: string;
	run(): Promise<BenchResult>;
	/** Markdown for README.md (tables and interpretation), from numbers only. */
	render(result: BenchResult): string;
	/** One line for the summary table: the headline number with its spread. */
	headline(result: BenchResult): string;
}
