// POST /api/v1/authorize: a door controller, turnstile or machine interlock asks whether a worker
// may enter (the site or a zone) or operate a machine. The worker is named by id, by ID number or
// by a signed pass; the answer is the app's own rule (src/lib/data/authorize.ts) over the relay's
// replica, narrowed to that worker's records (replica.ts), with every reason as data plus a
// sentence in the caller's language.
import * as v from 'valibot';
import { authorize, type AuthorizeReason } from '../../src/lib/data/authorize';
import { ID_PATTERN } from '../../src/lib/data/documents';
import { checkPass, readPass } from '../../src/lib/data/gate-credentials';
import { onRecord, permitClashes, siteZones, type PermitView } from '../../src/lib/data/permits';
import { controlDoc } from '../../src/lib/data/documents';
import { describeAuthorizeReason, describeClash } from '../../src/lib/i18n/permits';
import type { Locale } from '../../src/lib/i18n/messages';
import type { Clash } from '../../src/lib/domain';
import { ApiError } from './http';
import type { IntegrationReplica, SiteReplica, WorkerRecords } from './replica';

const Id = v.pipe(v.string(), v.regex(ID_PATTERN, 'not an id ([A-Za-z0-9_-], at most 64)'));

export const AuthorizeBody = v.strictObject({
	site: Id,
	action: v.picklist(['enter', 'operate'], 'action must be "enter" or "operate"'),
	worker: v.strictObject({
		id: v.optional(Id),
		idNumber: v.optional(v.pipe(v.string(), v.minLength(2), v.maxLength(40))),
		pass: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(2048)))
	}),
	/** Narrows a worker id to one contractor (ids are unique per contractor document). */
	contractor: v.optional(Id),
	zone: v.optional(v.nullable(Id)),
	equipment: v.optional(v.nullable(Id)),
	/** The work about to be done (work-scope code); default: the machine's, else the approval's. */
	workType: v.optional(v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(40)))),
	/** When (ISO 8601 with offset); default now. */
	at: v.optional(v.string()),
	/** A hard-hat reading, when the caller has a camera. */
	ppe: v.optional(
		v.nullable(
			v.strictObject({
				worn: v.union([v.boolean(), v.literal('unknown')]),
				confidence: v.pipe(v.number(), v.minValue(0), v.maxValue(1))
			})
		)
	)
});
export type AuthorizeBody = v.InferOutput<typeof AuthorizeBody>;

export interface ReasonOut {
	code: string;
	severity: 'deny' | 'warn';
	message: string;
	[field: string]: unknown;
}

export interface AuthorizeResponse {
	ok: true;
	allow: boolean;
	reasons: ReasonOut[];
	worker: { id: string; contractorId: string; name: string | null } | null;
	workType: string | null;
	permit: string | null;
	/** Clashes of the permit that let the worker in with other live permits (warnings). */
	clashes: (Clash & { message: string })[];
	at: string;
}

/** zh-CN unless the caller prefers English (Accept-Language). */
export function localeOf(acceptLanguage: string | undefined): Locale {
	const first = (acceptLanguage ?? '')
		.split(',')
		.map((part) => {
			const [tag, ...params] = part.trim().split(';');
			const q = params.find((p) => p.trim().startsWith('q='));
			return { tag: (tag ?? '').toLowerCase(), q: q ? Number(q.trim().slice(2)) : 1 };
		})
		.filter((x) => x.tag && x.q > 0)
		.sort((a, b) => b.q - a.q)[0];
	return first?.tag.startsWith('en') ? 'en' : 'zh-CN';
}

/** Checks the request beyond its types; returns the instant asked about. */
export function checkAuthorize(body: AuthorizeBody, now: Date): Date {
	const named = (['id', 'idNumber', 'pass'] as const).filter((k) => body.worker[k] !== undefined);
	if (named.length !== 1)
		throw new ApiError(
			400,
			'INVALID_REQUEST',
			'worker: give exactly one of {"id"}, {"idNumber"} or {"pass"}'
		);
	if (body.action === 'operate' && !body.equipment)
		throw new ApiError(400, 'INVALID_REQUEST', 'equipment: "operate" needs the machine’s id');
	if (body.at === undefined) return now;
	// Date.parse accepts much; insist on a full ISO 8601 time so "tomorrow" is not read as NaN later.
	const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
	const t = Date.parse(body.at);
	if (!iso.test(body.at) || !Number.isFinite(t))
		throw new ApiError(
			400,
			'INVALID_AT',
			'at: an ISO 8601 time with a zone, e.g. 2026-11-29T08:30:00+08:00'
		);
	return new Date(t);
}

