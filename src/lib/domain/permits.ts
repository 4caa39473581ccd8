// Work permits (作业票, GB 30871-2022 and the like) as pure rules: the kinds as versioned data, the
// grade a window really has (hot work is raised a grade at night and on holidays), the longest
// validity, each person's certificates against their role through the work-scope matrix, gas tests
// and isolations, the status of a permit at an instant, clashes between permits, and what a permit
// means for a door or an interlock. The approval chain itself is the approvals' (data layer).

import type { Certificate } from './certificate-status';
import { decideWork, type Reason, type SiteRules } from './entry';
import type { IsoDate } from './dates';
import type { SiteKind, WorkScopeMatrix } from './work-scope';
import type { CertificateCatalogue } from './catalogue';

export const PERMIT_KIND_CODES = [
	'hot_work',
	'confined_space',
	'blind_plate',
	'height',
	'lifting',
	'temp_power',
	'excavation',
	'road_closure'
] as const;
export type PermitKindCode = (typeof PERMIT_KIND_CODES)[number];

export interface PermitGrade {
	code: string;
	nameZh: string;
	nameEn: string;
	/** Longest window of one permit of this grade. */
	maxHours: number;
	/** Longest total window including extensions (default: maxHours, i.e. no extension past it). */
	maxTotalHours?: number;
	/** For height: the working height range this grade covers (metres, from inclusive). */
	fromMetres?: number;
	toMetres?: number | null;
}

export interface PermitRole {
	code: string;
	nameZh: string;
	nameEn: string;
	/** Any one of these work types (work-scope matrix codes) suffices; empty: no certificate. */
	workTypes: readonly string[];
	min: number;
	max?: number;
}

export interface GasLimits {
	/** Oxygen, % by volume. */
	o2Min: number;
	o2Max: number;
	/** Flammable gas, % of the lower explosive limit. */
	lelMaxPct: number;
	/** The test must be this recent when the work starts. */
	maxAgeMinutes: number;
}

export interface PermitKind {
	code: PermitKindCode | string;
	nameZh: string;
	nameEn: string;
	/** Grades from the most to the least dangerous; one entry when the kind has no grades. */
	grades: readonly PermitGrade[];
	/** Raised one grade (towards grades[0]) when the window touches the night or a holiday. */
	raisedAtNightAndHolidays: boolean;
	/** Whether DOMAIN.md states this kind's longest validity (else it is a local default). */
	validityConfirmed: boolean;
	roles: readonly PermitRole[];
	gasTest: GasLimits | null;
	/** Lock-out / tag-out isolations must be listed and confirmed before approval. */
	isolations: boolean;
	/** Kinds that must not run at the same time in the same or a neighbouring zone. */
	clashesWith: readonly string[];
	hazards: readonly string[];
	measures: readonly string[];
}

export interface PermitCatalogue {
	version: string;
	kinds: readonly PermitKind[];
	/** Night for grade raising, site-local hours: from nightFrom:00 to nightUntil:00. */
	nightFrom: number;
	nightUntil: number;
}

const GUARDIAN: PermitRole = {
	code: 'guardian',
	nameZh: '监护人',
	nameEn: 'Safety watch (guardian)',
	workTypes: [],
	min: 1,
	max: 3
};

// Defaults for gas tests; a site confirms its own limits (they are data, like everything here).
const CONFINED_GAS: GasLimits = { o2Min: 19.5, o2Max: 21, lelMaxPct: 10, maxAgeMinutes: 30 };
const HOT_GAS: GasLimits = { o2Min: 19.5, o2Max: 23.5, lelMaxPct: 10, maxAgeMinutes: 30 };

const SINGLE = (maxHours: number, maxTotalHours?: number): PermitGrade[] => [
	{
		code: 'single',
		nameZh: '—',
		nameEn: '—',
		maxHours,
		...(maxTotalHours ? { maxTotalHours } : {})
	}
];

