// The relay as its own process (`node bin/sitepass.js serve`), so the load generator does not share
// its event loop; tokens come from `sitepass token`. Also reads the child's CPU time and memory.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(REPO, 'bin', 'sitepass.js');
const run = promisify(execFile);

export interface RelayChild {
	url: string;
	port: number;
	pid: number;
	root: string;
	dataDir: string;
	logFile: string;
	/** CPU seconds (user + system) the relay process has used so far. */
	cpuSeconds(): number;
	/** Resident memory now and at its peak, MiB. */
	memory(): { rssMiB: number; peakMiB: number };
	/** Lines of the relay's log that record a refused socket. */
	refusals(): string[];
	/** SIGTERM (the relay stores snapshots and exits), then removes nothing: see `cleanup`. */
	stop(): Promise<void>;
	cleanup(): void;
}

export async function freePort(): Promise<number> {
	return new Promise((done, fail) => {
		const server = createServer();
		server.once('error', fail);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => done(port));
		});
	});
}

/** `sitepass token …` against a data folder (creates the org on first use). */
export async function cliToken(dataDir: string, args: string[]): Promise<string> {
	const { stdout } = await run(process.execPath, [CLI, 'token', '--data', dataDir, ...args], {
		cwd: REPO
	});
	return stdout.trim();
}

export interface BenchTokens {
	admin: string;
	/** Staff project lead at S1: reads and writes every contractor document of S1. */
	lead: string;
}

/** A fresh data folder with the org created and the two tokens the benchmarks use. */
export async function prepareDataDir(prefix: string): Promise<{
	root: string;
	dataDir: string;
	staticDir: string;
	tokens: BenchTokens;
}> {
	const root = mkdtempSync(join(tmpdir(), prefix));
	const dataDir = join(root, 'data');
	const staticDir = join(root, 'static');
	mkdirSync(staticDir);
	writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>bench</title>');
	// The first call creates the org; run them one after the other.
	const admin = await cliToken(dataDir, ['--role', 'admin', '--sub', 'bench-admin', '--ttl', '2h']);
	const lead = await cliToken(dataDir, [
		'--role',
		'staff',
		'--staff-role',
		'project_lead',
		'--site',
		'S1',
		'--sub',
		'bench-lead',
		'--ttl',
		'2h'
	]);
	return { root, dataDir, staticDir, tokens: { admin, lead } };
}

function ticksPerSecond(): number {
	return 100; // USER_HZ on Linux; /proc/<pid>/stat counts in these units.
}

export async function startRelayChild(prepared: {
	root: string;
	dataDir: string;
	staticDir: string;
}): Promise<RelayChild> {
	const port = await freePort();
	const logFile = join(prepared.root, 'relay.log');
	const out = openSync(logFile, 'a');
	const child: ChildProcess = spawn(
		process.execPath,
		[
			CLI,
			'serve',
			'--host',
			'127.0.0.1',
			'--port',
			String(port),
			'--data',
			prepared.dataDir,
			'--static',
			prepared.staticDir
		],
		{ cwd: REPO, stdio: ['ignore', out, out] }
	);
	const exited = new Promise<void>((done) => child.once('exit', () => done()));
	const url = `http://127.0.0.1:${port}`;
	const start = Date.now();
	for (;;) {
		if (child.exitCode !== null) {
			throw new Error(`relay exited early:\n${readFileSync(logFile, 'utf8')}`);
		}
		try {
			const res = await fetch(`${url}/healthz`);
			if (res.ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() - start > 30_000) throw new Error('relay did not start within 30 s');
		await new Promise((r) => setTimeout(r, 100));
	}
	const pid = child.pid!;
	return {
		url,
		port,
		pid,
		root: prepared.root,
		dataDir: prepared.dataDir,
		logFile,
		cpuSeconds() {
			try {
				const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
				const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
				// Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
				return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
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
		refusals() {
			return readFileSync(logFile, 'utf8')
				.split('\n')
				.filter((l) => l.startsWith('refused'));
		},
		async stop() {
			if (child.exitCode !== null) return;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
			await exited;
			clearTimeout(timer);
		},
		cleanup() {
			rmSync(prepared.root, { recursive: true, force: true });
		}
	};
}
