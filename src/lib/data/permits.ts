// Work permits in a site's control document (issue 9): the records (permits, staff actions on them,
// site zones, the equipment registry, the site's permit calendar), the approval chain per permit
// kind and grade (the approvals' signed decisions, one subject per permit), every permit's status
// at an instant, clashes, and the signed QR a phone checks at the work face.
//
// The rules themselves are the domain's (src/lib/domain/permits.ts); this file reads documents.
import * as v from 'valibot';
import type * as Y from 'yjs';
import {
	areaProblem,
	checkPermit,
	clashes,
	MAP_ZONE_KINDS,
	extensionProblem,
	gradeOf,
	localDate,
	PERMIT_CATALOGUE,
	permitKind,
	permitStatus,
	blocks,
	type Certificate,
	type Clash,
	type PermitCalendar,
	type PermitCheckContext,
	type PermitOnRecord,
	type PermitProblem,
	type PermitTimeline,
	type SiteKind
} from '../domain';
import {
	ApprovalChain,
	DecisionIndex,
	subjectApproval,
	type Forgery,
	type WorkerApproval
} from './approvals';
import { putRecord, type Actor } from './commands';
import { controlDoc } from './documents';
import { newUlid } from './event-commands';
import { newId } from './org-commands';
import { defineRecord, id, isoDate, isoTime, readRecord, text } from './records';
import {
	canonical,
	fromB64url,
	keyBindings,
	toB64url,
	verifySignature,
	type KeyBinding,
	type Signer
} from './signing';

// ---------------------------------------------------------------------------------------------
// Records

const name = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(64));

