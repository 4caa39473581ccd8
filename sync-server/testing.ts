// Helpers for the relay's tests: a relay on a fresh folder, real y-websocket clients (no
// BroadcastChannel, so everything goes through the relay), raw sockets, and waiting for conditions.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { Claims, Role, StaffRole } from '../src/lib/data/access';
import {
	newSecretKey,
	softwareSigner,
	type KeyBinding,
	type Signer
} from '../src/lib/data/signing';
import { roomName, syncEndpoint } from '../src/lib/data/relay-protocol';
import { newUlid } from '../src/lib/data/event-commands';
import { serve, type RunningServer, type ServeOptions } from './server';

// Every y-websocket provider adds a process 'exit' listener; tests open many.
process.setMaxListeners(0);

export interface TestRelay {
	server: RunningServer;
	root: string;
	dataDir: string;
	staticDir: string;
	logs: string[];
}

/** Test folders, removed after the test file that made them (hooks run last-registered first,
 * so this runs after the file's own afterAll has stopped its relays). */
const roots: string[] = [];
afterAll(() => {
	for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test file. */
export function tempDir(prefix = 'sitepass-test-'): string {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	roots.push(dir);
	return dir;
}

/** A folder with a minimal built app, for relays under test. */
export function makeRoot(): { root: string; dataDir: string; staticDir: string } {
	const root = tempDir('sitepass-relay-');
	const staticDir = join(root, 'build');
	mkdirSync(staticDir);
	writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>shell</title>');
	return { root, dataDir: join(root, 'data'), staticDir };
}

export async function startRelay(
	options: Partial<ServeOptions> & { root?: ReturnType<typeof makeRoot> } = {}
): Promise<TestRelay> {
	const root = options.root ?? makeRoot();
	const logs: string[] = [];
	const server = await serve({
		host: '127.0.0.1',
		port: 0,
		dataDir: root.dataDir,
		staticDir: root.staticDir,
		log: (line) => logs.push(line),
		// Tests that need the certificate watch drive their own (fake clock, simulator).
		verification: { autoStart: false },
		approvals: { autoStart: false },
		...options
	});
	return { server, logs, ...root };
}

/** Waits until `check` holds (polling), failing with `what` after `timeoutMs`. */
export async function waitFor(
	check: () => boolean,
	what = 'condition',
	timeoutMs = 8000
): Promise<void> {
	const start = Date.now();
	while (!check()) {
		if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

export interface Client {
	doc: Y.Doc;
	provider: WebsocketProvider;
	/** Resolves when the provider has synced with the relay. */
	synced(): Promise<void>;
	/** The final close (4400–4499) the relay sent, once it happens. */
	closed: Promise<{ code: number; reason: string }>;
	closedWith: { code: number; reason: string } | null;
	map(name: string): Y.Map<unknown>;
	destroy(): void;
}

export interface ClientOptions {
	doc?: Y.Doc;
	connect?: boolean;
	WebSocketPolyfill?: new (address: string, protocols?: string | string[]) => WebSocket;
}

/** A stock y-websocket client, exactly as the app will create it. */
export function connect(
	server: { url: string },
	docName: string,
	token: string | null,
	options: ClientOptions = {}
): Client {
	const doc = options.doc ?? new Y.Doc();
	const provider = new WebsocketProvider(syncEndpoint(server.url), roomName(docName), doc, {
		params: token === null ? {} : { token },
		WebSocketPolyfill: (options.WebSocketPolyfill ??
			WebSocket) as unknown as typeof globalThis.WebSocket,
		disableBc: true,
		maxBackoffTime: 200,
		connect: options.connect ?? true
	});
	const client: Client = {
		doc,
		provider,
		closedWith: null,
		closed: new Promise((done) => {
			provider.on('closed', (event: { code: number; reason: string }) => {
				client.closedWith = event;
				done(event);
			});
		}),
		synced: () =>
			new Promise<void>((done, fail) => {
				if (provider.synced) return done();
				const timer = setTimeout(() => fail(new Error(`${docName}: not synced in time`)), 8000);
				provider.once('sync', (state: boolean) => {
					if (state) {
						clearTimeout(timer);
						done();
					}
				});
			}),
		map: (name) => doc.getMap(name),
		destroy: () => {
			provider.destroy();
			doc.destroy();
		}
	};
	return client;
}

/** Signs a token through the running relay with the common claim defaults. */
export function token(
	server: RunningServer,
	claims: Omit<Claims, 'iss' | 'jti' | 'iat' | 'exp'>,
	ttl = 3600
): string {
	return server.issueToken(claims, ttl);
}

export interface RawSocket {
	ws: WebSocket;
	opened: Promise<void>;
	closed: Promise<{ code: number; reason: string }>;
	messages: Uint8Array[];
}

/** A bare WebSocket to the relay, for sending what no well-behaved client would. */
export function rawSocket(server: { url: string }, path: string): RawSocket {
	const ws = new WebSocket(server.url.replace(/^http/, 'ws') + path);
	const messages: Uint8Array[] = [];
	ws.on('message', (data: Buffer) => messages.push(new Uint8Array(data)));
	ws.on('error', () => {});
	return {
		ws,
		messages,
		opened: new Promise((done, fail) => {
			ws.once('open', () => done());
			ws.once('close', () => fail(new Error('closed before open')));
		}),
		closed: new Promise((done) =>
			ws.once('close', (code: number, reason: Buffer) => done({ code, reason: reason.toString() }))
		)
	};
}

/** The org the tests assume: contractor C1 at S1, C2 at S2, C3 at both. */
export function seedOrg(server: RunningServer): void {
	const at = new Date().toISOString();
	server.relay.write('org', (doc) => {
		const contractors = doc.getMap('contractors');
		for (const [id, sites] of [
			['C1', ['S1']],
			['C2', ['S2']],
			['C3', ['S1', 'S2']]
		] as const) {
			contractors.set(id, { schema: 1, id, name: `Contractor ${id}`, sites, createdAt: at });
		}
		const siteMap = doc.getMap('sites');
		for (const id of ['S1', 'S2']) {
			siteMap.set(id, {
				schema: 1,
				id,
				name: `Site ${id}`,
				kind: 'construction',
				timeZone: 'Asia/Shanghai',
				createdAt: at
			});
		}
	});
}

/** The stored content of a document, read straight from the relay's database. */
export function stored(
	server: RunningServer,
	docName: string,
	map: string
): Record<string, unknown> {
	const doc = server.relay.storage.loadDoc(docName);
	const json = doc.getMap(map).toJSON();
	doc.destroy();
	return json;
}

/** Valid records, for tests whose writes the relay must accept (it checks every value). */
export const records = {
	worker(id: string, name: string, contractorId = 'C1') {
		const now = new Date().toISOString();
		return {
			schema: 2,
			id,
			contractorId,
			name,
			docType: 'passport',
			docNumber: `E${id.replace(/[^A-Za-z0-9]/g, '').padStart(7, '0')}`,
			createdAt: now,
			updatedAt: now
		};
	},
	attendance(workerId: string, extra: Record<string, unknown> = {}) {
		return {
			schema: 1,
			id: newUlid(),
			siteId: 'S1',
			workerId,
			direction: 'in',
			at: new Date().toISOString(),
			deviceId: 'gate-test',
			method: 'face',
			allow: true,
			reasons: [],
			...extra
		};
	},
	ping(workerId: string) {
		return {
			schema: 1,
			id: newUlid(),
			workerId,
			at: new Date().toISOString(),
			lat: 30.1,
			lng: 120.2
		};
	}
};

/**
 * A signing key for `principal`, bound in `org.keys` the way enrolment binds one (tests: the
 * relay writes the binding itself). Returns the software signer holding the secret.
 */
export function registerKey(
	server: RunningServer,
	principal: string,
	binding: { role?: Role; staffRole?: StaffRole; sites: string[]; validFrom?: string }
): Signer {
	const signer = softwareSigner(newSecretKey());
	server.relay.write('org', (doc) => {
		doc.getMap('keys').set(signer.keyId, {
			schema: 1,
			id: signer.keyId,
			principal,
			publicKey: signer.publicKey,
			role: binding.role ?? 'staff',
			...(binding.staffRole ? { staffRole: binding.staffRole } : {}),
			sites: binding.sites,
			validFrom: binding.validFrom ?? '2026-01-01T00:00:00.000Z',
			registeredBy: 'admin'
		} satisfies KeyBinding);
	});
	return signer;
}