type Resolved =
	| { ok: true; candidates: WorkerRecords[]; method: 'qr' | 'id_pin' }
	| { ok: false; reason: AuthorizeReason & Record<string, unknown> };

function resolveWorker(
	replica: IntegrationReplica,
	site: SiteReplica,
	body: AuthorizeBody,
	at: Date
): Resolved {
	const w = body.worker;
	const unknown: Resolved = { ok: false, reason: { code: 'WORKER_UNKNOWN', severity: 'deny' } };
	if (w.pass !== undefined) {
		const payload = readPass(w.pass);
		const contractor = payload ? site.contractorDoc(payload.c) : null;
		const check = checkPass(w.pass, replica.orgId, replica.relay.orgDoc(), contractor, at);
		if (!check.ok)
			return {
				ok: false,
				reason: { code: 'PASS_INVALID', severity: 'deny', problem: check.problem }
			};
		const found = site.worker(check.contractorId, check.workerId);
		return found ? { ok: true, candidates: [found], method: 'qr' } : unknown;
	}
	let candidates =
		w.id !== undefined ? site.workersById(w.id) : site.workersByDocNumber(w.idNumber!);
	if (body.contractor) candidates = candidates.filter((c) => c.contractorId === body.contractor);
	return candidates.length ? { ok: true, candidates, method: 'id_pin' } : unknown;
}

function reasonOut(reason: AuthorizeReason, locale: Locale): ReasonOut {
	const { code, severity, ...fields } = reason as AuthorizeReason & Record<string, unknown>;
	return { code, severity, message: describeAuthorizeReason(reason, locale), ...fields };
}

/** The answer to one authorize request (the body already validated). */
export function answerAuthorize(
	replica: IntegrationReplica,
	site: SiteReplica,
	body: AuthorizeBody,
	at: Date,
	locale: Locale
): AuthorizeResponse {
	const siteRecord = replica.siteRecord(site.id)!;
	const base = { ok: true as const, at: at.toISOString(), clashes: [] };
	const resolved = resolveWorker(replica, site, body, at);
	if (!resolved.ok)
		return {
			...base,
			allow: false,
			reasons: [reasonOut(resolved.reason, locale)],
			worker: null,
			workType: null,
			permit: null
		};
	// One person registered by two contractors (the ledger flags it): the first registration that
	// lets them in answers; otherwise the first one's reasons.
	let chosen: {
		w: WorkerRecords;
		decision: ReturnType<typeof authorize>;
		permits: PermitView[];
	} | null = null;
	for (const w of resolved.candidates) {
		const worker = { contractorId: w.contractorId, workerId: w.workerId };
		const permits = site.permits(at, siteRecord.timeZone, worker);
		const decision = authorize(
			site.workerDocs(w),
			{
				site: { id: site.id, kind: siteRecord.kind, timeZone: siteRecord.timeZone },
				action: body.action,
				worker,
				method: resolved.method,
				zone: body.zone ?? null,
				equipment: body.equipment ?? null,
				...(body.workType !== undefined ? { workType: body.workType } : {}),
				at,
				onSite: site.isOnSite(w.workerId, new Date(), siteRecord.timeZone),
				ppe: body.ppe ?? null,
				permits: permits.map(onRecord)
			},
			replica.cache
		);
		if (!chosen || (decision.allow && !chosen.decision.allow)) chosen = { w, decision, permits };
		if (decision.allow) break;
	}
	const { w, decision } = chosen!;
	const name = (w.worker as { name?: unknown } | null)?.name;
	return {
		...base,
		allow: decision.allow,
		reasons: decision.reasons.map((r) => reasonOut(r, locale)),
		worker: {
			id: w.workerId,
			contractorId: w.contractorId,
			name: typeof name === 'string' ? name : null
		},
		workType: decision.workType,
		permit: decision.permit,
		clashes: decision.permit
			? clashesOf(site, decision.permit, at, siteRecord.timeZone, locale)
			: []
	};
}

/** The permit's clashes with the site's other live permits, as they stand at `at`. */
function clashesOf(
	site: SiteReplica,
	permitId: string,
	at: Date,
	timeZone: string,
	locale: Locale
): AuthorizeResponse['clashes'] {
	const all = site.permits(at, timeZone);
	const view = all.find((p) => p.permit.id === permitId);
	if (!view) return [];
	const zones = siteZones(site.doc(controlDoc(site.id)));
	const zoneName = (id: string) => zones.find((z) => z.id === id)?.name ?? id;
	const kindOf = (id: string) => all.find((p) => p.permit.id === id)?.permit.kind ?? '';
	return permitClashes(view, all, zones).map((c) => ({
		...c,
		message: describeClash(c, { a: kindOf(c.a), b: kindOf(c.b) }, zoneName, locale)
	}));
}
