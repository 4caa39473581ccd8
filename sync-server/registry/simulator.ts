// The registry simulator (`sitepass registry-sim`): a real HTTP server speaking the protocol of
// README.md from a seed file, for demos, tests and the benchmark. Its failure modes (slow, down,
// refusing, flaky, wrong answers) switch at runtime, from code or over HTTP, and it records when
// each question arrived so a test can check that the adapter kept to its rate limit.
import { readFileSync } from 'node:fs';
import {
	createServer,
	type IncomingMessage,
	type OutgoingHttpHeaders,
	type ServerResponse
} from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { findCatalogueItem } from '../../src/lib/domain/catalogue';
import {
	HEALTH_PATH,
	IsoDateSchema,
	MAX_REQUEST_BYTES,
	parseVerifyRequest,
	VERIFY_PATH,
	VERIFY_RESULTS,
	type VerifyAnswer,
	type VerifyAnswerResult
} from './protocol';

export const SIMULATOR_MODES = ['normal', 'slow', 'down', 'refuse', 'flaky', 'wrong'] as const;
/**
 * - normal: answers from the seed.
 * - slow: answers after `delayMs` (default 2000).
 * - down: 503 with `Retry-After: retryAfterSeconds` (default 2).
 * - refuse: destroys the socket without answering (the adapter sees a reset connection).
 * - flaky: a fraction `failRate` (default 0.5) of questions get 503 without Retry-After.
 * - wrong: 200 answers that break the protocol, in turn: not JSON, an impossible date, an
 *   unknown result (or always the one `wrong` names).
 */
export type SimulatorMode = (typeof SIMULATOR_MODES)[number];
export const WRONG_KINDS = ['json', 'date', 'result'] as const;
export type WrongKind = (typeof WRONG_KINDS)[number];

export interface SimulatorModeOptions {
	delayMs?: number;
	failRate?: number;
	retryAfterSeconds?: number;
	wrong?: WrongKind;
}

export interface SeedCertificate {
	/** Catalogue item code ('SO-ELEC-HV'); the simulator refuses codes the catalogue lacks. */
	category: string;
	number: string;
	holderName: string;
	holderId?: string;
	status: 'valid' | 'revoked';
	expiresOn: string;
	reviewDate?: string;
}

export interface SimulatorSeed {
	certificates: SeedCertificate[];
}

export interface SimulatorOptions {
	/** The seed itself, or the path of a seed JSON file. */
	seed: SimulatorSeed | string;
	/** Default 0: any free port. */
	port?: number;
	host?: string;
	mode?: SimulatorMode;
	modeOptions?: SimulatorModeOptions;
	/** When set, /verify and /_sim/* want `Authorization: Bearer <apiKey>` (/health does not). */
	apiKey?: string;
	/** For 'flaky'; default Math.random. */
	random?: () => number;
}

export interface SimulatorStats {
	mode: SimulatorMode;
	certificates: number;
	/** /verify questions received, whatever became of them. */
	requests: number;
	/** /verify questions by the mode in force when they arrived. */
	byMode: Record<SimulatorMode, number>;
	/** /verify replies by HTTP status, plus 'refused' for destroyed sockets. */
	byStatus: Record<string, number>;
	/** Well-formed answers by result. */
	results: Record<VerifyAnswerResult, number>;
	health: number;
	/** TCP connections accepted: few when the client keeps sockets alive. */
	connections: number;
	/** Arrival times of /verify questions (ms since the epoch, sub-ms precision), oldest first. */
	arrivals: number[];
	/** Most /verify arrivals within any 1 s window. */
	maxPerSecond: number;
}

export interface RunningSimulator {
	/** Base URL, e.g. 'http://127.0.0.1:8790': the adapter's `endpoint`. */
	url: string;
	port: number;
	close(): Promise<void>;
	setMode(mode: SimulatorMode, options?: SimulatorModeOptions): void;
	/** Adds or replaces the certificate with this (category, number); throws SeedError if bad. */
	upsert(entry: SeedCertificate): void;
	stats(): SimulatorStats;
	resetStats(): void;
}

