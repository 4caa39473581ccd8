// The HTTP registry adapter: asks a registry proxy speaking SitePass's protocol (README.md) whether
// a certificate is genuine. Registries are slow, rate-limited and sometimes down, so every question
// passes a cap on requests in flight, a FIFO token bucket, a circuit breaker and a retry loop with
// backoff, and every failure becomes an 'unavailable' result that says why. It never throws.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { VerificationOutcome } from '../../src/lib/domain/certificate-status';
import { VERSION } from '../version';
import {
	errorReason,
	HEALTH_PATH,
	isSendableVerifyUrl,
	isTransientStatus,
	MAX_ANSWER_BYTES,
	parseRetryAfter,
	parseVerifyAnswer,
	parseVerifyRequest,
	VERIFY_PATH
} from './protocol';
import type { CertificateRegistry, VerifyEvidence, VerifyRequest, VerifyResult } from './types';

export interface HttpRegistryOptions {
	/** Base URL of the proxy, e.g. 'https://registry-proxy.example/sitepass'; /verify is added. */
	endpoint: string;
	/** Recorded as each result's `source`; default `http:<host>`. */
	source?: string;
	/** Sent as `Authorization: Bearer <apiKey>`. */
	apiKey?: string;
	/** Per attempt, connection to last byte. Default 5000. */
	timeoutMs?: number;
	/** Further attempts after a transient failure. Default 3 (so at most 4 requests). */
	retries?: number;
	/** Exponential backoff: base · 2^n with jitter, capped. Defaults 500 ms and 30 s. */
	backoffBaseMs?: number;
	backoffMaxMs?: number;
	/** Token bucket: requests per second (Infinity = no limit) and bucket size. Default 5, = rate. */
	ratePerSecond?: number;
	burst?: number;
	/** Consecutive transient failures that open the circuit. Default 5. */
	breakerThreshold?: number;
	/** How long the circuit stays open before one probe may pass. Default 60 s. */
	breakerCooldownMs?: number;
	/** Requests in flight at most (each on its own kept-alive socket); callers wait FIFO. Default 32. */
	maxInFlight?: number;
	/** Extra CA certificate(s) for an https proxy with an in-house CA. */
	ca?: string | Buffer;
	/** Clock for the breaker and the bucket (ms). Default Date.now. */
	now?: () => number;
	/** Waits for backoff and the bucket; may resolve early when `signal` aborts. */
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
	/** Jitter source in [0, 1). Default Math.random. */
	random?: () => number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface HttpRegistryStats {
	/** verify() calls. */
	verifies: number;
	/** HTTP requests sent (retries and re-sends included). */
	requests: number;
	/** Retries after a transient failure. */
	retries: number;
	/** Immediate re-sends after a kept-alive socket turned out closed by the proxy. */
	resent: number;
	outcomes: Record<VerificationOutcome, number>;
	breaker: BreakerState;
	/** Times the circuit opened. */
	breakerOpened: number;
	consecutiveFailures: number;
	/** Calls waiting for a slot (maxInFlight) or a token right now. */
	queued: number;
	inFlight: number;
}

export interface RegistryHealth {
	ok: boolean;
	status?: number;
	error?: string;
	ms: number;
}

export interface HttpRegistry extends CertificateRegistry {
	readonly endpoint: string;
	/** `GET <endpoint>/health`, outside the bucket and the breaker: for diagnostics. */
	health(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RegistryHealth>;
	stats(): HttpRegistryStats;
	/** Closes the kept-alive sockets. verify() still works afterwards (new sockets). */
	close(): void;
}

const OUTCOMES: readonly VerificationOutcome[] = [
	'genuine',
	'not_found',
	'mismatch',
	'revoked',
	'unavailable'
];

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((done) => {
		if (signal?.aborted) return done();
		const finish = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', finish);
			done();
		};
		const timer = setTimeout(finish, ms);
		signal?.addEventListener('abort', finish, { once: true });
	});
}

/** FIFO waiters that leave the line when their signal aborts. */
class WaitLine {
	private readonly queue: { done: (ok: boolean) => void }[] = [];

	get length(): number {
		return this.queue.length;
	}

