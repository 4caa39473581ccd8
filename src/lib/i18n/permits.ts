// Work permits and the integration API's reasons as sentences, zh-CN first: permit kinds, grades and
// roles by code, what blocks a permit, and why a door or an interlock said no.
import {
	permitKind,
	type AccessReason,
	type AccessReasonCode,
	type PermitProblem,
	type PermitProblemCode,
	type PermitStatus,
	type Reason
} from '../domain';
import type { Clash } from '../domain';
import type { Locale } from './messages';
import { describeReason, workTypeName } from './reasons';

const zhEn = (l: Locale, zh: string, en: string) => (l === 'zh-CN' ? zh : en);

export function permitKindName(code: string, l: Locale): string {
	const k = permitKind(code);
	return k ? zhEn(l, k.nameZh, k.nameEn) : code;
}

export function permitGradeName(kind: string, grade: string, l: Locale): string {
	const g = permitKind(kind)?.grades.find((x) => x.code === grade);
	if (!g) return grade;
	if (g.code === 'single') return zhEn(l, '不分级', 'Ungraded');
	return zhEn(l, g.nameZh, g.nameEn);
}

export function permitRoleName(kind: string, role: string, l: Locale): string {
	const r = permitKind(kind)?.roles.find((x) => x.code === role);
	return r ? zhEn(l, r.nameZh, r.nameEn) : role;
}

export const PERMIT_STATUS_NAMES: Record<PermitStatus, { zh: string; en: string }> = {
	draft: { zh: '草稿', en: 'Draft' },
	pending: { zh: '审批中', en: 'Awaiting approval' },
	returned: { zh: '已退回', en: 'Returned' },
	rejected: { zh: '已驳回', en: 'Rejected' },
	cancelled: { zh: '已作废', en: 'Cancelled' },
	scheduled: { zh: '待开始', en: 'Approved, not started' },
	active: { zh: '有效', en: 'Active' },
	suspended: { zh: '已暂停', en: 'Suspended' },
	closed: { zh: '已关闭', en: 'Closed' },
	expired: { zh: '已过期', en: 'Expired' }
};

export function permitStatusName(status: PermitStatus, l: Locale): string {
	const n = PERMIT_STATUS_NAMES[status];
	return zhEn(l, n.zh, n.en);
}

type Problem<C extends PermitProblemCode> = PermitProblem & { code: C };
const d = (p: PermitProblem, k: string) => p.detail?.[k] ?? '';

const PROBLEMS: Record<
	PermitProblemCode,
	(p: Problem<PermitProblemCode>, l: Locale, kind: string) => string
> = {
	KIND_UNKNOWN: (p, l) =>
		zhEn(l, `未知的作业票种类：${d(p, 'kind')}`, `Unknown permit kind: ${d(p, 'kind')}`),
	GRADE_UNKNOWN: (p, l) =>
		zhEn(l, `未知的作业级别：${d(p, 'grade')}`, `Unknown grade: ${d(p, 'grade')}`),
	GRADE_RAISED: (p, l, kind) => {
		const why = [
			d(p, 'night') ? zhEn(l, '夜间', 'at night') : '',
			d(p, 'holiday') ? zhEn(l, '节假日', 'on a holiday') : ''
		]
			.filter(Boolean)
			.join(zhEn(l, '、', ' and '));
		return zhEn(
			l,
			`${why}作业，升级为${permitGradeName(kind, String(d(p, 'to')), l)}管理`,
			`Work ${why}: raised to ${permitGradeName(kind, String(d(p, 'to')), l)}`
		);
	},
	HEIGHT_GRADE_MISMATCH: (p, l, kind) =>
		zhEn(
			l,
			`作业高度 ${d(p, 'metres')} m 应为${permitGradeName(kind, String(d(p, 'expected')), l)}`,
			`A working height of ${d(p, 'metres')} m is ${permitGradeName(kind, String(d(p, 'expected')), l)}`
		),
	WINDOW_INVALID: (_p, l) =>
		zhEn(l, '作业时间不正确：结束须晚于开始', 'The window must end after it starts'),
	WINDOW_TOO_LONG: (p, l) =>
		zhEn(
			l,
			`有效期 ${d(p, 'hours')} 小时，超过该级别最长 ${d(p, 'maxHours')} 小时`,
			`${d(p, 'hours')} h exceeds this grade's longest validity of ${d(p, 'maxHours')} h`
		),
	ROLE_UNKNOWN: (p, l) =>
		zhEn(l, `该作业票没有"${p.role}"这一角色`, `No role "${p.role}" on this kind of permit`),
	ROLE_MISSING: (p, l, kind) =>
		zhEn(
			l,
			`缺少${permitRoleName(kind, p.role ?? '', l)}（至少 ${d(p, 'min')} 人）`,
			`${permitRoleName(kind, p.role ?? '', l)} missing (at least ${d(p, 'min')})`
		),
	ROLE_TOO_MANY: (p, l, kind) =>
		zhEn(
			l,
			`${permitRoleName(kind, p.role ?? '', l)}最多 ${d(p, 'max')} 人`,
			`At most ${d(p, 'max')} × ${permitRoleName(kind, p.role ?? '', l)}`
		),
	PERSON_TWICE: (_p, l) => zhEn(l, '同一人员重复列入', 'The same person is listed twice'),
	PERSON_UNKNOWN: (_p, l) =>
		zhEn(l, '本机没有该人员的证书记录', 'This device holds no certificates for this person'),
	PERSON_NOT_QUALIFIED: (p, l, kind) =>
		zhEn(
			l,
			`不能担任${permitRoleName(kind, p.role ?? '', l)}：`,
			`Cannot act as ${permitRoleName(kind, p.role ?? '', l)}: `
		) + (p.reasons ?? []).map((r) => describeReason(r, l)).join(zhEn(l, '；', '; ')),
	GAS_TEST_MISSING: (_p, l) => zhEn(l, '尚未录入气体检测结果', 'No gas test recorded'),
	GAS_TEST_STALE: (p, l) =>
		zhEn(
			l,
			`气体检测已过 ${d(p, 'minutes')} 分钟，须在作业前 ${d(p, 'maxAgeMinutes')} 分钟内`,
			`Gas test is ${d(p, 'minutes')} min old; it must be within ${d(p, 'maxAgeMinutes')} min of the start`
		),
	GAS_OUT_OF_RANGE: (p, l) =>
		zhEn(
			l,
			`气体检测不合格：氧 ${d(p, 'o2Pct')}%（应 ${d(p, 'o2Min')}–${d(p, 'o2Max')}%），可燃气 ${d(p, 'lelPct')}% LEL（应 ≤ ${d(p, 'lelMaxPct')}%）`,
			`Gas test failed: O₂ ${d(p, 'o2Pct')}% (${d(p, 'o2Min')}–${d(p, 'o2Max')}%), flammables ${d(p, 'lelPct')}% LEL (≤ ${d(p, 'lelMaxPct')}%)`
		),
	ISOLATION_MISSING: (_p, l) =>
		zhEn(l, '未列出能量隔离（上锁挂牌）点', 'No isolation (lock-out/tag-out) listed'),
	ISOLATION_UNCONFIRMED: (p, l) =>
		zhEn(
			l,
			`隔离点"${d(p, 'point')}"尚未确认上锁挂牌`,
			`Isolation "${d(p, 'point')}" not confirmed`
		),
	NO_WORK_DESCRIBED: (_p, l) => zhEn(l, '请填写作业内容', 'Describe the work'),
	NO_MEASURES: (_p, l) => zhEn(l, '请至少填写一项安全措施', 'List at least one safety measure')
};

