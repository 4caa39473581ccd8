// The registry simulator as its own process (`node bin/sitepass.js registry-sim`), so the relay
// and its scheduler do not share an event loop with the registry they are measured against. Its
// statistics (arrival times included) come over its control endpoint, /_sim/stats.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeedCertificate, SimulatorStats } from '../../sync-server/registry/simulator';
import { freePort, REPO } from './relay-child';

const CLI = join(REPO, 'bin', 'sitepass.js');

export interface RegistryChild {
	url: string;
	pid: number;
	/** The simulator's counters, with every /verify arrival time (epoch ms) since the last reset. */
	stats(): Promise<SimulatorStats>;
	resetStats(): Promise<void>;
	/** CPU seconds (user + system) the simulator process has used so far. */
	cpuSeconds(): number;
	/** Resident memory now and at its peak, MiB. */
	memory(): { rssMiB: number; peakMiB: number };
	stop(): Promise<void>;
}

/** Writes the seed into `dir` and starts the simulator on it; `dir` is the caller's to remove. */
export async function startRegistryChild(
	dir: string,
	certificates: SeedCertificate[]
): Promise<RegistryChild> {
	const seedFile = join(dir, 'registry-seed.json');
	writeFileSync(seedFile, JSON.stringify({ certificates }));
	const port = await freePort();
	const logFile = join(dir, 'registry.log');
	const out = openSync(logFile, 'a');
	const child: ChildProcess = spawn(
		process.execPath,
		[CLI, 'registry-sim', '--seed', seedFile, '--host', '127.0.0.1', '--port', String(port)],
		{ cwd: REPO, stdio: ['ignore', out, out] }
	);
	const exited = new Promise<void>((done) => child.once('exit', () => done()));
	// Not left running when the benchmark dies before stopping it.
	const orphan = () => child.kill('SIGKILL');
	process.once('exit', orphan);
	void exited.then(() => process.off('exit', orphan));
	const url = `http://127.0.0.1:${port}`;
	const start = Date.now();
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`registry simulator exited early:\n${readFileSync(logFile, 'utf8')}`);
		}
		try {
			const res = await fetch(`${url}/health`);
			if (res.ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() - start > 60_000) throw new Error('registry simulator did not start in 60 s');
		await new Promise((r) => setTimeout(r, 100));
	}
	const pid = child.pid!;
	return {
		url,
		pid,
		async stats() {
			const res = await fetch(`${url}/_sim/stats`);
			if (!res.ok) throw new Error(`registry simulator stats: HTTP ${res.status}`);
			return (await res.json()) as SimulatorStats;
		},
		async resetStats() {
			const res = await fetch(`${url}/_sim/reset`, { method: 'POST' });
			if (!res.ok) throw new Error(`registry simulator reset: HTTP ${res.status}`);
		},
		cpuSeconds() {
			try {
				const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
				const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
				// utime and stime, in USER_HZ (100 per second on Linux).
				return (Number(fields[11]) + Number(fields[12])) / 100;
			} catch {
				return NaN;
			}
		},
		memory() {
			try {
				const status = readFileSync(`/proc/${pid}/status`, 'utf8');
				const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]);
				return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
			} catch {
				return { rssMiB: NaN, peakMiB: NaN };
			}
		},
		async stop() {
			if (child.exitCode !== null) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			await exited;
			clearTimeout(timer);
		}
	};
}
