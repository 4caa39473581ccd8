// The work-scope matrix (who may do what) as versioned data, site overrides, and `coverage`: whether a
// worker's certificates allow a work type at a kind of site. Certificate status is judged elsewhere.

import { CERTIFICATE_CATALOGUE, findCatalogueItem, type CertificateCatalogue } from './catalogue';
import type { Certificate } from './certificate-status';

export type SiteKind = 'construction' | 'industrial' | 'chemical' | 'other';

export const SITE_KINDS: readonly SiteKind[] = ['construction', 'industrial', 'chemical', 'other'];

/**
 * One certificate that satisfies a work type. `code` is a catalogue item code ('SO-ELEC-HV') or a
 * category code ('SO-WELD' = any welding sub-item), so a site can be as strict as it needs.
 */
export interface CertificateAlternative {
	code: string;
	/** Counts only on these kinds of site (e.g. 住建 trades on building sites); absent = everywhere. */
	siteKinds?: readonly SiteKind[];
}

export interface WorkType {
	code: string;
	nameZh: string;
	nameEn: string;
	/** Any one of these suffices; an empty list means no certificate is needed. */
	requiresAnyOf: readonly CertificateAlternative[];
}

export interface WorkScopeMatrix {
	version: string;
	workTypes: readonly WorkType[];
}

const BUILDING: readonly SiteKind[] = ['construction'];

export const WORK_SCOPE_MATRIX: WorkScopeMatrix = {
	version: '2026.1',
	workTypes: [
		{
			code: 'hv_electrical',
			nameZh: '高压电气作业',
			nameEn: 'High-voltage electrical work',
			// A low-voltage card never suffices: the trades are examined separately.
			requiresAnyOf: [{ code: 'SO-ELEC-HV' }]
		},
		{
			code: 'lv_electrical',
			nameZh: '低压电气作业',
			nameEn: 'Low-voltage electrical work',
			requiresAnyOf: [{ code: 'SO-ELEC-LV' }, { code: 'CN-ELECTRICIAN', siteKinds: BUILDING }]
		},
		{
			code: 'explosion_proof_electrical',
			nameZh: '防爆电气作业',
			nameEn: 'Explosion-proof electrical work',
			requiresAnyOf: [{ code: 'SO-ELEC-EXPL' }]
		},
		{
			code: 'scaffolding',
			nameZh: '登高架设',
			nameEn: 'Scaffold erection',
			requiresAnyOf: [{ code: 'SO-HEIGHT-SCAFFOLD' }, { code: 'CN-SCAFFOLD', siteKinds: BUILDING }]
		},
		{
			code: 'height_maintenance',
			nameZh: '高处安装、维护、拆除',
			nameEn: 'Installation, maintenance and dismantling at height',
			requiresAnyOf: [{ code: 'SO-HEIGHT-MAINT' }]
		},
		{
			code: 'hot_work',
			nameZh: '动火 / 焊接与热切割',
			nameEn: 'Hot work: welding and thermal cutting',
			// The matching sub-item only; a site that accepts any welding card overrides with 'SO-WELD'.
			requiresAnyOf: [{ code: 'SO-WELD-FUSION' }]
		},
		{
			code: 'crane_operator',
			nameZh: '起重机司机(吊装)',
			nameEn: 'Crane operator',
			requiresAnyOf: [
				{ code: 'SE-2019-Q2' },
				// 2011 driver items, so an old card is reported as expired rather than as the wrong trade.
				{ code: 'SE-2011-Q4' },
				{ code: 'SE-2011-Q5' },
				{ code: 'SE-2011-Q6' },
				{ code: 'SE-2011-Q7' },
				{ code: 'SE-2011-Q8' },
				{ code: 'SE-2011-Q9' },
				{ code: 'CN-CRANE-OPERATOR', siteKinds: BUILDING }
			]
		},
		{
			code: 'crane_signaller',
			nameZh: '起重指挥 / 司索',
			nameEn: 'Crane signaller / rigger',
			requiresAnyOf: [
				{ code: 'SE-2019-Q1' },
				{ code: 'SE-2011-Q3' },
				{ code: 'CN-RIGGER-SIGNAL', siteKinds: BUILDING }
			]
		},
		{
			code: 'crane_installation',
			nameZh: '起重机械安装拆卸',
			nameEn: 'Crane installation and dismantling',
			requiresAnyOf: [{ code: 'CN-CRANE-INSTALL', siteKinds: BUILDING }]
		},
		{
			code: 'gondola_installation',
			nameZh: '高处作业吊篮安装拆卸',
			nameEn: 'Suspended platform installation and dismantling',
			requiresAnyOf: [{ code: 'CN-GONDOLA', siteKinds: BUILDING }]
		},
		{
			code: 'forklift',
			nameZh: '叉车驾驶',
			nameEn: 'Forklift driving',
			requiresAnyOf: [{ code: 'SE-2019-N1' }, { code: 'SE-2011-N2' }]
		},
		{
			code: 'refrigeration',
			nameZh: '制冷与空调作业',
			nameEn: 'Refrigeration and air conditioning',
			// Sub-items unconfirmed: any card of the category.
			requiresAnyOf: [{ code: 'SO-REFRIG' }]
		},
		{
			code: 'general_labour',
			nameZh: '普工(无特种作业)',
			nameEn: 'General labour (no special operation)',
			requiresAnyOf: []
		}
	]
};

