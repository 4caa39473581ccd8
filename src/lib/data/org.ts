// The `org` document: sites, contractors, users, devices, public keys, revoked tokens and rule
// settings. Only the admin (and the relay itself, at enrolment) writes it; everyone enrolled reads it.
import * as v from 'valibot';
import type * as Y from 'yjs';
import { ROLES, STAFF_ROLES, type OrgView } from './access';
import { defineRecord, id, isoTime, readRecord, text } from './records';

export const SITE_KINDS = ['construction', 'industrial', 'chemical', 'other'] as const;

/** meta['org']: who this org is and the key its relay signs tokens with. */
export const OrgMeta = defineRecord({
	name: 'OrgMeta',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		name: text(100),
		createdAt: isoTime,
		/** The relay's Ed25519 public key (SPKI, base64url), for checking tokens offline. */
		relayKey: v.string()
	})
});
export type OrgMeta = v.InferOutput<typeof OrgMeta.validate>;

export const Site = defineRecord({
	name: 'Site',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		name: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
		kind: v.picklist(SITE_KINDS),
		timeZone: v.string(),
		address: v.optional(text(200)),
		createdAt: isoTime
	})
});
export type Site = v.InferOutput<typeof Site.validate>;

export const Contractor = defineRecord({
	name: 'Contractor',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		name: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
		/** 统一社会信用代码, when known. */
		creditCode: v.optional(v.pipe(v.string(), v.regex(/^[0-9A-HJ-NPQRTUWXY]{18}$/))),
		contactName: v.optional(text(50)),
		contactPhone: v.optional(text(30)),
		/** Sites where this contractor works: decides who reads its document. */
		sites: v.array(id),
		createdAt: isoTime
	})
});
export type Contractor = v.InferOutput<typeof Contractor.validate>;

/** A person or machine that holds tokens: users, gate tablets, integrations. */
export const Principal = defineRecord({
	name: 'Principal',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		name: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
		role: v.picklist(ROLES),
		staffRole: v.optional(v.picklist(STAFF_ROLES)),
		sites: v.array(id),
		contractor: v.optional(id),
		// No phone numbers here: every enrolled device reads `org`, workers and contractors too.
		createdAt: isoTime,
		disabled: v.optional(v.boolean())
	})
});
export type Principal = v.InferOutput<typeof Principal.validate>;

/** A token handed out at enrolment; listed so an admin can see and revoke it. */
export const Device = defineRecord({
	name: 'Device',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		/** The token id (jti). */
		id: v.string(),
		principal: id,
		name: text(100),
		enrolledAt: isoTime,
		expiresAt: v.optional(isoTime)
	})
});
export type Device = v.InferOutput<typeof Device.validate>;

export const Revoked = defineRecord({
	name: 'Revoked',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		jti: v.string(),
		at: isoTime,
		by: v.string(),
		reason: v.optional(text(200))
	})
});
export type Revoked = v.InferOutput<typeof Revoked.validate>;

/** The access rules' view of an org document (contractor → sites). */
export function orgViewOf(doc: Y.Doc): OrgView {
	const contractors = doc.getMap('contractors');
	const users = doc.getMap('users');
	return {
		contractorSites(contractorId) {
			const read = readRecord(Contractor, contractors.get(contractorId));
			return read.ok ? read.record.sites : undefined;
		},
		principal(id) {
			return users.get(id);
		}
	};
}

export function isRevoked(doc: Y.Doc, jti: string): boolean {
	return doc.getMap('revoked').has(jti);
}