	wait(signal?: AbortSignal): Promise<boolean> {
		return new Promise((resolve) => {
			const waiter = {
				done: (ok: boolean) => {
					signal?.removeEventListener('abort', onAbort);
					resolve(ok);
				}
			};
			const onAbort = () => {
				const at = this.queue.indexOf(waiter);
				if (at >= 0) this.queue.splice(at, 1);
				waiter.done(false);
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			this.queue.push(waiter);
		});
	}

	/** Lets the first waiter go; false when nobody waits. */
	next(): boolean {
		const waiter = this.queue.shift();
		waiter?.done(true);
		return waiter !== undefined;
	}
}

/**
 * Requests in flight at most. Taken before a token, so a request leaves the moment it has its
 * token: if it could wait after (for a socket), a slow registry would let tokens pile up and then
 * receive them as one burst, over the rate.
 */
class Slots {
	private active = 0;
	private readonly line = new WaitLine();

	constructor(private readonly max: number) {}

	get waiting(): number {
		return this.line.length;
	}

	acquire(signal?: AbortSignal): Promise<boolean> {
		if (signal?.aborted) return Promise.resolve(false);
		if (this.active < this.max && this.line.length === 0) {
			this.active++;
			return Promise.resolve(true);
		}
		return this.line.wait(signal);
	}

	/** The slot passes straight to the first waiter, if any. */
	release(): void {
		if (!this.line.next()) this.active--;
	}
}

/**
 * A token bucket whose waiters are served strictly in arrival order by one pump, so concurrent
 * callers cannot race each other past the rate: in any window of t seconds at most
 * burst + rate·t tokens are handed out.
 */
class TokenBucket {
	private tokens: number;
	private last: number;
	private readonly line = new WaitLine();
	private pumping = false;

	constructor(
		private readonly rate: number,
		private readonly burst: number,
		private readonly now: () => number,
		private readonly sleep: (ms: number) => Promise<void>
	) {
		this.tokens = burst;
		this.last = now();
	}

	get waiting(): number {
		return this.line.length;
	}

	private refill(): void {
		const now = this.now();
		this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
		this.last = now;
	}

	/** Resolves true with a token taken, or false when `signal` aborted first. */
	acquire(signal?: AbortSignal): Promise<boolean> {
		if (signal?.aborted) return Promise.resolve(false);
		if (!Number.isFinite(this.rate)) return Promise.resolve(true);
		if (this.line.length === 0) {
			this.refill();
			if (this.tokens >= 1) {
				this.tokens -= 1;
				return Promise.resolve(true);
			}
		}
		const waiting = this.line.wait(signal);
		void this.pump();
		return waiting;
	}

	private async pump(): Promise<void> {
		if (this.pumping) return;
		this.pumping = true;
		try {
			while (this.line.length) {
				this.refill();
				while (this.tokens >= 1 && this.line.next()) this.tokens -= 1;
				if (!this.line.length) break;
				await this.sleep(Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate)));
			}
		} finally {
			this.pumping = false;
		}
	}
}

/**
 * Counts consecutive transient failures (network, timeout, 429, 5xx) per request. Any other HTTP
 * answer, even a 4xx or a malformed body, shows the proxy is reachable and closes the circuit.
 */
class Breaker {
	state: BreakerState = 'closed';
	failures = 0;
	opened = 0;
	private openedAt = 0;
	private probing = false;

	constructor(
		private readonly threshold: number,
		private readonly cooldownMs: number,
		private readonly now: () => number
	) {}

	/** Whether a request could pass now; claims nothing. */
	wouldPass(): boolean {
		if (this.state === 'closed') return true;
		if (this.state === 'half_open') return !this.probing;
		return this.now() - this.openedAt >= this.cooldownMs;
	}

	/** Lets a request through; after the cooldown only one probe at a time. */
	pass(): boolean {
		if (!this.wouldPass()) return false;
		if (this.state !== 'closed') {
			this.state = 'half_open';
			this.probing = true;
		}
		return true;
	}

	/** The request ended without telling anything (aborted by the caller, re-sent). */
	release(): void {
		this.probing = false;
	}

	success(): void {
		this.state = 'closed';
		this.failures = 0;
		this.probing = false;
	}

	failure(): void {
		this.failures++;
		this.probing = false;
		if (this.state === 'half_open' || this.failures >= this.threshold) {
			if (this.state !== 'open') this.opened++;
			this.state = 'open';
			this.openedAt = this.now();
		}
	}
}

