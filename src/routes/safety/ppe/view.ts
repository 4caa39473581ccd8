// Words for the hard-hat learning page: model errors, verdicts, percentages.
import { t } from '$lib/i18n/locale.svelte';
import type { PpeModelError, PromotionVerdict } from '$lib/vision/ppe-learn';

export function modelErrorText(err: PpeModelError): string {
	switch (err.code) {
		case 'BLOB_MISSING':
			return t('ppeLearn.err.BLOB_MISSING');
		case 'OFFLINE':
			return t('ppeLearn.err.OFFLINE');
		default:
			return t('ppeLearn.err.CORRUPT');
	}
}

/** Why a candidate cannot be switched on, in the user's language; null when it can. */
export function verdictText(
	verdict: PromotionVerdict,
	heldOut: { hardhat: number; none: number }
): string | null {
	if (verdict.promote) return null;
	return t(`ppeLearn.why.${verdict.reason}`, { need: verdict.need ?? 0, ...heldOut });
}

export const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

/** The last characters of a ULID are what tells versions of one site apart at a glance. */
export const shortVersion = (version: string) => version.slice(-8);