/** A seed file or entry that does not follow the format; the message names the bad entry. */
export class SeedError extends Error {}

const DEFAULT_DELAY_MS = 2000;
const DEFAULT_FAIL_RATE = 0.5;
const DEFAULT_RETRY_AFTER_S = 2;
/** The benchmark makes 20,000 questions; older arrivals beyond this are dropped. */
const MAX_ARRIVALS = 200_000;
const DRAIN_LIMIT = 1024 * 1024;

const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(max));

const SeedEntrySchema = v.object({
	category: v.pipe(
		text(64),
		v.check((code) => findCatalogueItem(code) !== null, 'is not a catalogue item code')
	),
	number: text(64),
	holderName: text(100),
	holderId: v.optional(text(64)),
	status: v.picklist(['valid', 'revoked'], 'must be "valid" or "revoked"'),
	expiresOn: IsoDateSchema,
	reviewDate: v.optional(IsoDateSchema)
});

function describeEntry(raw: unknown, index?: number): string {
	const at = index === undefined ? 'entry' : `certificates[${index}]`;
	if (!raw || typeof raw !== 'object') return at;
	const { category, number } = raw as { category?: unknown; number?: unknown };
	const label = [category, number].filter((x) => typeof x === 'string').join(' ');
	return label ? `${at} (${label})` : at;
}

/** Checks one certificate entry (seed file, upsert, or POST /_sim/certificates). */
export function parseSeedEntry(raw: unknown, index?: number): SeedCertificate {
	const parsed = v.safeParse(SeedEntrySchema, raw);
	if (!parsed.success) {
		const why = parsed.issues.map((i) => `${v.getDotPath(i) ?? '(entry)'} ${i.message}`);
		throw new SeedError(`${describeEntry(raw, index)}: ${why.join('; ')}`);
	}
	const { holderId, reviewDate, ...rest } = parsed.output;
	return { ...rest, ...(holderId ? { holderId } : {}), ...(reviewDate ? { reviewDate } : {}) };
}

/** Checks a whole seed: `{ certificates: [...] }`, no two entries with one (category, number). */
export function parseSeed(raw: unknown): SimulatorSeed {
	const list = (raw as { certificates?: unknown } | null)?.certificates;
	if (!raw || typeof raw !== 'object' || !Array.isArray(list)) {
		throw new SeedError('a seed is a JSON object { "certificates": [ ... ] }');
	}
	const seen = new Map<string, number>();
	const certificates = list.map((entry, i) => {
		const cert = parseSeedEntry(entry, i);
		const key = certKey(cert.category, cert.number);
		const first = seen.get(key);
		if (first !== undefined) {
			throw new SeedError(`${describeEntry(entry, i)}: same category and number as [${first}]`);
		}
		seen.set(key, i);
		return cert;
	});
	return { certificates };
}

/** Reads and checks a seed file; every problem is a SeedError naming the file. */
export function loadSeedFile(path: string): SimulatorSeed {
	let raw: unknown;
	try {
		raw = JSON.parse(readFileSync(path, 'utf8'));
	} catch (err) {
		const e = err as NodeJS.ErrnoException;
		throw new SeedError(
			`${path}: ${e.code === 'ENOENT' ? 'no such file' : e instanceof SyntaxError ? `not JSON (${e.message})` : e.message}`
		);
	}
	try {
		return parseSeed(raw);
	} catch (err) {
		throw new SeedError(`${path}: ${(err as Error).message}`);
	}
}

// Registries match loosely on what people type differently: case and spaces in numbers, spaces and
// the several middle dots in names (买买提·艾力), the case of an ID's check character.
const normNumber = (s: string) => s.replace(/\s+/g, '').toUpperCase();
const normName = (s: string) =>
	s
		.normalize('NFKC')
		.replace(/\s+/g, '')
		.replace(/[.•・‧･]/g, '·');
const certKey = (category: string, number: string) => `${category}\u0000${normNumber(number)}`;