export const PERMIT_CATALOGUE: PermitCatalogue = {
	version: '2026.1',
	nightFrom: 18,
	nightUntil: 6,
	kinds: [
		{
			code: 'hot_work',
			nameZh: '动火作业',
			nameEn: 'Hot work',
			grades: [
				{ code: 'special', nameZh: '特级', nameEn: 'Special', maxHours: 8 },
				{ code: 'first', nameZh: '一级', nameEn: 'Grade 1', maxHours: 8 },
				{ code: 'second', nameZh: '二级', nameEn: 'Grade 2', maxHours: 72 }
			],
			raisedAtNightAndHolidays: true,
			validityConfirmed: true,
			roles: [
				{
					code: 'operator',
					nameZh: '动火人',
					nameEn: 'Hot-work operator',
					workTypes: ['hot_work'],
					min: 1
				},
				GUARDIAN
			],
			gasTest: HOT_GAS,
			isolations: true,
			clashesWith: ['confined_space', 'blind_plate', 'excavation'],
			hazards: ['火灾', '爆炸', '灼烫', '有毒气体'],
			measures: ['清除可燃物', '配备灭火器', '设置接火盆', '动火点周围 15 m 内无可燃物']
		},
		{
			code: 'confined_space',
			nameZh: '受限空间作业',
			nameEn: 'Confined-space entry',
			grades: SINGLE(24),
			raisedAtNightAndHolidays: false,
			validityConfirmed: true,
			roles: [
				{ code: 'operator', nameZh: '作业人', nameEn: 'Entrant', workTypes: [], min: 1 },
				GUARDIAN
			],
			gasTest: CONFINED_GAS,
			isolations: true,
			clashesWith: ['hot_work'],
			hazards: ['缺氧窒息', '中毒', '燃爆', '淹溺'],
			measures: ['强制通风', '连续气体检测', '配备正压呼吸器', '设置救援绳索']
		},
		{
			code: 'blind_plate',
			nameZh: '盲板抽堵作业',
			nameEn: 'Blind plate insertion or removal',
			grades: SINGLE(24),
			raisedAtNightAndHolidays: false,
			validityConfirmed: false,
			roles: [
				{ code: 'operator', nameZh: '作业人', nameEn: 'Operator', workTypes: [], min: 1 },
				GUARDIAN
			],
			gasTest: null,
			isolations: true,
			clashesWith: ['hot_work'],
			hazards: ['介质泄漏', '中毒', '灼烫'],
			measures: ['泄压排净', '使用防爆工具', '佩戴防护用品']
		},
		{
			code: 'height',
			nameZh: '高处作业',
			nameEn: 'Work at height',
			grades: [
				{
					code: 'special',
					nameZh: '特级(30 m 以上)',
					nameEn: 'Above 30 m',
					maxHours: 168,
					fromMetres: 30,
					toMetres: null
				},
				{
					code: 'third',
					nameZh: '三级(15–30 m)',
					nameEn: '15–30 m',
					maxHours: 168,
					fromMetres: 15,
					toMetres: 30
				},
				{
					code: 'second',
					nameZh: '二级(5–15 m)',
					nameEn: '5–15 m',
					maxHours: 168,
					fromMetres: 5,
					toMetres: 15
				},
				{
					code: 'first',
					nameZh: '一级(2–5 m)',
					nameEn: '2–5 m',
					maxHours: 168,
					fromMetres: 2,
					toMetres: 5
				}
			],
			raisedAtNightAndHolidays: false,
			validityConfirmed: true,
			roles: [
				{
					code: 'operator',
					nameZh: '作业人',
					nameEn: 'Worker at height',
					workTypes: ['scaffolding', 'height_maintenance'],
					min: 1
				},
				GUARDIAN
			],
			gasTest: null,
			isolations: false,
			clashesWith: ['lifting'],
			hazards: ['高处坠落', '物体打击'],
			measures: ['系挂安全带', '设置安全网', '下方设警戒区']
		},
		{
			code: 'lifting',
			nameZh: '吊装作业',
			nameEn: 'Lifting',
			grades: [
				{ code: 'first', nameZh: '一级(100 t 以上)', nameEn: 'Above 100 t', maxHours: 24 },
				{ code: 'second', nameZh: '二级(40–100 t)', nameEn: '40–100 t', maxHours: 24 },
				{ code: 'third', nameZh: '三级(40 t 以下)', nameEn: 'Below 40 t', maxHours: 24 }
			],
			raisedAtNightAndHolidays: false,
			validityConfirmed: false,
			roles: [
				{
					code: 'crane_operator',
					nameZh: '司机',
					nameEn: 'Crane operator',
					workTypes: ['crane_operator'],
					min: 1
				},
				{
					code: 'signaller',
					nameZh: '指挥 / 司索',
					nameEn: 'Signaller / rigger',
					workTypes: ['crane_signaller'],
					min: 1
				},
				GUARDIAN
			],
			gasTest: null,
			isolations: false,
			clashesWith: ['height'],
			hazards: ['起重伤害', '物体打击'],
			measures: ['设置警戒区', '检查吊索具', '专人指挥', '风力 6 级以上停止作业']
		},
		{
			code: 'temp_power',
			nameZh: '临时用电作业',
			nameEn: 'Temporary power',
			grades: SINGLE(15 * 24, 30 * 24),
			raisedAtNightAndHolidays: false,
			validityConfirmed: true,
			roles: [
				{
					code: 'electrician',
					nameZh: '电工',
					nameEn: 'Electrician',
					workTypes: ['lv_electrical', 'hv_electrical'],
					min: 1
				},
				GUARDIAN
			],
			gasTest: null,
			isolations: true,
			clashesWith: [],
			hazards: ['触电', '电气火灾'],
			measures: ['一机一闸一保护', '使用漏电保护器', '线路架空或穿管']
		},
		{
			code: 'excavation',
			nameZh: '动土作业',
			nameEn: 'Excavation',
			grades: SINGLE(24),
			raisedAtNightAndHolidays: false,
			validityConfirmed: false,
			roles: [
				{ code: 'operator', nameZh: '作业人', nameEn: 'Operator', workTypes: [], min: 1 },
				GUARDIAN
			],
			gasTest: null,
			isolations: false,
			clashesWith: ['hot_work'],
			hazards: ['坍塌', '地下管线损坏', '触电'],
			measures: ['查明地下管线', '放坡或支护', '设置围栏和警示灯']
		},
		{
			code: 'road_closure',
			nameZh: '断路作业',
			nameEn: 'Road closure',
			grades: SINGLE(24),
			raisedAtNightAndHolidays: false,
			validityConfirmed: false,
			roles: [
				{ code: 'operator', nameZh: '作业人', nameEn: 'Operator', workTypes: [], min: 1 },
				GUARDIAN
			],
			gasTest: null,
			isolations: false,
			clashesWith: [],
			hazards: ['车辆伤害', '消防通道阻断'],
			measures: ['设置路障和警示标志', '夜间设警示灯', '预留消防通道']
		}
	]
};

