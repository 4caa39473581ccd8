// Recording a manual verification: a staff member looked the certificate up in the registry
// (the national query service has no API) and records the answer with a scan of it as evidence.
// The relay copies the record to every site the contractor works at.
import type * as Y from 'yjs';
import type { CertificateRecord, Worker } from './contractor';
import { putRecord, type Actor } from './commands';
import { newUlid } from './event-commands';
import { certificateFingerprint, MANUAL_SOURCE_PREFIX, VerificationRecord } from './verification';

export interface ManualVerification {
	outcome: VerificationRecord['outcome'];
	/** Blob hash of the photographed or saved registry answer (required). */
	scan: string;
	registryExpiry?: string;
	registryReviewDate?: string;
	note?: string;
	/** Where the registry was consulted, e.g. '全国特种作业操作证查询' (kept in the note). */
	at?: Date;
}

export function recordManualVerification(
	control: Y.Doc,
	controlName: string,
	actor: Actor,
	contractorId: string,
	cert: CertificateRecord,
	holder: Worker,
	input: ManualVerification
): VerificationRecord {
	const at = (input.at ?? new Date()).toISOString();
	const id = newUlid();
	return putRecord(control, controlName, actor, 'verifications', id, VerificationRecord, {
		schema: 1,
		id,
		certificateId: cert.id,
		contractorId,
		workerId: holder.id,
		fingerprint: certificateFingerprint(cert, holder),
		outcome: input.outcome,
		checkedAt: at,
		source: `${MANUAL_SOURCE_PREFIX}${actor.claims.sub}`,
		...(input.registryExpiry ? { registryExpiry: input.registryExpiry } : {}),
		...(input.registryReviewDate ? { registryReviewDate: input.registryReviewDate } : {}),
		trigger: 'manual',
		evidence: { scan: input.scan, ...(input.note?.trim() ? { note: input.note.trim() } : {}) },
		by: actor.claims.sub,
		recordedAt: at
	});
}