/** Most timestamps (sorted, ms) that fall within any window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
	let best = 0;
	for (let lo = 0, hi = 0; hi < times.length; hi++) {
		while (times[hi]! - times[lo]! >= windowMs) lo++;
		best = Math.max(best, hi - lo + 1);
	}
	return best;
}

const nowMs = () => performance.timeOrigin + performance.now();

function checkModeOptions(options: SimulatorModeOptions): void {
	const { delayMs, failRate, retryAfterSeconds, wrong } = options;
	if (delayMs !== undefined && !(Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= 600_000)) {
		throw new RangeError('delayMs must be a whole number of ms from 0 to 600000');
	}
	if (failRate !== undefined && !(failRate >= 0 && failRate <= 1)) {
		throw new RangeError('failRate must be from 0 to 1');
	}
	if (
		retryAfterSeconds !== undefined &&
		!(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0 && retryAfterSeconds <= 86400)
	) {
		throw new RangeError('retryAfterSeconds must be a whole number from 0 to 86400');
	}
	if (wrong !== undefined && !WRONG_KINDS.includes(wrong)) {
		throw new RangeError(`wrong must be one of ${WRONG_KINDS.join(', ')}`);
	}
}

const ModeBody = v.object({
	mode: v.picklist(SIMULATOR_MODES, `must be one of ${SIMULATOR_MODES.join(', ')}`),
	delayMs: v.optional(v.number()),
	failRate: v.optional(v.number()),
	retryAfterSeconds: v.optional(v.number()),
	wrong: v.optional(v.picklist(WRONG_KINDS))
});

class HttpError extends Error {
	constructor(
		readonly status: number,
		message: string
	) {
		super(message);
	}
}

function send(res: ServerResponse, status: number, body: string, headers?: OutgoingHttpHeaders) {
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(body),
		'cache-control': 'no-store',
		...headers
	});
	res.end(body);
}

const sendJson = (
	res: ServerResponse,
	status: number,
	body: unknown,
	headers?: OutgoingHttpHeaders
) => send(res, status, JSON.stringify(body), headers);

function readJson(req: IncomingMessage): Promise<unknown> {
	return new Promise((done, fail) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
			// Read a moderately large body to its end so the 413 reaches the client cleanly.
			else if (size > DRAIN_LIMIT) req.destroy();
		});
		req.on('error', () => fail(new HttpError(400, 'request cut short')));
		req.on('close', () => {
			if (!req.complete) fail(new HttpError(400, 'request cut short'));
		});
		req.on('end', () => {
			if (size > MAX_REQUEST_BYTES) return fail(new HttpError(413, 'request body too large'));
			try {
				done(JSON.parse(Buffer.concat(chunks).toString('utf8')));
			} catch {
				fail(new HttpError(400, 'the body is not valid JSON'));
			}
		});
	});
}

export async function startRegistrySimulator(options: SimulatorOptions): Promise<RunningSimulator> {
	const seed =
		typeof options.seed === 'string' ? loadSeedFile(options.seed) : parseSeed(options.seed);
	const random = options.random ?? Math.random;
	const certificates = new Map<string, SeedCertificate>();
	for (const cert of seed.certificates) certificates.set(certKey(cert.category, cert.number), cert);

	let mode: SimulatorMode = 'normal';
	let modeOptions: SimulatorModeOptions = {};
	function setMode(next: SimulatorMode, opts: SimulatorModeOptions = {}): void {
		if (!SIMULATOR_MODES.includes(next)) {
			throw new RangeError(`mode must be one of ${SIMULATOR_MODES.join(', ')}`);
		}
		checkModeOptions(opts);
		mode = next;
		modeOptions = { ...opts };
	}
	setMode(options.mode ?? 'normal', options.modeOptions);

	let counter = 0;
	let wrongTurn = 0;
	const zero = <K extends string>(keys: readonly K[]) =>
		Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
	let stats = {
		requests: 0,
		byMode: zero(SIMULATOR_MODES),
		byStatus: {} as Record<string, number>,
		results: zero(VERIFY_RESULTS),
		health: 0,
		connections: 0,
		arrivals: [] as number[]
	};
	const countStatus = (status: number | 'refused') =>
		(stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1);

	const timers = new Set<NodeJS.Timeout>();
	const delay = (ms: number) =>
		new Promise<void>((done) => {
			const t = setTimeout(() => {
				timers.delete(t);
				done();
			}, ms);
			timers.add(t);
		});

	function authorized(req: IncomingMessage): boolean {
		if (!options.apiKey) return true;
		return req.headers.authorization === `Bearer ${options.apiKey}`;
	}

	function answer(question: {
		regime: string;
		category: string;
		number: string;
		holderName: string;
		holderId?: string;
	}): VerifyAnswer {
		const item = findCatalogueItem(question.category);
		if (item && item.regime !== question.regime) {
			throw new HttpError(
				400,
				`category ${question.category} belongs to ${item.regime}, not ${question.regime}`
			);
		}
		const reference = `SIM-${String(++counter).padStart(6, '0')}`;
		const cert = certificates.get(certKey(question.category, question.number));
		if (!cert) return { result: 'not_found', reference };
		const idDiffers =
			question.holderId !== undefined &&
			cert.holderId !== undefined &&
			normNumber(question.holderId) !== normNumber(cert.holderId);
		if (normName(question.holderName) !== normName(cert.holderName) || idDiffers) {
			return { result: 'mismatch', reference };
		}
		return {
			result: cert.status === 'revoked' ? 'revoked' : 'genuine',
			expiresOn: cert.expiresOn,
			...(cert.reviewDate ? { reviewDate: cert.reviewDate } : {}),
			reference
		};
	}

	function wrongAnswer(): string {
		const kind = modeOptions.wrong ?? WRONG_KINDS[wrongTurn++ % WRONG_KINDS.length]!;
		const reference = `SIM-${String(++counter).padStart(6, '0')}`;
		if (kind === 'json') return `{"result":"genuine","expiresOn":"2027-`;
		if (kind === 'date')
			return JSON.stringify({ result: 'genuine', expiresOn: '2027-02-30', reference });
		return JSON.stringify({ result: 'valid', expiresOn: '2027-06-30', reference });
	}

	async function verify(req: IncomingMessage, res: ServerResponse): Promise<void> {
		stats.requests++;
		stats.byMode[mode]++;
		stats.arrivals.push(nowMs());
		if (stats.arrivals.length > MAX_ARRIVALS) stats.arrivals.splice(0, MAX_ARRIVALS / 2);
		if (mode === 'refuse') {
			countStatus('refused');
			req.socket.destroy();
			return;
		}
		if (mode === 'down') {
			const retryAfter = modeOptions.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S;
			throw Object.assign(new HttpError(503, 'registry down (simulated)'), { retryAfter });
		}
		if (mode === 'flaky' && random() < (modeOptions.failRate ?? DEFAULT_FAIL_RATE)) {
			throw new HttpError(503, 'registry flaky (simulated)');
		}
		if (!authorized(req)) throw new HttpError(401, 'missing or wrong API key');
		const question = parseVerifyRequest(await readJson(req));
		if (!question.ok) throw new HttpError(400, question.error);
		if (mode === 'slow') {
			await delay(modeOptions.delayMs ?? DEFAULT_DELAY_MS);
			// The client gave up (its timeout): nothing to answer.
			if (res.destroyed || req.socket.destroyed) return;
		}
		if (mode === 'wrong') {
			countStatus(200);
			send(res, 200, wrongAnswer());
			return;
		}
		const body = answer(question.value);
		stats.results[body.result]++;
		countStatus(200);
		sendJson(res, 200, body);
	}

	async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
		if (!authorized(req)) throw new HttpError(401, 'missing or wrong API key');
		if (path === '/_sim/stats' && req.method === 'GET') {
			const withArrivals = new URL(req.url ?? '/', 'http://x').searchParams.get('arrivals') !== '0';
			const s = snapshot();
			return sendJson(res, 200, withArrivals ? s : { ...s, arrivals: undefined });
		}
		if (path === '/_sim/reset' && req.method === 'POST') {
			resetStats();
			return sendJson(res, 200, { ok: true });
		}
		if (path === '/_sim/mode' && req.method === 'POST') {
			const parsed = v.safeParse(ModeBody, await readJson(req));
			if (!parsed.success) {
				throw new HttpError(
					400,
					parsed.issues.map((i) => `${v.getDotPath(i) ?? '(body)'}: ${i.message}`).join('; ')
				);
			}
			const { mode: next, ...opts } = parsed.output;
			try {
				setMode(next, opts);
			} catch (err) {
				throw new HttpError(400, (err as Error).message);
			}
			return sendJson(res, 200, { mode, ...modeOptions });
		}
		if (path === '/_sim/certificates' && req.method === 'POST') {
			const raw = await readJson(req);
			try {
				const created = upsert(raw as SeedCertificate);
				return sendJson(res, 200, { ok: true, created });
			} catch (err) {
				throw new HttpError(400, (err as Error).message);
			}
		}
		throw new HttpError(404, 'no such control endpoint');
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const path = (req.url ?? '/').split('?')[0]!;
		if (path === `/${VERIFY_PATH}`) {
			if (req.method !== 'POST') throw new HttpError(405, 'use POST');
			return verify(req, res);
		}
		if (path === `/${HEALTH_PATH}`) {
			if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'use GET');
			stats.health++;
			if (mode === 'refuse') return void req.socket.destroy();
			if (mode === 'down') throw new HttpError(503, 'registry down (simulated)');
			if (mode === 'slow') await delay(modeOptions.delayMs ?? DEFAULT_DELAY_MS);
			return sendJson(res, 200, { status: 'ok' });
		}
		if (path.startsWith('/_sim/')) return control(req, res, path);
		throw new HttpError(404, 'no such endpoint');
	}

	function upsert(entry: SeedCertificate): boolean {
		const cert = parseSeedEntry(entry);
		const key = certKey(cert.category, cert.number);
		const created = !certificates.has(key);
		certificates.set(key, cert);
		return created;
	}

	function snapshot(): SimulatorStats {
		return {
			mode,
			certificates: certificates.size,
			requests: stats.requests,
			byMode: { ...stats.byMode },
			byStatus: { ...stats.byStatus },
			results: { ...stats.results },
			health: stats.health,
			connections: stats.connections,
			arrivals: [...stats.arrivals],
			maxPerSecond: maxInWindow(stats.arrivals, 1000)
		};
	}

	function resetStats(): void {
		stats = {
			requests: 0,
			byMode: zero(SIMULATOR_MODES),
			byStatus: {},
			results: zero(VERIFY_RESULTS),
			health: 0,
			connections: 0,
			arrivals: []
		};
	}

	const server = createServer((req, res) => {
		handle(req, res).catch((err: unknown) => {
			if (res.headersSent || res.destroyed) return;
			const status = err instanceof HttpError ? err.status : 500;
			const message = err instanceof Error ? err.message : String(err);
			if (req.url?.startsWith(`/${VERIFY_PATH}`)) countStatus(status);
			const retryAfter = (err as { retryAfter?: number }).retryAfter;
			sendJson(
				res,
				status,
				{ error: message },
				{
					...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
					...(status === 401 ? { 'www-authenticate': 'Bearer' } : {})
				}
			);
		});
	});
	server.on('connection', () => stats.connections++);
	await new Promise<void>((done, fail) => {
		server.once('error', fail);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
			server.off('error', fail);
			done();
		});
	});
	const { port, address, family } = server.address() as AddressInfo;
	const host = family === 'IPv6' ? `[${address}]` : address;

	return {
		url: `http://${host}:${port}`,
		port,
		setMode,
		upsert: (entry) => void upsert(entry),
		stats: snapshot,
		resetStats,
		close: () =>
			new Promise<void>((done) => {
				for (const t of timers) clearTimeout(t);
				timers.clear();
				server.close(() => done());
				server.closeAllConnections();
			})
	};
}
