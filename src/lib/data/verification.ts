// Certificate verification results (issue 5), kept in `site:<S>:control`:
// - `verifications[ulid]`: an append-only log of registry answers and manual checks. The relay
//   appends an answer when it differs from that source's previous answer for the same
//   certificate as it now reads (so a weekly "still genuine" adds nothing to the log);
// - `checks[certificateId]`: the relay's last check of each certificate (one record, overwritten),
//   so screens can say "checked 3 days ago" without the log growing every week.
// The verification a certificate counts with is derived here, in one place, from those records;
// the `verification` field a contractor's own document may carry is never trusted.
import { digest } from 'lib0/hash/sha256';
import * as v from 'valibot';
import type { Certificate, Verification, VerificationOutcome } from '../domain';
import {
	CertificateRecord as CertificateRecordType,
	Worker as WorkerRecord,
	type CertificateRecord,
	type Worker
} from './contractor';
import { ulidSchema } from './events';
import { defineRecord, id, isoDate, isoTime, readRecord, text } from './records';

export const VERIFICATION_OUTCOMES = [
	'genuine',
	'not_found',
	'mismatch',
	'revoked',
	'unavailable'
] as const satisfies readonly VerificationOutcome[];

export const VERIFICATION_TRIGGERS = [
	'registration',
	'change',
	'schedule',
	'retry',
	'manual'
] as const;
export type VerificationTrigger = (typeof VERIFICATION_TRIGGERS)[number];

const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a sha-256 hash'));
const fingerprint = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, 'not a fingerprint'));

/** Source names: 'http:<name>' for a registry the relay asked, 'manual:<userId>' for staff. */
export const MANUAL_SOURCE_PREFIX = 'manual:';

export const VerificationRecord = defineRecord({
	name: 'VerificationRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: ulidSchema,
		certificateId: id,
		contractorId: id,
		workerId: id,
		/** What was checked: the certificate's fingerprint (see certificateFingerprint) then. */
		fingerprint,
		outcome: v.picklist(VERIFICATION_OUTCOMES),
		checkedAt: isoTime,
		source: text(200),
		registryExpiry: v.optional(isoDate),
		registryReviewDate: v.optional(isoDate),
		trigger: v.picklist(VERIFICATION_TRIGGERS),
		evidence: v.object({
			/** The registry's reference for the answer. */
			reference: v.optional(text(200)),
			/** sha-256 of the registry's raw answer. */
			responseSha256: v.optional(sha256Hex),
			/** Why the registry could not answer. */
			error: v.optional(text(300)),
			attempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
			/** A manual check: the scan (blob hash) of the registry's answer. */
			scan: v.optional(sha256Hex),
			note: v.optional(text(500))
		}),
		/** 'relay' or the staff member who recorded a manual check. */
		by: text(64),
		recordedAt: isoTime
	})
});
export type VerificationRecord = v.InferOutput<typeof VerificationRecord.validate>;

/** checks[certificateId]: the relay's latest check, overwritten each time (relay-only). */
export const CertificateCheck = defineRecord({
	name: 'CertificateCheck',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		certificateId: id,
		contractorId: id,
		fingerprint,
		checkedAt: isoTime,
		outcome: v.picklist(VERIFICATION_OUTCOMES),
		source: text(200),
		/** When the relay will ask again. */
		nextCheckAt: v.optional(isoTime),
		/** Unanswered attempts in a row (registry down), for "retrying" on screens. */
		failures: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)))
	})
});
export type CertificateCheck = v.InferOutput<typeof CertificateCheck.validate>;

const hex = (bytes: Uint8Array) =>
	Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * What a registry answer is about: the certificate's item and number and its holder's name and
 * document number. A changed number or a corrected name makes earlier answers no longer count
 * (and makes the relay ask again). One-way, so the control document does not carry ID numbers.
 */
export function certificateFingerprint(
	cert: Pick<CertificateRecord, 'code' | 'number'>,
	holder: Pick<Worker, 'name' | 'docNumber'>
): string {
	const text = [cert.code, cert.number.trim(), holder.name.trim(), holder.docNumber].join('\u0000');
	let fp = fingerprints.get(text);
	if (fp === undefined) {
		fp = hex(digest(new TextEncoder().encode(text))).slice(0, 32);
		// Ledger rebuilds ask again for the same certificates: remember a bounded number.
		if (fingerprints.size >= FINGERPRINT_CACHE) fingerprints.clear();
		fingerprints.set(text, fp);
	}
	return fp;
}
const FINGERPRINT_CACHE = 50_000;
const fingerprints = new Map<string, string>();

export interface EffectiveVerification extends Verification {
	/** The log record it came from. */
	record: VerificationRecord;
	/** The relay's latest check confirming it, when newer than the record. */
	lastCheckedAt: string;
	/** An 'unavailable' answer newer than this one (registry unreachable since). */
	unreachableSince?: string;
}

const conclusive = (o: VerificationOutcome) => o !== 'unavailable';

/** Index of verification logs and checks, by certificate, across the control documents held. */
export class VerificationIndex {
	readonly #records = new Map<string, VerificationRecord[]>();
	readonly #checks = new Map<string, CertificateCheck>();
	readonly #seen = new Set<string>();

