// Commands on a contractor's document: register and edit workers, add certificates. Identity
// numbers are checked by the domain's rules before anything is written.
import type * as Y from 'yjs';
import { parseIdentityDocument, type IdentityDocumentType } from '../domain';
import { putRecord, type Actor } from './commands';
import { CertificateRecord, Worker } from './contractor';
import { contractorDoc } from './documents';
import { DuplicateError, newId } from './org-commands';
import { readRecord } from './records';

export class FieldError extends Error {
	readonly code = 'INVALID_FIELD';
	constructor(
		readonly field: string,
		readonly reason: string,
		message: string
	) {
		super(message);
	}
}

export interface NewWorker {
	name: string;
	docType: IdentityDocumentType;
	docNumber: string;
	phone?: string;
	trade?: string;
	photo?: string;
}

function identity(docType: IdentityDocumentType, docNumber: string) {
	const parsed = parseIdentityDocument(docType, docNumber);
	if (!parsed.ok) throw new FieldError('docNumber', parsed.error.code, parsed.error.message);
	return {
		docType,
		docNumber: parsed.value.number,
		...(parsed.value.sex ? { sex: parsed.value.sex } : {}),
		...(parsed.value.birthDate ? { birthDate: parsed.value.birthDate } : {})
	};
}

export function findWorkerByDocument(doc: Y.Doc, docNumber: string): Worker | undefined {
	for (const raw of doc.getMap('workers').values()) {
		const read = readRecord(Worker, raw);
		if (read.ok && read.record.docNumber === docNumber) return read.record;
	}
	return undefined;
}

export function createWorker(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	input: NewWorker,
	now = new Date()
): Worker {
	const who = identity(input.docType, input.docNumber);
	if (findWorkerByDocument(doc, who.docNumber)) throw new DuplicateError('worker', who.docNumber);
	const id = newId('W');
	const at = now.toISOString();
	return putRecord(doc, contractorDoc(contractorId), actor, 'workers', id, Worker, {
		schema: 2,
		id,
		contractorId,
		name: input.name.trim(),
		...who,
		...(input.phone ? { phone: input.phone.trim() } : {}),
		...(input.trade ? { trade: input.trade.trim() } : {}),
		...(input.photo ? { photo: input.photo } : {}),
		createdAt: at,
		updatedAt: at
	});
}

export function updateWorker(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	workerId: string,
	patch: Partial<NewWorker>,
	now = new Date()
): Worker {
	const current = readRecord(Worker, doc.getMap('workers').get(workerId));
	if (!current.ok) throw new Error(`unknown worker ${workerId}`);
	const docType = patch.docType ?? current.record.docType;
	const docNumber = patch.docNumber ?? current.record.docNumber;
	const who =
		patch.docType || patch.docNumber ? identity(docType, docNumber) : { docType, docNumber };
	const other = findWorkerByDocument(doc, who.docNumber);
	if (other && other.id !== workerId) throw new DuplicateError('worker', who.docNumber);
	const next: Worker = {
		...current.record,
		...who,
		...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
		...(patch.phone !== undefined ? { phone: patch.phone.trim() } : {}),
		...(patch.trade !== undefined ? { trade: patch.trade.trim() } : {}),
		...(patch.photo !== undefined ? { photo: patch.photo } : {}),
		schema: 2,
		updatedAt: now.toISOString()
	};
	return putRecord(doc, contractorDoc(contractorId), actor, 'workers', workerId, Worker, next);
}

export type NewCertificate = Omit<CertificateRecord, 'schema' | 'id' | 'createdAt' | 'updatedAt'>;

export function addCertificate(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	input: NewCertificate,
	now = new Date()
): CertificateRecord {
	if (!doc.getMap('workers').has(input.workerId)) {
		throw new FieldError('workerId', 'UNKNOWN_WORKER', `unknown worker ${input.workerId}`);
	}
	if (input.expiresOn < input.issuedOn) {
		throw new FieldError('expiresOn', 'BEFORE_ISSUE', 'expiry is before the issue date');
	}
	const id = newId('K');
	const at = now.toISOString();
	return putRecord(doc, contractorDoc(contractorId), actor, 'certificates', id, CertificateRecord, {
		...input,
		number: input.number.trim().toUpperCase(),
		schema: 1,
		id,
		createdAt: at,
		updatedAt: at
	});
}
