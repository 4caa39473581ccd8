// What the gate knows about one worker at one site, assembled from the documents a gate device
// holds (offline as well as online) into the domain's EntryInput for decideEntry: certificates
// with the registry's answers, training, medical, the blacklist, and the approval as the signed
// decisions establish it. The gate screen (issue 7) and the integration API call this one place.
import type { EntryInput, IdentityCheck, PpeReading, SiteKind } from '../domain';
import { localDate } from '../domain';
import { approvalForGate, chainOf, workerApproval, type Forgery } from './approvals';
import { BlacklistEntry } from './blacklist';
import { EntryApplication, MedicalRecord, TrainingRecord, Worker } from './contractor';
import { readRecord } from './records';
import { keyBindings } from './signing';
import { workerCertificates } from './verification';

interface MapLike {
	get(key: string): unknown;
	values(): Iterable<unknown>;
	entries(): Iterable<[string, unknown]>;
}
interface DocLike {
	getMap(name: string): MapLike;
}

export interface GateDocs {
	org: DocLike;
	contractor: DocLike;
	/** The site's control document (registry answers, decisions, the chain). */
	control: DocLike;
	blacklist: DocLike | null;
}

export interface GateQuery {
	site: { id: string; kind: SiteKind; timeZone?: string };
	workerId: string;
	at: Date;
	direction: 'in' | 'out';
	identity: IdentityCheck;
	ppe: PpeReading | null;
	onSite?: boolean;
	/** The work to be done; default: what the worker's approved application names. */
	workType?: string | null;
}

/** decideEntry's input for one worker, or null when this device does not know the worker. */
export function entryInputFor(
	docs: GateDocs,
	q: GateQuery,
	cache?: Map<string, true | Forgery>
): EntryInput | null {
	const worker = readRecord(Worker, docs.contractor.getMap('workers').get(q.workerId));
	if (!worker.ok) return null;
	const today = localDate(q.at, q.site.timeZone ?? 'Asia/Shanghai');
	const keys = keyBindings(docs.org.getMap('keys'));
	const chain = chainOf(docs.control.getMap('settings'));
	const decisions = new Map(docs.control.getMap('decisions').entries());

	const applications: EntryApplication[] = [];
	for (const raw of docs.contractor.getMap('applications').values()) {
		const read = readRecord(EntryApplication, raw);
		if (read.ok) applications.push(read.record);
	}
	const approval = approvalForGate(
		q.site.id,
		q.workerId,
		applications,
		(app) => workerApproval(app, q.workerId, chain, decisions, keys, cache),
		today
	);
	// The work type the approval was given for (the application valid today, if any).
	const current = applications.find(
		(a) =>
			a.siteId === q.site.id &&
			a.validFrom <= today &&
			today <= a.validUntil &&
			a.workers.some((w) => w.workerId === q.workerId)
	);
	const workType =
		q.workType !== undefined
			? q.workType
			: (current?.workers.find((w) => w.workerId === q.workerId)?.workType ?? null);

	const training = [];
	for (const raw of docs.contractor.getMap('training').values()) {
		const read = readRecord(TrainingRecord, raw);
		if (read.ok && read.record.workerId === q.workerId) training.push(read.record);
	}
	const medical = [];
	for (const raw of docs.contractor.getMap('medical').values()) {
		const read = readRecord(MedicalRecord, raw);
		if (read.ok && read.record.workerId === q.workerId) medical.push(read.record);
	}
	const blacklist = [];
	for (const raw of docs.blacklist?.getMap('entries').values() ?? []) {
		const read = readRecord(BlacklistEntry, raw);
		if (read.ok && read.record.docNumber === worker.record.docNumber) blacklist.push(read.record);
	}
	return {
		at: q.at,
		direction: q.direction,
		site: { id: q.site.id, kind: q.site.kind },
		worker: { id: worker.record.id, name: worker.record.name },
		certificates: workerCertificates(docs.contractor, [docs.control], q.workerId),
		training,
		medical,
		blacklist,
		approval,
		workType,
		identity: q.identity,
		ppe: q.ppe,
		...(q.onSite !== undefined ? { onSite: q.onSite } : {})
	};
}