export function permitKind(
	code: string,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): PermitKind | null {
	return catalogue.kinds.find((k) => k.code === code) ?? null;
}

/** The height grade for a working height in metres (GB/T 3608); null below 2 m (no permit). */
export function heightGrade(metres: number, catalogue: PermitCatalogue = PERMIT_CATALOGUE) {
	if (!Number.isFinite(metres) || metres < 2) return null;
	const kind = permitKind('height', catalogue);
	return (
		kind?.grades.find(
			(g) =>
				g.fromMetres !== undefined &&
				metres >= g.fromMetres &&
				(g.toMetres == null || metres < g.toMetres)
		) ?? null
	);
}

/** What decides whether a window counts as night or a holiday at a site. */
export interface PermitCalendar {
	timeZone: string;
	/** Site-local dates that are public holidays (and working weekends are not listed). */
	holidays?: readonly IsoDate[];
	/** Saturdays and Sundays count as holidays (default true). */
	weekendsAreHolidays?: boolean;
}

const localFormats = new Map<string, Intl.DateTimeFormat>();
/** Site-local hour, weekday and date of an instant, in one formatting call. */
function localParts(
	at: number,
	timeZone: string
): { hour: number; weekday: number; date: IsoDate } {
	let f = localFormats.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: 'numeric',
			hourCycle: 'h23',
			weekday: 'short'
		});
		localFormats.set(timeZone, f);
	}
	let hour = 0;
	let weekday = 0;
	let y = '';
	let m = '';
	let d = '';
	for (const part of f.formatToParts(at)) {
		if (part.type === 'hour') hour = Number(part.value) % 24;
		else if (part.type === 'weekday')
			weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part.value);
		else if (part.type === 'year') y = part.value;
		else if (part.type === 'month') m = part.value;
		else if (part.type === 'day') d = part.value;
	}
	return { hour, weekday, date: `${y.padStart(4, '0')}-${m}-${d}` };
}

export interface WindowFacts {
	night: boolean;
	holiday: boolean;
}

// Pure and asked again and again (every permit on every board refresh and door question): kept.
const factsMemo = new Map<string, WindowFacts>();

/** Whether a window touches the night or a holiday, site-local (checked every 15 minutes and at both ends). */
export function windowFacts(
	from: string,
	until: string,
	calendar: PermitCalendar,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): WindowFacts {
	const key = [
		from,
		until,
		calendar.timeZone,
		calendar.weekendsAreHolidays ?? true,
		(calendar.holidays ?? []).join(','),
		catalogue.nightFrom,
		catalogue.nightUntil
	].join('|');
	const known = factsMemo.get(key);
	if (known) return { ...known };
	const start = Date.parse(from);
	const end = Date.parse(until);
	const facts: WindowFacts = { night: false, holiday: false };
	if (end > start) {
		const holidays = new Set(calendar.holidays ?? []);
		const weekends = calendar.weekendsAreHolidays ?? true;
		const step = 15 * 60_000;
		for (let t = start; ; t = Math.min(t + step, end - 1)) {
			const { hour, weekday, date } = localParts(t, calendar.timeZone);
			if (hour >= catalogue.nightFrom || hour < catalogue.nightUntil) facts.night = true;
			if (holidays.has(date)) facts.holiday = true;
			if (weekends && (weekday === 0 || weekday === 6)) facts.holiday = true;
			if (t >= end - 1 || (facts.night && facts.holiday)) break;
		}
	}
	if (factsMemo.size >= 10_000) factsMemo.clear();
	factsMemo.set(key, facts);
	return { ...facts };
}

