// Face templates (issue 7): `contractor:<C>.faces[workerId]`, the embeddings the gate matches
// against, never a photo unless the worker separately consented to keeping one. A template exists
// only while the worker's face consent stands: the relay refuses it otherwise (consentRefusal),
// and withdrawing the consent erases it from every replica (consent-commands).
import type * as Y from 'yjs';
import * as v from 'valibot';
import { AccessError, putRecord, type Actor } from './commands';
import { ConsentRecord } from './contractor';
import { currentConsent } from './consent-commands';
import { contractorDoc } from './documents';
import { newId } from './org-commands';
import { defineRecord, id, isoTime, readRecord, text } from './records';

/** The embedding model templates are made with; a template of another model is not comparable. */
export const FACE_MODEL = 'human-faceres-3.3.6';

/** What the worker is shown before face data is collected (单独同意); the record keeps this text. */
export const FACE_CONSENT_TEXT =
	'本人同意：为进出本工地时核验身份，采集本人人脸特征值（不保存照片），仅保存在本单位的 SitePass 系统和本人所在工地的门禁设备上，不用于其他目的。本人可随时撤回同意，撤回后人脸信息将从系统及各设备中删除，改用证件号加 PIN 或二维码进场。';
export const FACE_CONSENT_VERSION = 'face-1';
/** A second, optional consent: keeping one enrolment photo for a person to compare by eye. */
export const FACE_PHOTO_CONSENT_TEXT =
	'本人另行同意：保存一张登记时的人脸照片，供工地安全人员人工核对身份时查看。';
export const FACE_PHOTO_CONSENT_VERSION = 'face-photo-1';

export const FaceTemplate = defineRecord({
	name: 'FaceTemplate',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		workerId: id,
		model: text(40),
		/** Encoded embeddings (matcher.encodeTemplate), one per accepted enrolment frame. */
		templates: v.pipe(
			v.array(v.pipe(v.string(), v.minLength(16), v.maxLength(4000))),
			v.minLength(1),
			v.maxLength(5)
		),
		/** How good the kept frames were (for the audit view and for re-enrolment prompts). */
		quality: v.object({
			frames: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(5)),
			/** Lowest pairwise similarity between kept frames. */
			consistency: v.pipe(v.number(), v.minValue(-1), v.maxValue(1))
		}),
		consentId: id,
		/** One enrolment photo (blob hash), only with the separate photo consent. */
		photo: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/))),
		enrolledAt: isoTime,
		enrolledBy: text(64)
	})
});
export type FaceTemplate = v.InferOutput<typeof FaceTemplate.validate>;

export interface FaceEnrolment {
	templates: string[];
	consistency: number;
	/** Blob hash of a photo; kept only when `photoConsent` is given. */
	photo?: string;
	/** The worker agreed just now, on this screen: record the consent in the same transaction. */
	consent?: { textShown: string; textVersion: string };
	photoConsent?: { textShown: string; textVersion: string };
}

/**
 * Stores a worker's face template. Needs the worker's face consent: either already standing or
 * given now (recorded with the text shown, in the same transaction, as the relay requires).
 */
export function enrolFace(
	doc: Y.Doc,
	contractorId: string,
	workerId: string,
	actor: Actor,
	input: FaceEnrolment,
	at = new Date()
): FaceTemplate {
	const name = contractorDoc(contractorId);
	const now = at.toISOString();
	const standing = currentConsent(doc, workerId, 'face');
	if (!input.consent && !standing?.granted) {
		throw new AccessError({
			code: 'NO_CONSENT',
			message: `no standing face consent for worker ${workerId}`,
			map: 'faces',
			key: workerId
		});
	}
	if (
		input.photo &&
		!input.photoConsent &&
		!currentConsent(doc, workerId, 'face_transfer')?.granted
	)
		throw new AccessError({
			code: 'NO_CONSENT',
			message: 'a face photo is kept only with its own consent',
			map: 'faces',
			key: workerId
		});
	let result!: FaceTemplate;
	doc.transact(() => {
		let consentId = standing?.granted ? standing.id : '';
		const record = (
			purpose: ConsentRecord['purpose'],
			text: { textShown: string; textVersion: string }
		) => {
			const cid = newId('N');
			putRecord(doc, name, actor, 'consents', cid, ConsentRecord, {
				schema: 1,
				id: cid,
				workerId,
				purpose,
				granted: true,
				textShown: text.textShown,
				textVersion: text.textVersion,
				at: now,
				recordedBy: actor.claims.sub
			});
			return cid;
		};
		if (input.consent) consentId = record('face', input.consent);
		if (input.photoConsent) record('face_transfer', input.photoConsent);
		result = putRecord(doc, name, actor, 'faces', workerId, FaceTemplate, {
			schema: 1,
			workerId,
			model: FACE_MODEL,
			templates: input.templates,
			quality: { frames: input.templates.length, consistency: input.consistency },
			consentId,
			...(input.photo ? { photo: input.photo } : {}),
			enrolledAt: now,
			enrolledBy: actor.claims.sub
		});
	});
	return result;
}

/** The templates in one contractor document that this gate can use (current model only). */
export function faceTemplates(doc: { getMap(name: string): { values(): Iterable<unknown> } }) {
	const out: FaceTemplate[] = [];
	for (const raw of doc.getMap('faces').values()) {
		const read = readRecord(FaceTemplate, raw);
		if (read.ok && read.record.model === FACE_MODEL) out.push(read.record);
	}
	return out;
}
