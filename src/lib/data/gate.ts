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
import type * as Y from 'yjs';
import { putRecord, type Actor } from './commands';
import type { PpeRecord } from './events';
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
 * The rules this gate applies at `site`: the site's settings over the domain's strict defaults.
 *
 * The hard-hat check is the one rule that is off unless the site turns it on (`requirePpe`): it
 * needs a camera at the gate and a site that has checked the detector on its own people (see the
 * PPE evaluation in bench/README.md); a QR or PIN passage at such a gate is checked by the camera
 * too, and without a reading nobody passes (PPE_UNCONFIRMED).
 */
export function gateRules(control: DocLike, timeZone: string): Partial<SiteRules> {
	const s = gateSettings(control);
	const rules: Partial<SiteRules> = { timeZone };
	for (const key of [
		'requireInduction',
		'requireMedical',
		'requireLivenessForFace',
		'antiPassback'
	] as const) {
		if (s?.[key] !== undefined) rules[key] = s[key];
	}
	rules.requirePpe = s?.requirePpe ?? false;
	return rules;
}

/** The site's gate settings as staff last saved them, or null (the domain's defaults apply). */
export function gateSettings(control: DocLike): GateSettings | null {
	const read = readRecord(GateSettings, control.getMap('settings').get('gate'));
	return read.ok ? read.record : null;
}

/** The switches staff may set for a site's gates (the rest of SiteRules is the domain's). */
export type GateSwitches = Partial<
	Pick<
		GateSettings,
		'requireInduction' | 'requireMedical' | 'requirePpe' | 'requireLivenessForFace' | 'antiPassback'
	>
>;

/** Staff change the site's gate rules (safety staff and directors; the relay checks the writer). */
export function setGateSettings(
	control: Y.Doc,
	controlName: string,
	actor: Actor,
	switches: GateSwitches,
	at = new Date()
): GateSettings {
	const current = gateSettings(control);
	return putRecord(control, controlName, actor, 'settings', 'gate', GateSettings, {
		...(current ?? {}),
		...switches,
		schema: 1,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

/** Whether the gate must see a hard hat before it lets anyone in (gateRules, one place). */
export function gateRequiresPpe(control: DocLike, timeZone = 'Asia/Shanghai'): boolean {
	return gateRules(control, timeZone).requirePpe === true;
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
	extra: {
		position?: NewAttendance['position'];
		snapshot?: string | null;
		/** The hard-hat reading the camera made of this person (null: none was made). */
		ppe?: PpeRecord | null;
	} = {}
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
						ppe: extra.ppe ? { worn: extra.ppe.worn, confidence: extra.ppe.confidence } : null,
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
			snapshot: extra.snapshot ?? null,
			...(rules.requirePpe || extra.ppe ? { ppe: extra.ppe ?? null } : {})
		}
	};
}
