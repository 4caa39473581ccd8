// decideEntry: the one entry rule used by the gate, the REST API for door controllers and the
// dashboards. It reports every reason (as data with stable codes), never just the first.

import type { CertificateCatalogue } from './catalogue';
import {
	certificateStatus,
	statusRank,
	type Certificate,
	type CertificateFlag,
	type CertificateStatusResult,
	type VerificationOutcome
} from './certificate-status';
import { addMonths, diffDays, isValidDate, localDate, minDate, type IsoDate } from './dates';
import {
	coverage,
	type SiteKind,
	type SiteScopeOverrides,
	type WorkScopeMatrix
} from './work-scope';

/** Per-site rule settings (stored in the org document); every field has a strict default. */
export interface SiteRules {
	/** Days before a certificate's expiry from which it warns (CERT_EXPIRING). */
	warningDays: number;
	timeZone: string;
	/** A certificate needs a genuine registry answer to count. */
	requireVerification: boolean;
	/** A genuine answer older than this many days no longer counts; null = never stale. */
	verificationMaxAgeDays: number | null;
	/** 入场安全教育 at this site is required. */
	requireInduction: boolean;
	inductionValidMonths: number;
	requireMedical: boolean;
	/** Longest a medical exam counts, whatever its record says ("medical within 12 months"). */
	medicalValidMonths: number;
	medicalWarningDays: number;
	requirePpe: boolean;
	/** Below this detector confidence a hard-hat reading counts as unknown. */
	ppeMinConfidence: number;
	requireLivenessForFace: boolean;
	/** Refuse a second entry without an exit in between (stops pass-sharing). */
	antiPassback: boolean;
	scopeOverrides: SiteScopeOverrides | null;
}

export const DEFAULT_SITE_RULES: SiteRules = {
	warningDays: 30,
	timeZone: 'Asia/Shanghai',
	requireVerification: true,
	verificationMaxAgeDays: null,
	requireInduction: true,
	inductionValidMonths: 12,
	requireMedical: true,
	medicalValidMonths: 12,
	medicalWarningDays: 30,
	requirePpe: true,
	ppeMinConfidence: 0.6,
	requireLivenessForFace: true,
	antiPassback: true,
	scopeOverrides: null
};

export interface TrainingRecord {
	id: string;
	/** 入场安全教育 / 安全培训 / 工种培训. */
	kind: 'site_induction' | 'safety' | 'work_type';
	siteId?: string | null;
	workType?: string | null;
	date: IsoDate;
	hours: number;
	validUntil?: IsoDate | null;
}

export interface MedicalRecord {
	id: string;
	examDate: IsoDate;
	result: 'fit' | 'unfit' | 'restricted';
	validUntil: IsoDate;
}

/** A blacklist entry already matched to the worker (by ID number); activity is checked here. */
export interface BlacklistEntry {
	id: string;
	reason: string;
	since: IsoDate;
	until?: IsoDate | null;
}

export type ApprovalStatus = 'approved' | 'pending' | 'rejected' | 'returned' | 'none';

export interface ApprovalState {
	status: ApprovalStatus;
	siteId: string;
	validFrom?: IsoDate | null;
	validUntil?: IsoDate | null;
}

export interface IdentityCheck {
	method: 'face' | 'qr' | 'id_pin' | 'manual';
	confirmed: boolean;
	liveness?: 'passed' | 'failed' | 'not_checked';
	score?: number;
}

export interface PpeReading {
	worn: boolean | 'unknown';
	confidence: number;
}

export interface EntryInput {
	/** Instant of the attempt, or a site-local date for day-level questions (dashboards). */
	at: Date | string;
	direction: 'in' | 'out';
	site: { id: string; kind: SiteKind; rules?: Partial<SiteRules> };
	worker: { id: string; name: string };
	certificates: readonly Certificate[];
	training: readonly TrainingRecord[];
	medical: readonly MedicalRecord[];
	blacklist: readonly BlacklistEntry[];
	approval: ApprovalState | null;
	/** Today's assigned work type code, null when unassigned. */
	workType: string | null;
	identity: IdentityCheck;
	ppe: PpeReading | null;
	/** Anti-passback: the worker's last event here was an entry. */
	onSite?: boolean;
	catalogue?: CertificateCatalogue;
	matrix?: WorkScopeMatrix;
}

