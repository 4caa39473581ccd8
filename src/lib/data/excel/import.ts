// All-or-nothing import of validated rows into a contractor document: re-checks everything against
// the document as it is now, runs the ledger commands on a scratch copy, and only when every row
// succeeded applies the result to the real document in one transaction (one Yjs update).
import * as Y from 'yjs';
import {
	findCatalogueItem,
	localDate,
	parseIdentityDocument,
	isValidDate,
	type IsoDate
} from '../../domain';
import { putRecord, type Actor } from '../commands';
import { EmergencyContact, type CertificateRecord, type Worker } from '../contractor';
import { contractorDoc } from '../documents';
import { addCertificate, createWorker } from '../ledger-commands';
import { existingDocNumbers, type ParsedRow, type RowErrorCode } from './validate';

export interface ImportIssue {
	row: number;
	code: RowErrorCode | 'CERT_INVALID' | 'ROW_INVALID';
	docNumber?: string;
	firstRow?: number;
}

export type ImportErrorCode =
	/** A row no longer passes the checks validation made (tampered or built by hand). */
	| 'INVALID_ROWS'
	/** The document changed since validation: a number is now registered, or twice in the batch. */
	| 'STALE'
	/** A command refused a row (access, record check); nothing was written. */
	| 'WRITE_FAILED';

export class ImportError extends Error {
	constructor(
		readonly code: ImportErrorCode,
		readonly issues: ImportIssue[],
		/** WRITE_FAILED: the row and the command's error (its `code`, e.g. ACCESS_DENIED). */
		readonly failure?: { row: number; causeCode?: string; cause: unknown }
	) {
		super(
			failure
				? `import refused at row ${failure.row}: ${String((failure.cause as Error)?.message ?? failure.cause)}`
				: `import refused: ${code} (${issues.length} rows)`
		);
	}
}

export interface ImportOptions {
	/** createdAt of the new records. */
	now?: Date;
	/** Site-local today for the identity checks (default: from `now`). */
	today?: IsoDate;
	/** Transaction origin on the real document (e.g. for an UndoManager). */
	origin?: unknown;
}

export interface ImportResult {
	workers: Worker[];
	certificates: CertificateRecord[];
	emergencyContacts: number;
	/** Rows whose health data was not written (needs the worker's consent first). */
	healthSkipped: number;
}

/** Re-checks rows against the document as it is now; throws ImportError, writes nothing. */
function recheck(doc: Y.Doc, rows: readonly ParsedRow[], today: IsoDate): void {
	const invalid: ImportIssue[] = [];
	const stale: ImportIssue[] = [];
	const existing = existingDocNumbers(doc);
	const seen = new Map<string, number>();
	for (const r of rows) {
		const parsed = parseIdentityDocument(r.worker.docType, r.worker.docNumber, today);
		if (!parsed.ok || parsed.value.number !== r.worker.docNumber || !r.worker.name?.trim()) {
			invalid.push({ row: r.row, code: 'ROW_INVALID', docNumber: r.worker.docNumber });
			continue;
		}
		const number = parsed.value.number;
		if (existing.has(number))
			stale.push({ row: r.row, code: 'DUPLICATE_EXISTING', docNumber: number });
		else if (seen.has(number)) {
			stale.push({
				row: r.row,
				code: 'DUPLICATE_IN_SHEET',
				docNumber: number,
				firstRow: seen.get(number)!
			});
		} else seen.set(number, r.row);
		const c = r.certificate;
		if (c) {
			const item = findCatalogueItem(c.code);
			if (
				!item ||
				item.regime !== c.regime ||
				item.catalogueVersion !== c.catalogueVersion ||
				!isValidDate(c.issuedOn) ||
				!isValidDate(c.expiresOn) ||
				c.expiresOn < c.issuedOn ||
				!c.number.trim()
			) {
				invalid.push({ row: r.row, code: 'CERT_INVALID' });
			}
		}
	}
	if (invalid.length > 0) throw new ImportError('INVALID_ROWS', [...invalid, ...stale]);
	if (stale.length > 0) throw new ImportError('STALE', stale);
}

/**
 * Creates every row's worker (and certificate and emergency contact) in `contractor:<id>`, or
 * nothing. The commands run first on a scratch replica of `doc`; a command that throws (no access,
 * a record the schema refuses) leaves `doc` untouched. On success the scratch's new content is
 * applied to `doc` inside one `doc.transact(…, origin)`, so observers and the network see one
 * update. Yjs marks that transaction `local: false` (it applies an update); filter on `origin`.
 * Health data (blood type, allergies) is not written: that needs the worker's recorded consent.
 */
export function importRows(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	rows: readonly ParsedRow[],
	options: ImportOptions = {}
): ImportResult {
	const now = options.now ?? new Date();
	const today = options.today ?? localDate(now);
	recheck(doc, rows, today);
	if (rows.length === 0)
		return { workers: [], certificates: [], emergencyContacts: 0, healthSkipped: 0 };

	// Scratch replica: same content, its own client id; discarded if anything throws.
	const scratch = new Y.Doc({ gc: doc.gc });
	const before = Y.encodeStateVector(doc);
	Y.applyUpdate(scratch, Y.encodeStateAsUpdate(doc));
	const result: ImportResult = {
		workers: [],
		certificates: [],
		emergencyContacts: 0,
		healthSkipped: 0
	};
	let current = 0;
	try {
		scratch.transact(() => {
			for (const r of rows) {
				current = r.row;
				const worker = createWorker(scratch, contractorId, actor, r.worker, now);
				result.workers.push(worker);
				if (r.certificate) {
					result.certificates.push(
						addCertificate(
							scratch,
							contractorId,
							actor,
							{ ...r.certificate, workerId: worker.id },
							now
						)
					);
				}
				if (r.emergency) {
					putRecord(
						scratch,
						contractorDoc(contractorId),
						actor,
						'emergency',
						worker.id,
						EmergencyContact,
						{
							schema: 1,
							workerId: worker.id,
							...r.emergency,
							updatedAt: now.toISOString()
						}
					);
					result.emergencyContacts++;
				}
				if (r.health) result.healthSkipped++;
			}
		});
	} catch (cause) {
		scratch.destroy();
		const causeCode = (cause as { code?: unknown })?.code;
		throw new ImportError('WRITE_FAILED', [], {
			row: current,
			...(typeof causeCode === 'string' ? { causeCode } : {}),
			cause
		});
	}
	const update = Y.encodeStateAsUpdate(scratch, before);
	scratch.destroy();
	// Nested in our transaction, applyUpdate joins it: one transaction, one 'update' event.
	doc.transact(() => Y.applyUpdate(doc, update), options.origin ?? null);
	return result;
}
