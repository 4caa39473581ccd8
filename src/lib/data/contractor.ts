// The `contractor:<C>` document: C's workers and everything about them, each kind of fact in its
// own map so two people editing different facts never overwrite each other (DESIGN.md).
import * as v from 'valibot';
import {
	IDENTITY_DOCUMENT_TYPES,
	parseIdentityDocument,
	REGIMES,
	type Certificate as DomainCertificate
} from '../domain';
import { defineRecord, id, isoDate, isoTime, text } from './records';

const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'not a sha-256 hash'));

/** workers[workerId]: identity and contact (no health data: that is `health`, behind consent). */
export const Worker = defineRecord({
	name: 'Worker',
	version: 2,
	validate: v.object({
		schema: v.literal(2),
		id,
		contractorId: id,
		name: v.pipe(v.string(), v.minLength(1), v.maxLength(50)),
		docType: v.picklist(IDENTITY_DOCUMENT_TYPES),
		docNumber: v.pipe(v.string(), v.minLength(2), v.maxLength(40)),
		sex: v.optional(v.picklist(['M', 'F'])),
		birthDate: v.optional(isoDate),
		phone: v.optional(text(30)),
		/** 工种 as the contractor calls it (free text; work types are assigned per site). */
		trade: v.optional(text(50)),
		photo: v.optional(sha256),
		createdAt: isoTime,
		updatedAt: isoTime
	}),
	migrations: {
		// v1 was the first import layout: resident ID numbers only, in `idNumber`. v2 allows other
		// documents (港澳台 residence permits, passports) and keeps sex/birth date derived.
		1: (old) => {
			const docNumber = String(old.idNumber ?? '');
			const parsed = parseIdentityDocument('resident_id', docNumber);
			const rest = { ...old };
			delete rest.idNumber;
			return {
				...rest,
				docType: 'resident_id',
				docNumber: parsed.ok ? parsed.value.number : docNumber,
				...(parsed.ok && parsed.value.sex && parsed.value.birthDate
					? { sex: parsed.value.sex, birthDate: parsed.value.birthDate }
					: {}),
				updatedAt: old.updatedAt ?? old.createdAt
			};
		}
	}
});
export type Worker = v.InferOutput<typeof Worker.validate>;

const verification = v.object({
	outcome: v.picklist(['genuine', 'not_found', 'mismatch', 'revoked', 'unavailable']),
	checkedAt: isoTime,
	source: text(200),
	registryExpiry: v.optional(isoDate),
	registryReviewDate: v.optional(isoDate),
	evidence: v.optional(text(500))
});

/** certificates[certificateId]: the domain's Certificate plus scans (blob hashes). */
export const CertificateRecord = defineRecord({
	name: 'Certificate',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		workerId: id,
		regime: v.picklist(REGIMES),
		catalogueVersion: text(20),
		code: text(40),
		number: v.pipe(v.string(), v.minLength(1), v.maxLength(40)),
		issuedOn: isoDate,
		expiresOn: isoDate,
		nextReviewOn: v.optional(v.nullable(isoDate)),
		reviewIntervalYears: v.optional(v.nullable(v.picklist([3, 6]))),
		issuer: v.optional(v.nullable(text(100))),
		holderName: v.optional(v.nullable(text(50))),
		verification: v.optional(v.nullable(verification)),
		revokedOn: v.optional(v.nullable(isoDate)),
		scans: v.optional(v.array(sha256)),
		/** Verification link read from the card's QR code (new cards carry one). */
		verifyUrl: v.optional(v.pipe(v.string(), v.maxLength(500), v.url())),
		createdAt: isoTime,
		updatedAt: isoTime
	})
});
export type CertificateRecord = v.InferOutput<typeof CertificateRecord.validate>;
// The stored record must stay usable wherever the domain expects a Certificate.
const _isDomainCertificate: DomainCertificate = {} as CertificateRecord;
void _isDomainCertificate;

export const TrainingRecord = defineRecord({
	name: 'TrainingRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		workerId: id,
		kind: v.picklist(['site_induction', 'safety', 'work_type']),
		siteId: v.optional(v.nullable(id)),
		workType: v.optional(v.nullable(text(40))),
		date: isoDate,
		hours: v.pipe(v.number(), v.minValue(0), v.maxValue(1000)),
		validUntil: v.optional(v.nullable(isoDate)),
		trainer: v.optional(text(50)),
		createdAt: isoTime
	})
});
export type TrainingRecord = v.InferOutput<typeof TrainingRecord.validate>;

export const MedicalRecord = defineRecord({
	name: 'MedicalRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		workerId: id,
		examDate: isoDate,
		result: v.picklist(['fit', 'unfit', 'restricted']),
		validUntil: isoDate,
		scan: v.optional(sha256),
		createdAt: isoTime
	})
});
export type MedicalRecord = v.InferOutput<typeof MedicalRecord.validate>;

/** health[workerId]: sensitive; written only with the worker's recorded consent. */
export const HealthRecord = defineRecord({
	name: 'HealthRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		workerId: id,
		bloodType: v.optional(v.picklist(['A', 'B', 'AB', 'O', 'unknown'])),
		rh: v.optional(v.picklist(['+', '-', 'unknown'])),
		allergies: v.optional(text(500)),
		updatedAt: isoTime
	})
});
export type HealthRecord = v.InferOutput<typeof HealthRecord.validate>;

export const EmergencyContact = defineRecord({
	name: 'EmergencyContact',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		workerId: id,
		name: v.pipe(v.string(), v.minLength(1), v.maxLength(50)),
		relation: v.optional(text(20)),
		phone: v.pipe(v.string(), v.minLength(3), v.maxLength(30)),
		updatedAt: isoTime
	})
});
export type EmergencyContact = v.InferOutput<typeof EmergencyContact.validate>;

/** consents[id]: 单独同意 with the exact text shown and when; withdrawals are new records. */
export const ConsentRecord = defineRecord({
	name: 'ConsentRecord',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		workerId: id,
		purpose: v.picklist(['face', 'health', 'location', 'face_transfer']),
		granted: v.boolean(),
		textShown: v.pipe(v.string(), v.minLength(1), v.maxLength(4000)),
		textVersion: text(40),
		at: isoTime,
		recordedBy: text(64)
	})
});
export type ConsentRecord = v.InferOutput<typeof ConsentRecord.validate>;

/** applications[id]: a contractor's request that workers may work at a site (entry application). */
export const EntryApplication = defineRecord({
	name: 'EntryApplication',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		contractorId: id,
		siteId: id,
		workers: v.array(v.object({ workerId: id, workType: text(40) })),
		validFrom: isoDate,
		validUntil: isoDate,
		note: v.optional(text(1000)),
		status: v.picklist(['draft', 'submitted', 'withdrawn']),
		submittedAt: v.optional(isoTime),
		submittedBy: v.optional(text(64)),
		createdAt: isoTime,
		updatedAt: isoTime
	})
});
export type EntryApplication = v.InferOutput<typeof EntryApplication.validate>;