/** control.zones[id]: a named area of the site (work areas, restricted areas, danger areas). */
export const SiteZone = defineRecord({
	name: 'SiteZone',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		siteId: id,
		name,
		/**
		 * work / restricted / danger (permits, issue 9); hardhat / muster / gate are map-only zones
		 * (issue 10). Danger and restricted zones with an `area` are guarded by workers' phones.
		 */
		kind: v.picklist(MAP_ZONE_KINDS),
		/**
		 * A door into it opens only for someone on an active permit of one of `permitKinds`. For a
		 * guarded zone on the map: false = nobody may enter, true = only on a matching permit.
		 */
		requiresPermit: v.boolean(),
		/** Where it is on the ground (issue 10): a WGS-84 polygon, [lat, lng] per vertex. */
		area: v.optional(
			v.pipe(
				v.array(v.tuple([v.number(), v.number()])),
				v.check((a) => areaProblem(a) === null, 'not a usable polygon')
			)
		),
		/** Empty: any kind of permit for the zone. */
		permitKinds: v.pipe(v.array(text(40)), v.maxLength(8)),
		/** Zones next to this one: incompatible work there clashes too. */
		neighbours: v.pipe(v.array(id), v.maxLength(32)),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type SiteZone = v.InferOutput<typeof SiteZone.validate>;

/** control.equipment[id]: a machine with an interlock (crane, forklift, hoist, welding set…). */
export const Equipment = defineRecord({
	name: 'Equipment',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		siteId: id,
		name,
		/** Free text: tower crane, crawler crane, forklift… */
		kind: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(40)),
		/** The work operating it is (work-scope matrix code): its required certificate. */
		workType: text(40),
		zone: v.nullable(id),
		/** Operating it also needs an active permit of one of these kinds in its zone. */
		permitKinds: v.pipe(v.array(text(40)), v.maxLength(8)),
		outOfService: v.boolean(),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type Equipment = v.InferOutput<typeof Equipment.validate>;

const PermitPersonRecord = v.object({
	workerId: id,
	contractorId: id,
	name: v.pipe(v.string(), v.maxLength(64)),
	role: text(40)
});

export const Permit = defineRecord({
	name: 'Permit',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		siteId: id,
		/** Human number printed on the permit, e.g. DH-20261129-0001. */
		number: text(40),
		kind: text(40),
		grade: text(40),
		zone: id,
		work: v.pipe(v.string(), v.maxLength(500)),
		validFrom: isoTime,
		validUntil: isoTime,
		people: v.pipe(v.array(PermitPersonRecord), v.maxLength(50)),
		hazards: v.pipe(v.array(text(100)), v.maxLength(30)),
		measures: v.pipe(v.array(text(200)), v.maxLength(40)),
		gasTests: v.pipe(
			v.array(
				v.object({
					at: isoTime,
					o2Pct: v.pipe(v.number(), v.minValue(0), v.maxValue(100)),
					lelPct: v.pipe(v.number(), v.minValue(0), v.maxValue(100)),
					toxic: v.optional(text(200)),
					by: text(64)
				})
			),
			v.maxLength(50)
		),
		isolations: v.pipe(
			v.array(
				v.object({
					point: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
					method: text(100),
					confirmedBy: v.optional(v.nullable(text(64))),
					confirmedAt: v.optional(v.nullable(isoTime))
				})
			),
			v.maxLength(30)
		),
		heightMetres: v.optional(v.nullable(v.pipe(v.number(), v.minValue(0), v.maxValue(1000)))),
		/**
		 * The grade fixed at submission (raised for night or a holiday as the site's calendar said
		 * then): later calendar edits do not move a permit to another chain or validity.
		 */
		effectiveGrade: v.optional(text(40)),
		lifecycle: v.picklist(['draft', 'submitted', 'cancelled']),
		/** Each submission is a new approval round (decisions about an earlier one stop counting). */
		submittedAt: v.optional(isoTime),
		submittedBy: v.optional(text(64)),
		template: v.optional(text(40)),
		createdAt: isoTime,
		createdBy: text(64),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type Permit = v.InferOutput<typeof Permit.validate>;

/** control.permitActions[ULID]: suspend, resume, extend or close, in the actor's own name. */
export const PermitAction = defineRecord({
	name: 'PermitAction',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: v.pipe(v.string(), v.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)),
		permitId: id,
		action: v.picklist(['suspend', 'resume', 'extend', 'close']),
		/** The new end (extend). */
		until: v.optional(isoTime),
		reason: text(500),
		at: isoTime,
		by: text(64)
	})
});
export type PermitAction = v.InferOutput<typeof PermitAction.validate>;

/**
 * control.permitReadings[ULID]: a gas test or an isolation confirmed after the permit was
 * submitted — facts about the work face, recorded by whoever measured or locked out, in their own
 * name, not part of what the approvers signed (a retest before the final signature, or before
 * work resumes, needs no new round).
 */
export const PermitReading = defineRecord({
	name: 'PermitReading',
	version: 1,
	validate: v.variant('kind', [
		v.object({
			schema: v.literal(1),
			id: v.pipe(v.string(), v.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)),
			permitId: id,
			kind: v.literal('gas'),
			o2Pct: v.pipe(v.number(), v.minValue(0), v.maxValue(100)),
			lelPct: v.pipe(v.number(), v.minValue(0), v.maxValue(100)),
			toxic: v.optional(text(200)),
			at: isoTime,
			by: text(64)
		}),
		v.object({
			schema: v.literal(1),
			id: v.pipe(v.string(), v.regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)),
			permitId: id,
			kind: v.literal('isolation'),
			point: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
			at: isoTime,
			by: text(64)
		})
	])
});
export type PermitReading = v.InferOutput<typeof PermitReading.validate>;

