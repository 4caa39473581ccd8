// A worker's status timeline: what happened (registered, certified, verified, consent given or
// withdrawn, applied to enter) and what is coming (review, expiry), as dated data for the UI.
import { certificateStatus, localDate } from '../domain';
import type { CertificateRecord, ConsentRecord, EntryApplication, Worker } from './contractor';

export type TimelineEvent =
	| { kind: 'registered'; date: string }
	| { kind: 'cert_issued'; date: string; certificateId: string; code: string }
	| {
			kind: 'cert_verified';
			date: string;
			certificateId: string;
			code: string;
			outcome: string;
			source: string;
	  }
	| { kind: 'cert_review'; date: string; certificateId: string; code: string }
	| { kind: 'cert_expiry'; date: string; certificateId: string; code: string }
	| { kind: 'consent'; date: string; purpose: string; granted: boolean }
	| { kind: 'application'; date: string; siteId: string; status: string };

export interface TimelineEntry {
	event: TimelineEvent;
	/** Still ahead of `at` (a deadline), or already past. */
	upcoming: boolean;
}

export function workerTimeline(
	worker: Worker,
	certificates: readonly CertificateRecord[],
	consents: readonly ConsentRecord[],
	applications: readonly EntryApplication[],
	at: Date,
	timeZone = 'Asia/Shanghai'
): TimelineEntry[] {
	const day = (iso: string) => localDate(iso, timeZone);
	const events: TimelineEvent[] = [{ kind: 'registered', date: day(worker.createdAt) }];
	for (const c of certificates.filter((c) => c.workerId === worker.id)) {
		const status = certificateStatus(c, at, { timeZone });
		const ref = { certificateId: c.id, code: c.code };
		events.push({ kind: 'cert_issued', date: c.issuedOn, ...ref });
		if (c.verification) {
			events.push({
				kind: 'cert_verified',
				date: day(c.verification.checkedAt),
				outcome: c.verification.outcome,
				source: c.verification.source,
				...ref
			});
		}
		if (status.reviewDueOn && status.reviewDueOn !== status.expiresOn) {
			events.push({ kind: 'cert_review', date: status.reviewDueOn, ...ref });
		}
		// A certificate without usable dates has no expiry to show (its status says unverified).
		if (status.expiresOn) events.push({ kind: 'cert_expiry', date: status.expiresOn, ...ref });
	}
	for (const c of consents.filter((c) => c.workerId === worker.id)) {
		events.push({ kind: 'consent', date: day(c.at), purpose: c.purpose, granted: c.granted });
	}
	for (const a of applications.filter((a) => a.workers.some((w) => w.workerId === worker.id))) {
		if (a.submittedAt) {
			events.push({
				kind: 'application',
				date: day(a.submittedAt),
				siteId: a.siteId,
				status: a.status
			});
		}
	}
	const today = localDate(at, timeZone);
	return events
		.map((event) => ({ event, upcoming: event.date > today }))
		.sort((a, b) => (a.event.date < b.event.date ? 1 : a.event.date > b.event.date ? -1 : 0));
}
