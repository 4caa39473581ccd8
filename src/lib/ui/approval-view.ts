// How the approval screens (review queue, decision, audit, contractor applications) name and colour
// approval states, steps, decisions and times; and which documents they read. One place, so the
// four screens say the same thing the same way.
import type * as Y from 'yjs';
import { docAccess, type Claims } from '$lib/data/access';
import type { ApprovalSources } from '$lib/data/approvals-live.svelte';
import type {
	ChainStep,
	Decision,
	Forgery,
	SignedDecision,
	WorkerApproval
} from '$lib/data/approvals';
import { contractorDoc, controlDoc } from '$lib/data/documents';
import type { LedgerCertificate } from '$lib/data/ledger';
import { coverage, statusRank, type Coverage, type SiteKind } from '$lib/domain';
import { orgViewOf } from '$lib/data/org';
import { locale, t } from '$lib/i18n/locale.svelte';
import type { MessageKey } from '$lib/i18n/messages';
import type { Tone } from './Badge.svelte';

const KNOWN_STEPS = ['lead_review', 'safety_check', 'director_approval'];

/** A chain step's name: the default steps by name, a site's own steps by the deciding role. */
export function stepName(step: ChainStep): string {
	return KNOWN_STEPS.includes(step.id)
		? t(`chain.step.${step.id}` as MessageKey)
		: t(`admin.staff.${step.role}`);
}

export function approvalTone(status: WorkerApproval['status']): Tone {
	switch (status) {
		case 'approved':
			return 'ok';
		case 'pending':
		case 'returned':
			return 'warn';
		case 'rejected':
			return 'deny';
		default:
			return 'muted';
	}
}

export function decisionTone(decision: Decision): Tone {
	return decision === 'approve' ? 'ok' : decision === 'return' ? 'warn' : 'deny';
}

export const FORGERY_KEYS: Record<Forgery, MessageKey> = {
	INVALID_RECORD: 'audit.forged.INVALID_RECORD',
	HASH_MISMATCH: 'audit.forged.HASH_MISMATCH',
	UNKNOWN_KEY: 'audit.forged.UNKNOWN_KEY',
	KEY_NOT_SIGNERS: 'audit.forged.KEY_NOT_SIGNERS',
	BAD_SIGNATURE: 'audit.forged.BAD_SIGNATURE',
	KEY_NOT_VALID_THEN: 'audit.forged.KEY_NOT_VALID_THEN',
	ROLE_NOT_HELD: 'audit.forged.ROLE_NOT_HELD',
	SITE_NOT_HELD: 'audit.forged.SITE_NOT_HELD',
	NOT_CURRENT_STEP: 'audit.forged.NOT_CURRENT_STEP',
	BROKEN_CHAIN: 'audit.forged.BROKEN_CHAIN'
};

/** An instant as people on site read it (the site's time zone). */
export function when(
	iso: string,
	{ seconds = false, timeZone = 'Asia/Shanghai' }: { seconds?: boolean; timeZone?: string } = {}
): string {
	return new Intl.DateTimeFormat(locale.current, {
		timeZone,
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		...(seconds ? { second: '2-digit' } : {}),
		hour12: false
	}).format(new Date(iso));
}

/** "3 小时后截止" / "已逾期 5 小时": whole hours, or minutes under one hour, days over two. */
export function deadlineText(deadline: string, now: Date): string {
	const ms = Date.parse(deadline) - now.getTime();
	const span = Math.abs(ms);
	const minutes = Math.round(span / 60_000);
	const hours = Math.round(span / 3_600_000);
	const amount =
		minutes < 60
			? t('time.minutes', { n: Math.max(1, minutes) })
			: hours < 48
				? t('time.hours', { n: hours })
				: t('time.days', { n: Math.round(span / 86_400_000) });
	return t(ms > 0 ? 'review.dueIn' : 'review.overdueBy', { time: amount });
}

/**
 * The documents the approval read model needs for these claims: the org (keys, names), the
 * control documents of the sites they may read, the contractor documents they may read.
 */
