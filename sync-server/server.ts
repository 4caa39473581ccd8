// The SitePass relay process: one HTTP(S) server that serves the PWA, /healthz, and (as later
// parts land) the sync sockets, blobs and the integration API on the same origin.
import { mkdirSync, readFileSync } from 'node:fs';
import {
	createServer as createHttpServer,
	type IncomingMessage,
	type ServerResponse
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createStaticHandler } from './static';
import { VERSION } from './version';

export interface ServeOptions {
	host: string;
	port: number;
	/** Folder for the relay's database, keys and blobs; created when missing. */
	dataDir: string;
	/** The built PWA (adapter-static output). */
	staticDir: string;
	tls?: { cert: string; key: string };
	log?: (line: string) => void;
}

export interface RunningServer {
	url: string;
	port: number;
	close(): Promise<void>;
}

/** Headers on every response. The CSP keeps the app from reaching any origin but its own. */
const SECURITY_HEADERS = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'no-referrer',
	'permissions-policy': 'camera=(self), geolocation=(self), microphone=()',
	'content-security-policy':
		"default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; worker-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
} as const;

export async function serve(options: ServeOptions): Promise<RunningServer> {
	const log = options.log ?? ((line: string) => console.log(line));
	const dataDir = resolve(options.dataDir);
	mkdirSync(dataDir, { recursive: true });
	const serveStatic = createStaticHandler(options.staticDir);

	const handler = async (req: IncomingMessage, res: ServerResponse) => {
		for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
		let pathname: string;
		try {
			pathname = new URL(req.url ?? '/', 'http://relay').pathname;
		} catch {
			return sendJson(res, 400, {
				ok: false,
				error: { code: 'BAD_URL', message: 'Malformed URL' }
			});
		}
		if (pathname === '/healthz') {
			return sendJson(res, 200, { ok: true, version: VERSION });
		}
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.setHeader('allow', 'GET, HEAD');
			return sendJson(res, 405, {
				ok: false,
				error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here` }
			});
		}
		if (await serveStatic(req, res, pathname)) return;
		sendJson(res, 404, {
			ok: false,
			error: { code: 'NOT_FOUND', message: `No such endpoint: ${pathname}` }
		});
	};

	const onRequest = (req: IncomingMessage, res: ServerResponse) => {
		handler(req, res).catch((err: unknown) => {
			log(`request failed: ${req.method} ${req.url}: ${String(err)}`);
			if (!res.headersSent)
				sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: 'Internal error' } });
			else res.destroy();
		});
	};

	const server = options.tls
		? createHttpsServer(
				{ cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) },
				onRequest
			)
		: createHttpServer(onRequest);

	await new Promise<void>((done, fail) => {
		server.once('error', fail);
		server.listen(options.port, options.host, () => {
			server.off('error', fail);
			done();
		});
	});
	const port = (server.address() as AddressInfo).port;
	const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
	const url = `${options.tls ? 'https' : 'http'}://${shownHost}:${port}`;

	return {
		url,
		port,
		close: () =>
			new Promise<void>((done) => {
				server.close(() => done());
				server.closeAllConnections?.();
			})
	};
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
		'cache-control': 'no-store'
	});
	res.end(text);
}
