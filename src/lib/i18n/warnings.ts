// Certificate warnings as sentences, in the reader's language.
import type { CertificateWarning } from '$lib/data/warnings';
import { locale, t } from './locale.svelte';
import { certificateName } from './reasons';

export function describeWarning(w: CertificateWarning, workerName: string): string {
	return t(`notif.warning.${w.kind}`, {
		worker: workerName,
		cert: certificateName(w.code, locale.current),
		date: w.dueOn ?? '',
		days: w.daysLeft ?? ''
	});
}
