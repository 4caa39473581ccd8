// A certificate's standing on a given day: valid, expiring, review due or overdue, expired, revoked
// or unverified — with the effective dates and where they came from, so screens can explain it.

import {
	CERTIFICATE_CATALOGUE,
	defaultNextReview,
	expectedExpiry,
	regimeRules,
	windowStart,
	type CertificateCatalogue,
	type Regime
} from './catalogue';
import { addDays, diffDays, isValidDate, localDate, type IsoDate } from './dates';

/** What the certificate registry (national query service, provincial proxy or manual check) said. */
export type VerificationOutcome = 'genuine' | 'not_found' | 'mismatch' | 'revoked' | 'unavailable';

export interface Verification {
	outcome: VerificationOutcome;
	/** ISO instant of the check. */
	checkedAt: string;
	/** Which adapter answered, e.g. 'mem-national', 'manual:<userId>'. */
	source: string;
	/** Expiry as the registry shows it; authoritative over the typed date when genuine. */
	registryExpiry?: IsoDate | null;
	/** Next 复审 date as the registry shows it. */
	registryReviewDate?: IsoDate | null;
}

export interface Certificate {
	id: string;
	workerId: string;
	regime: Regime;
	/** Edition of the regime's catalogue the code belongs to ('order30', '2019', '2011', '2008'). */
	catalogueVersion: string;
	/** Stable catalogue item code, e.g. 'SO-ELEC-HV', 'SE-2019-Q2', 'CN-SCAFFOLD'. */
	code: string;
	/** Number printed on the card (证号). */
	number: string;
	issuedOn: IsoDate;
	expiresOn: IsoDate;
	/** Next 复审 date as recorded after the last review; absent or null = derive from issue date. */
	nextReviewOn?: IsoDate | null;
	/** 复审 interval the issuer set: 3 years, or 6 after 10+ clean years. */
	reviewIntervalYears?: 3 | 6 | null;
	issuer?: string | null;
	holderName?: string | null;
	/**
	 * Latest conclusive registry answer. The data layer should not let an 'unavailable' answer
	 * replace an earlier genuine one; here 'unavailable' simply counts as not verified.
	 */
	verification?: Verification | null;
	/** 撤销 / 吊销 date recorded by staff. */
	revokedOn?: IsoDate | null;
}

/** Statuses from best to worst; the order is how a best covering certificate is chosen. */
export const CERTIFICATE_STATUSES = [
	'valid',
	'expiring',
	'review_due',
	'unverified',
	'review_overdue',
	'expired',
	'revoked'
] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export const CERTIFICATE_FLAGS = [
	/** Registry expiry differs from the typed one (the registry's is used). */
	'REGISTRY_EXPIRY_DIFFERS',
	/** Registry review date differs from the typed one (the registry's is used). */
	'REGISTRY_REVIEW_DIFFERS',
	/** Registry found the number under another holder. */
	'HOLDER_MISMATCH',
	'NOT_FOUND_IN_REGISTRY',
	'REVOKED_IN_REGISTRY',
	'REGISTRY_UNAVAILABLE',
	/** Genuine answer older than the allowed age; counts as not verified. */
	'VERIFICATION_STALE',
	/** No usable typed expiry: issue date plus the regime's validity is used instead. */
	'EXPIRY_ESTIMATED',
	/** Neither expiry nor issue date is a date: the certificate cannot be judged. */
	'DATES_INVALID'
] as const;
export type CertificateFlag = (typeof CERTIFICATE_FLAGS)[number];

export interface CertificateStatusSettings {
	/** Days before expiry from which the status is 'expiring'. */
	warningDays: number;
	timeZone: string;
	/** Without a genuine registry answer the certificate is 'unverified'. */
	requireVerification: boolean;
	/** A genuine answer older than this many days no longer counts; null = never stale. */
	verificationMaxAgeDays: number | null;
	catalogue: CertificateCatalogue;
}

export const DEFAULT_CERTIFICATE_SETTINGS: CertificateStatusSettings = {
	warningDays: 30,
	timeZone: 'Asia/Shanghai',
	requireVerification: true,
	verificationMaxAgeDays: null,
	catalogue: CERTIFICATE_CATALOGUE
};

export interface CertificateStatusResult {
	status: CertificateStatus;
	/** Site-local date the status was judged for. */
	today: IsoDate;
	/** Effective expiry (registry over typed over estimated); null only with DATES_INVALID. */
	expiresOn: IsoDate | null;
	expirySource: 'registry' | 'record' | 'estimated' | null;
	/** Effective next 复审 date; null for regimes without periodic review. */
	reviewDueOn: IsoDate | null;
	reviewSource: 'registry' | 'record' | 'default' | null;
	/** First day the review may be applied for (60 days before for 特种作业). */
	reviewWindowFrom: IsoDate | null;
	/** First day renewal before expiry is applied for (regime's renewal window). */
	renewalFrom: IsoDate | null;
	/** First day of the 'expiring' warning. */
	warningFrom: IsoDate | null;
	/** 0 on the expiry day (still valid), negative once expired. */
	daysToExpiry: number | null;
	daysToReview: number | null;
	revokedOn: IsoDate | null;
	verification: VerificationOutcome | 'none';
	flags: CertificateFlag[];
}

/** Lower is better; used to pick the best of several certificates. */
export function statusRank(status: CertificateStatus): number {
	return CERTIFICATE_STATUSES.indexOf(status);
}

