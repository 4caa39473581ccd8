// Commands on a contractor's document: register and edit workers, add certificates. Identity
// numbers are checked by the domain's rules before anything is written.
import * as Y from 'yjs';
import { parseIdentityDocument, type IdentityDocumentType } from '../domain';
import { putRecord, type Actor } from './commands';
import {
	CertificateRecord,
	ConsentRecord,
	EmergencyContact,
	EntryApplication,
	HealthRecord,
	MedicalRecord,
	TrainingRecord,
	Worker
} from './contractor';
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
		// Validate only candidates: validating all 20,000 workers per create made imports quadratic.
		const r = raw as { docNumber?: unknown; idNumber?: unknown };
		if (
			r.docNumber !== docNumber &&
			String(r.idNumber ?? '')
				.trim()
				.toUpperCase() !== docNumber
		) {
			continue;
		}
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

export interface RegistrationExtras {
	emergency?: { name: string; phone: string; relation?: string };
	/** Health data only with the worker's separate consent, recorded with the text shown. */
	health?: {
		consentText: string;
		consentVersion: string;
		bloodType?: HealthRecord['bloodType'];
		allergies?: string;
	};
	application?: { siteId: string; workType: string; validFrom: string; validUntil: string };
}

/**
 * The phone registration's submit: the worker, the certificate, emergency contact, consent and
 * health, and the entry application, in one transaction — all of it or nothing.
 */
export function registerWorker(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	input: NewWorker,
	certificate: Omit<NewCertificate, 'workerId'> | null,
	extras: RegistrationExtras,
	now = new Date()
): Worker {
	const name = contractorDoc(contractorId);
	const at = now.toISOString();
	let created: Worker | undefined;
	// Validate everything first so that a failure part-way cannot leave half a registration.
	const who = identity(input.docType, input.docNumber);
	if (findWorkerByDocument(doc, who.docNumber)) throw new DuplicateError('worker', who.docNumber);
	if (certificate && certificate.expiresOn < certificate.issuedOn) {
		throw new FieldError('expiresOn', 'BEFORE_ISSUE', 'expiry is before the issue date');
	}
	// Yjs cannot roll a transaction back, so the whole registration first runs on an empty
	// scratch document: any invalid record throws there, before the real document is touched.
	const write = (target: Y.Doc) => {
		const worker = createWorker(target, contractorId, actor, input, now);
		created = worker;
		if (certificate)
			addCertificate(target, contractorId, actor, { ...certificate, workerId: worker.id }, now);
		if (extras.emergency) {
			putRecord(target, name, actor, 'emergency', worker.id, EmergencyContact, {
				schema: 1,
				workerId: worker.id,
				name: extras.emergency.name.trim(),
				phone: extras.emergency.phone.trim(),
				...(extras.emergency.relation ? { relation: extras.emergency.relation.trim() } : {}),
				updatedAt: at
			});
		}
		if (extras.health) {
			const consentId = newId('N');
			putRecord(target, name, actor, 'consents', consentId, ConsentRecord, {
				schema: 1,
				id: consentId,
				workerId: worker.id,
				purpose: 'health',
				granted: true,
				textShown: extras.health.consentText,
				textVersion: extras.health.consentVersion,
				at,
				recordedBy: actor.claims.sub
			});
			putRecord(target, name, actor, 'health', worker.id, HealthRecord, {
				schema: 1,
				workerId: worker.id,
				...(extras.health.bloodType ? { bloodType: extras.health.bloodType } : {}),
				...(extras.health.allergies ? { allergies: extras.health.allergies.trim() } : {}),
				updatedAt: at
			});
		}
		if (extras.application) {
			const appId = newId('A');
			putRecord(target, name, actor, 'applications', appId, EntryApplication, {
				schema: 1,
				id: appId,
				contractorId,
				siteId: extras.application.siteId,
				workers: [{ workerId: worker.id, workType: extras.application.workType }],
				validFrom: extras.application.validFrom,
				validUntil: extras.application.validUntil,
				status: 'submitted',
				submittedAt: at,
				submittedBy: actor.claims.sub,
				createdAt: at,
				updatedAt: at
			});
		}
	};
	write(new Y.Doc());
	doc.transact(() => write(doc));
	return created!;
}

export type NewTraining = Omit<TrainingRecord, 'schema' | 'id' | 'createdAt'>;

/** 入场安全教育 and other training: hours, date, trainer; validity checked by the domain at the gate. */
export function addTraining(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	input: NewTraining,
	now = new Date()
): TrainingRecord {
	if (!doc.getMap('workers').has(input.workerId)) {
		throw new FieldError('workerId', 'UNKNOWN_WORKER', `unknown worker ${input.workerId}`);
	}
	if (input.validUntil && input.validUntil < input.date) {
		throw new FieldError('validUntil', 'BEFORE_DATE', 'valid-until is before the training date');
	}
	const id = newId('T');
	return putRecord(doc, contractorDoc(contractorId), actor, 'training', id, TrainingRecord, {
		...input,
		schema: 1,
		id,
		createdAt: now.toISOString()
	});
}

export type NewMedical = Omit<MedicalRecord, 'schema' | 'id' | 'createdAt'>;

/** An occupational medical exam (kept as a work-safety requirement, not consent-bound). */
export function addMedical(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	input: NewMedical,
	now = new Date()
): MedicalRecord {
	if (!doc.getMap('workers').has(input.workerId)) {
		throw new FieldError('workerId', 'UNKNOWN_WORKER', `unknown worker ${input.workerId}`);
	}
	if (input.validUntil < input.examDate) {
		throw new FieldError('validUntil', 'BEFORE_DATE', 'valid-until is before the exam date');
	}
	const id = newId('M');
	return putRecord(doc, contractorDoc(contractorId), actor, 'medical', id, MedicalRecord, {
		...input,
		schema: 1,
		id,
		createdAt: now.toISOString()
	});
}
