// Renders the domain's entry reasons (data with stable codes) as sentences a worker at the gate,
// a door controller's log or an approver can read, zh-CN first.
import {
	CERTIFICATE_CATALOGUE,
	findCatalogueItem,
	resolveWorkType,
	type Reason,
	type ReasonCode
} from '../domain';
import type { Locale } from './messages';

/** A certificate item or category by code, in the reader's language. */
export function certificateName(code: string, locale: Locale): string {
	const named =
		findCatalogueItem(code) ?? CERTIFICATE_CATALOGUE.categories.find((c) => c.code === code);
	if (!named) return code;
	return locale === 'zh-CN' ? named.nameZh : named.nameEn;
}

export function workTypeName(code: string, locale: Locale): string {
	const type = resolveWorkType(code);
	if (!type) return code;
	return locale === 'zh-CN' ? type.nameZh : type.nameEn;
}

type Of<C extends ReasonCode> = Extract<Reason, { code: C }>;
type Renderers = { [C in ReasonCode]: (r: Of<C>, l: Locale) => string };

const list = (codes: string[], l: Locale) =>
	codes.map((c) => certificateName(c, l)).join(l === 'zh-CN' ? '、' : ', ');
const cert = (r: { certificateCode: string }, l: Locale) => certificateName(r.certificateCode, l);

const zh: Renderers = {
	IDENTITY_UNCONFIRMED: () => '未能确认身份，请刷二维码或输入身份证号',
	LIVENESS_FAILED: () => '活体检测未通过，请本人正对摄像头重试',
	LIVENESS_UNCHECKED: () => '未完成活体检测',
	IDENTITY_MANUAL: () => '身份由人工确认',
	BLACKLISTED: (r) => `已列入黑名单（${r.reason}，自 ${r.since} 起）`,
	NOT_APPROVED: (r) =>
		r.detail === 'ended'
			? `入场审批已于 ${r.validUntil} 到期`
			: r.detail === 'not_yet_valid'
				? `入场审批自 ${r.validFrom} 起生效`
				: r.detail === 'other_site'
					? '入场审批不是本现场的'
					: '入场申请尚未审批通过',
	WORK_UNASSIGNED: () => '今日没有安排作业',
	WORK_TYPE_UNKNOWN: (r) => `未知的作业类型：${r.workType}`,
	CERT_MISSING: (r, l) => `${workTypeName(r.workType, l)}需要持有：${list(r.required, l)}`,
	SCOPE_MISMATCH: (r, l) =>
		`所持证书（${list(r.held, l)}）不能从事${workTypeName(r.workType, l)}，需要：${list(r.required, l)}`,
	CERT_REVOKED: (r, l) => `${cert(r, l)}证书已被吊销${r.byRegistry ? '（发证机关查询结果）' : ''}`,
	CERT_EXPIRED: (r, l) => `${cert(r, l)}证书已于 ${r.expiredOn} 过期`,
	CERT_REVIEW_OVERDUE: (r, l) => `${cert(r, l)}证书应于 ${r.reviewDueOn} 前复审，已逾期`,
	CERT_UNVERIFIED: (r, l) =>
		r.verification === 'not_found'
			? `${cert(r, l)}证书在发证机关查询不到`
			: r.verification === 'mismatch'
				? `${cert(r, l)}证书与持证人信息不符`
				: `${cert(r, l)}证书尚未核验真伪`,
	CERT_REVIEW_DUE: (r, l) =>
		`${cert(r, l)}证书将于 ${r.reviewDueOn} 复审（还有 ${r.daysToReview} 天）`,
	CERT_EXPIRING: (r, l) => `${cert(r, l)}证书将于 ${r.expiresOn} 到期（还有 ${r.daysToExpiry} 天）`,
	CERT_RECORD_DIFFERS: (r, l) => `${cert(r, l)}证书登记信息与发证机关不一致，以查询结果为准`,
	CERT_HOLDER_NAME_DIFFERS: (r, l) => `${cert(r, l)}证书持证人姓名为"${r.holderName}"，与本人不符`,
	TRAINING_MISSING: () => '未参加本现场入场安全教育',
	TRAINING_EXPIRED: (r) => `入场安全教育已于 ${r.expiredOn} 失效，需重新培训`,
	TRAINING_EXPIRING: (r) => `入场安全教育将于 ${r.validUntil} 失效（还有 ${r.daysLeft} 天）`,
	MEDICAL_MISSING: () => '没有有效的体检记录',
	MEDICAL_UNFIT: (r) => `${r.examDate} 体检结论为不合格`,
	MEDICAL_EXPIRED: (r) => `体检已于 ${r.expiredOn} 过期`,
	MEDICAL_RESTRICTED: (r) => `${r.examDate} 体检结论为限制性合格，请注意作业限制`,
	MEDICAL_EXPIRING: (r) => `体检将于 ${r.validUntil} 过期（还有 ${r.daysLeft} 天）`,
	PPE_MISSING: () => '请戴好安全帽后重新核验',
	PPE_UNCONFIRMED: () => '未能确认佩戴安全帽，请摘下遮挡、正对摄像头',
	ANTI_PASSBACK: () => '已在场内，未登记出场不能再次入场',
	EXIT_WITHOUT_ENTRY: () => '没有入场记录的出场'
};

