// Import fields and column mapping: which sheet column feeds which worker/certificate field,
// suggested from the header names contractors actually use (Chinese and English); the UI lets the
// user change it.
import { halfWidth } from './cells';

export const IMPORT_FIELDS = [
	'name',
	'docType',
	'docNumber',
	'phone',
	'trade',
	'certType',
	'certNumber',
	'certIssuedOn',
	'certExpiresOn',
	'certNextReviewOn',
	'certIssuer',
	'bloodType',
	'allergies',
	'emergencyName',
	'emergencyRelation',
	'emergencyPhone'
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

export interface FieldSpec {
	field: ImportField;
	/** A row without this value is refused. */
	required: boolean;
	/** Group the field belongs to: the worker, their certificate, or consent-bound extras. */
	group: 'worker' | 'certificate' | 'health' | 'emergency';
	/** The usual sheet header (zh), used as the error column when the field has no column. */
	header: string;
	/** Header names that suggest the field; matched after normalisation (see `normaliseHeader`). */
	synonyms: readonly string[];
	/** A header containing one of these is never this field (身份证有效期 is not a certificate's). */
	exclude?: readonly string[];
}

const ID_CARD = ['身份证', '证件', 'idcard', 'id card'];

export const FIELD_SPECS: readonly FieldSpec[] = [
	{
		field: 'name',
		required: true,
		group: 'worker',
		header: '姓名',
		synonyms: [
			'姓名',
			'名字',
			'人员姓名',
			'工人姓名',
			'员工姓名',
			'作业人员',
			'name',
			'full name',
			'worker name',
			'worker'
		],
		exclude: ['紧急', '联系人', 'emergency', 'contact', '证书名称', 'certificate']
	},
	{
		field: 'docType',
		required: false,
		group: 'worker',
		header: '证件类型',
		synonyms: [
			'证件类型',
			'证件种类',
			'证件名称',
			'身份证件类型',
			'document type',
			'id type',
			'doc type'
		]
	},
	{
		field: 'docNumber',
		required: true,
		group: 'worker',
		header: '身份证号',
		synonyms: [
			'身份证号',
			'身份证号码',
			'身份证',
			'证件号码',
			'证件号',
			'公民身份号码',
			'身份证件号码',
			'id',
			'id no',
			'id number',
			'id card no',
			'id card number',
			'document number',
			'document no',
			'passport no'
		],
		exclude: ['有效期', '签发', '类型', '地址', 'expiry', 'type']
	},
	{
		field: 'phone',
		required: false,
		group: 'worker',
		header: '手机号',
		synonyms: [
			'手机',
			'手机号',
			'手机号码',
			'电话',
			'电话号码',
			'联系电话',
			'联系方式',
			'phone',
			'mobile',
			'tel',
			'telephone',
			'phone number',
			'mobile phone'
		],
		exclude: ['紧急', 'emergency']
	},
	{
		field: 'trade',
		required: false,
		group: 'worker',
		header: '工种',
		synonyms: [
			'工种',
			'岗位',
			'职务',
			'工种名称',
			'trade',
			'job',
			'occupation',
			'position',
			'work type'
		]
	},
	{
		field: 'certType',
		required: false,
		group: 'certificate',
		header: '证书类型',
		synonyms: [
			'证书类型',
			'证书类别',
			'证书名称',
			'作业类别',
			'操作项目',
			'准操项目',
			'作业项目',
			'特种作业类别',
			'资格项目',
			'证书种类',
			'certificate type',
			'certificate',
			'cert type',
			'operation category'
		],
		exclude: ID_CARD
	},
	{
		field: 'certNumber',
		required: false,
		group: 'certificate',
		header: '证书编号',
		synonyms: [
			'证书编号',
			'证书号',
			'证书号码',
			'证号',
			'操作证号',
			'操作证编号',
			'资格证号',
			'certificate no',
			'certificate number',
			'cert no',
			'licence no',
			'license no'
		],
		exclude: ID_CARD
	},
	{
		field: 'certIssuedOn',
		required: false,
		group: 'certificate',
		header: '发证日期',
		synonyms: [
			'发证日期',
			'初领日期',
			'取证日期',
			'领证日期',
			'发证时间',
			'取证时间',
			'签发日期',
			'issue date',
			'issued',
			'issued on',
			'date of issue'
		],
		exclude: ID_CARD
	},
	{
		field: 'certExpiresOn',
		required: false,
		group: 'certificate',
		header: '有效期至',
		synonyms: [
			'有效期至',
			'有效期',
			'有效期限',
			'到期日期',
			'到期时间',
			'截止日期',
			'有效截止日期',
			'有效日期',
			'expiry',
			'expiry date',
			'expires',
			'expires on',
			'valid until',
			'valid to'
		],
		exclude: ID_CARD
	},
	{
		field: 'certNextReviewOn',
		required: false,
		group: 'certificate',
		header: '复审日期',
		synonyms: [
			'复审日期',
			'下次复审',
			'下次复审日期',
			'复审时间',
			'应复审日期',
			'review date',
			'next review'
		],
		exclude: ID_CARD
	},
	{
		field: 'certIssuer',
		required: false,
		group: 'certificate',
		header: '发证机关',
		synonyms: [
			'发证机关',
			'发证单位',
			'发证部门',
			'签发机关',
			'issuer',
			'issuing authority',
			'issued by'
		],
		exclude: ID_CARD
	},
	{
		field: 'bloodType',
		required: false,
		group: 'health',
		header: '血型',
		synonyms: ['血型', 'blood type', 'blood group']
	},
	{
		field: 'allergies',
		required: false,
		group: 'health',
		header: '过敏史',
		synonyms: ['过敏史', '过敏', '药物过敏', 'allergies', 'allergy']
	},
	{
		field: 'emergencyName',
		required: false,
		group: 'emergency',
		header: '紧急联系人',
		synonyms: ['紧急联系人', '紧急联系人姓名', 'emergency contact', 'emergency contact name'],
		exclude: ['电话', '手机', '关系', 'phone', 'relation']
	},
	{
		field: 'emergencyRelation',
		required: false,
		group: 'emergency',
		header: '与紧急联系人关系',
		synonyms: [
			'与紧急联系人关系',
			'紧急联系人关系',
			'与本人关系',
			'关系',
			'relation',
			'relationship'
		]
	},
	{
		field: 'emergencyPhone',
		required: false,
		group: 'emergency',
		header: '紧急联系电话',
		synonyms: [
			'紧急联系电话',
			'紧急联系人电话',
			'紧急联系人手机',
			'紧急电话',
			'emergency phone',
			'emergency contact phone'
		]
	}
];

const SPEC = new Map(FIELD_SPECS.map((s) => [s.field, s]));

export function fieldSpec(field: ImportField): FieldSpec {
	return SPEC.get(field)!;
}

export const REQUIRED_FIELDS: readonly ImportField[] = FIELD_SPECS.filter((s) => s.required).map(
	(s) => s.field
);

/** field → 0-based column index in the sheet's header row. */
export type ColumnMapping = Partial<Record<ImportField, number>>;

/** Lower-case, half-width, no spaces, stars or bracketed notes ('身份证号码（必填）*' → '身份证号码'). */
export function normaliseHeader(header: string): string {
	return halfWidth(header)
		.toLowerCase()
		.replace(/\([^)]*\)|\[[^\]]*\]|【[^】]*】/g, '')
		.replace(/[*:#]/g, '')
		.replace(/[_.\s]+/g, ' ')
		.trim();
}

const ASCII = /^[\x20-\x7e]+$/;

function score(header: string, spec: FieldSpec): number {
	const compact = header.replace(/\s/g, '');
	if (spec.exclude?.some((x) => compact.includes(x.replace(/\s/g, '')))) return 0;
	let best = 0;
	for (const synonym of spec.synonyms) {
		const syn = synonym.replace(/\s/g, '');
		if (compact === syn) return 1000 + syn.length;
		const hit = ASCII.test(synonym)
			? new RegExp(`(^|[^a-z0-9])${synonym.replace(/ /g, '[ ]?')}($|[^a-z0-9])`).test(header)
			: compact.includes(syn);
		if (hit) best = Math.max(best, syn.length * 10);
	}
	return best;
}

/**
 * Suggests a column for each field from the header names: exact names first, then headers that
 * contain a known name (longest wins), each column used once. Unmatched fields are left out.
 */
export function suggestMapping(headers: readonly (string | null)[]): ColumnMapping {
	const candidates: { field: ImportField; column: number; score: number }[] = [];
	headers.forEach((raw, column) => {
		const header = normaliseHeader(raw ?? '');
		if (header === '') return;
		for (const spec of FIELD_SPECS) {
			const s = score(header, spec);
			if (s > 0) candidates.push({ field: spec.field, column, score: s });
		}
	});
	candidates.sort((a, b) => b.score - a.score || a.column - b.column);
	const mapping: ColumnMapping = {};
	const used = new Set<number>();
	for (const c of candidates) {
		if (mapping[c.field] !== undefined || used.has(c.column)) continue;
		mapping[c.field] = c.column;
		used.add(c.column);
	}
	return mapping;
}

export type MappingProblem =
	| { code: 'REQUIRED_UNMAPPED'; field: ImportField }
	| { code: 'COLUMN_TWICE'; column: number; fields: ImportField[] }
	| { code: 'COLUMN_OUT_OF_RANGE'; field: ImportField; column: number };

/** What is wrong with a (user-edited) mapping before any row is checked. */
export function mappingProblems(mapping: ColumnMapping, columnCount: number): MappingProblem[] {
	const problems: MappingProblem[] = [];
	for (const field of REQUIRED_FIELDS) {
		if (mapping[field] === undefined) problems.push({ code: 'REQUIRED_UNMAPPED', field });
	}
	const byColumn = new Map<number, ImportField[]>();
	for (const field of IMPORT_FIELDS) {
		const column = mapping[field];
		if (column === undefined) continue;
		if (!Number.isInteger(column) || column < 0 || column >= columnCount) {
			problems.push({ code: 'COLUMN_OUT_OF_RANGE', field, column });
			continue;
		}
		byColumn.set(column, [...(byColumn.get(column) ?? []), field]);
	}
	for (const [column, fields] of byColumn) {
		if (fields.length > 1) problems.push({ code: 'COLUMN_TWICE', column, fields });
	}
	return problems;
}
