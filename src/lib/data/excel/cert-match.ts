// Certificate type text from a sheet → catalogue item: by zh name (with or without '作业' and
// '操作证'-style suffixes, the regime's name around it), by the card's 项目代号 ('Q2', 'N1'; the
// 2019 special-equipment catalogue unless told otherwise), or by our own stable code.
import { CERTIFICATE_CATALOGUE, type CatalogueItem, type CertificateCatalogue } from '../../domain';
import { halfWidth } from './cells';

export type CertMatch =
	| { ok: true; item: CatalogueItem }
	| { ok: false; code: 'CERT_TYPE_UNKNOWN' }
	/** Several items fit (a category name such as '电工作业', or a code and a name that disagree). */
	| { ok: false; code: 'CERT_TYPE_AMBIGUOUS'; candidates: string[] };

export interface CertMatchOptions {
	catalogue?: CertificateCatalogue;
	/** Edition a bare 项目代号 is read in (default '2019'): 2011 'Q2' is another item. */
	officialCodeVersion?: string;
}

// Removed before comparing names: spaces, punctuation people add or drop ('高处安装维护拆除').
const NOISE = /[\s、，,。.·・'"“”‘’/\\_\-—–:：;；]/g;
const BRACKETS: Record<string, string> = {
	'【': '(',
	'】': ')',
	'〔': '(',
	'〕': ')',
	'[': '(',
	']': ')'
};

function norm(text: string): string {
	return halfWidth(text)
		.replace(/[【】〔〕[\]]/g, (c) => BRACKETS[c] ?? c)
		.replace(NOISE, '')
		.toUpperCase();
}

// Words around the item name on cards and in sheets: regime names, '证', '作业'.
const PREFIXES = [
	'建筑施工特种作业操作资格证书',
	'建筑施工特种作业操作资格证',
	'建筑施工特种作业',
	'特种设备作业人员证',
	'特种设备作业人员',
	'特种设备作业',
	'特种作业操作证',
	'特种作业'
].map(norm);
const SUFFIXES = [
	'操作资格证书',
	'操作资格证',
	'资格证书',
	'资格证',
	'操作证',
	'证书',
	'证',
	'作业'
];

function stripSuffixes(text: string): string[] {
	const out = [text];
	let current = text;
	for (let changed = true; changed;) {
		changed = false;
		for (const suffix of SUFFIXES) {
			if (current.length > suffix.length && current.endsWith(suffix)) {
				current = current.slice(0, -suffix.length);
				out.push(current);
				changed = true;
			}
		}
	}
	return out;
}

function variants(input: string): string[] {
	const full = norm(input);
	const bases = new Set([full]);
	// '特种作业操作证(高压电工作业)': the part in brackets, and the text without it.
	const inner = /^(.*)\(([^()]+)\)$/.exec(full);
	if (inner) {
		bases.add(inner[2]!);
		if (inner[1]) bases.add(inner[1]);
	}
	const out = new Set<string>();
	for (const base of bases) {
		const withoutPrefix = PREFIXES.reduce(
			(t, p) => (t.startsWith(p) && t.length > p.length ? t.slice(p.length) : t),
			base
		);
		for (const b of new Set([base, withoutPrefix])) for (const v of stripSuffixes(b)) out.add(v);
	}
	return [...out].filter((v) => v !== '');
}

interface Index {
	byCode: Map<string, CatalogueItem>;
	byName: Map<string, CatalogueItem[]>;
	byCategory: Map<string, CatalogueItem[]>;
}

const indexes = new WeakMap<CertificateCatalogue, Index>();

function add<T>(map: Map<string, T[]>, key: string, value: T) {
	const list = map.get(key);
	if (!list) map.set(key, [value]);
	else if (!list.includes(value)) list.push(value);
}

function index(catalogue: CertificateCatalogue): Index {
	let idx = indexes.get(catalogue);
	if (idx) return idx;
	idx = { byCode: new Map(), byName: new Map(), byCategory: new Map() };
	for (const item of catalogue.items) {
		idx.byCode.set(item.code.toUpperCase(), item);
		for (const name of [item.nameZh, item.nameEn]) {
			for (const v of stripSuffixes(norm(name))) add(idx.byName, v, item);
		}
	}
	for (const category of catalogue.categories) {
		const items = catalogue.items.filter(
			(i) =>
				i.category === category.code &&
				i.catalogueVersion === catalogue.regimes[category.regime].currentCatalogueVersion
		);
		for (const v of stripSuffixes(norm(category.nameZh))) {
			for (const item of items) add(idx.byCategory, v, item);
		}
	}
	indexes.set(catalogue, idx);
	return idx;
}

/** Several items of one name (2011 and 2019 '叉车司机'): the regime's current edition wins. */
function preferCurrent(items: CatalogueItem[], catalogue: CertificateCatalogue): CatalogueItem[] {
	const current = items.filter(
		(i) => i.catalogueVersion === catalogue.regimes[i.regime].currentCatalogueVersion
	);
	return current.length > 0 ? current : items;
}

function byOfficialCode(
	code: string,
	version: string,
	catalogue: CertificateCatalogue
): CatalogueItem | null {
	return (
		catalogue.items.find(
			(i) =>
				i.regime === 'special_equipment' &&
				i.catalogueVersion === version &&
				i.officialCode === code
		) ?? null
	);
}

const OFFICIAL = /^[A-Z]\d{0,2}$/;
// 'Q2起重机司机', 'Q2-起重机司机', '起重机司机(Q2)', '2011版Q4', 'Q4(2011)'.
const CODE_THEN_NAME = /^([A-Z]\d{0,2})([^A-Z0-9].*)$/;
const NAME_THEN_CODE = /^(.*[^A-Z0-9])\(([A-Z]\d{0,2})\)$/;
const VERSIONED = /^(?:(\d{4})版?([A-Z]\d{0,2})|([A-Z]\d{0,2})\(?(\d{4})版?\)?)$/;

function byName(text: string, catalogue: CertificateCatalogue): CertMatch {
	const idx = index(catalogue);
	const hits: CatalogueItem[] = [];
	for (const v of variants(text)) {
		for (const item of idx.byName.get(v) ?? []) if (!hits.includes(item)) hits.push(item);
	}
	if (hits.length > 0) {
		const best = preferCurrent(hits, catalogue);
		if (best.length === 1) return { ok: true, item: best[0]! };
		return { ok: false, code: 'CERT_TYPE_AMBIGUOUS', candidates: best.map((i) => i.code) };
	}
	for (const v of variants(text)) {
		const items = idx.byCategory.get(v);
		if (items) {
			if (items.length === 1) return { ok: true, item: items[0]! };
			return { ok: false, code: 'CERT_TYPE_AMBIGUOUS', candidates: items.map((i) => i.code) };
		}
	}
	return { ok: false, code: 'CERT_TYPE_UNKNOWN' };
}

/** Matches what a sheet says a certificate is to one catalogue item. */
export function matchCertificateType(input: string, options: CertMatchOptions = {}): CertMatch {
	const catalogue = options.catalogue ?? CERTIFICATE_CATALOGUE;
	const version = options.officialCodeVersion ?? '2019';
	const raw = halfWidth(input).trim().toUpperCase();
	if (raw === '') return { ok: false, code: 'CERT_TYPE_UNKNOWN' };

	const stable = index(catalogue).byCode.get(raw.replace(/\s/g, ''));
	if (stable) return { ok: true, item: stable };

	const text = norm(input);
	if (OFFICIAL.test(text)) {
		const item = byOfficialCode(text, version, catalogue);
		return item ? { ok: true, item } : { ok: false, code: 'CERT_TYPE_UNKNOWN' };
	}
	const versioned = VERSIONED.exec(text);
	if (versioned) {
		const [, v1, c1, c2, v2] = versioned;
		const item = byOfficialCode((c1 ?? c2)!, (v1 ?? v2)!, catalogue);
		return item ? { ok: true, item } : { ok: false, code: 'CERT_TYPE_UNKNOWN' };
	}
	const split = CODE_THEN_NAME.exec(text) ?? NAME_THEN_CODE.exec(text);
	if (split) {
		const [codePart, namePart] = CODE_THEN_NAME.test(text)
			? [split[1]!, split[2]!]
			: [split[2]!, split[1]!];
		const fromCode = byOfficialCode(codePart, version, catalogue);
		const fromName = byName(namePart, catalogue);
		if (fromCode && fromName.ok && fromName.item !== fromCode) {
			return {
				ok: false,
				code: 'CERT_TYPE_AMBIGUOUS',
				candidates: [fromCode.code, fromName.item.code]
			};
		}
		if (fromCode) return { ok: true, item: fromCode };
		if (fromName.ok) return fromName;
	}
	return byName(input, catalogue);
}

/**
 * The text an export writes for an item: its zh name when that name reads back as the same item,
 * else the stable code (2011 '叉车司机' would read back as the 2019 one).
 */
export function certificateTypeLabel(item: CatalogueItem, options: CertMatchOptions = {}): string {
	const back = matchCertificateType(item.nameZh, options);
	return back.ok && back.item.code === item.code ? item.nameZh : item.code;
}
