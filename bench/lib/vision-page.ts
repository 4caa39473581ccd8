// The real vision worker in a bench page: esbuild bundles bench/browser/vision-entry.ts (the app's
// VisionClient, FaceIndex, gateDecision, GateJournal) and src/lib/vision/engine/worker.ts (as an ES
// module worker, as Vite builds it), and a 127.0.0.1 server serves both with static/models/ (from
// `npm run models`) and fixture frames, in headless Debian Chromium with a fresh profile.
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { encodeTemplate } from '../../src/lib/vision/matcher';
import {
	assessFrame,
	pickEnrolmentFrames,
	type EnrolmentSample
} from '../../src/lib/vision/quality';
import type { FrameResult, VisionBenchApi } from '../browser/vision-entry';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium';
import { REPO } from './relay-child';

const MODELS = join(REPO, 'static', 'models');
const HTML =
	'<!doctype html><meta charset="utf-8"><title>vision bench</title><script type="module" src="/vision.js"></script>';
const TYPES: Record<string, string> = {
	'.js': 'text/javascript; charset=utf-8',
	'.json': 'application/json',
	'.wasm': 'application/wasm'
};

export interface VisionBundles {
	entry: string;
	worker: string;
	entryBytes: number;
	workerBytes: number;
}

/** Bundles the page entry and the worker into `dir` (minified, as a production build would). */
export async function bundleVision(dir: string): Promise<VisionBundles> {
	mkdirSync(dir, { recursive: true });
	const common = {
		bundle: true,
		format: 'esm' as const,
		platform: 'browser' as const,
		target: 'chrome120',
		minify: true,
		logLevel: 'error' as const,
		alias: { $lib: join(REPO, 'src', 'lib') },
		define: { __SITEPASS_VERSION__: '"bench"' }
	};
	const entry = join(dir, 'vision.js');
	const worker = join(dir, 'worker.js');
	await build({
		...common,
		entryPoints: [join(REPO, 'bench', 'browser', 'vision-entry.ts')],
		outfile: entry
	});
	await build({
		...common,
		entryPoints: [join(REPO, 'src', 'lib', 'vision', 'engine', 'worker.ts')],
		outfile: worker
	});
	return {
		entry,
		worker,
		entryBytes: readFileSync(entry).length,
		workerBytes: readFileSync(worker).length
	};
}

export interface VisionServer {
	origin: string;
	/** RGBA frames the page fetches as /frames/<name>. */
	frames: Map<string, Uint8Array>;
	/** Every path asked for, in order (to check nothing else was fetched). */
	requests: string[];
	close(): Promise<void>;
}

/**
 * Serves the page, the two bundles (the worker where the client's `new URL('./worker.ts',
 * import.meta.url)` resolves from /vision.js), /models/ with the caching headers a CDN-less origin
 * would send for versioned files (the manifest is always revalidated), and /frames/.
 */