function safeLocalDate(value: string, timeZone: string): IsoDate | null {
	try {
		return localDate(value, timeZone);
	} catch {
		return null;
	}
}

/**
 * Judges one certificate at `at` (instant or site-local date). Precedence, worst first:
 * revoked > expired > review_overdue > unverified > review_due > expiring > valid.
 * A card with no usable dates at all is 'unverified' (DATES_INVALID): it can never pass as valid.
 */
export function certificateStatus(
	cert: Certificate,
	at: Date | string,
	settings: Partial<CertificateStatusSettings> = {}
): CertificateStatusResult {
	const s = { ...DEFAULT_CERTIFICATE_SETTINGS, ...settings };
	const rules = regimeRules(cert.regime, s.catalogue);
	const today = localDate(at, s.timeZone);
	const flags: CertificateFlag[] = [];

	const v = cert.verification ?? null;
	const outcome = v?.outcome ?? 'none';
	const genuine = outcome === 'genuine';

	// Expiry: a genuine registry answer beats what was typed from the card.
	let expiresOn: IsoDate | null = null;
	let expirySource: CertificateStatusResult['expirySource'] = null;
	const typedExpiry = isValidDate(cert.expiresOn) ? cert.expiresOn : null;
	if (genuine && isValidDate(v?.registryExpiry)) {
		expiresOn = v.registryExpiry;
		expirySource = 'registry';
		if (typedExpiry !== null && typedExpiry !== expiresOn) flags.push('REGISTRY_EXPIRY_DIFFERS');
	} else if (typedExpiry !== null) {
		expiresOn = typedExpiry;
		expirySource = 'record';
	} else if (isValidDate(cert.issuedOn)) {
		expiresOn = expectedExpiry(cert.regime, cert.issuedOn, s.catalogue);
		expirySource = 'estimated';
		flags.push('EXPIRY_ESTIMATED');
	} else {
		flags.push('DATES_INVALID');
	}

	// 复审 date, only for regimes with periodic review.
	let reviewDueOn: IsoDate | null = null;
	let reviewSource: CertificateStatusResult['reviewSource'] = null;
	if (rules.reviewIntervalYears !== null) {
		const typedReview = isValidDate(cert.nextReviewOn) ? cert.nextReviewOn : null;
		if (genuine && isValidDate(v?.registryReviewDate)) {
			reviewDueOn = v.registryReviewDate;
			reviewSource = 'registry';
			if (typedReview !== null && typedReview !== reviewDueOn)
				flags.push('REGISTRY_REVIEW_DIFFERS');
		} else if (typedReview !== null) {
			reviewDueOn = typedReview;
			reviewSource = 'record';
		} else if (expiresOn !== null) {
			reviewDueOn = defaultNextReview(
				{
					regime: cert.regime,
					issuedOn: cert.issuedOn,
					expiresOn,
					reviewIntervalYears: cert.reviewIntervalYears ?? null
				},
				s.catalogue
			);
			reviewSource = reviewDueOn === null ? null : 'default';
		}
	}

	// Verification: negative answers are evidence against the card whatever the site requires;
	// a missing, unavailable or stale answer only matters where verification is required.
	let verified = genuine;
	if (genuine && s.verificationMaxAgeDays !== null && v) {
		const checkedOn = safeLocalDate(v.checkedAt, s.timeZone);
		if (checkedOn === null || diffDays(checkedOn, today) > s.verificationMaxAgeDays) {
			verified = false;
			flags.push('VERIFICATION_STALE');
		}
	}
	if (outcome === 'not_found') flags.push('NOT_FOUND_IN_REGISTRY');
	if (outcome === 'mismatch') flags.push('HOLDER_MISMATCH');
	if (outcome === 'revoked') flags.push('REVOKED_IN_REGISTRY');
	if (outcome === 'unavailable') flags.push('REGISTRY_UNAVAILABLE');
	const refuted = outcome === 'not_found' || outcome === 'mismatch';
	const unverified = refuted || (s.requireVerification && !verified);

	const revokedOn = isValidDate(cert.revokedOn) ? cert.revokedOn : null;
	const revoked = outcome === 'revoked' || (revokedOn !== null && revokedOn <= today);

	const warningFrom = expiresOn === null ? null : addDays(expiresOn, -s.warningDays);
	const reviewWindowFrom =
		reviewDueOn === null || rules.reviewWindow === null
			? null
			: windowStart(reviewDueOn, rules.reviewWindow);
	const renewalFrom = expiresOn === null ? null : windowStart(expiresOn, rules.renewalWindow);
	const daysToExpiry = expiresOn === null ? null : diffDays(today, expiresOn);
	const daysToReview = reviewDueOn === null ? null : diffDays(today, reviewDueOn);

	let status: CertificateStatus;
	if (revoked) status = 'revoked';
	else if (expiresOn === null) status = 'unverified';
	else if (today > expiresOn) status = 'expired';
	else if (reviewDueOn !== null && today > reviewDueOn) status = 'review_overdue';
	else if (unverified) status = 'unverified';
	else if (reviewWindowFrom !== null && today >= reviewWindowFrom) status = 'review_due';
	else if (warningFrom !== null && today >= warningFrom) status = 'expiring';
	else status = 'valid';

	return {
		status,
		today,
		expiresOn,
		expirySource,
		reviewDueOn,
		reviewSource,
		reviewWindowFrom,
		renewalFrom,
		warningFrom,
		daysToExpiry,
		daysToReview,
		revokedOn,
		verification: outcome,
		flags
	};
}
