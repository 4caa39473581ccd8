// The relay as a real process: killed with SIGKILL in the middle of a burst, it loses nothing it had
// forwarded (updates are stored before they are sent on), and the writer's resync fills in the rest
// exactly once. SIGTERM closes sockets, compacts and exits cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataDir } from './datadir';
import { Storage } from './storage';
import { signToken, newJti } from './tokens';
import { connect, makeRoot, records, waitFor, type Client } from './testing';
import { join } from 'node:path';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DOC = 'site:S1:events:2026-11';
const TOTAL = 500;

const children: ChildProcess[] = [];
const clients: Client[] = [];
afterAll(() => {
	for (const c of clients) c.destroy();
	for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
	return new Promise((done, fail) => {
		const s = createServer();
		s.once('error', fail);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address() as { port: number };
			s.close(() => done(port));
		});
	});
}

interface Relay {
	child: ChildProcess;
	url: string;
	output: () => string;
	exited: Promise<number | null>;
}

async function startProcess(dataDir: string, staticDir: string, port: number): Promise<Relay> {
	const child = spawn(
		process.execPath,
		['bin/sitepass.js', 'serve', '--data', dataDir, '--static', staticDir, '--port', String(port)],
		{ cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] }
	);
	children.push(child);
	let out = '';
	child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
	child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
	const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
	await waitFor(() => /running at http/.test(out) || child.exitCode !== null, 'relay start', 20000);
	const url = /running at (http:\/\/\S+)/.exec(out)?.[1];
	if (!url) throw new Error(`relay did not start:\n${out}`);
	return { child, url, output: () => out, exited };
}

describe('sitepass serve as a process', () => {
	it('SIGKILL mid-burst loses nothing that was forwarded; resync completes it exactly once', async () => {
		const root = makeRoot();
		const port = await freePort();
		const first = await startProcess(root.dataDir, root.staticDir, port);
		expect(first.output()).toMatch(/enrol#code=/);

		// Tokens signed with the relay's own key, read from its data folder.
		const data = openDataDir(root.dataDir);
		const sign = (sub: string) => {
			const iat = Math.floor(Date.now() / 1000);
			return signToken(
				{
					iss: data.orgId,
					sub,
					role: 'staff',
					staffRole: 'project_lead',
					sites: ['S1'],
					jti: newJti(),
					iat,
					exp: iat + 600
				},
				data.keys.privateKey
			);
		};
		const tokens = { a: sign('writer'), b: sign('recorder'), c: sign('checker') };
		data.close();

		const server = { url: first.url };
		const a = connect(server, DOC, tokens.a);
		const b = connect(server, DOC, tokens.b);
		clients.push(a, b);
		await Promise.all([a.synced(), b.synced()]);
		const receivedByB = new Set<string>();
		b.map('attendance').observe((event) => {
			for (const [key, change] of event.changes.keys)
				if (change.action === 'add') receivedByB.add(key);
		});

		const written: string[] = [];
		const write = (i: number) => {
			const key = `A${String(i).padStart(4, '0')}`;
			a.map('attendance').set(key, records.attendance(`W${i}`, { deviceId: `seq-${i}` }));
			written.push(key);
		};
		let i = 0;
		let killed = false;
		// One record per transaction, at most 40 in flight, so the kill lands with records on the wire.
		while (i < 400) {
			write(i++);
			await new Promise((r) => setImmediate(r));
			while (!killed && i - receivedByB.size > 40) await new Promise((r) => setTimeout(r, 1));
			if (!killed && receivedByB.size >= 120) {
				first.child.kill('SIGKILL');
				killed = true;
			}
		}
		expect(killed).toBe(true);
		await first.exited;
		const seenBeforeCrash = new Set(receivedByB);
		expect(seenBeforeCrash.size).toBeGreaterThanOrEqual(120);
		expect(seenBeforeCrash.size).toBeLessThan(400);
		// Neither device may refill the relay before we look at what it kept on its own.
		a.provider.disconnect();
		b.provider.disconnect();

		const second = await startProcess(root.dataDir, root.staticDir, port);
		expect(second.output()).not.toMatch(/enrol#code=/);
		const fresh = connect({ url: second.url }, DOC, tokens.c);
		clients.push(fresh);
		await fresh.synced();
		const kept = new Set(fresh.map('attendance').keys());
		const lost = [...seenBeforeCrash].filter((k) => !kept.has(k));
		expect(lost, 'records forwarded before the crash but not stored').toEqual([]);

		// The writer comes back, still writing while it reconnects.
		a.provider.connect();
		while (i < TOTAL) {
			write(i++);
			await new Promise((r) => setImmediate(r));
		}
		const check = connect({ url: second.url }, DOC, tokens.c);
		clients.push(check);
		await check.synced();
		await waitFor(() => check.map('attendance').size === TOTAL, 'all records at the relay', 15000);
		expect(new Set(check.map('attendance').keys())).toEqual(new Set(written));
		expect(written).toHaveLength(TOTAL);
		for (const key of written) {
			expect((check.map('attendance').get(key) as { deviceId: string }).deviceId).toBe(
				`seq-${Number(key.slice(1))}`
			);
		}

		// SIGTERM: sockets closed, log folded into a snapshot, clean exit.
		for (const c of clients.splice(0)) c.destroy();
		second.child.kill('SIGTERM');
		expect(await second.exited).toBe(0);
		expect(second.output()).toMatch(/SIGTERM/);
		const storage = new Storage(join(root.dataDir, 'sitepass.db'));
		try {
			expect(storage.logLength(DOC)).toBe(0);
			const doc = storage.loadDoc(DOC);
			expect(doc.getMap('attendance').size).toBe(TOTAL);
			// Exactly one stored item per record: nothing was applied twice. (The relay's receive
			// stamps, one per event in `received`, are its own items beside them.)
			const items = Y.decodeUpdate(Y.encodeStateAsUpdate(doc)).structs.filter(
				(s) => s instanceof Y.Item && (s.parent as unknown) === 'attendance'
			);
			expect(items).toHaveLength(TOTAL);
			expect(doc.getMap('received').size).toBe(TOTAL);
		} finally {
			storage.close();
		}
	}, 45000);
});