/** A site's local additions to the matrix, stored with the site's rules. */
export interface SiteScopeOverrides {
	/** New work types, or replacements of built-in ones with the same code. */
	workTypes?: readonly WorkType[];
	/** Further certificates accepted for a work type, by work-type code. */
	extraAlternatives?: Readonly<Record<string, readonly CertificateAlternative[]>>;
}

export interface CoverageOptions {
	siteKind: SiteKind;
	overrides?: SiteScopeOverrides | null;
	matrix?: WorkScopeMatrix;
	catalogue?: CertificateCatalogue;
}

export interface Coverage {
	/** The work type after overrides, or null when the code is unknown (then never covered). */
	workType: WorkType | null;
	covered: boolean;
	/** Alternatives that count at this kind of site; empty when nothing is required. */
	required: CertificateAlternative[];
	/** Certificates whose code satisfies one of `required`, whatever their status. */
	matching: Certificate[];
	/** Distinct codes of all certificates held, for explaining a mismatch. */
	heldCodes: string[];
}

/** The effective work type at a site: built-in or site-defined, plus the site's extra alternatives. */
export function resolveWorkType(
	code: string,
	overrides: SiteScopeOverrides | null = null,
	matrix: WorkScopeMatrix = WORK_SCOPE_MATRIX
): WorkType | null {
	const base =
		overrides?.workTypes?.find((w) => w.code === code) ??
		matrix.workTypes.find((w) => w.code === code) ??
		null;
	const extra = overrides?.extraAlternatives?.[code] ?? [];
	if (base === null || extra.length === 0) return base;
	return { ...base, requiresAnyOf: [...base.requiresAnyOf, ...extra] };
}

/** All work types in effect at a site, built-in first, in matrix order. */
export function siteWorkTypes(
	overrides: SiteScopeOverrides | null = null,
	matrix: WorkScopeMatrix = WORK_SCOPE_MATRIX
): WorkType[] {
	const codes = [
		...matrix.workTypes.map((w) => w.code),
		...(overrides?.workTypes ?? []).map((w) => w.code)
	];
	return [...new Set(codes)].flatMap((code) => resolveWorkType(code, overrides, matrix) ?? []);
}

function satisfies(
	cert: Certificate,
	alternative: CertificateAlternative,
	catalogue: CertificateCatalogue
): boolean {
	if (cert.code === alternative.code) return true;
	return findCatalogueItem(cert.code, catalogue)?.category === alternative.code;
}

/** Which certificates allow `workTypeCode` at this kind of site. Status-agnostic by design. */
export function coverage(
	workTypeCode: string,
	certificates: readonly Certificate[],
	options: CoverageOptions
): Coverage {
	const catalogue = options.catalogue ?? CERTIFICATE_CATALOGUE;
	const workType = resolveWorkType(workTypeCode, options.overrides ?? null, options.matrix);
	const heldCodes = [...new Set(certificates.map((c) => c.code))];
	if (workType === null) return { workType, covered: false, required: [], matching: [], heldCodes };

	const required = workType.requiresAnyOf.filter(
		(alt) => alt.siteKinds === undefined || alt.siteKinds.includes(options.siteKind)
	);
	const matching = certificates.filter((cert) =>
		required.some((alt) => satisfies(cert, alt, catalogue))
	);
	// A work type that needs certificates but none count at this kind of site is not covered.
	const covered = workType.requiresAnyOf.length === 0 || matching.length > 0;
	return { workType, covered, required, matching, heldCodes };
}
