// Certificate warnings (issue 5): what the relay tells contractor admins and safety staff, and the
// once-a-day digest staff get instead of one alert per certificate. Warnings live in
// `site:<S>:control` under a key that names the certificate, the kind and the date it is about, so
// producing the same warning twice writes nothing (each warning exists once, on every device).
// Acknowledgements are per person (`acks`), so one person reading a warning does not hide it
// from another.
import * as v from 'valibot';
import {
	certificateStatus,
	localDate,
	type Certificate,
	type CertificateStatusResult,
	type IsoDate
} from '../domain';
import { defineRecord, id, isoDate, isoTime, readRecord, text } from './records';

export const WARNING_KINDS = [
	/** Expiry within the site's warning period. */
	'expiring',
	/** 复审 date within the warning period. */
	'review_due',
	'expired',
	'review_overdue',
	'revoked',
	/** The registry does not know the number. */
	'not_found',
	/** The registry has the number under another holder. */
	'mismatch'
] as const;
export type WarningKind = (typeof WARNING_KINDS)[number];

/** Kinds that cannot wait for tomorrow's digest: a card the registry refutes or has revoked. */
export const URGENT_WARNINGS: readonly WarningKind[] = ['revoked', 'not_found', 'mismatch'];

export const CertificateWarning = defineRecord({
	name: 'CertificateWarning',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		/** `<certificateId>:<kind>:<date or fingerprint>`: the same warning is never made twice. */
		id: text(160),
		siteId: id,
		contractorId: id,
		workerId: id,
		certificateId: id,
		code: text(40),
		kind: v.picklist(WARNING_KINDS),
		/** The date the warning is about (expiry, review date), when there is one. */
		dueOn: v.optional(isoDate),
		daysLeft: v.optional(v.number()),
		createdAt: isoTime,
		/** Site-local day it was produced: which digest lists it. */
		day: isoDate
	})
});
export type CertificateWarning = v.InferOutput<typeof CertificateWarning.validate>;

/** digests[YYYY-MM-DD]: the day's summary for staff (one notification instead of hundreds). */
export const WarningDigest = defineRecord({
	name: 'WarningDigest',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: isoDate,
		siteId: id,
		createdAt: isoTime,
		/** Warnings produced since the previous digest. */
		newWarnings: v.array(text(160)),
		/** New warnings per kind. */
		counts: v.record(v.string(), v.number()),
		/** New warnings per contractor. */
		byContractor: v.record(v.string(), v.number()),
		/** Certificates in a warning state today (open, whether new or not). */
		open: v.number()
	})
});
export type WarningDigest = v.InferOutput<typeof WarningDigest.validate>;

/** acks[`<itemId>|<userId>`]: one person has read one warning or digest. */
export const Acknowledgement = defineRecord({
	name: 'Acknowledgement',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		item: text(160),
		by: id,
		at: isoTime
	})
});
export type Acknowledgement = v.InferOutput<typeof Acknowledgement.validate>;

export const ackKey = (item: string, userId: string) => `${item}|${userId}`;

/** settings['certificates']: the site's certificate rules (staff edit them). */
export const CertificateSettings = defineRecord({
	name: 'CertificateSettings',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		/** Days before expiry or review from which people are warned (default 30). */
		warningDays: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365)),
		updatedAt: isoTime,
		updatedBy: id
	})
});
export type CertificateSettings = v.InferOutput<typeof CertificateSettings.validate>;

export const DEFAULT_WARNING_DAYS = 30;

export function warningDaysOf(controlSettings: { get(key: string): unknown }): number {
	const read = readRecord(CertificateSettings, controlSettings.get('certificates'));
	return read.ok ? read.record.warningDays : DEFAULT_WARNING_DAYS;
}

export interface WarningSpec {
	id: string;
	kind: WarningKind;
	dueOn?: IsoDate;
	daysLeft?: number;
}

/**
 * The warnings a certificate calls for today, from its status (domain rules, judged with the
 * site's `warningDays`). At most one per kind; keys carry the date they are about, so a renewed certificate gets fresh warnings while
 * an unchanged one never gets the same warning twice.
 */
export function certificateWarnings(
	cert: Certificate,
	status: CertificateStatusResult,
	fingerprint: string,
	warningDays: number
): WarningSpec[] {
	const out: WarningSpec[] = [];
	const key = (kind: WarningKind, about: string) => `${cert.id}:${kind}:${about}`;
	const v = status.verification;
	if (v === 'not_found' || v === 'mismatch') {
		out.push({ id: key(v, fingerprint.slice(0, 12)), kind: v });
	}
	switch (status.status) {
		case 'revoked':
			out.push({
				id: key('revoked', status.revokedOn ?? fingerprint.slice(0, 12)),
				kind: 'revoked',
				...(status.revokedOn ? { dueOn: status.revokedOn } : {})
			});
			break;
		case 'expired':
			out.push({
				id: key('expired', status.expiresOn!),
				kind: 'expired',
				dueOn: status.expiresOn!
			});
			break;
		case 'review_overdue':
			out.push({
				id: key('review_overdue', status.reviewDueOn!),
				kind: 'review_overdue',
				dueOn: status.reviewDueOn!
			});
			break;
	}
	if (status.status === 'revoked' || status.status === 'expired') return out;
	// Expiry and review within the warning period (whatever else is wrong with the card).
	if (
		status.expiresOn !== null &&
		status.warningFrom !== null &&
		status.today >= status.warningFrom &&
		status.today <= status.expiresOn
	) {
		out.push({
			id: key('expiring', status.expiresOn),
			kind: 'expiring',
			dueOn: status.expiresOn,
			daysLeft: status.daysToExpiry ?? undefined
		});
	}
	if (
		status.status !== 'review_overdue' &&
		status.reviewDueOn !== null &&
		// A review date that falls on the expiry is covered by the expiry warning.
		status.reviewDueOn !== status.expiresOn &&
		status.daysToReview !== null &&
		status.daysToReview >= 0 &&
		status.daysToReview <= warningDays
	) {
		out.push({
			id: key('review_due', status.reviewDueOn),
			kind: 'review_due',
			dueOn: status.reviewDueOn,
			daysLeft: status.daysToReview
		});
	}
	return out;
}

/** Status for warnings: the site's warning period, judged on the site's day. */
export function warningStatus(
	cert: Certificate,
	at: Date,
	warningDays: number,
	timeZone: string
): CertificateStatusResult {
	return certificateStatus(cert, at, { warningDays, timeZone });
}

export function siteDay(at: Date, timeZone: string): IsoDate {
	return localDate(at, timeZone);
}