/**
 * The grade a permit really has: its declared grade, raised one towards the most dangerous when the
 * kind says so and the window touches the night or a holiday.
 */
export function effectiveGrade(
	kind: PermitKind,
	gradeCode: string,
	facts: WindowFacts
): { grade: PermitGrade; raised: boolean } | null {
	const index = kind.grades.findIndex((g) => g.code === gradeCode);
	if (index < 0) return null;
	if (kind.raisedAtNightAndHolidays && (facts.night || facts.holiday) && index > 0)
		return { grade: kind.grades[index - 1]!, raised: true };
	return { grade: kind.grades[index]!, raised: false };
}

// ---------------------------------------------------------------------------------------------
// A permit as the rules see it (the data layer's record carries more: ids, authors, times).

export interface PermitPerson {
	workerId: string;
	contractorId: string;
	name: string;
	role: string;
}

export interface GasReading {
	at: string;
	o2Pct: number;
	lelPct: number;
	/** Toxic gas readings, free-form (H2S ppm, CO ppm…), recorded, not judged here. */
	toxic?: string;
	by: string;
}

export interface Isolation {
	/** What is isolated (valve, breaker…) and how (lock, tag, blind). */
	point: string;
	method: string;
	confirmedBy?: string | null;
	confirmedAt?: string | null;
}

export interface PermitDraft {
	kind: string;
	grade: string;
	zone: string;
	work: string;
	validFrom: string;
	validUntil: string;
	people: readonly PermitPerson[];
	hazards: readonly string[];
	measures: readonly string[];
	gasTests: readonly GasReading[];
	isolations: readonly Isolation[];
	/** Working height in metres (height permits). */
	heightMetres?: number | null;
}

export const PERMIT_PROBLEM_CODES = [
	'KIND_UNKNOWN',
	'GRADE_UNKNOWN',
	'GRADE_RAISED',
	'HEIGHT_GRADE_MISMATCH',
	'WINDOW_INVALID',
	'WINDOW_TOO_LONG',
	'ROLE_UNKNOWN',
	'ROLE_MISSING',
	'ROLE_TOO_MANY',
	'PERSON_TWICE',
	'PERSON_UNKNOWN',
	'PERSON_NOT_QUALIFIED',
	'GAS_TEST_MISSING',
	'GAS_TEST_STALE',
	'GAS_OUT_OF_RANGE',
	'ISOLATION_MISSING',
	'ISOLATION_UNCONFIRMED',
	'NO_WORK_DESCRIBED',
	'NO_MEASURES'
] as const;
export type PermitProblemCode = (typeof PERMIT_PROBLEM_CODES)[number];

export interface PermitProblem {
	code: PermitProblemCode;
	/** 'block': submission (or approval) is refused; 'warn': shown to the approver. */
	severity: 'block' | 'warn';
	/** When the problem is one person's. */
	workerId?: string;
	role?: string;
	/** The work-scope reasons behind PERSON_NOT_QUALIFIED (SCOPE_MISMATCH, CERT_EXPIRED…). */
	reasons?: Reason[];
	detail?: Record<string, string | number | null>;
}

export interface PermitCheckContext {
	site: { id: string; kind: SiteKind; rules?: Partial<SiteRules> };
	calendar: PermitCalendar;
	/** Certificates held by a person on the permit (null: this device does not know the worker). */
	certificatesOf(person: PermitPerson): readonly Certificate[] | null;
	catalogue?: PermitCatalogue;
	certificateCatalogue?: CertificateCatalogue;
	matrix?: WorkScopeMatrix;
	/**
	 * 'submit': what blocks submission (people, window, grade). 'approve': also what must be done
	 * before the work starts (gas test, isolations confirmed).
	 */
	stage: 'submit' | 'approve';
	/** When people are judged (default: the start of the window; certificates must hold throughout). */
	at?: Date;
}

const HOUR = 3_600_000;

/**
 * Everything wrong with a permit, each person's certificates judged against their role with the
 * work-scope matrix (the same decideWork the gate uses). Certificates are judged at both ends of
 * the window: a card that expires half way through does not cover the work.
 */