	/** Add raw values from a control document's `verifications` map (duplicates ignored). */
	addRecords(values: Iterable<unknown>): this {
		for (const raw of values) {
			const read = readRecord(VerificationRecord, raw);
			if (!read.ok || this.#seen.has(read.record.id)) continue;
			this.#seen.add(read.record.id);
			const list = this.#records.get(read.record.certificateId) ?? [];
			list.push(read.record);
			this.#records.set(read.record.certificateId, list);
		}
		return this;
	}

	/** Add raw values from a control document's `checks` map (the newest check wins). */
	addChecks(values: Iterable<unknown>): this {
		for (const raw of values) {
			const read = readRecord(CertificateCheck, raw);
			if (!read.ok) continue;
			const before = this.#checks.get(read.record.certificateId);
			if (!before || before.checkedAt < read.record.checkedAt)
				this.#checks.set(read.record.certificateId, read.record);
		}
		return this;
	}

	/** Every log record for a certificate, oldest first (the audit trail). */
	history(certificateId: string): VerificationRecord[] {
		return [...(this.#records.get(certificateId) ?? [])].sort(byCheckedAt);
	}

	check(certificateId: string): CertificateCheck | undefined {
		return this.#checks.get(certificateId);
	}

	/** Whether anything is known about this certificate (no need to fingerprint it otherwise). */
	knows(certificateId: string): boolean {
		return this.#records.has(certificateId);
	}

	/** The verification the certificate counts with, for its current fingerprint. */
	effective(certificateId: string, fp: string): EffectiveVerification | null {
		return effectiveVerification(
			this.#records.get(certificateId) ?? [],
			fp,
			this.#checks.get(certificateId)
		);
	}

	get size(): number {
		return this.#seen.size;
	}
}

function byCheckedAt(a: VerificationRecord, b: VerificationRecord): number {
	if (a.checkedAt !== b.checkedAt) return a.checkedAt < b.checkedAt ? -1 : 1;
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The latest conclusive answer (genuine, not found, mismatch, revoked) for this fingerprint, from
 * any source; an 'unavailable' answer never replaces a conclusive one (a registry that is down
 * says nothing about the card). With only 'unavailable' answers, the latest of those.
 */
export function effectiveVerification(
	records: readonly VerificationRecord[],
	fp: string,
	check?: CertificateCheck
): EffectiveVerification | null {
	const mine = records.filter((r) => r.fingerprint === fp).sort(byCheckedAt);
	if (mine.length === 0) return null;
	let chosen: VerificationRecord | undefined;
	for (let i = mine.length - 1; i >= 0; i--) {
		if (conclusive(mine[i]!.outcome)) {
			chosen = mine[i];
			break;
		}
	}
	const latest = mine[mine.length - 1]!;
	chosen ??= latest;
	let lastCheckedAt = chosen.checkedAt;
	// The relay records an unchanged answer only in `checks`: it confirms the record it matches.
	if (
		check &&
		check.fingerprint === fp &&
		check.outcome === chosen.outcome &&
		check.checkedAt > lastCheckedAt
	) {
		lastCheckedAt = check.checkedAt;
	}
	let unreachableSince: string | undefined;
	if (conclusive(chosen.outcome)) {
		const after = mine.filter((r) => r.checkedAt > chosen.checkedAt);
		if (after.length > 0 && after.every((r) => r.outcome === 'unavailable'))
			unreachableSince = after[0]!.checkedAt;
		if (check && check.fingerprint === fp && check.outcome === 'unavailable')
			unreachableSince ??= check.checkedAt;
	}
	return {
		outcome: chosen.outcome,
		checkedAt: lastCheckedAt,
		source: chosen.source,
		registryExpiry: chosen.registryExpiry ?? null,
		registryReviewDate: chosen.registryReviewDate ?? null,
		record: chosen,
		lastCheckedAt,
		...(unreachableSince ? { unreachableSince } : {})
	};
}

/**
 * The certificate as the rules must judge it: its verification is the one the control documents
 * establish for its current fingerprint (or none), whatever the contractor's record says.
 */
export function verifiedCertificate<C extends Certificate>(
	cert: C,
	holder: Pick<Worker, 'name' | 'docNumber'>,
	index: VerificationIndex | null
): C {
	const effective =
		index && index.knows(cert.id)
			? index.effective(cert.id, certificateFingerprint(cert, holder))
			: null;
	if (!effective) return { ...cert, verification: null };
	const verification: Verification = {
		outcome: effective.outcome,
		checkedAt: effective.checkedAt,
		source: effective.source,
		registryExpiry: effective.registryExpiry,
		registryReviewDate: effective.registryReviewDate
	};
	return { ...cert, verification };
}

/** An index from Y.Docs of `site:<S>:control` (any number of sites). */
export function verificationIndexOf(
	controls: Iterable<{ getMap(name: string): { values(): Iterable<unknown> } }>
): VerificationIndex {
	const index = new VerificationIndex();
	for (const doc of controls) {
		index.addRecords(doc.getMap('verifications').values());
		index.addChecks(doc.getMap('checks').values());
	}
	return index;
}

/**
 * A worker's certificates as the gate must judge them (decideEntry): read from the contractor's
 * document, each with the verification the control documents establish. Works on whatever the
 * device holds, connected or not.
 */
export function workerCertificates(
	contractor: { getMap(name: string): { get(key: string): unknown; values(): Iterable<unknown> } },
	controls: Iterable<{ getMap(name: string): { values(): Iterable<unknown> } }>,
	workerId: string
): CertificateRecord[] {
	const worker = readRecord(WorkerRecord, contractor.getMap('workers').get(workerId));
	if (!worker.ok) return [];
	const index = verificationIndexOf(controls);
	const out: CertificateRecord[] = [];
	for (const raw of contractor.getMap('certificates').values()) {
		const read = readRecord(CertificateRecordType, raw);
		if (read.ok && read.record.workerId === workerId)
			out.push(verifiedCertificate(read.record, worker.record, index));
	}
	return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}