export function approvalSourcesFor(
	claims: Claims,
	org: Y.Doc,
	siteIds: readonly string[],
	contractorIds: readonly string[],
	open: (name: string) => Y.Doc
): ApprovalSources {
	const view = orgViewOf(org);
	return {
		org,
		controls: siteIds
			.filter((s) => docAccess(claims, controlDoc(s), view).read)
			.map((siteId) => ({ siteId, doc: open(controlDoc(siteId)) })),
		contractors: contractorIds
			.filter((c) => docAccess(claims, contractorDoc(c), view).read)
			.map((c) => open(contractorDoc(c)))
	};
}

/** `contractorId/applicationId` → its parts. */
export function splitApplication(ref: string): { contractorId: string; applicationId: string } {
	const slash = ref.indexOf('/');
	return { contractorId: ref.slice(0, slash), applicationId: ref.slice(slash + 1) };
}

/**
 * The worker's certificates that allow the requested work type at this kind of site (the domain's
 * `coverage`), best status first; `needsNone` when the work type needs no certificate.
 */
export function scopeCertificates(
	certs: readonly LedgerCertificate[],
	workType: string,
	siteKind: SiteKind
): { coverage: Coverage; matching: LedgerCertificate[]; needsNone: boolean } {
	const cov = coverage(
		workType,
		certs.map((c) => c.record),
		{ siteKind }
	);
	const matching = certs
		.filter((c) => cov.matching.includes(c.record))
		.sort((a, b) => statusRank(a.status.status) - statusRank(b.status.status));
	return {
		coverage: cov,
		matching,
		needsNone: cov.workType !== null && cov.workType.requiresAnyOf.length === 0
	};
}

/** One stored decision record as the audit trail shows it. */
export interface AuditEntry {
	hash: string;
	/** Absent when the stored value is not a readable decision record at all. */
	record?: SignedDecision;
	worker: string;
	application: string;
	/** verified: counts; superseded: valid but another decision on the same step came first;
	 * earlier: about an earlier submission (before a return and resubmission); withdrawn: about
	 * the submission the contractor then withdrew; forged: counts as absent. */
	mark: 'verified' | 'superseded' | 'earlier' | 'withdrawn' | 'forged';
	reason?: Forgery;
	escalated?: boolean;
	/** The step's name, when the record's step is one of the chain's. */
	step: string | null;
}

/** Every record held about one worker in one application, oldest first. */
export function auditEntries(approval: WorkerApproval): AuditEntry[] {
	const named = (r: SignedDecision | undefined) => {
		const s = r && approval.steps.find((x) => x.step.id === r.stepId);
		return s ? stepName(s.step) : (r?.stepId ?? null);
	};
	const base = { worker: approval.worker, application: approval.application };
	const out: AuditEntry[] = [];
	for (const s of approval.steps) {
		if (s.decided)
			out.push({
				...base,
				hash: s.decided.hash,
				record: s.decided.record,
				mark: 'verified',
				escalated: s.decided.escalated,
				step: stepName(s.step)
			});
		for (const x of s.superseded)
			out.push({
				...base,
				hash: x.hash,
				record: x.record,
				mark: 'superseded',
				step: stepName(s.step)
			});
	}
	for (const x of approval.earlier)
		out.push({
			...base,
			hash: x.hash,
			record: x.record,
			mark:
				approval.status === 'withdrawn' && x.record.round === approval.round
					? 'withdrawn'
					: 'earlier',
			step: named(x.record)
		});
	for (const x of approval.forged)
		out.push({
			...base,
			hash: x.hash,
			record: x.record,
			mark: 'forged',
			reason: x.reason,
			step: named(x.record)
		});
	return sortAudit(out);
}

export function sortAudit(entries: AuditEntry[]): AuditEntry[] {
	return entries.sort((a, b) => {
		const x = a.record?.at ?? '~';
		const y = b.record?.at ?? '~';
		return x !== y ? (x < y ? -1 : 1) : a.hash < b.hash ? -1 : 1;
	});
}