export function checkPermit(permit: PermitDraft, ctx: PermitCheckContext): PermitProblem[] {
	const catalogue = ctx.catalogue ?? PERMIT_CATALOGUE;
	const problems: PermitProblem[] = [];
	const kind = permitKind(permit.kind, catalogue);
	if (!kind) return [{ code: 'KIND_UNKNOWN', severity: 'block', detail: { kind: permit.kind } }];

	const from = Date.parse(permit.validFrom);
	const until = Date.parse(permit.validUntil);
	const facts = windowFacts(permit.validFrom, permit.validUntil, ctx.calendar, catalogue);
	const graded = effectiveGrade(kind, permit.grade, facts);
	if (!graded) {
		problems.push({ code: 'GRADE_UNKNOWN', severity: 'block', detail: { grade: permit.grade } });
	} else if (graded.raised) {
		problems.push({
			code: 'GRADE_RAISED',
			severity: 'warn',
			detail: {
				from: permit.grade,
				to: graded.grade.code,
				night: facts.night ? 1 : 0,
				holiday: facts.holiday ? 1 : 0
			}
		});
	}
	if (kind.code === 'height' && permit.heightMetres != null) {
		const expected = heightGrade(permit.heightMetres, catalogue);
		if (expected && expected.code !== permit.grade)
			problems.push({
				code: 'HEIGHT_GRADE_MISMATCH',
				severity: 'block',
				detail: { metres: permit.heightMetres, expected: expected.code }
			});
	}
	if (!Number.isFinite(from) || !Number.isFinite(until) || until <= from) {
		problems.push({ code: 'WINDOW_INVALID', severity: 'block' });
	} else if (graded && until - from > graded.grade.maxHours * HOUR) {
		problems.push({
			code: 'WINDOW_TOO_LONG',
			severity: 'block',
			detail: {
				maxHours: graded.grade.maxHours,
				hours: Math.round(((until - from) / HOUR) * 10) / 10
			}
		});
	}
	if (!permit.work.trim()) problems.push({ code: 'NO_WORK_DESCRIBED', severity: 'block' });
	if (permit.measures.length === 0) problems.push({ code: 'NO_MEASURES', severity: 'block' });

	// People: each role's head count, each person once, each person qualified for the role.
	const seen = new Set<string>();
	for (const person of permit.people) {
		const key = `${person.contractorId}/${person.workerId}`;
		if (seen.has(key))
			problems.push({ code: 'PERSON_TWICE', severity: 'block', workerId: person.workerId });
		seen.add(key);
		const role = kind.roles.find((r) => r.code === person.role);
		if (!role) {
			problems.push({
				code: 'ROLE_UNKNOWN',
				severity: 'block',
				workerId: person.workerId,
				role: person.role
			});
			continue;
		}
		if (role.workTypes.length === 0) continue;
		const certs = ctx.certificatesOf(person);
		if (certs === null) {
			problems.push({
				code: 'PERSON_UNKNOWN',
				severity: 'block',
				workerId: person.workerId,
				role: role.code
			});
			continue;
		}
		const judged = [from, until - 1]
			.filter((t) => Number.isFinite(t))
			.map((t) => (ctx.at && ctx.at.getTime() > t ? ctx.at.getTime() : t));
		if (judged.length === 0) judged.push((ctx.at ?? new Date()).getTime());
		let best: Reason[] | null = null;
		for (const workType of role.workTypes) {
			const reasons: Reason[] = [];
			for (const t of judged) {
				const d = decideWork({
					at: new Date(t),
					site: ctx.site,
					worker: { id: person.workerId, name: person.name },
					certificates: certs,
					workType,
					...(ctx.certificateCatalogue ? { catalogue: ctx.certificateCatalogue } : {}),
					...(ctx.matrix ? { matrix: ctx.matrix } : {})
				});
				for (const r of d.reasons)
					if (r.severity === 'deny' && !reasons.some((x) => x.code === r.code)) reasons.push(r);
			}
			if (reasons.length === 0) {
				best = [];
				break;
			}
			if (!best || reasons.length < best.length) best = reasons;
		}
		if (best && best.length > 0)
			problems.push({
				code: 'PERSON_NOT_QUALIFIED',
				severity: 'block',
				workerId: person.workerId,
				role: role.code,
				reasons: best
			});
	}
	for (const role of kind.roles) {
		const n = permit.people.filter((p) => p.role === role.code).length;
		if (n < role.min)
			problems.push({
				code: 'ROLE_MISSING',
				severity: 'block',
				role: role.code,
				detail: { min: role.min, n }
			});
		if (role.max !== undefined && n > role.max)
			problems.push({
				code: 'ROLE_TOO_MANY',
				severity: 'block',
				role: role.code,
				detail: { max: role.max, n }
			});
	}

	// Before the work starts: gas test in range and recent, isolations confirmed.
	const approving = ctx.stage === 'approve';
	if (kind.gasTest) {
		const limits = kind.gasTest;
		const latest = [...permit.gasTests].sort((a, b) => (a.at < b.at ? 1 : -1))[0];
		if (!latest) {
			problems.push({ code: 'GAS_TEST_MISSING', severity: approving ? 'block' : 'warn' });
		} else {
			if (
				latest.o2Pct < limits.o2Min ||
				latest.o2Pct > limits.o2Max ||
				latest.lelPct > limits.lelMaxPct
			)
				problems.push({
					code: 'GAS_OUT_OF_RANGE',
					severity: 'block',
					detail: {
						o2Pct: latest.o2Pct,
						lelPct: latest.lelPct,
						o2Min: limits.o2Min,
						o2Max: limits.o2Max,
						lelMaxPct: limits.lelMaxPct
					}
				});
			const age =
				(Math.max(from, (ctx.at ?? new Date(from)).getTime()) - Date.parse(latest.at)) / 60_000;
			if (age > limits.maxAgeMinutes)
				problems.push({
					code: 'GAS_TEST_STALE',
					severity: approving ? 'block' : 'warn',
					detail: { minutes: Math.round(age), maxAgeMinutes: limits.maxAgeMinutes }
				});
		}
	}
	if (kind.isolations) {
		if (permit.isolations.length === 0)
			problems.push({ code: 'ISOLATION_MISSING', severity: 'warn' });
		for (const iso of permit.isolations)
			if (!iso.confirmedBy || !iso.confirmedAt)
				problems.push({
					code: 'ISOLATION_UNCONFIRMED',
					severity: approving ? 'block' : 'warn',
					detail: { point: iso.point }
				});
	}
	return problems;
}

