// What a well-formed token (JWT claims) and enrolment request look like: one set of rules for the
// relay (tokens, `sitepass token`, the enrolment API) and the admin pages that create enrolments.
import * as v from 'valibot';
import { ROLES, STAFF_ROLES, type Claims, type Role, type StaffRole } from './access';
import { ID_PATTERN } from './documents';

/** A token names at most this many sites (a director of a large org stays well below it). */
export const MAX_TOKEN_SITES = 200;
/** Token lifetimes outside this range are refused: shorter is useless, longer is unrevocable risk. */
export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 5 * 366 * 86400;

const idSchema = v.pipe(v.string(), v.regex(ID_PATTERN, 'not an id'));

/** The part of the claims that says who the bearer is and where (without token bookkeeping). */
export interface ClaimShape {
	role: Role;
	staffRole?: StaffRole;
	sites?: readonly string[];
	contractor?: string;
}

export interface ClaimProblem {
	/** The field to fix. */
	field: 'staffRole' | 'contractor' | 'sites';
	message: string;
}

/** Rules that tie fields to the role; [] when consistent. */
export function claimProblems(c: ClaimShape): ClaimProblem[] {
	const problems: ClaimProblem[] = [];
	if (c.role === 'staff' && !c.staffRole) {
		problems.push({
			field: 'staffRole',
			message: 'staff need a staff role (project_lead, safety or director)'
		});
	}
	if (c.role !== 'staff' && c.staffRole) {
		problems.push({ field: 'staffRole', message: 'only staff have a staff role' });
	}
	if (c.role === 'contractor' && !c.contractor) {
		problems.push({
			field: 'contractor',
			message: 'a contractor admin needs the contractor it belongs to'
		});
	}
	if (
		(c.role === 'gate' || c.role === 'worker' || c.role === 'relay') &&
		!(c.sites && c.sites.length > 0)
	) {
		problems.push({ field: 'sites', message: `a ${c.role} needs at least one site` });
	}
	if (c.sites && new Set(c.sites).size !== c.sites.length) {
		problems.push({ field: 'sites', message: 'sites are repeated' });
	}
	return problems;
}

function consistent<T extends ClaimShape>() {
	return v.check(
		(c: T) => claimProblems(c).length === 0,
		(issue: v.CheckIssue<T>) =>
			claimProblems(issue.input)
				.map((p) => `${p.field}: ${p.message}`)
				.join('; ')
	);
}

/** Signed token claims (see `Claims` in access.ts). */
export const ClaimsSchema = v.pipe(
	v.object({
		iss: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
		sub: idSchema,
		role: v.picklist(ROLES),
		staffRole: v.optional(v.picklist(STAFF_ROLES)),
		sites: v.optional(v.pipe(v.array(idSchema), v.maxLength(MAX_TOKEN_SITES))),
		contractor: v.optional(idSchema),
		jti: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a token id')),
		iat: v.pipe(v.number(), v.integer(), v.minValue(0)),
		exp: v.pipe(v.number(), v.integer(), v.minValue(0))
	}),
	consistent()
);

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function issuesOf(issues: readonly v.BaseIssue<unknown>[]): string[] {
	return issues.map((i) => {
		const path = v.getDotPath(i);
		return path ? `${path}: ${i.message}` : i.message;
	});
}

export function parseClaims(raw: unknown): ParseResult<Claims> {
	const parsed = v.safeParse(ClaimsSchema, raw);
	return parsed.success
		? { ok: true, value: parsed.output as Claims }
		: { ok: false, problems: issuesOf(parsed.issues) };
}

/** `30d`, `12h`, `90m`, `3600s`, `2w` → seconds; null when not a lifetime we accept. */
export function parseTtl(text: string): number | null {
	const m = /^(\d{1,7})([smhdw])$/.exec(text.trim());
	if (!m) return null;
	const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 }[
		m[2] as 's' | 'm' | 'h' | 'd' | 'w'
	];
	const seconds = Number(m[1]) * unit;
	return seconds >= MIN_TTL_SECONDS && seconds <= MAX_TTL_SECONDS ? seconds : null;
}

const ttlSchema = v.pipe(
	v.string(),
	v.check((t) => parseTtl(t) !== null, 'a lifetime like 30d, 12h or 90m (1 minute to 5 years)')
);

/** What an admin sends to create an enrolment (a one-time code for a new user or device). */
export const EnrolmentRequestSchema = v.pipe(
	v.object({
		role: v.picklist(ROLES),
		staffRole: v.optional(v.picklist(STAFF_ROLES)),
		/** The principal's id; generated when absent. */
		sub: v.optional(idSchema),
		name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100)),
		sites: v.optional(v.pipe(v.array(idSchema), v.maxLength(MAX_TOKEN_SITES))),
		contractor: v.optional(idSchema),
		/** Lifetime of the token the code turns into. */
		ttl: v.optional(ttlSchema)
	}),
	consistent()
);
export type EnrolmentRequest = v.InferOutput<typeof EnrolmentRequestSchema>;

export function parseEnrolmentRequest(raw: unknown): ParseResult<EnrolmentRequest> {
	const parsed = v.safeParse(EnrolmentRequestSchema, raw);
	return parsed.success
		? { ok: true, value: parsed.output }
		: { ok: false, problems: issuesOf(parsed.issues) };
}
