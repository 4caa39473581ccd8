// Serves the built PWA: files from the build folder, the app shell for any app route, and the
// caching rules a service-worker app needs (immutable assets forever, the shell and worker never).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.mjs': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json; charset=utf-8',
	'.webmanifest': 'application/manifest+json; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.webp': 'image/webp',
	'.ico': 'image/x-icon',
	'.wasm': 'application/wasm',
	'.tflite': 'application/octet-stream',
	'.task': 'application/octet-stream',
	'.bin': 'application/octet-stream',
	'.txt': 'text/plain; charset=utf-8',
	'.woff2': 'font/woff2'
};

/** Paths that belong to the relay, never to the app shell. */
const RESERVED = /^\/(sync|blobs|api|healthz)(\/|$)/;

export interface StaticHandler {
	(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
}

/** Returns a handler that answers GET/HEAD for the app, or false when the path is not its own. */
export function createStaticHandler(root: string): StaticHandler {
	const base = resolve(root);
	const shell = join(base, 'index.html');

	return async (req, res, pathname) => {
		if (RESERVED.test(pathname)) return false;
		let decoded: string;
		try {
			decoded = decodeURIComponent(pathname);
		} catch {
			return sendText(res, 400, 'Bad path encoding');
		}
		if (decoded.includes('\0')) return sendText(res, 400, 'Bad path');
		const file = resolve(base, '.' + normalize('/' + decoded));
		if (file !== base && !file.startsWith(base + sep)) return sendText(res, 403, 'Forbidden');

		let target = file;
		let info = await stat(target).catch(() => null);
		if (info?.isDirectory()) {
			target = join(target, 'index.html');
			info = await stat(target).catch(() => null);
		}
		if (!info || !info.isFile()) {
			// A path with a file extension is a missing asset; anything else is an app route.
			if (extname(decoded) && !decoded.endsWith('.html')) return sendText(res, 404, 'Not found');
			target = shell;
			info = await stat(target).catch(() => null);
			if (!info) {
				return sendText(
					res,
					503,
					'SitePass app is not built yet. Run `npm run build`, then start the relay again.'
				);
			}
		}

		const type = TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream';
		const immutable = decoded.startsWith('/_app/immutable/');
		res.writeHead(200, {
			'content-type': type,
			'content-length': info.size,
			'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
			...(decoded === '/sw.js' ? { 'service-worker-allowed': '/' } : {})
		});
		if (req.method === 'HEAD') {
			res.end();
			return true;
		}
		await new Promise<void>((done) => {
			const stream = createReadStream(target);
			stream.on('error', () => {
				res.destroy();
				done();
			});
			stream.on('end', () => done());
			stream.pipe(res);
		});
		return true;
	};
}

function sendText(res: ServerResponse, status: number, text: string): true {
	res.writeHead(status, {
		'content-type': 'text/plain; charset=utf-8',
		'cache-control': 'no-store'
	});
	res.end(text + '\n');
	return true;
}