export function blocks(problems: readonly PermitProblem[]): boolean {
	return problems.some((p) => p.severity === 'block');
}

// ---------------------------------------------------------------------------------------------
// Status at an instant.

export type PermitStatus =
	| 'draft'
	| 'pending'
	| 'returned'
	| 'rejected'
	| 'cancelled'
	| 'scheduled'
	| 'active'
	| 'suspended'
	| 'closed'
	| 'expired';

export type PermitActionKind = 'suspend' | 'resume' | 'extend' | 'close';

export interface PermitActionFact {
	action: PermitActionKind;
	at: string;
	/** New end of the window (extend). */
	until?: string;
}

export interface PermitTimeline {
	status: PermitStatus;
	/** The end of the window after valid extensions. */
	until: string;
	/** Extensions refused because they went past the kind's limit. */
	refusedExtensions: PermitActionFact[];
	/** When the status last changed (for the board). */
	since: string | null;
}

/** What the status and extension rules need of a permit. */
export type PermitWindowFacts = Pick<PermitDraft, 'kind' | 'grade' | 'validFrom' | 'validUntil'> & {
	/** The grade fixed when it was submitted (raised for night or a holiday then). */
	effectiveGrade?: string | null;
};

/** The grade a permit is run under: the one fixed at submission, else worked out now. */
export function gradeOf(
	permit: PermitWindowFacts,
	calendar: PermitCalendar,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): PermitGrade | null {
	const kind = permitKind(permit.kind, catalogue);
	if (!kind) return null;
	if (permit.effectiveGrade) {
		const fixed = kind.grades.find((g) => g.code === permit.effectiveGrade);
		if (fixed) return fixed;
	}
	return (
		effectiveGrade(
			kind,
			permit.grade,
			windowFacts(permit.validFrom, permit.validUntil, calendar, catalogue)
		)?.grade ?? null
	);
}

/** The latest end an extension may give (the grade's longest total validity from the start). */
export function latestEnd(
	permit: PermitWindowFacts,
	calendar: PermitCalendar,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): string {
	const g = gradeOf(permit, calendar, catalogue);
	return new Date(
		Date.parse(permit.validFrom) + (g ? (g.maxTotalHours ?? g.maxHours) : 0) * HOUR
	).toISOString();
}

/**
 * Why a permit cannot be extended to `until` (null: it can): past the grade's longest validity,
 * or into the night or a holiday that would raise its grade (hot work approved for the day does
 * not run on into the night: that needs a permit of the higher grade and its chain).
 */