/** control.settings['permits']: what counts as a holiday at this site (grade raising). */
export const PermitSettings = defineRecord({
	name: 'PermitSettings',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		holidays: v.pipe(v.array(isoDate), v.maxLength(400)),
		weekendsAreHolidays: v.boolean(),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type PermitSettings = v.InferOutput<typeof PermitSettings.validate>;

interface MapLike {
	get(key: string): unknown;
	values(): Iterable<unknown>;
	entries(): Iterable<[string, unknown]>;
}
export interface DocLike {
	getMap(name: string): MapLike;
}

function readAll<T>(map: MapLike, type: Parameters<typeof readRecord<T>>[0]): T[] {
	const out: T[] = [];
	for (const raw of map.values()) {
		const read = readRecord(type, raw);
		if (read.ok) out.push(read.record);
	}
	return out;
}

export const siteZones = (control: DocLike) =>
	readAll(control.getMap('zones'), SiteZone).sort((a, b) => a.name.localeCompare(b.name, 'zh'));
export const siteEquipment = (control: DocLike) =>
	readAll(control.getMap('equipment'), Equipment).sort((a, b) =>
		a.name.localeCompare(b.name, 'zh')
	);

export function permitCalendar(control: DocLike, timeZone: string): PermitCalendar {
	const read = readRecord(PermitSettings, control.getMap('settings').get('permits'));
	return read.ok
		? {
				timeZone,
				holidays: read.record.holidays,
				weekendsAreHolidays: read.record.weekendsAreHolidays
			}
		: { timeZone };
}

/** Whether two zones are the same or neighbours (either side naming the other). */
export function zonesNear(zones: readonly SiteZone[]): (a: string, b: string) => boolean {
	const byId = new Map(zones.map((z) => [z.id, z]));
	return (a, b) =>
		a === b || !!byId.get(a)?.neighbours.includes(b) || !!byId.get(b)?.neighbours.includes(a);
}

// ---------------------------------------------------------------------------------------------
// The chain per kind and grade (settings['chain:permit:<kind>:<grade>'], then
// 'chain:permit:<kind>', then the default below).

const step = (id: string, role: ApprovalChain['steps'][number]['role'], hours: number) => ({
	id,
	role,
	deadlineHours: hours,
	remindBeforeHours: Math.min(1, hours - 1),
	nextMayDecide: false
});

const chain = (steps: ApprovalChain['steps']): ApprovalChain => ({
	schema: 1,
	kind: 'work_permit',
	steps,
	updatedAt: '2026-01-01T00:00:00.000Z',
	updatedBy: 'default'
});

/** Defaults: the most dangerous grades go up to the director; routine ones stop at safety. */
export const DEFAULT_PERMIT_CHAINS: Record<string, ApprovalChain> = {
	'hot_work:special': chain([
		step('lead_review', 'project_lead', 4),
		step('safety_check', 'safety', 4),
		step('director_approval', 'director', 4)
	]),
	'hot_work:first': chain([
		step('lead_review', 'project_lead', 4),
		step('safety_check', 'safety', 4)
	]),
	confined_space: chain([
		step('lead_review', 'project_lead', 4),
		step('safety_check', 'safety', 4)
	]),
	'height:special': chain([
		step('safety_check', 'safety', 8),
		step('director_approval', 'director', 8)
	]),
	'lifting:first': chain([
		step('safety_check', 'safety', 8),
		step('director_approval', 'director', 8)
	]),
	default: chain([step('safety_check', 'safety', 8)])
};

export function permitChainOf(
	settings: { get(key: string): unknown },
	kind: string,
	grade: string
): ApprovalChain {
	for (const key of [`chain:permit:${kind}:${grade}`, `chain:permit:${kind}`]) {
		const read = readRecord(ApprovalChain, settings.get(key));
		if (read.ok) return read.record;
	}
	return (
		DEFAULT_PERMIT_CHAINS[`${kind}:${grade}`] ??
		DEFAULT_PERMIT_CHAINS[kind] ??
		DEFAULT_PERMIT_CHAINS.default!
	);
}

export const permitSubject = (permitId: string) => `permit:${permitId}`;

// ---------------------------------------------------------------------------------------------
// A permit as everybody sees it at an instant.

export interface PermitView {
	permit: Permit;
	/** The grade after raising for night and holidays (decides the chain and the validity). */
	grade: string;
	raised: boolean;
	chain: ApprovalChain;
	approval: WorkerApproval;
	actions: PermitAction[];
	timeline: PermitTimeline;
	/** The site's calendar it was judged with (night, holidays). */
	calendar: PermitCalendar;
	/** Gas tests and isolations: the permit's own, with the readings recorded since. */
	facts: Pick<Permit, 'gasTests' | 'isolations'>;
}

export function permitReadings(control: DocLike, permitId?: string): PermitReading[] {
	return readAll(control.getMap('permitReadings'), PermitReading)
		.filter((r) => permitId === undefined || r.permitId === permitId)
		.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The permit's gas tests and isolations with the readings recorded after submission. */
export function permitFacts(
	permit: Permit,
	readings: readonly PermitReading[]
): Pick<Permit, 'gasTests' | 'isolations'> {
	const gasTests = [...permit.gasTests];
	const confirmed = new Map<string, PermitReading>();
	for (const r of readings) {
		if (r.kind === 'gas')
			gasTests.push({
				at: r.at,
				o2Pct: r.o2Pct,
				lelPct: r.lelPct,
				...(r.toxic ? { toxic: r.toxic } : {}),
				by: r.by
			});
		else if (!confirmed.has(r.point)) confirmed.set(r.point, r);
	}
	gasTests.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
	const isolations = permit.isolations.map((i) => {
		const r = confirmed.get(i.point);
		return (i.confirmedBy && i.confirmedAt) || !r
			? i
			: { ...i, confirmedBy: r.by, confirmedAt: r.at };
	});
	return { gasTests, isolations };
}

export interface PermitReadContext {
	control: DocLike;
	org: DocLike;
	timeZone: string;
	/** Signature checks, cached by record hash across calls. */
	cache?: Map<string, true | Forgery>;
	/** Decisions and key bindings, when the caller already has them (the relay's index). */
	decisions?: ReadonlyMap<string, unknown> | DecisionIndex;
	keys?: ReadonlyMap<string, KeyBinding>;
}

export function permitActions(control: DocLike, permitId?: string): PermitAction[] {
	return readAll(control.getMap('permitActions'), PermitAction)
		.filter((a) => permitId === undefined || a.permitId === permitId)
		.sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function permitView(
	permit: Permit,
	ctx: PermitReadContext,
	at: Date,
	actions: PermitAction[] = permitActions(ctx.control, permit.id),
	readings: PermitReading[] = permitReadings(ctx.control, permit.id)
): PermitView {
	const calendar = permitCalendar(ctx.control, ctx.timeZone);
	const grade = gradeOf(permit, calendar)?.code ?? permit.grade;
	const chain = permitChainOf(ctx.control.getMap('settings'), permit.kind, grade);
	const decisions = ctx.decisions ?? new DecisionIndex(ctx.control.getMap('decisions').entries());
	const keys = ctx.keys ?? keyBindings(ctx.org.getMap('keys'));
	const approval = subjectApproval(
		{
			application: permitSubject(permit.id),
			worker: permit.id,
			round: permit.lifecycle === 'submitted' ? (permit.submittedAt ?? null) : null,
			status:
				permit.lifecycle === 'submitted'
					? 'pending'
					: permit.lifecycle === 'draft'
						? 'draft'
						: 'withdrawn'
		},
		chain,
		decisions,
		keys,
		ctx.cache
	);
	const approvalStatus =
		approval.status === 'approved' ||
		approval.status === 'pending' ||
		approval.status === 'rejected' ||
		approval.status === 'returned'
			? approval.status
			: 'none';
	const timeline = permitStatus(
		{ ...permit, lifecycle: permit.lifecycle },
		approvalStatus,
		actions,
		at,
		calendar
	);
	return {
		permit,
		grade,
		raised: grade !== permit.grade,
		chain,
		approval,
		actions,
		timeline,
		calendar,
		facts: permitFacts(permit, readings)
	};
}

/** Every permit of the site (readable ones), as seen at `at`. */
export function sitePermits(ctx: PermitReadContext, at: Date): PermitView[] {
	const permits = readAll(ctx.control.getMap('permits'), Permit);
	const actions = permitActions(ctx.control);
	// Indexed once for every permit of the site.
	const decisions = DecisionIndex.of(
		ctx.decisions ?? new Map(ctx.control.getMap('decisions').entries())
	);
	const keys = ctx.keys ?? keyBindings(ctx.org.getMap('keys'));
	const byPermit = new Map<string, PermitAction[]>();
	for (const a of actions)
		(byPermit.get(a.permitId) ?? byPermit.set(a.permitId, []).get(a.permitId)!).push(a);
	const readingsOf = new Map<string, PermitReading[]>();
	for (const r of permitReadings(ctx.control))
		(readingsOf.get(r.permitId) ?? readingsOf.set(r.permitId, []).get(r.permitId)!).push(r);
	return permits
		.map((p) =>
			permitView(
				p,
				{ ...ctx, decisions, keys },
				at,
				byPermit.get(p.id) ?? [],
				readingsOf.get(p.id) ?? []
			)
		)
		.sort((a, b) => (a.permit.validFrom < b.permit.validFrom ? 1 : -1));
}

export function onRecord(view: PermitView): PermitOnRecord {
	return {
		id: view.permit.id,
		kind: view.permit.kind,
		zone: view.permit.zone,
		status: view.timeline.status,
		until: view.timeline.until,
		people: view.permit.people
	};
}

/** Statuses in which a permit can still clash with another (it is, or will be, worked). */
const LIVE: readonly string[] = ['pending', 'scheduled', 'active', 'suspended'];

/** Clashes of one permit with the site's other live permits. */
export function permitClashes(
	view: PermitView,
	all: readonly PermitView[],
	zones: readonly SiteZone[]
): Clash[] {
	const window = (x: PermitView) => ({
		id: x.permit.id,
		kind: x.permit.kind,
		zone: x.permit.zone,
		from: x.permit.validFrom,
		until: x.timeline.until,
		people: x.permit.people
	});
	return clashes(
		window(view),
		all
			.filter((o) => o.permit.id !== view.permit.id && LIVE.includes(o.timeline.status))
			.map(window),
		zonesNear(zones)
	);
}

// ---------------------------------------------------------------------------------------------
// Commands

export class PermitRefused extends Error {
	constructor(readonly problems: PermitProblem[]) {
		super(`permit refused: ${problems.map((p) => p.code).join(', ')}`);
		this.name = 'PermitRefused';
	}
}

export interface PermitInput {
	id?: string;
	kind: string;
	grade: string;
	zone: string;
	work: string;
	validFrom: string;
	validUntil: string;
	people: Permit['people'];
	hazards: string[];
	measures: string[];
	gasTests: Permit['gasTests'];
	isolations: Permit['isolations'];
	heightMetres?: number | null;
	template?: string;
}

export interface PermitCheckSite {
	id: string;
	kind: SiteKind;
	timeZone: string;
	/** The certificates of a person, or null when this device does not know them. */
	certificatesOf: PermitCheckContext['certificatesOf'];
}

const KIND_PREFIX: Record<string, string> = {
	hot_work: 'DH',
	confined_space: 'SX',
	blind_plate: 'MB',
	height: 'GC',
	lifting: 'DZ',
	temp_power: 'LD',
	excavation: 'DT',
	road_closure: 'DL'
};

/** Everything the rules say about a permit before it is stored (or signed). */
export function permitProblems(
	control: DocLike,
	input: PermitInput,
	site: PermitCheckSite,
	stage: 'submit' | 'approve',
	at = new Date()
): PermitProblem[] {
	return checkPermit(
		{ ...input, heightMetres: input.heightMetres ?? null },
		{
			site: { id: site.id, kind: site.kind, rules: { timeZone: site.timeZone } },
			calendar: permitCalendar(control, site.timeZone),
			certificatesOf: site.certificatesOf,
			stage,
			at
		}
	);
}

/**
 * Saves a permit as a draft or submits it (a new approval round). Submission is refused, with the
 * problems, when anything blocks it: a person whose certificates do not cover their role, a
 * window longer than the (raised) grade allows…
 */
export function savePermit(
	control: Y.Doc,
	site: PermitCheckSite,
	actor: Actor,
	input: PermitInput & { submit: boolean },
	at = new Date()
): Permit {
	const name = controlDoc(site.id);
	const id = input.id ?? newId('pmt');
	const before = readRecord(Permit, control.getMap('permits').get(id));
	if (before.ok && before.record.lifecycle === 'cancelled')
		throw new RangeError('a cancelled permit cannot be changed');
	if (!permitKind(input.kind))
		throw new PermitRefused([{ code: 'KIND_UNKNOWN', severity: 'block' }]);
	if (input.submit) {
		const problems = permitProblems(control, input, site, 'submit', at);
		if (blocks(problems)) throw new PermitRefused(problems);
	}
	const now = at.toISOString();
	// The site's date (a permit opened at 07:00 in Shanghai is that day's, not yesterday's UTC).
	const day = localDate(at, site.timeZone).replaceAll('-', '');
	// The grade is fixed with the submission: the chain and validity it decides stay as approved.
	const fixed = input.submit
		? gradeOf({ ...input }, permitCalendar(control, site.timeZone))?.code
		: undefined;
	const number = before.ok
		? before.record.number
		: `${KIND_PREFIX[input.kind] ?? 'ZY'}-${day}-${id.slice(-6).toUpperCase()}`;
	return putRecord(control, name, actor, 'permits', id, Permit, {
		schema: 1,
		id,
		siteId: site.id,
		number,
		kind: input.kind,
		grade: input.grade,
		zone: input.zone,
		work: input.work.trim(),
		validFrom: input.validFrom,
		validUntil: input.validUntil,
		people: input.people,
		hazards: input.hazards,
		measures: input.measures,
		gasTests: input.gasTests,
		isolations: input.isolations,
		...(input.heightMetres != null ? { heightMetres: input.heightMetres } : {}),
		...(input.template ? { template: input.template } : {}),
		...(fixed ? { effectiveGrade: fixed } : {}),
		lifecycle: input.submit ? 'submitted' : 'draft',
		...(input.submit ? { submittedAt: now, submittedBy: actor.claims.sub } : {}),
		createdAt: before.ok ? before.record.createdAt : now,
		createdBy: before.ok ? before.record.createdBy : actor.claims.sub,
		updatedAt: now,
		updatedBy: actor.claims.sub
	});
}

export function cancelPermit(
	control: Y.Doc,
	siteId: string,
	actor: Actor,
	permitId: string,
	at = new Date()
) {
	const before = readRecord(Permit, control.getMap('permits').get(permitId));
	if (!before.ok) throw new RangeError('no such permit');
	return putRecord(control, controlDoc(siteId), actor, 'permits', permitId, Permit, {
		...before.record,
		lifecycle: 'cancelled',
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

/**
 * Suspends, resumes, extends or closes a permit: refused when the permit is not in a state where
 * the action makes sense, or when an extension goes past the kind's longest validity.
 */
export const PERMIT_ACTION_ERRORS = [
	'NOT_LIVE',
	'ALREADY_SUSPENDED',
	'NOT_SUSPENDED',
	'REASON_REQUIRED',
	'EXTENSION_NOT_LATER',
	'EXTENSION_PAST_LIMIT',
	'EXTENSION_RAISES_GRADE'
] as const;

/** Why an action on a permit is refused (the code is the message; the UI says it in Chinese). */
export class PermitActionError extends RangeError {
	constructor(readonly code: (typeof PERMIT_ACTION_ERRORS)[number]) {
		super(code);
		this.name = 'PermitActionError';
	}
}

export function actOnPermit(
	control: Y.Doc,
	view: PermitView,
	actor: Actor,
	input: { action: PermitAction['action']; until?: string; reason: string },
	at = new Date()
): PermitAction {
	const s = view.timeline.status;
	const live = s === 'active' || s === 'suspended' || s === 'scheduled';
	if (!live) throw new PermitActionError('NOT_LIVE');
	if (input.action === 'suspend' && s === 'suspended')
		throw new PermitActionError('ALREADY_SUSPENDED');
	if (input.action === 'resume' && s !== 'suspended') throw new PermitActionError('NOT_SUSPENDED');
	if (input.action === 'suspend' && !input.reason.trim())
		throw new PermitActionError('REASON_REQUIRED');
	if (input.action === 'extend') {
		if (!input.until || !(Date.parse(input.until) > Date.parse(view.timeline.until)))
			throw new PermitActionError('EXTENSION_NOT_LATER');
		const problem = extensionProblem(
			{ ...view.permit, effectiveGrade: view.grade },
			input.until,
			view.calendar
		);
		if (problem) throw new PermitActionError(problem);
	}
	const record: PermitAction = {
		schema: 1,
		id: newUlid(at.getTime()),
		permitId: view.permit.id,
		action: input.action,
		...(input.until ? { until: new Date(input.until).toISOString() } : {}),
		reason: input.reason.trim(),
		at: at.toISOString(),
		by: actor.claims.sub
	};
	return putRecord(
		control,
		controlDoc(view.permit.siteId),
		actor,
		'permitActions',
		record.id,
		PermitAction,
		record
	);
}

/**
 * Records a gas test or confirms an isolation on a submitted permit, in the actor's name, now.
 * Out-of-range readings are recorded too (they block approval and say why): a measurement is a
 * fact, not a request.
 */
export function recordReading(
	control: Y.Doc,
	view: PermitView,
	actor: Actor,
	input:
		| { kind: 'gas'; o2Pct: number; lelPct: number; toxic?: string }
		| { kind: 'isolation'; point: string },
	at = new Date()
): PermitReading {
	const s = view.timeline.status;
	if (['draft', 'cancelled', 'closed', 'expired', 'rejected', 'returned'].includes(s))
		throw new PermitActionError('NOT_LIVE');
	if (input.kind === 'isolation' && !view.permit.isolations.some((i) => i.point === input.point))
		throw new RangeError('no such isolation point on this permit');
	const base = {
		schema: 1 as const,
		id: newUlid(at.getTime()),
		permitId: view.permit.id,
		at: at.toISOString(),
		by: actor.claims.sub
	};
	const record: PermitReading =
		input.kind === 'gas'
			? {
					...base,
					kind: 'gas',
					o2Pct: input.o2Pct,
					lelPct: input.lelPct,
					...(input.toxic?.trim() ? { toxic: input.toxic.trim() } : {})
				}
			: { ...base, kind: 'isolation', point: input.point };
	return putRecord(
		control,
		controlDoc(view.permit.siteId),
		actor,
		'permitReadings',
		record.id,
		PermitReading,
		record
	);
}

/** The site's holidays for grade raising (safety staff or the director: it decides grades). */
export function setPermitSettings(
	control: Y.Doc,
	siteId: string,
	actor: Actor,
	input: { holidays: string[]; weekendsAreHolidays: boolean },
	at = new Date()
): PermitSettings {
	const holidays = [...new Set(input.holidays.map((d) => d.trim()).filter(Boolean))].sort();
	return putRecord(control, controlDoc(siteId), actor, 'settings', 'permits', PermitSettings, {
		schema: 1,
		holidays,
		weekendsAreHolidays: input.weekendsAreHolidays,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

export function saveZone(
	control: Y.Doc,
	siteId: string,
	actor: Actor,
	input: Omit<SiteZone, 'schema' | 'siteId' | 'updatedAt' | 'updatedBy' | 'id'> & { id?: string },
	at = new Date()
): SiteZone {
	const zoneId = input.id ?? newId('zone');
	// A form that does not edit the area (the permits' zone list) keeps the one drawn on the map.
	const before = readRecord(SiteZone, control.getMap('zones').get(zoneId));
	const area = 'area' in input ? input.area : before.ok ? before.record.area : undefined;
	const { area: _drop, ...rest } = input;
	void _drop;
	return putRecord(control, controlDoc(siteId), actor, 'zones', zoneId, SiteZone, {
		schema: 1,
		...rest,
		...(area ? { area } : {}),
		id: zoneId,
		siteId,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

export function saveEquipment(
	control: Y.Doc,
	siteId: string,
	actor: Actor,
	input: Omit<Equipment, 'schema' | 'siteId' | 'updatedAt' | 'updatedBy' | 'id'> & { id?: string },
	at = new Date()
): Equipment {
	const equipmentId = input.id ?? newId('eq');
	return putRecord(control, controlDoc(siteId), actor, 'equipment', equipmentId, Equipment, {
		schema: 1,
		...input,
		id: equipmentId,
		siteId,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

export { permitRefusal } from './permit-rules';

// ---------------------------------------------------------------------------------------------
// The QR posted at the work face: a signed summary any phone can read, and check against the
// org's key bindings where it holds them (any enrolled device).

export const PERMIT_QR_PREFIX = 'SPP1';

export interface PermitQrPayload {
	/** Org. */
	o: string;
	/** Site. */
	s: string;
	/** Permit id, number, kind, grade (effective), zone name, work. */
	p: string;
	n: string;
	k: string;
	g: string;
	z: string;
	w: string;
	/** Window (ISO). */
	f: string;
	u: string;
	/** People: masked name and role code. */
	m: [string, string][];
	/** When signed, and the approval round it follows. */
	t: string;
	r: string;
	/** Signer and key id. */
	b: string;
	key: string;
}

/** 张三 → 张*; 欧阳娜娜 → 欧**娜: enough to recognise on site, not enough to identify in public. */
export function maskName(full: string): string {
	const chars = [...full.trim()];
	if (chars.length <= 1) return full;
	if (chars.length === 2) return `${chars[0]}*`;
	return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

export async function signPermitQr(
	view: PermitView,
	orgId: string,
	zoneName: string,
	signer: Signer,
	signerId: string,
	at = new Date()
): Promise<string> {
	if (view.approval.status !== 'approved' || !view.permit.submittedAt)
		throw new RangeError('only an approved permit is printed');
	const payload: PermitQrPayload = {
		o: orgId,
		s: view.permit.siteId,
		p: view.permit.id,
		n: view.permit.number,
		k: view.permit.kind,
		g: view.grade,
		z: zoneName,
		w: view.permit.work.slice(0, 80),
		f: view.permit.validFrom,
		u: view.timeline.until,
		m: view.permit.people.map((p) => [maskName(p.name), p.role]),
		t: at.toISOString(),
		r: view.permit.submittedAt,
		b: signerId,
		key: signer.keyId
	};
	const bytes = new TextEncoder().encode(canonical(payload));
	const sig = await signer.sign(bytes);
	return `${PERMIT_QR_PREFIX}.${toB64url(bytes)}.${sig}`;
}

export type PermitQrCheck =
	| { ok: false; problem: 'MALFORMED' }
	| {
			ok: true;
			payload: PermitQrPayload;
			/** 'verified': signed by a staff key of this site valid when signed; 'unknown_key': this
			 * device does not hold the org's keys (not enrolled) — the content is shown, unproven. */
			signature: 'verified' | 'bad' | 'unknown_key' | 'not_staff';
			/** Valid now by the signed window alone (a suspension after printing needs the live view). */
			windowNow: 'before' | 'within' | 'after';
	  };

export function readPermitQr(
	token: string
): { payload: PermitQrPayload; bytes: Uint8Array; sig: string } | null {
	const parts = token.trim().split('.');
	if (parts.length !== 3 || parts[0] !== PERMIT_QR_PREFIX) return null;
	try {
		const bytes = fromB64url(parts[1]!);
		const payload = JSON.parse(new TextDecoder().decode(bytes)) as PermitQrPayload;
		if (
			typeof payload?.p !== 'string' ||
			typeof payload.key !== 'string' ||
			!Array.isArray(payload.m)
		)
			return null;
		return { payload, bytes, sig: parts[2]! };
	} catch {
		return null;
	}
}

export function checkPermitQr(
	token: string,
	keys: ReadonlyMap<string, KeyBinding> | null,
	at = new Date()
): PermitQrCheck {
	const read = readPermitQr(token);
	if (!read) return { ok: false, problem: 'MALFORMED' };
	const { payload } = read;
	const t = at.toISOString();
	const windowNow = t < payload.f ? 'before' : t >= payload.u ? 'after' : 'within';
	let signature: 'verified' | 'bad' | 'unknown_key' | 'not_staff' = 'unknown_key';
	const binding = keys?.get(payload.key);
	if (binding) {
		if (!verifySignature(binding.publicKey, read.bytes, read.sig)) signature = 'bad';
		else if (
			binding.role !== 'staff' ||
			!binding.sites.includes(payload.s) ||
			binding.principal !== payload.b ||
			payload.t < binding.validFrom ||
			(binding.revokedAt !== undefined && payload.t >= binding.revokedAt)
		)
			signature = 'not_staff';
		else signature = 'verified';
	}
	return { ok: true, payload, signature, windowNow };
}

export { PERMIT_CATALOGUE };
export type { Certificate };