export async function serveVision(bundles: VisionBundles): Promise<VisionServer> {
	if (!existsSync(join(MODELS, 'manifest.json'))) {
		throw new Error('static/models/manifest.json is missing: run `npm run models` first');
	}
	const frames = new Map<string, Uint8Array>();
	const requests: string[] = [];
	const server: Server = createServer((req, res) => {
		const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
		requests.push(path);
		const send = (type: string, body: Uint8Array | string, cache = 'no-store') =>
			res.writeHead(200, { 'content-type': type, 'cache-control': cache }).end(body);
		if (path === '/' || path === '/index.html') return send('text/html; charset=utf-8', HTML);
		if (path === '/vision.js') return send(TYPES['.js']!, readFileSync(bundles.entry));
		if (path === '/worker.ts') return send(TYPES['.js']!, readFileSync(bundles.worker));
		if (path.startsWith('/frames/')) {
			const frame = frames.get(path.slice('/frames/'.length));
			if (!frame) return res.writeHead(404).end();
			return send('application/octet-stream', frame);
		}
		if (path.startsWith('/models/')) {
			const file = normalize(join(MODELS, path.slice('/models/'.length)));
			if (!file.startsWith(MODELS + sep)) return res.writeHead(404).end();
			const cache =
				path === '/models/manifest.json' ? 'no-cache' : 'public, max-age=31536000, immutable';
			readFile(file).then(
				(body) => send(TYPES[extname(file)] ?? 'application/octet-stream', body, cache),
				() => res.writeHead(404).end()
			);
			return;
		}
		res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		origin: `http://127.0.0.1:${port}`,
		frames,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}

export interface VisionBrowser {
	context: BrowserContext;
	page: Page;
	/** Calls the page's bench API (see bench/browser/vision-entry.ts). */
	call<K extends keyof VisionBenchApi>(
		name: K,
		...args: Parameters<VisionBenchApi[K]>
	): Promise<Awaited<ReturnType<VisionBenchApi[K]>>>;
	/** A new page in the same profile (same HTTP cache and IndexedDB), the old one closed. */
	reopen(): Promise<void>;
	close(): Promise<void>;
}

/** Headless Chromium on `profile` (a persistent profile: HTTP cache and IndexedDB on disk). */
export async function openVision(
	profile: string,
	origin: string,
	extraArgs: string[] = []
): Promise<VisionBrowser> {
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		args: [...CHROMIUM_ARGS, ...extraArgs],
		headless: true,
		permissions: ['camera']
	});
	const open = async (page: Page) => {
		await page.goto(`${origin}/`);
		await page.waitForFunction(() => 'sitepassVision' in window);
		return page;
	};
	const self: VisionBrowser = {
		context,
		page: await open(context.pages()[0] ?? (await context.newPage())),
		call(name, ...args) {
			return self.page.evaluate(
				([n, a]) => {
					const api = (window as unknown as { sitepassVision: Record<string, unknown> })
						.sitepassVision;
					return (api[n as string] as (...x: unknown[]) => unknown)(...(a as unknown[]));
				},
				[name, args] as const
			) as never;
		},
		async reopen() {
			const old = self.page;
			self.page = await open(await context.newPage());
			await old.close();
		},
		close: () => context.close()
	};
	return self;
}

export interface Enrolment {
	/** The frames' embeddings that became the template (pickEnrolmentFrames' choice). */
	embeddings: number[][];
	/** encodeTemplate of each: what the FaceTemplate record stores. */
	templates: string[];
	/** Frames kept, by name. */
	kept: string[];
	/** Frames assessFrame refused, with its issue codes. */
	refused: { name: string; codes: string[] }[];
	ok: boolean;
	consistency: number | null;
	issue?: string;
}

/**
 * A template the way the enrolment page makes one: every analysed frame through assessFrame, the
 * good ones (taken 300 ms apart) through pickEnrolmentFrames (3–5 frames), their embeddings
 * encoded with encodeTemplate. With `applyQuality: false` a frame assessFrame refuses is still
 * offered to pickEnrolmentFrames (its refusal is recorded): for fixture photos whose pose or light
 * a person at the enrolment camera would simply be asked to correct.
 */
export function enrol(
	frames: readonly FrameResult[],
	options: { applyQuality?: boolean } = {}
): Enrolment {
	const applyQuality = options.applyQuality ?? true;
	const samples: EnrolmentSample[] = [];
	const names = new Map<EnrolmentSample, string>();
	const refused: Enrolment['refused'] = [];
	frames.forEach((f, i) => {
		const q = f.analysis ? assessFrame(f.analysis) : null;
		const face = q?.face ?? f.analysis?.faces[0];
		if (q && !q.ok) refused.push({ name: f.name, codes: q.issues.map((x) => x.code) });
		if (!q) refused.push({ name: f.name, codes: ['error'] });
		if (face?.embedding && (q?.ok || !applyQuality)) {
			const s = { face, at: i * 300 };
			samples.push(s);
			names.set(s, f.name);
		}
	});
	const pick = pickEnrolmentFrames(samples, { min: 3, max: 5, locale: 'en' });
	const embeddings = pick.frames.map((s) => s.face.embedding!);
	return {
		embeddings,
		templates: embeddings.map((e) => encodeTemplate(e)),
		kept: pick.frames.map((s) => names.get(s)!),
		refused,
		ok: pick.ok,
		consistency: pick.consistency,
		...(pick.ok ? {} : { issue: pick.issue.message })
	};
}

/** Versions of the packages the vision worker runs (for the result's params). */
export function visionPackages(): Record<string, string> {
	const out: Record<string, string> = {};
	for (const name of [
		'@vladmandic/human',
		'@mediapipe/tasks-vision',
		'@tensorflow/tfjs-backend-wasm',
		'@vladmandic/face-api',
		'esbuild'
	]) {
		try {
			const pkg = JSON.parse(
				readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')
			) as { version: string };
			out[name] = pkg.version;
		} catch {
			out[name] = 'not installed';
		}
	}
	return out;
}
