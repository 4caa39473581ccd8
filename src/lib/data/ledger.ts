// The personnel ledger's read model: one row per worker across the contractor documents a device
// holds, with each certificate's status from the domain, and precomputed search keys so that
// filtering 20,000 workers on every keystroke stays far below a frame budget.
import * as Y from 'yjs';
import {
	certificateStatus,
	statusRank,
	type CertificateStatus,
	type CertificateStatusResult
} from '../domain';
import { BlacklistEntry } from './blacklist';
import { CertificateRecord, Worker } from './contractor';
import { readRecord } from './records';
import { verificationIndexOf, verifiedCertificate, type VerificationIndex } from './verification';

export interface LedgerCertificate {
	record: CertificateRecord;
	status: CertificateStatusResult;
}

export interface LedgerRow {
	/** `contractorId/workerId`, unique across contractors. */
	key: string;
	contractorId: string;
	contractorName: string;
	worker: Worker;
	certificates: LedgerCertificate[];
	/** The worst certificate status, or 'none' without certificates. */
	worst: CertificateStatus | 'none';
	blacklisted: boolean;
	/** The same identity number is registered elsewhere (another contractor or twice here). */
	duplicate: boolean;
	/** Lower-case text that queries are matched against. */
	search: string;
}

export interface LedgerSource {
	contractorId: string;
	contractorName: string;
	workers: Iterable<unknown>;
	certificates: Iterable<unknown>;
}

/** Builds rows from plain record values (as stored in the documents). */
export function buildLedger(
	sources: LedgerSource[],
	barred: Iterable<unknown>,
	at: Date | string,
	verifications: VerificationIndex | null = null
): LedgerRow[] {
	const barredNumbers = barredNumbersOf(barred);
	const rows: LedgerRow[] = [];
	const seen = new Map<string, number>();
	for (const source of sources) {
		const certsByWorker = new Map<string, CertificateRecord[]>();
		for (const raw of source.certificates) {
			const read = readRecord(CertificateRecord, raw);
			if (!read.ok) continue;
			const list = certsByWorker.get(read.record.workerId) ?? [];
			list.push(read.record);
			certsByWorker.set(read.record.workerId, list);
		}
		for (const raw of source.workers) {
			const read = readRecord(Worker, raw);
			if (!read.ok) continue;
			const worker = read.record;
			const certificates = (certsByWorker.get(worker.id) ?? []).map((c) =>
				judgedCertificate(c, worker, verifications, at)
			);
			seen.set(worker.docNumber, (seen.get(worker.docNumber) ?? 0) + 1);
			rows.push(ledgerRow(source, worker, certificates, barredNumbers.has(worker.docNumber)));
		}
	}
	for (const row of rows) row.duplicate = (seen.get(row.worker.docNumber) ?? 0) > 1;
	return rows;
}

/**
 * A certificate as the ledger shows it: judged with the verification the site control documents
 * establish (verification.ts), never with what the contractor's own record claims.
 */
export function judgedCertificate(
	record: CertificateRecord,
	holder: Worker,
	verifications: VerificationIndex | null,
	at: Date | string
): LedgerCertificate {
	const verified = verifiedCertificate(record, holder, verifications);
	return { record: verified, status: certificateStatus(verified, at) };
}

/** One worker's row (whether it is a duplicate is decided across all rows, by the caller). */
export function ledgerRow(
	source: { contractorId: string; contractorName: string },
	worker: Worker,
	certificates: LedgerCertificate[],
	blacklisted: boolean
): LedgerRow {
	// Certificates in a fixed order, however they were collected.
	certificates = [...certificates].sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
	const worst = certificates.reduce<CertificateStatus | 'none'>(
		(w, c) => (w === 'none' || statusRank(c.status.status) > statusRank(w) ? c.status.status : w),
		'none'
	);
	return {
		key: `${source.contractorId}/${worker.id}`,
		contractorId: source.contractorId,
		contractorName: source.contractorName,
		worker,
		certificates,
		worst,
		blacklisted,
		duplicate: false,
		search: [
			worker.name,
			worker.docNumber,
			worker.phone ?? '',
			worker.trade ?? '',
			source.contractorName,
			...certificates.map((c) => c.record.number)
		]
			.join('\u0000')
			.toLowerCase()
	};
}

