// What the gate knows about one worker at one site, assembled from the documents a gate device
// holds (offline as well as online) into the domain's EntryInput for decideEntry: certificates
// with the registry's answers, training, medical, the blacklist, and the approval as the signed
// decisions establish it. The gate screen (issue 7) and the integration API call this one place.
import * as v from 'valibot';
import type {
	EntryDecision,
	EntryInput,
	IdentityCheck,
	PpeReading,
	SiteKind,
	SiteRules
} from '../domain';
import { decideEntry, decideUnidentified, localDate } from '../domain';
import { approvalForGate, chainOf, workerApproval, type Forgery } from './approvals';
import { BlacklistEntry } from './blacklist';
import { EntryApplication, MedicalRecord, TrainingRecord, Worker } from './contractor';
import type { NewAttendance } from './event-commands';
import { defineRecord, isoTime, readRecord, text } from './records';
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

/** control.settings['gate']: the site's entry rules the gate applies (staff set them). */
export const GateSettings = defineRecord({
	name: 'GateSettings',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		requireInduction: v.optional(v.boolean()),
		requireMedical: v.optional(v.boolean()),
		requirePpe: v.optional(v.boolean()),
		requireLivenessForFace: v.optional(v.boolean()),
		antiPassback: v.optional(v.boolean()),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type GateSettings = v.InferOutput<typeof GateSettings.validate>;

/**
 * Whether this gate can check hard hats. Not yet (the PPE issue adds the check): until then a
 * site's "hard hat required" setting cannot be met by anyone at a kiosk, so the gate does not apply
 * it and its health panel says so, rather than refusing every worker with PPE_UNCONFIRMED.
 */
export const GATE_CHECKS_PPE = false;

/** The rules this gate applies at `site`: the site's settings over the domain's strict defaults. */
export function gateRules(control: DocLike, timeZone: string): Partial<SiteRules> {
	const read = readRecord(GateSettings, control.getMap('settings').get('gate'));
	const s = read.ok ? read.record : null;
	const rules: Partial<SiteRules> = { timeZone };
	for (const key of [
		'requireInduction',
		'requireMedical',
		'requireLivenessForFace',
		'antiPassback'
	] as const) {
		if (s?.[key] !== undefined) rules[key] = s[key];
	}
	rules.requirePpe = GATE_CHECKS_PPE && (s?.requirePpe ?? true);
	return rules;
}

/** Who the gate believes is in front of it, and how sure it is. */
export interface GateIdentity {
	method: IdentityCheck['method'];
	/** The worker, when identification found one (even if not confirmed, e.g. a wrong PIN). */
	worker: { contractorId: string; workerId: string } | null;
	confirmed: boolean;
	liveness?: IdentityCheck['liveness'];
	/** Face similarity of the match (0..1). */
	score?: number | null;
}

export interface GateContext {
	orgId: string;
	org: DocLike;
	control: DocLike;
	blacklist: DocLike | null;
	contractor(contractorId: string): DocLike | null;
	site: { id: string; kind: SiteKind; timeZone: string };
	deviceId: string;
	/** Anti-passback: whether the worker's last admitted passage here was an entry. */
	onSite(workerId: string): boolean;
}

export interface GateOutcome {
	decision: EntryDecision;
	worker: Worker | null;
	/** The attendance record to journal and append before anything is shown or said. */
	event: NewAttendance;
}

/**
 * The gate's one decision: the identity it established, the documents it holds, decideEntry. Pure
 * (no clock, no storage): the kiosk journals `event` before it shows `decision`.
 */
export function gateDecision(
	ctx: GateContext,
	identity: GateIdentity,
	direction: 'in' | 'out',
	at: Date,
	extra: { position?: NewAttendance['position']; snapshot?: string | null } = {}
): GateOutcome {
	const rules = gateRules(ctx.control, ctx.site.timeZone);
	const contractor = identity.worker ? ctx.contractor(identity.worker.contractorId) : null;
	const workerRead =
		identity.worker && contractor
			? readRecord(Worker, contractor.getMap('workers').get(identity.worker.workerId))
			: null;
	const worker = workerRead?.ok ? workerRead.record : null;
	const check: IdentityCheck = {
		method: identity.method,
		confirmed: identity.confirmed && worker !== null,
		...(identity.liveness ? { liveness: identity.liveness } : {}),
		...(identity.score != null ? { score: identity.score } : {})
	};
	let decision: EntryDecision;
	const input =
		worker && contractor
			? entryInputFor(
					{ org: ctx.org, contractor, control: ctx.control, blacklist: ctx.blacklist },
					{
						site: ctx.site,
						workerId: worker.id,
						at,
						direction,
						identity: check,
						ppe: null,
						onSite: ctx.onSite(worker.id)
					}
				)
			: null;
	if (input && check.confirmed) {
		decision = decideEntry({ ...input, site: { ...input.site, rules } });
	} else {
		decision = decideUnidentified(at, direction, identity.method, rules, identity.liveness);
	}
	return {
		decision,
		worker,
		event: {
			siteId: ctx.site.id,
			workerId: check.confirmed ? worker!.id : null,
			contractorId: check.confirmed ? worker!.contractorId : null,
			direction,
			at: at.toISOString(),
			deviceId: ctx.deviceId,
			method: identity.method,
			matchScore: identity.score ?? null,
			liveness: identity.liveness ?? null,
			allow: decision.allow,
			reasons: decision.reasons as unknown as NewAttendance['reasons'],
			position: extra.position ?? null,
			snapshot: extra.snapshot ?? null
		}
	};
}