type Sent =
	| { ok: true; status: number; headers: http.IncomingHttpHeaders; body: Buffer }
	| {
			ok: false;
			kind: 'timeout' | 'aborted' | 'network' | 'too_large';
			error: string;
			/** A kept-alive socket that the proxy had closed, before any answer: safe to re-send. */
			stale?: boolean;
	  };

function positive(name: string, value: number, allowZero = false): number {
	if (!(typeof value === 'number' && (allowZero ? value >= 0 : value > 0))) {
		throw new RangeError(
			`createHttpRegistry: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`
		);
	}
	return value;
}

/** Throws on a bad configuration (at startup); verify() itself never throws. */
export function createHttpRegistry(options: HttpRegistryOptions): HttpRegistry {
	let base: URL;
	try {
		base = new URL(options.endpoint.replace(/\/*$/, '/'));
	} catch {
		throw new RangeError(`createHttpRegistry: endpoint "${options.endpoint}" is not a URL`);
	}
	if (base.protocol !== 'http:' && base.protocol !== 'https:') {
		throw new RangeError('createHttpRegistry: endpoint must be an http or https URL');
	}
	const verifyUrl = new URL(VERIFY_PATH, base);
	const healthUrl = new URL(HEALTH_PATH, base);
	const endpoint = base.href.replace(/\/$/, '');
	const source = options.source ?? `http:${base.host}`;
	if (options.apiKey !== undefined && !/^[\x21-\x7e]+$/.test(options.apiKey)) {
		throw new RangeError('createHttpRegistry: apiKey must be printable ASCII without spaces');
	}
	const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 5000);
	const retries = Math.floor(positive('retries', options.retries ?? 3, true));
	const backoffBaseMs = positive('backoffBaseMs', options.backoffBaseMs ?? 500, true);
	const backoffMaxMs = positive('backoffMaxMs', options.backoffMaxMs ?? 30_000, true);
	const rate = positive('ratePerSecond', options.ratePerSecond ?? 5);
	const burst = Number.isFinite(rate) ? Math.max(1, positive('burst', options.burst ?? rate)) : 1;
	const now = options.now ?? Date.now;
	const sleep = options.sleep ?? defaultSleep;
	const random = options.random ?? Math.random;

	const isHttps = base.protocol === 'https:';
	// Kept-alive sockets: a new TCP (and TLS) handshake per question would cost more than the
	// question. No socket limit in the agent: `slots` bounds requests in flight, and a request must
	// never wait for a socket after taking its token (see Slots).
	const agentOptions = { keepAlive: true };
	const newAgent = (): http.Agent =>
		isHttps
			? new https.Agent({ ...agentOptions, ...(options.ca ? { ca: options.ca } : {}) })
			: new http.Agent(agentOptions);
	let agent = newAgent();

	const slots = new Slots(
		Math.max(1, Math.floor(positive('maxInFlight', options.maxInFlight ?? 32)))
	);
	const bucket = new TokenBucket(rate, burst, now, (ms) => sleep(ms));
	const breaker = new Breaker(
		Math.max(1, Math.floor(positive('breakerThreshold', options.breakerThreshold ?? 5))),
		positive('breakerCooldownMs', options.breakerCooldownMs ?? 60_000, true),
		now
	);
	const counts = {
		verifies: 0,
		requests: 0,
		retries: 0,
		resent: 0,
		inFlight: 0,
		outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<VerificationOutcome, number>
	};

	const baseHeaders: http.OutgoingHttpHeaders = {
		accept: 'application/json',
		'user-agent': `SitePass/${VERSION}`,
		...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {})
	};

	/** One HTTP exchange. Settles exactly once: answer read, timeout, abort or network error. */
	function send(
		method: 'GET' | 'POST',
		url: URL,
		body: string | undefined,
		limitMs: number,
		signal?: AbortSignal
	): Promise<Sent> {
		return new Promise((resolve) => {
			if (signal?.aborted) return resolve({ ok: false, kind: 'aborted', error: 'aborted' });
			let settled = false;
			let responded = false;
			let req: http.ClientRequest;
			try {
				req = (isHttps ? https : http).request(url, {
					method,
					agent,
					headers: {
						...baseHeaders,
						...(body !== undefined
							? {
									'content-type': 'application/json',
									'content-length': Buffer.byteLength(body)
								}
							: {})
					}
				});
			} catch (err) {
				// node refuses some options synchronously; verify() must still not throw.
				return resolve({
					ok: false,
					kind: 'network',
					error: `request failed: ${(err as Error).message}`
				});
			}
			// Handlers run only after this returns, so they may use `finish`, defined below. The
			// timeout covers connecting as well: a proxy that does not accept is as bad as a slow one.
			const timer = setTimeout(
				() => finish({ ok: false, kind: 'timeout', error: `timeout after ${limitMs} ms` }),
				limitMs
			);
			const finish = (result: Sent) => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
				if (!result.ok) req.destroy();
				resolve(result);
			};
			const onAbort = () => finish({ ok: false, kind: 'aborted', error: 'aborted' });
			signal?.addEventListener('abort', onAbort, { once: true });
			req.on('error', (err: NodeJS.ErrnoException) => {
				const code = err.code ?? err.message;
				finish({
					ok: false,
					kind: 'network',
					error: `network error: ${code}`,
					stale: req.reusedSocket && !responded && (code === 'ECONNRESET' || code === 'EPIPE')
				});
			});
			req.on('response', (res) => {
				responded = true;
				const chunks: Buffer[] = [];
				let size = 0;
				res.on('data', (chunk: Buffer) => {
					size += chunk.length;
					if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
					else
						finish({
							ok: false,
							kind: 'too_large',
							error: `malformed answer: body over ${MAX_ANSWER_BYTES} bytes`
						});
				});
				res.on('end', () =>
					finish({
						ok: true,
						status: res.statusCode ?? 0,
						headers: res.headers,
						body: Buffer.concat(chunks)
					})
				);
				res.on('error', () =>
					finish({ ok: false, kind: 'network', error: 'network error: answer cut short' })
				);
				res.on('close', () => {
					if (!res.complete) {
						finish({ ok: false, kind: 'network', error: 'network error: answer cut short' });
					}
				});
			});
			req.end(body);
		});
	}

	function backoff(retry: number, retryAfterMs: number | undefined): number {
		const exp = Math.min(backoffMaxMs, backoffBaseMs * 2 ** retry);
		// "Equal jitter": spreads retries of many callers apart yet never waits less than half.
		const jittered = exp / 2 + (random() * exp) / 2;
		return Math.max(jittered, retryAfterMs ?? 0);
	}

	async function verify(
		request: VerifyRequest,
		{ signal }: { signal?: AbortSignal } = {}
	): Promise<VerifyResult> {
		counts.verifies++;
		let attempts = 0;
		const done = (
			outcome: VerificationOutcome,
			evidence: Omit<VerifyEvidence, 'attempts'>,
			dates: { expiresOn?: string; reviewDate?: string } = {}
		): VerifyResult => {
			counts.outcomes[outcome]++;
			return {
				outcome,
				...(dates.expiresOn ? { registryExpiry: dates.expiresOn } : {}),
				...(dates.reviewDate ? { registryReviewDate: dates.reviewDate } : {}),
				checkedAt: new Date(now()).toISOString(),
				source,
				evidence: { ...evidence, attempts }
			};
		};
		const unavailable = (error: string, extra: Omit<VerifyEvidence, 'attempts'> = {}) =>
			done('unavailable', { ...extra, error });

		// A question the protocol would refuse is our data's problem, not the proxy's: say so
		// without asking (a proxy's 400 would read as a configuration error).
		const question = parseVerifyRequest({
			regime: request.regime,
			category: request.category,
			number: request.number,
			holderName: request.holderName,
			...(request.holderId ? { holderId: request.holderId } : {}),
			...(isSendableVerifyUrl(request.verifyUrl) ? { verifyUrl: request.verifyUrl } : {})
		});
		if (!question.ok) return unavailable(`bad request: ${question.error}`);
		const body = JSON.stringify(question.value);

		let lastError = '';
		let resent = false;
		const circuitOpen = () =>
			unavailable(attempts ? `${lastError} (circuit now open)` : 'circuit open');
		for (let retry = 0; ;) {
			if (signal?.aborted) return unavailable('aborted');
			// Fail fast while open, rather than queueing for a token that would not be used.
			if (!breaker.wouldPass()) return circuitOpen();
			if (!(await slots.acquire(signal))) return unavailable('aborted');
			let sent: Sent;
			try {
				if (!(await bucket.acquire(signal))) return unavailable('aborted');
				if (!breaker.pass()) return circuitOpen();
				attempts++;
				counts.requests++;
				counts.inFlight++;
				sent = await send('POST', verifyUrl, body, timeoutMs, signal);
				counts.inFlight--;
			} finally {
				slots.release();
			}

			let retryAfterMs: number | undefined;
			if (!sent.ok) {
				if (sent.kind === 'aborted') {
					breaker.release();
					return unavailable('aborted');
				}
				if (sent.kind === 'too_large') {
					breaker.success();
					return unavailable(sent.error);
				}
				if (sent.stale && !resent) {
					// Node's documented race: the proxy closed an idle kept-alive socket just as we
					// reused it. The question never arrived, so ask again at once on a new socket.
					resent = true;
					counts.resent++;
					breaker.release();
					continue;
				}
				breaker.failure();
				lastError = sent.error;
			} else if (sent.status === 200) {
				breaker.success();
				const responseSha256 = createHash('sha256').update(sent.body).digest('hex');
				const parsed = parseVerifyAnswer(sent.body.toString('utf8'));
				if (!parsed.ok) return unavailable(`malformed answer: ${parsed.error}`, { responseSha256 });
				const { result, reference, expiresOn, reviewDate } = parsed.value;
				// Dates only mean something for a card the registry found, as the holder's.
				const found = result === 'genuine' || result === 'revoked';
				return done(
					result,
					{ ...(reference ? { reference } : {}), responseSha256 },
					found ? { expiresOn, reviewDate } : {}
				);
			} else {
				const { status } = sent;
				const reason = errorReason(sent.body.toString('utf8'));
				const described = `HTTP ${status}${reason ? `: ${reason}` : ''}`;
				if (!isTransientStatus(status)) {
					// Asking again would get the same answer: the setup is wrong, not the proxy's health.
					breaker.success();
					if (status >= 300 && status < 400) {
						return unavailable(`HTTP ${status}: redirects are not followed, fix the endpoint`);
					}
					if (status < 300) return unavailable(`malformed answer: HTTP ${status} instead of 200`);
					const hint = status === 401 || status === 403 ? ', check the API key' : '';
					return unavailable(`${described} (configuration error${hint}; not retried)`);
				}
				breaker.failure();
				lastError = described;
				if (status === 429 || status === 503) {
					retryAfterMs = parseRetryAfter(sent.headers['retry-after'], now());
				}
				if (retryAfterMs !== undefined && retryAfterMs > backoffMaxMs) {
					return unavailable(`${described} (retry after ${Math.ceil(retryAfterMs / 1000)} s)`);
				}
			}
			if (retry >= retries) return unavailable(lastError);
			counts.retries++;
			await sleep(backoff(retry++, retryAfterMs), signal);
		}
	}

	async function health({
		signal,
		timeoutMs: limit = timeoutMs
	}: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RegistryHealth> {
		const started = now();
		const sent = await send('GET', healthUrl, undefined, limit, signal);
		const ms = now() - started;
		if (!sent.ok) return { ok: false, error: sent.error, ms };
		if (sent.status !== 200) {
			const reason = errorReason(sent.body.toString('utf8'));
			return {
				ok: false,
				status: sent.status,
				error: `HTTP ${sent.status}${reason ? `: ${reason}` : ''}`,
				ms
			};
		}
		return { ok: true, status: 200, ms };
	}

	return {
		source,
		endpoint,
		verify,
		health,
		stats: () => ({
			verifies: counts.verifies,
			requests: counts.requests,
			retries: counts.retries,
			resent: counts.resent,
			outcomes: { ...counts.outcomes },
			breaker: breaker.state === 'open' && breaker.wouldPass() ? 'half_open' : breaker.state,
			breakerOpened: breaker.opened,
			consecutiveFailures: breaker.failures,
			queued: slots.waiting + bucket.waiting,
			inFlight: counts.inFlight
		}),
		close() {
			agent.destroy();
			agent = newAgent();
		}
	};
}
