// The relay's (and every writer's) rules for permit records, apart from the permit module so the
// access rules can call them without importing the approvals (which import the access rules).
import type { Claims, RecordChange, Refusal } from './access';

/** Fields a submitted permit keeps until it is resubmitted (the approvers signed for them). */
const FROZEN = [
	'kind',
	'grade',
	'zone',
	'work',
	'validFrom',
	'validUntil',
	'people',
	'hazards',
	'measures',
	'gasTests',
	'isolations',
	'heightMetres',
	'effectiveGrade',
	'siteId',
	'number',
	'createdAt',
	'createdBy'
];

export function permitRefusal(claims: Claims, change: RecordChange): Refusal | null {
	const at = { map: change.map, key: change.key };
	if (change.map === 'permitActions' || change.map === 'permitReadings') {
		const by = (change.value as { by?: unknown } | undefined)?.by;
		if (by !== claims.sub)
			return {
				code: 'NOT_OWN_RECORD',
				message: 'a permit action or reading is recorded in one’s own name',
				...at
			};
		return null;
	}
	if (change.map !== 'permits') return null;
	if (change.action === 'delete')
		return { code: 'APPEND_ONLY', message: 'a permit is cancelled, never deleted', ...at };
	const before = (change.previous ?? null) as Record<string, unknown> | null;
	const after = (change.value ?? {}) as Record<string, unknown>;
	if (!before || change.action !== 'update') return null;
	if (before.lifecycle === 'cancelled')
		return { code: 'READ_ONLY', message: 'a cancelled permit cannot be changed', ...at };
	if (before.lifecycle !== 'submitted') return null;
	// Approvers signed for a submission: its content stays as it was, unless it is resubmitted (a
	// new round, where earlier decisions stop counting) or cancelled.
	const resubmitted = after.lifecycle === 'submitted' && after.submittedAt !== before.submittedAt;
	// A new round is later than the last: going back to an earlier round would bring its
	// decisions back to count for content they never saw.
	if (
		resubmitted &&
		!(
			typeof after.submittedAt === 'string' &&
			typeof before.submittedAt === 'string' &&
			Date.parse(after.submittedAt) > Date.parse(before.submittedAt)
		)
	)
		return {
			code: 'READ_ONLY',
			message: 'a resubmission is later than the submission it replaces',
			...at
		};
	if (resubmitted || after.lifecycle === 'cancelled') {
		if (
			after.lifecycle === 'cancelled' &&
			FROZEN.some((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
		)
			return { code: 'READ_ONLY', message: 'cancelling a permit changes nothing else', ...at };
		return null;
	}
	if (
		FROZEN.some((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])) ||
		after.lifecycle !== before.lifecycle ||
		after.submittedAt !== before.submittedAt
	)
		return {
			code: 'READ_ONLY',
			message: 'a submitted permit is changed by resubmitting it (its approvals start again)',
			...at
		};
	return null;
}