export function describePermitProblem(p: PermitProblem, kind: string, l: Locale): string {
	return PROBLEMS[p.code](p as Problem<PermitProblemCode>, l, kind);
}

type Access<C extends AccessReasonCode> = Extract<AccessReason, { code: C }>;
const ACCESS: { [C in AccessReasonCode]: (r: Access<C>, l: Locale) => string } = {
	PERMIT_REQUIRED: (r, l) =>
		zhEn(
			l,
			`进入该区域须持有效作业票${r.kinds.length ? `（${r.kinds.map((k) => permitKindName(k, l)).join('、')}）` : ''}`,
			`This zone needs an active permit${r.kinds.length ? ` (${r.kinds.map((k) => permitKindName(k, l)).join(', ')})` : ''}`
		),
	PERMIT_NOT_ACTIVE: (r, l) =>
		zhEn(
			l,
			`作业票${permitStatusName(r.status, l)}（截止 ${r.until.slice(0, 16).replace('T', ' ')}）`,
			`Permit ${permitStatusName(r.status, l).toLowerCase()} (until ${r.until.slice(0, 16).replace('T', ' ')})`
		),
	PERMIT_ROLE_MISMATCH: (r, l) =>
		zhEn(
			l,
			`作业票上的角色不能从事${r.needed.map((w) => workTypeName(w, l)).join('、')}`,
			`The role on the permit does not allow ${r.needed.map((w) => workTypeName(w, l)).join(', ')}`
		),
	EQUIPMENT_UNKNOWN: (r, l) =>
		zhEn(l, `未登记的设备：${r.equipment}`, `Unregistered equipment: ${r.equipment}`),
	EQUIPMENT_OUT_OF_SERVICE: (_r, l) => zhEn(l, '设备已停用', 'Equipment out of service'),
	ZONE_UNKNOWN: (r, l) => zhEn(l, `未登记的区域：${r.zone}`, `Unknown zone: ${r.zone}`),
	ZONE_CLOSED: (r, l) =>
		zhEn(l, `禁止任何人进入该区域（${r.zone}）`, `Nobody may enter this zone (${r.zone})`),
	WORKER_UNKNOWN: (_r, l) => zhEn(l, '查无此人', 'No such worker'),
	PASS_INVALID: (r, l) => zhEn(l, `二维码无效（${r.problem}）`, `Pass not valid (${r.problem})`),
	NOT_ON_SITE: (_r, l) => zhEn(l, '未记录其进场', 'No entry to the site recorded')
};

const ACCESS_CODES = new Set<string>(Object.keys(ACCESS));

/** Any reason an authorisation can give: the gate's (decideEntry) or the permits'. */
export function describeAuthorizeReason(reason: Reason | AccessReason, l: Locale): string {
	if (ACCESS_CODES.has(reason.code)) {
		const render = ACCESS[reason.code as AccessReasonCode] as (
			r: AccessReason,
			l: Locale
		) => string;
		return render(reason as AccessReason, l);
	}
	return describeReason(reason as Reason, l);
}

export function describeClash(
	c: Clash,
	kinds: { a: string; b: string },
	zoneName: (id: string) => string,
	l: Locale
): string {
	if (c.kind === 'person_double_booked')
		return zhEn(
			l,
			`同一人员同时列在${zoneName(c.zone)}和${zoneName(c.otherZone)}的作业票上`,
			`The same person is on permits in ${zoneName(c.zone)} and ${zoneName(c.otherZone)} at once`
		);
	return zhEn(
		l,
		`与${zoneName(c.otherZone)}的${permitKindName(kinds.b, l)}同时进行，属于不相容作业`,
		`Runs at the same time as ${permitKindName(kinds.b, l).toLowerCase()} in ${zoneName(c.otherZone)}: incompatible work`
	);
}