export const REASON_CODES = [
	'IDENTITY_UNCONFIRMED',
	'LIVENESS_FAILED',
	'LIVENESS_UNCHECKED',
	'IDENTITY_MANUAL',
	'BLACKLISTED',
	'NOT_APPROVED',
	'WORK_UNASSIGNED',
	'WORK_TYPE_UNKNOWN',
	'CERT_MISSING',
	'SCOPE_MISMATCH',
	'CERT_REVOKED',
	'CERT_EXPIRED',
	'CERT_REVIEW_OVERDUE',
	'CERT_UNVERIFIED',
	'CERT_REVIEW_DUE',
	'CERT_EXPIRING',
	'CERT_RECORD_DIFFERS',
	'CERT_HOLDER_NAME_DIFFERS',
	'TRAINING_MISSING',
	'TRAINING_EXPIRED',
	'TRAINING_EXPIRING',
	'MEDICAL_MISSING',
	'MEDICAL_UNFIT',
	'MEDICAL_EXPIRED',
	'MEDICAL_RESTRICTED',
	'MEDICAL_EXPIRING',
	'PPE_MISSING',
	'PPE_UNCONFIRMED',
	'ANTI_PASSBACK',
	'EXIT_WITHOUT_ENTRY'
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export type Severity = 'deny' | 'warn';

type R<C extends ReasonCode, D extends object = Record<never, never>> = {
	code: C;
	severity: Severity;
} & D;

type CertRef = { certificateId: string; certificateCode: string };

/** Why an entry is refused or flagged. Rendered by the UI's message catalogue by `code`. */
export type Reason =
	| R<'IDENTITY_UNCONFIRMED', { method: IdentityCheck['method'] }>
	| R<'LIVENESS_FAILED'>
	| R<'LIVENESS_UNCHECKED'>
	| R<'IDENTITY_MANUAL'>
	| R<'BLACKLISTED', { entryId: string; reason: string; since: IsoDate; until: IsoDate | null }>
	| R<
			'NOT_APPROVED',
			{
				approvalStatus: ApprovalStatus;
				detail: 'status' | 'other_site' | 'not_yet_valid' | 'ended';
				validFrom: IsoDate | null;
				validUntil: IsoDate | null;
			}
	  >
	| R<'WORK_UNASSIGNED'>
	| R<'WORK_TYPE_UNKNOWN', { workType: string }>
	| R<'CERT_MISSING', { workType: string; required: string[] }>
	| R<'SCOPE_MISMATCH', { workType: string; required: string[]; held: string[] }>
	| R<'CERT_REVOKED', CertRef & { revokedOn: IsoDate | null; byRegistry: boolean }>
	| R<'CERT_EXPIRED', CertRef & { expiredOn: IsoDate }>
	| R<'CERT_REVIEW_OVERDUE', CertRef & { reviewDueOn: IsoDate }>
	| R<
			'CERT_UNVERIFIED',
			CertRef & { verification: VerificationOutcome | 'none'; flags: CertificateFlag[] }
	  >
	| R<'CERT_REVIEW_DUE', CertRef & { reviewDueOn: IsoDate; daysToReview: number }>
	| R<'CERT_EXPIRING', CertRef & { expiresOn: IsoDate; daysToExpiry: number }>
	| R<'CERT_RECORD_DIFFERS', CertRef & { flags: CertificateFlag[] }>
	| R<'CERT_HOLDER_NAME_DIFFERS', CertRef & { holderName: string }>
	| R<'TRAINING_MISSING', { trainingKind: 'site_induction' }>
	| R<
			'TRAINING_EXPIRED',
			{ trainingKind: 'site_induction'; trainingId: string; expiredOn: IsoDate }
	  >
	| R<
			'TRAINING_EXPIRING',
			{ trainingKind: 'site_induction'; trainingId: string; validUntil: IsoDate; daysLeft: number }
	  >
	| R<'MEDICAL_MISSING'>
	| R<'MEDICAL_UNFIT', { medicalId: string; examDate: IsoDate }>
	| R<'MEDICAL_EXPIRED', { medicalId: string; expiredOn: IsoDate }>
	| R<'MEDICAL_RESTRICTED', { medicalId: string; examDate: IsoDate }>
	| R<'MEDICAL_EXPIRING', { medicalId: string; validUntil: IsoDate; daysLeft: number }>
	| R<'PPE_MISSING', { confidence: number }>
	| R<'PPE_UNCONFIRMED', { worn: boolean | 'unknown' | null; confidence: number | null }>
	| R<'ANTI_PASSBACK'>
	| R<'EXIT_WITHOUT_ENTRY'>;

// Compile-time guard: REASON_CODES and the Reason union must name exactly the same codes.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const reasonCodesMatch: Same<ReasonCode, Reason['code']> = true;
void reasonCodesMatch;

export interface EntryDecision {
	/** True when no reason has severity 'deny'. Exits are always allowed. */
	allow: boolean;
	direction: 'in' | 'out';
	/** Site-local date the decision was made for. */
	date: IsoDate;
	/** Deny reasons first, then warnings, each in rule order. */
	reasons: Reason[];
	/** Covering certificate the decision was based on, if the work type needs one. */
	certificate: (CertificateStatusResult & { id: string }) | null;
}

function toDate(value: string | null | undefined, timeZone: string): IsoDate | null {
	if (value === null || value === undefined) return null;
	if (isValidDate(value)) return value;
	try {
		return localDate(value, timeZone);
	} catch {
		return null;
	}
}

/** Decides whether the worker may pass the gate now, with every reason. */
export function decideEntry(input: EntryInput): EntryDecision {
	const rules: SiteRules = { ...DEFAULT_SITE_RULES, ...input.site.rules };
	const tz = rules.timeZone;
	const today = localDate(input.at, tz);
	const reasons: Reason[] = [];

	if (input.direction === 'out') {
		// Nobody is held inside: an exit is recorded whatever happens, with warnings to follow up.
		reasons.push(...identityReasons(input.identity, rules, 'warn'));
		if (input.onSite === false) reasons.push({ code: 'EXIT_WITHOUT_ENTRY', severity: 'warn' });
		return { allow: true, direction: 'out', date: today, reasons, certificate: null };
	}

	reasons.push(...identityReasons(input.identity, rules, 'deny'));
	reasons.push(...blacklistReasons(input.blacklist, today, tz));
	reasons.push(...approvalReasons(input.approval, input.site.id, today, tz));

	const work = workReasons(input, rules, today);
	reasons.push(...work.reasons);

	if (rules.requireInduction) reasons.push(...inductionReasons(input, rules, today));
	if (rules.requireMedical) reasons.push(...medicalReasons(input.medical, rules, today));
	if (rules.requirePpe) reasons.push(...ppeReasons(input.ppe, rules));
	if (rules.antiPassback && input.onSite === true) {
		reasons.push({ code: 'ANTI_PASSBACK', severity: 'deny' });
	}

	const ordered = [
		...reasons.filter((r) => r.severity === 'deny'),
		...reasons.filter((r) => r.severity === 'warn')
	];
	return {
		allow: !ordered.some((r) => r.severity === 'deny'),
		direction: 'in',
		date: today,
		reasons: ordered,
		certificate: work.certificate
	};
}

/**
 * The decision when nobody could be identified (an unknown face, an unreadable pass): there is no
 * worker to check anything else against. Entry is refused; an exit is let through with the warning,
 * as decideEntry does for every exit.
 */
export function decideUnidentified(
	at: Date | string,
	direction: 'in' | 'out',
	method: IdentityCheck['method'],
	rules: Partial<SiteRules> = {},
	liveness?: IdentityCheck['liveness']
): EntryDecision {
	const merged: SiteRules = { ...DEFAULT_SITE_RULES, ...rules };
	const severity: Severity = direction === 'in' ? 'deny' : 'warn';
	return {
		allow: direction === 'out',
		direction,
		date: localDate(at, merged.timeZone),
		// A liveness check never started for nobody is not a reason; one that failed is.
		reasons: identityReasons({ method, confirmed: false, liveness }, merged, severity).filter(
			(r) => r.code !== 'LIVENESS_UNCHECKED'
		),
		certificate: null
	};
}

function identityReasons(identity: IdentityCheck, rules: SiteRules, severity: Severity): Reason[] {
	const reasons: Reason[] = [];
	if (!identity.confirmed) {
		reasons.push({ code: 'IDENTITY_UNCONFIRMED', severity, method: identity.method });
	}
	// Liveness stops a photo or video of an enrolled worker (代打卡, buddy clock-in).
	if (identity.method === 'face' && rules.requireLivenessForFace) {
		if (identity.liveness === 'failed') reasons.push({ code: 'LIVENESS_FAILED', severity });
		else if (identity.liveness !== 'passed') reasons.push({ code: 'LIVENESS_UNCHECKED', severity });
	}
	// A guard's manual confirmation lets the worker in but is flagged for audit.
	if (identity.method === 'manual' && identity.confirmed) {
		reasons.push({ code: 'IDENTITY_MANUAL', severity: 'warn' });
	}
	return reasons;
}

function blacklistReasons(
	entries: readonly BlacklistEntry[],
	today: IsoDate,
	tz: string
): Reason[] {
	const reasons: Reason[] = [];
	for (const entry of entries) {
		// An entry whose start is unreadable still bars: fail closed on the blacklist.
		const since = toDate(entry.since, tz);
		const until = toDate(entry.until, tz);
		const started = since === null || since <= today;
		const ended = until !== null && until < today;
		if (started && !ended) {
			reasons.push({
				code: 'BLACKLISTED',
				severity: 'deny',
				entryId: entry.id,
				reason: entry.reason,
				since: since ?? entry.since,
				until
			});
		}
	}
	return reasons;
}

function approvalReasons(
	approval: ApprovalState | null,
	siteId: string,
	today: IsoDate,
	tz: string
): Reason[] {
	const validFrom = toDate(approval?.validFrom, tz);
	const validUntil = toDate(approval?.validUntil, tz);
	const deny = (detail: 'status' | 'other_site' | 'not_yet_valid' | 'ended'): Reason[] => [
		{
			code: 'NOT_APPROVED',
			severity: 'deny',
			approvalStatus: approval?.status ?? 'none',
			detail,
			validFrom,
			validUntil
		}
	];
	if (approval === null || approval.status !== 'approved') return deny('status');
	if (approval.siteId !== siteId) return deny('other_site');
	if (validFrom !== null && today < validFrom) return deny('not_yet_valid');
	if (validUntil !== null && today > validUntil) return deny('ended');
	return [];
}

type WorkInput = Pick<
	EntryInput,
	'at' | 'site' | 'worker' | 'certificates' | 'workType' | 'catalogue' | 'matrix'
>;

/**
 * The work part of decideEntry alone: whether the worker's certificates allow `workType` today, in
 * scope and in status. Permits check each person's role with it; interlocks check the equipment's.
 */
export function decideWork(input: WorkInput): Omit<EntryDecision, 'direction'> {
	const rules: SiteRules = { ...DEFAULT_SITE_RULES, ...input.site.rules };
	const today = localDate(input.at, rules.timeZone);
	const work = workReasons(input, rules, today);
	const reasons = [
		...work.reasons.filter((r) => r.severity === 'deny'),
		...work.reasons.filter((r) => r.severity === 'warn')
	];
	return {
		allow: !reasons.some((r) => r.severity === 'deny'),
		date: today,
		reasons,
		certificate: work.certificate
	};
}

function workReasons(
	input: WorkInput,
	rules: SiteRules,
	today: IsoDate
): { reasons: Reason[]; certificate: EntryDecision['certificate'] } {
	const none = { certificate: null };
	if (input.workType === null || input.workType.trim() === '') {
		return { ...none, reasons: [{ code: 'WORK_UNASSIGNED', severity: 'deny' }] };
	}
	const workType = input.workType;
	const cov = coverage(workType, input.certificates, {
		siteKind: input.site.kind,
		overrides: rules.scopeOverrides,
		matrix: input.matrix,
		catalogue: input.catalogue
	});
	if (cov.workType === null) {
		return { ...none, reasons: [{ code: 'WORK_TYPE_UNKNOWN', severity: 'deny', workType }] };
	}
	if (cov.workType.requiresAnyOf.length === 0) return { ...none, reasons: [] };

	const required = cov.required.map((alt) => alt.code);
	if (!cov.covered) {
		const reason: Reason =
			input.certificates.length === 0
				? { code: 'CERT_MISSING', severity: 'deny', workType, required }
				: { code: 'SCOPE_MISMATCH', severity: 'deny', workType, required, held: cov.heldCodes };
		return { ...none, reasons: [reason] };
	}

	// Several cards may cover the work (an old and a renewed one): judge by the best of them.
	const judged = cov.matching.map((cert) => ({
		cert,
		result: certificateStatus(cert, today, {
			warningDays: rules.warningDays,
			timeZone: rules.timeZone,
			requireVerification: rules.requireVerification,
			verificationMaxAgeDays: rules.verificationMaxAgeDays,
			...(input.catalogue ? { catalogue: input.catalogue } : {})
		})
	}));
	judged.sort(
		(a, b) =>
			statusRank(a.result.status) - statusRank(b.result.status) ||
			(b.result.expiresOn ?? '').localeCompare(a.result.expiresOn ?? '')
	);
	const best = judged[0];
	if (!best) return { ...none, reasons: [] };
	return {
		reasons: certificateReasons(best.cert, best.result, input.worker.name, today),
		certificate: { id: best.cert.id, ...best.result }
	};
}

function certificateReasons(
	cert: Certificate,
	result: CertificateStatusResult,
	workerName: string,
	today: IsoDate
): Reason[] {
	const ref: CertRef = { certificateId: cert.id, certificateCode: cert.code };
	const reasons: Reason[] = [];
	switch (result.status) {
		case 'revoked':
			return [
				{
					code: 'CERT_REVOKED',
					severity: 'deny',
					...ref,
					revokedOn: result.revokedOn,
					byRegistry: result.verification === 'revoked'
				}
			];
		case 'expired':
			return [
				{ code: 'CERT_EXPIRED', severity: 'deny', ...ref, expiredOn: result.expiresOn ?? '' }
			];
		case 'review_overdue':
			reasons.push({
				code: 'CERT_REVIEW_OVERDUE',
				severity: 'deny',
				...ref,
				reviewDueOn: result.reviewDueOn ?? ''
			});
			break;
		case 'unverified':
			reasons.push({
				code: 'CERT_UNVERIFIED',
				severity: 'deny',
				...ref,
				verification: result.verification,
				flags: result.flags
			});
			break;
		default:
			break;
	}
	// Windows are reported from the dates, not the single status, so an unverified card that is
	// also about to expire says both.
	if (
		result.reviewWindowFrom !== null &&
		result.reviewDueOn !== null &&
		result.daysToReview !== null &&
		today >= result.reviewWindowFrom &&
		today <= result.reviewDueOn
	) {
		reasons.push({
			code: 'CERT_REVIEW_DUE',
			severity: 'warn',
			...ref,
			reviewDueOn: result.reviewDueOn,
			daysToReview: result.daysToReview
		});
	}
	if (
		result.warningFrom !== null &&
		result.expiresOn !== null &&
		result.daysToExpiry !== null &&
		today >= result.warningFrom
	) {
		reasons.push({
			code: 'CERT_EXPIRING',
			severity: 'warn',
			...ref,
			expiresOn: result.expiresOn,
			daysToExpiry: result.daysToExpiry
		});
	}
	const differs = result.flags.filter(
		(f) => f === 'REGISTRY_EXPIRY_DIFFERS' || f === 'REGISTRY_REVIEW_DIFFERS'
	);
	if (differs.length > 0) {
		reasons.push({ code: 'CERT_RECORD_DIFFERS', severity: 'warn', ...ref, flags: differs });
	}
	const holder = cert.holderName?.trim();
	if (holder && normaliseName(holder) !== normaliseName(workerName)) {
		reasons.push({
			code: 'CERT_HOLDER_NAME_DIFFERS',
			severity: 'warn',
			...ref,
			holderName: holder
		});
	}
	return reasons;
}

// Chinese names are compared without spaces and middle dots (e.g. 买买提·艾力 typed as 买买提艾力).
function normaliseName(name: string): string {
	return name.replace(/[\s·•.・]/g, '').toLowerCase();
}

function inductionReasons(input: EntryInput, rules: SiteRules, today: IsoDate): Reason[] {
	const tz = rules.timeZone;
	let best: { id: string; until: IsoDate } | null = null;
	for (const t of input.training) {
		if (t.kind !== 'site_induction' || t.siteId !== input.site.id) continue;
		const date = toDate(t.date, tz);
		if (date === null || date > today) continue;
		// The site's own limit caps whatever the record claims.
		const capped = addMonths(date, rules.inductionValidMonths);
		const recorded = toDate(t.validUntil, tz);
		const until = recorded === null ? capped : minDate(recorded, capped);
		if (best === null || until > best.until) best = { id: t.id, until };
	}
	if (best === null) {
		return [{ code: 'TRAINING_MISSING', severity: 'deny', trainingKind: 'site_induction' }];
	}
	const daysLeft = diffDays(today, best.until);
	if (daysLeft < 0) {
		return [
			{
				code: 'TRAINING_EXPIRED',
				severity: 'deny',
				trainingKind: 'site_induction',
				trainingId: best.id,
				expiredOn: best.until
			}
		];
	}
	if (daysLeft <= rules.warningDays) {
		return [
			{
				code: 'TRAINING_EXPIRING',
				severity: 'warn',
				trainingKind: 'site_induction',
				trainingId: best.id,
				validUntil: best.until,
				daysLeft
			}
		];
	}
	return [];
}

function medicalReasons(
	records: readonly MedicalRecord[],
	rules: SiteRules,
	today: IsoDate
): Reason[] {
	const tz = rules.timeZone;
	// The latest exam decides: an older 'fit' does not outweigh a newer 'unfit'.
	let latest: { record: MedicalRecord; examDate: IsoDate } | null = null;
	for (const record of records) {
		const examDate = toDate(record.examDate, tz);
		if (examDate === null || examDate > today) continue;
		if (latest === null || examDate > latest.examDate) latest = { record, examDate };
	}
	if (latest === null) return [{ code: 'MEDICAL_MISSING', severity: 'deny' }];
	const { record, examDate } = latest;
	if (record.result === 'unfit') {
		return [{ code: 'MEDICAL_UNFIT', severity: 'deny', medicalId: record.id, examDate }];
	}
	const capped = addMonths(examDate, rules.medicalValidMonths);
	const recorded = toDate(record.validUntil, tz);
	const validUntil = recorded === null ? capped : minDate(recorded, capped);
	const daysLeft = diffDays(today, validUntil);
	const reasons: Reason[] = [];
	if (daysLeft < 0) {
		reasons.push({
			code: 'MEDICAL_EXPIRED',
			severity: 'deny',
			medicalId: record.id,
			expiredOn: validUntil
		});
	} else if (daysLeft <= rules.medicalWarningDays) {
		reasons.push({
			code: 'MEDICAL_EXPIRING',
			severity: 'warn',
			medicalId: record.id,
			validUntil,
			daysLeft
		});
	}
	// Restrictions are written in free text by the doctor; the supervisor must read them.
	if (record.result === 'restricted') {
		reasons.push({ code: 'MEDICAL_RESTRICTED', severity: 'warn', medicalId: record.id, examDate });
	}
	return reasons;
}

/**
 * What a hard-hat reading proves: 'worn' or 'missing' when it is sure enough, else 'unsure'.
 * Detectors mistake caps for helmets; a low-confidence reading proves nothing either way. The gate,
 * the monitor and site learning's held-out numbers all read a reading through this.
 */
export function ppeVerdict(
	ppe: PpeReading,
	minConfidence: number = DEFAULT_SITE_RULES.ppeMinConfidence
): 'worn' | 'missing' | 'unsure' {
	if (ppe.confidence < minConfidence) return 'unsure';
	return ppe.worn === true ? 'worn' : ppe.worn === false ? 'missing' : 'unsure';
}

function ppeReasons(ppe: PpeReading | null, rules: SiteRules): Reason[] {
	if (ppe === null) {
		return [{ code: 'PPE_UNCONFIRMED', severity: 'deny', worn: null, confidence: null }];
	}
	const verdict = ppeVerdict(ppe, rules.ppeMinConfidence);
	if (verdict === 'worn') return [];
	if (verdict === 'missing') {
		return [{ code: 'PPE_MISSING', severity: 'deny', confidence: ppe.confidence }];
	}
	return [
		{ code: 'PPE_UNCONFIRMED', severity: 'deny', worn: ppe.worn, confidence: ppe.confidence }
	];
}