export function extensionProblem(
	permit: PermitWindowFacts,
	until: string,
	calendar: PermitCalendar,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): 'EXTENSION_PAST_LIMIT' | 'EXTENSION_RAISES_GRADE' | null {
	const kind = permitKind(permit.kind, catalogue);
	const current = gradeOf(permit, calendar, catalogue);
	if (!kind || !current) return 'EXTENSION_PAST_LIMIT';
	if (Date.parse(until) > Date.parse(latestEnd(permit, calendar, catalogue)))
		return 'EXTENSION_PAST_LIMIT';
	const extended = effectiveGrade(
		kind,
		permit.grade,
		windowFacts(permit.validFrom, until, calendar, catalogue)
	);
	if (extended && kind.grades.indexOf(extended.grade) < kind.grades.indexOf(current))
		return 'EXTENSION_RAISES_GRADE';
	return null;
}

/**
 * A permit's status at `at`: from its lifecycle (draft, submitted, cancelled), the approval the
 * signed decisions establish, and the staff's actions. It expires by itself at the end of its
 * window; an extension counts only within the grade's longest validity and without raising it.
 */
export function permitStatus(
	permit: PermitWindowFacts & {
		lifecycle: 'draft' | 'submitted' | 'cancelled';
	},
	approval: 'pending' | 'approved' | 'rejected' | 'returned' | 'none',
	actions: readonly PermitActionFact[],
	at: Date,
	calendar: PermitCalendar,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): PermitTimeline {
	let until = permit.validUntil;
	const refusedExtensions: PermitActionFact[] = [];
	const base = { until, refusedExtensions, since: null as string | null };
	if (permit.lifecycle === 'cancelled') return { ...base, status: 'cancelled' };
	if (permit.lifecycle === 'draft' || approval === 'none') return { ...base, status: 'draft' };
	if (approval !== 'approved') return { ...base, status: approval };

	const t = at.getTime();
	let suspended = false;
	let since: string | null = permit.validFrom;
	const ordered = [...actions].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
	for (const a of ordered) {
		if (Date.parse(a.at) > t) break;
		// Nothing acts on a permit after it ended (closed, or expired before the action).
		if (Date.parse(a.at) >= Date.parse(until)) break;
		if (a.action === 'close') return { status: 'closed', until, refusedExtensions, since: a.at };
		if (a.action === 'suspend' && !suspended) {
			suspended = true;
			since = a.at;
		} else if (a.action === 'resume' && suspended) {
			suspended = false;
			since = a.at;
		} else if (a.action === 'extend' && a.until) {
			if (
				Date.parse(a.until) > Date.parse(until) &&
				extensionProblem(permit, a.until, calendar, catalogue) === null
			)
				until = new Date(Date.parse(a.until)).toISOString();
			else refusedExtensions.push(a);
		}
	}
	if (t >= Date.parse(until)) return { status: 'expired', until, refusedExtensions, since: until };
	if (t < Date.parse(permit.validFrom))
		return { status: 'scheduled', until, refusedExtensions, since: null };
	return { status: suspended ? 'suspended' : 'active', until, refusedExtensions, since };
}

// ---------------------------------------------------------------------------------------------
// Clashes: two permits whose zones are the same or neighbours, whose windows overlap, and whose
// kinds must not run together; and one person on two overlapping permits in different places.

export interface PermitWindow {
	id: string;
	kind: string;
	zone: string;
	from: string;
	until: string;
	people: readonly { workerId: string; contractorId: string }[];
}

export interface Clash {
	kind: 'incompatible_work' | 'person_double_booked';
	a: string;
	b: string;
	zone: string;
	otherZone: string;
	workerId?: string;
	from: string;
	until: string;
}

