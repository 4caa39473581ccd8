// Error messages of the map screens: refusals, invalid records, blobs that would not store.
import { AccessError } from '$lib/data/commands';
import { RecordError } from '$lib/data/records';
import { BlobError } from '$lib/sync/blobs';
import { t } from '$lib/i18n/locale.svelte';

export function saveFailure(err: unknown): string {
	if (err instanceof AccessError) return t('review.refused', { code: err.refusal.code });
	if (err instanceof RecordError) return t('map.err.invalid');
	if (err instanceof BlobError) return t('map.err.blob', { code: err.code });
	return t('err.save', { reason: (err as Error).message });
}
