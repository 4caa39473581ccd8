// SitePass's registry wire protocol (sync-server/registry/README.md), shared by the HTTP adapter
// and the simulator so both read the same rules: `POST <endpoint>/verify` with a JSON question,
// a JSON answer, `GET <endpoint>/health`. Nothing here does I/O.
import * as v from 'valibot';
import { REGIMES } from '../../src/lib/domain/catalogue';
import { isValidDate } from '../../src/lib/domain/dates';
import type { VerifyRequest } from './types';

export const VERIFY_PATH = 'verify';
export const HEALTH_PATH = 'health';

/** Answers are a few fields; anything larger is not an answer of this protocol. */
export const MAX_ANSWER_BYTES = 64 * 1024;
/** Questions are as small; the simulator refuses larger bodies with 413. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export const VERIFY_RESULTS = ['genuine', 'not_found', 'mismatch', 'revoked'] as const;
export type VerifyAnswerResult = (typeof VERIFY_RESULTS)[number];

/** The 200 body of `POST /verify`. Unknown extra fields are allowed and ignored. */
export interface VerifyAnswer {
	result: VerifyAnswerResult;
	/** Expiry as the registry shows it (genuine and revoked answers). */
	expiresOn?: string;
	/** Next review (复审) date as the registry shows it. */
	reviewDate?: string;
	/** The registry's own id for this answer, for tracing a result back. */
	reference?: string;
}

const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(max));
/** A calendar date as YYYY-MM-DD (what `IsoDate` holds). */
export const IsoDateSchema = v.pipe(
	v.string(),
	v.check((s: string) => isValidDate(s), 'must be a calendar date YYYY-MM-DD')
);

const VERIFY_URL = /^https?:\/\/\S+$/i;
const MAX_VERIFY_URL = 2048;

/** A QR code may carry anything; only an http(s) link of sane length is passed on. */
export function isSendableVerifyUrl(url: string | undefined): url is string {
	return url !== undefined && url.length <= MAX_VERIFY_URL && VERIFY_URL.test(url);
}

export const VerifyRequestSchema = v.object({
	regime: v.picklist(REGIMES),
	category: text(64),
	number: text(64),
	holderName: text(100),
	holderId: v.optional(text(64)),
	verifyUrl: v.optional(
		v.pipe(v.string(), v.maxLength(MAX_VERIFY_URL), v.regex(VERIFY_URL, 'must be an http(s) URL'))
	)
});

export const VerifyAnswerSchema = v.object({
	result: v.picklist(VERIFY_RESULTS, `must be one of ${VERIFY_RESULTS.join(', ')}`),
	expiresOn: v.optional(IsoDateSchema),
	reviewDate: v.optional(IsoDateSchema),
	reference: v.optional(v.pipe(v.string(), v.maxLength(200)))
});

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function issues(list: readonly v.BaseIssue<unknown>[], root: string): string {
	return list.map((i) => `${v.getDotPath(i) ?? root}: ${i.message}`).join('; ');
}

/** Checks a question as the simulator (or a proxy written in TypeScript) receives it. */
export function parseVerifyRequest(raw: unknown): Parsed<VerifyRequest> {
	const parsed = v.safeParse(VerifyRequestSchema, raw);
	if (!parsed.success) return { ok: false, error: issues(parsed.issues, '(body)') };
	const { holderId, verifyUrl, ...rest } = parsed.output;
	return {
		ok: true,
		value: { ...rest, ...(holderId ? { holderId } : {}), ...(verifyUrl ? { verifyUrl } : {}) }
	};
}

/** Reads a 200 body. The error says what was wrong, never echoes the body (it may hold data). */
export function parseVerifyAnswer(body: string): Parsed<VerifyAnswer> {
	let raw: unknown;
	try {
		raw = JSON.parse(body);
	} catch {
		return { ok: false, error: 'not JSON' };
	}
	const parsed = v.safeParse(VerifyAnswerSchema, raw);
	if (!parsed.success) return { ok: false, error: issues(parsed.issues, '(answer)') };
	const { result, expiresOn, reviewDate, reference } = parsed.output;
	return {
		ok: true,
		value: {
			result,
			...(expiresOn ? { expiresOn } : {}),
			...(reviewDate ? { reviewDate } : {}),
			...(reference ? { reference } : {})
		}
	};
}

/** The body a registry may send with a 4xx/5xx: a short reason for the operator's log. */
export function errorReason(body: string): string | undefined {
	try {
		const raw = JSON.parse(body) as unknown;
		if (raw && typeof raw === 'object' && typeof (raw as { error?: unknown }).error === 'string') {
			return (raw as { error: string }).error.slice(0, 200);
		}
	} catch {
		// Not JSON: the status alone has to do.
	}
	return undefined;
}

/**
 * Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
	if (!value) return undefined;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	const at = Date.parse(trimmed);
	return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Only these statuses are worth asking again: overloaded or failing, not misconfigured. */
export function isTransientStatus(status: number): boolean {
	return status === 429 || (status >= 500 && status <= 599);
}