export function clashes(
	permit: PermitWindow,
	others: readonly PermitWindow[],
	neighbours: (zoneA: string, zoneB: string) => boolean,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): Clash[] {
	const out: Clash[] = [];
	const kind = permitKind(permit.kind, catalogue);
	for (const other of others) {
		if (other.id === permit.id) continue;
		const from = permit.from > other.from ? permit.from : other.from;
		const until = permit.until < other.until ? permit.until : other.until;
		if (!(from < until)) continue;
		const near = permit.zone === other.zone || neighbours(permit.zone, other.zone);
		const otherKind = permitKind(other.kind, catalogue);
		const incompatible =
			!!kind &&
			(kind.clashesWith.includes(other.kind) || !!otherKind?.clashesWith.includes(permit.kind));
		if (near && incompatible)
			out.push({
				kind: 'incompatible_work',
				a: permit.id,
				b: other.id,
				zone: permit.zone,
				otherZone: other.zone,
				from,
				until
			});
		if (permit.zone !== other.zone)
			for (const p of permit.people)
				if (
					other.people.some((q) => q.workerId === p.workerId && q.contractorId === p.contractorId)
				)
					out.push({
						kind: 'person_double_booked',
						a: permit.id,
						b: other.id,
						zone: permit.zone,
						otherZone: other.zone,
						workerId: p.workerId,
						from,
						until
					});
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// Doors and interlocks: what permits mean for one worker in one zone at one instant.

export const ACCESS_REASON_CODES = [
	'PERMIT_REQUIRED',
	'PERMIT_NOT_ACTIVE',
	'PERMIT_ROLE_MISMATCH',
	'EQUIPMENT_UNKNOWN',
	'EQUIPMENT_OUT_OF_SERVICE',
	'ZONE_UNKNOWN',
	'ZONE_CLOSED',
	'WORKER_UNKNOWN',
	'PASS_INVALID',
	'NOT_ON_SITE'
] as const;
export type AccessReasonCode = (typeof ACCESS_REASON_CODES)[number];

export type AccessReason =
	| { code: 'PERMIT_REQUIRED'; severity: 'deny'; zone: string | null; kinds: string[] }
	| {
			code: 'PERMIT_NOT_ACTIVE';
			severity: 'deny';
			permitId: string;
			status: PermitStatus;
			until: string;
	  }
	| {
			code: 'PERMIT_ROLE_MISMATCH';
			severity: 'deny';
			permitId: string;
			role: string;
			needed: string[];
	  }
	| { code: 'EQUIPMENT_UNKNOWN'; severity: 'deny'; equipment: string }
	| { code: 'EQUIPMENT_OUT_OF_SERVICE'; severity: 'deny'; equipment: string }
	| { code: 'ZONE_UNKNOWN'; severity: 'deny'; zone: string }
	| { code: 'ZONE_CLOSED'; severity: 'deny'; zone: string }
	| { code: 'WORKER_UNKNOWN'; severity: 'deny' }
	| { code: 'PASS_INVALID'; severity: 'deny'; problem: string }
	| { code: 'NOT_ON_SITE'; severity: 'warn' };

/** One permit as the access rule sees it (already resolved to its status at the instant). */
export interface PermitOnRecord {
	id: string;
	kind: string;
	zone: string;
	status: PermitStatus;
	until: string;
	people: readonly { workerId: string; contractorId: string; role: string }[];
}

/**
 * Whether permits let this worker into a zone (or at a machine) that needs one of `kinds` (empty:
 * any kind). The worker must be on a permit for the zone that is active now; with `roleWorkType`,
 * in a role whose work types include it (the crane's operator, not its guardian).
 */
export function permitAccess(
	worker: { workerId: string; contractorId: string },
	/** The zone, or null: a permit of `kinds` in any zone (a machine without a fixed place). */
	zone: string | null,
	kinds: readonly string[],
	permits: readonly PermitOnRecord[],
	roleWorkType: string | null = null,
	catalogue: PermitCatalogue = PERMIT_CATALOGUE
): { allow: boolean; reasons: AccessReason[]; permit: PermitOnRecord | null } {
	const mine = permits.filter(
		(p) =>
			(zone === null || p.zone === zone) &&
			(kinds.length === 0 || kinds.includes(p.kind)) &&
			p.people.some((x) => x.workerId === worker.workerId && x.contractorId === worker.contractorId)
	);
	const active = mine.filter((p) => p.status === 'active');
	const roleOk = (p: PermitOnRecord) => {
		if (!roleWorkType) return true;
		const kind = permitKind(p.kind, catalogue);
		return p.people.some(
			(x) =>
				x.workerId === worker.workerId &&
				x.contractorId === worker.contractorId &&
				!!kind?.roles.find((r) => r.code === x.role)?.workTypes.includes(roleWorkType)
		);
	};
	const fit = active.find(roleOk);
	if (fit) return { allow: true, reasons: [], permit: fit };
	if (active.length > 0) {
		const p = active[0]!;
		const role = p.people.find(
			(x) => x.workerId === worker.workerId && x.contractorId === worker.contractorId
		)!.role;
		return {
			allow: false,
			permit: p,
			reasons: [
				{
					code: 'PERMIT_ROLE_MISMATCH',
					severity: 'deny',
					permitId: p.id,
					role,
					needed: roleWorkType ? [roleWorkType] : []
				}
			]
		};
	}
	// The most recent of the worker's permits here explains why it does not count now.
	const latest = [...mine].sort((a, b) => (a.until < b.until ? 1 : -1))[0];
	if (latest)
		return {
			allow: false,
			permit: latest,
			reasons: [
				{
					code: 'PERMIT_NOT_ACTIVE',
					severity: 'deny',
					permitId: latest.id,
					status: latest.status,
					until: latest.until
				}
			]
		};
	return {
		allow: false,
		permit: null,
		reasons: [{ code: 'PERMIT_REQUIRED', severity: 'deny', zone, kinds: [...kinds] }]
	};
}
