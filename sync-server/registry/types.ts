// The certificate registry adapter (issue 5): how the relay asks an issuing registry whether a
// certificate is genuine. The national special-operation query service publishes no API, so the
// relay speaks one small JSON protocol (docs in sync-server/registry/README.md) to whatever the
// organisation puts behind it: its own proxy to the national service, a provincial service, or
// the simulator (`sitepass registry-sim`). A manual check by staff is recorded by the devices
// themselves (src/lib/data/verification.ts), not through this interface.
import type { Regime } from '../../src/lib/domain/catalogue';
import type { VerificationOutcome } from '../../src/lib/domain/certificate-status';
import type { IsoDate } from '../../src/lib/domain/dates';

export interface VerifyRequest {
	regime: Regime;
	/** Catalogue item code, e.g. 'SO-ELEC-HV', 'SE-2019-Q2' (the registry's 类别/项目). */
	category: string;
	/** Certificate number as printed on the card (证号). */
	number: string;
	holderName: string;
	/** Holder's identity document number, when the registry wants it. */
	holderId?: string;
	/** Verification link from the card's QR code, when it carried one. */
	verifyUrl?: string;
}

/** What backs a result: enough to trace it back to the registry's answer, never the raw body. */
export interface VerifyEvidence {
	/** The registry's own reference for the answer (query id), when it gives one. */
	reference?: string;
	/** sha-256 (hex) of the registry's raw response body. */
	responseSha256?: string;
	/** Why the answer is 'unavailable' (timeout, HTTP 503, circuit open, malformed answer…). */
	error?: string;
	/** HTTP attempts made for this result (retries included). */
	attempts: number;
}

export interface VerifyResult {
	outcome: VerificationOutcome;
	registryExpiry?: IsoDate;
	registryReviewDate?: IsoDate;
	/** ISO instant the answer was obtained. */
	checkedAt: string;
	/** Which registry answered, e.g. 'http:provincial-proxy'. */
	source: string;
	evidence: VerifyEvidence;
}

export interface CertificateRegistry {
	/** Stable name of this registry, recorded as each result's `source`. */
	readonly source: string;
	/**
	 * Never throws and never hangs past its own timeouts: every failure (network, timeout, HTTP
	 * error, malformed answer, open circuit, aborted) is an 'unavailable' result with the reason in
	 * `evidence.error`. 'unavailable' must never be read as a negative answer.
	 */
	verify(request: VerifyRequest, options?: { signal?: AbortSignal }): Promise<VerifyResult>;
}