export function barredNumbersOf(entries: Iterable<unknown>): Set<string> {
	const barred = new Set<string>();
	for (const raw of entries) {
		const entry = readRecord(BlacklistEntry, raw);
		if (entry.ok) barred.add(entry.record.docNumber);
	}
	return barred;
}

export interface LedgerFilter {
	query?: string;
	contractorId?: string | null;
	trade?: string | null;
	status?: CertificateStatus | 'none' | 'attention' | null;
	blacklisted?: boolean | null;
}

/** Statuses a safety officer must act on. */
const ATTENTION: ReadonlySet<string> = new Set([
	'expiring',
	'review_due',
	'review_overdue',
	'expired',
	'revoked',
	'unverified'
]);

/**
 * Rows matching every word of the query (name, identity number or its last digits, phone,
 * certificate number, trade, contractor) and every filter, in the input order.
 */
export function filterLedger(rows: readonly LedgerRow[], filter: LedgerFilter): LedgerRow[] {
	const words = (filter.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
	const out: LedgerRow[] = [];
	for (const row of rows) {
		if (filter.contractorId && row.contractorId !== filter.contractorId) continue;
		if (filter.trade && row.worker.trade !== filter.trade) continue;
		if (filter.status) {
			if (filter.status === 'attention' ? !ATTENTION.has(row.worst) : row.worst !== filter.status) {
				continue;
			}
		}
		if (filter.blacklisted != null && row.blacklisted !== filter.blacklisted) continue;
		let ok = true;
		for (const w of words) {
			if (!row.search.includes(w)) {
				ok = false;
				break;
			}
		}
		if (ok) out.push(row);
	}
	return out;
}

export type LedgerSort = 'name' | 'contractor' | 'status' | 'deadline';

const collator = new Intl.Collator('zh-CN');

/** Sorted copy; done when the sort changes, not on every keystroke. */
export function sortLedger(rows: readonly LedgerRow[], by: LedgerSort): LedgerRow[] {
	const copy = [...rows];
	const deadline = (r: LedgerRow) =>
		r.certificates.reduce<string>((d, c) => {
			const next = [c.status.expiresOn, c.status.reviewDueOn].filter(Boolean).sort()[0] ?? '9999';
			return next < d ? next : d;
		}, '9999');
	switch (by) {
		case 'name':
			return copy.sort((a, b) => collator.compare(a.worker.name, b.worker.name));
		case 'contractor':
			return copy.sort(
				(a, b) =>
					collator.compare(a.contractorName, b.contractorName) ||
					collator.compare(a.worker.name, b.worker.name)
			);
		case 'status':
			return copy.sort(
				(a, b) =>
					(b.worst === 'none' ? -1 : statusRank(b.worst)) -
					(a.worst === 'none' ? -1 : statusRank(a.worst))
			);
		case 'deadline': {
			const keys = new Map(copy.map((r) => [r, deadline(r)]));
			return copy.sort((a, b) => keys.get(a)!.localeCompare(keys.get(b)!));
		}
	}
}

/** Rows straight from Y.Docs (for the UI and the relay alike). */
export function ledgerFromDocs(
	contractors: { contractorId: string; contractorName: string; doc: Y.Doc }[],
	blacklist: Y.Doc | null,
	at: Date | string,
	controls: Y.Doc[] = []
): LedgerRow[] {
	return buildLedger(
		contractors.map(({ contractorId, contractorName, doc }) => ({
			contractorId,
			contractorName,
			workers: doc.getMap('workers').values(),
			certificates: doc.getMap('certificates').values()
		})),
		blacklist ? blacklist.getMap('entries').values() : [],
		at,
		verificationIndexOf(controls)
	);
}