const en: Renderers = {
	IDENTITY_UNCONFIRMED: () => 'Identity not confirmed: show your QR pass or enter your ID number',
	LIVENESS_FAILED: () => 'Liveness check failed: face the camera yourself and try again',
	LIVENESS_UNCHECKED: () => 'Liveness was not checked',
	IDENTITY_MANUAL: () => 'Identity confirmed by hand',
	BLACKLISTED: (r) => `Barred (${r.reason}, since ${r.since})`,
	NOT_APPROVED: (r) =>
		r.detail === 'ended'
			? `Entry approval ended on ${r.validUntil}`
			: r.detail === 'not_yet_valid'
				? `Entry approval starts on ${r.validFrom}`
				: r.detail === 'other_site'
					? 'Entry approval is for another site'
					: 'Entry application not approved',
	WORK_UNASSIGNED: () => 'No work assigned today',
	WORK_TYPE_UNKNOWN: (r) => `Unknown work type: ${r.workType}`,
	CERT_MISSING: (r, l) => `${workTypeName(r.workType, l)} requires: ${list(r.required, l)}`,
	SCOPE_MISMATCH: (r, l) =>
		`Certificates held (${list(r.held, l)}) do not cover ${workTypeName(r.workType, l)}; needs: ${list(r.required, l)}`,
	CERT_REVOKED: (r, l) => `${cert(r, l)} certificate revoked${r.byRegistry ? ' (registry)' : ''}`,
	CERT_EXPIRED: (r, l) => `${cert(r, l)} certificate expired on ${r.expiredOn}`,
	CERT_REVIEW_OVERDUE: (r, l) => `${cert(r, l)} certificate review was due by ${r.reviewDueOn}`,
	CERT_UNVERIFIED: (r, l) =>
		r.verification === 'not_found'
			? `${cert(r, l)} certificate not found in the registry`
			: r.verification === 'mismatch'
				? `${cert(r, l)} certificate does not match its holder`
				: `${cert(r, l)} certificate not yet verified`,
	CERT_REVIEW_DUE: (r, l) =>
		`${cert(r, l)} certificate review due ${r.reviewDueOn} (${r.daysToReview} days)`,
	CERT_EXPIRING: (r, l) =>
		`${cert(r, l)} certificate expires ${r.expiresOn} (${r.daysToExpiry} days)`,
	CERT_RECORD_DIFFERS: (r, l) =>
		`${cert(r, l)} certificate record differs from the registry; the registry's dates apply`,
	CERT_HOLDER_NAME_DIFFERS: (r, l) =>
		`${cert(r, l)} certificate is in the name "${r.holderName}", not this worker's`,
	TRAINING_MISSING: () => 'No site induction at this site',
	TRAINING_EXPIRED: (r) => `Site induction lapsed on ${r.expiredOn}: retrain`,
	TRAINING_EXPIRING: (r) => `Site induction lapses ${r.validUntil} (${r.daysLeft} days)`,
	MEDICAL_MISSING: () => 'No valid medical examination',
	MEDICAL_UNFIT: (r) => `Medical examination of ${r.examDate}: unfit`,
	MEDICAL_EXPIRED: (r) => `Medical examination lapsed on ${r.expiredOn}`,
	MEDICAL_RESTRICTED: (r) => `Medical examination of ${r.examDate}: fit with restrictions`,
	MEDICAL_EXPIRING: (r) => `Medical examination lapses ${r.validUntil} (${r.daysLeft} days)`,
	PPE_MISSING: () => 'Put your hard hat on and check again',
	PPE_UNCONFIRMED: () => 'Hard hat not confirmed: face the camera with nothing covering your head',
	ANTI_PASSBACK: () => 'Already on site: exit before entering again',
	EXIT_WITHOUT_ENTRY: () => 'Exit without a recorded entry'
};

const RENDERERS: Record<Locale, Renderers> = { 'zh-CN': zh, en };

export function describeReason(reason: Reason, locale: Locale): string {
	const render = RENDERERS[locale][reason.code] as (r: Reason, l: Locale) => string;
	return render(reason, locale);
}
