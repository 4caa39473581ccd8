// Reads what a certificate says — its QR code's payload or the OCR text of the card — into values
// for the registration form. Pure, so the rules are tested without a browser; the UI only offers
// them: the user confirms each one, nothing here decides what is stored.
import {
	CERTIFICATE_CATALOGUE,
	findCatalogueItemByOfficialCode,
	isValidDate,
	regimeRules,
	residentIdCheckChar,
	type CatalogueItem,
	type CertificateCatalogue,
	type IsoDate,
	type Regime
} from '../domain';

/** What could be read off a certificate; every field is a suggestion. */
export interface CertificateReading {
	/** 证号 / 证书编号. */
	number?: string;
	/** Verification link, from the QR code (or a link printed on the card). */
	verifyUrl?: string;
	/** 姓名 of the holder. */
	name?: string;
	/** 身份证号 of the holder (only when its check digit is right): compared, never filled. */
	idNumber?: string;
	/** Catalogue item code matched from 准操项目 / 操作项目 / 作业项目. */
	code?: string;
	/** 初领 / 发证 / 批准日期. */
	issuedOn?: IsoDate;
	/** 有效期至 (the end of 有效期限). */
	expiresOn?: IsoDate;
	/** 应复审日期 / 下次复审日期. */
	nextReviewOn?: IsoDate;
	/** 发证机关. */
	issuer?: string;
}
export type ReadingField = keyof CertificateReading;

const CJK = '\\u3400-\\u9fff\\uf900-\\ufaff';
const CJK_RE = new RegExp(`[${CJK}]`);

/* ------------------------------------------------------------------------------------------------
 * Small readers shared by QR payloads and OCR text.
 * --------------------------------------------------------------------------------------------- */

/** An http(s) URL that fits the certificate record (500 characters), else null. */
export function asHttpUrl(text: string): URL | null {
	const trimmed = text.trim();
	if (!/^https?:\/\//i.test(trimmed) || trimmed.length > 500 || /\s/.test(trimmed)) return null;
	try {
		const url = new URL(trimmed);
		return url.hostname ? url : null;
	} catch {
		return null;
	}
}

// OCR reads 0 as O/o/D and 1 as I/l/|: fix them where they touch digits.
function fixDigitsNearDigits(text: string): string {
	let s = text;
	for (let i = 0; i < 2; i++) {
		s = s
			.replace(/(?<=\d)[OoD](?=\s*\d|\s*[年月日.\-/])|[OoD](?=\d)/g, '0')
			.replace(/(?<=\d)[Il|](?=\s*\d|\s*[年月日.\-/])|[Il|](?=\d)/g, '1');
	}
	return s;
}

function isoDate(y: string, m: string, d: string): IsoDate | null {
	const date = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
	const year = Number(y);
	return isValidDate(date) && year >= 1950 && year <= 2100 ? date : null;
}

/** Dates in the text in reading order: 2024年03月15日, 2024-03-15, 2024.3.15, 2024/03/15. */
export function findDates(text: string): IsoDate[] {
	const s = fixDigitsNearDigits(text.normalize('NFKC'));
	const found: IsoDate[] = [];
	const re = /(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})(?!\d)/g;
	for (const m of s.matchAll(re)) {
		const date = isoDate(m[1]!, m[2]!, m[3]!);
		if (date) found.push(date);
	}
	return found;
}

/** A date in a URL parameter: any of the above, or compact 20300301. */
function paramDate(value: string): IsoDate | undefined {
	const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
	if (compact) return isoDate(compact[1]!, compact[2]!, compact[3]!) ?? undefined;
	return findDates(value)[0];
}

function validResidentId(id: string): boolean {
	return /^\d{17}[\dX]$/.test(id) && residentIdCheckChar(id.slice(0, 17)) === id.charAt(17);
}

/**
 * A certificate number from a field's text: spaces dropped, O/I read as 0/1 once digits start,
 * and the T of a 特种作业操作证 number (T + the holder's ID number) restored when OCR read it as
 * 丁, 1, 7 or I. Keeps a one-character province prefix (浙A…). Undefined without 4 digits.
 */
export function parseCertificateNumber(text: string): string | undefined {
	const s = text.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
	const m = new RegExp(`^([${CJK}]?)([A-Z0-9|\\-]{5,40})`).exec(s);
	if (!m) return undefined;
	let prefix = m[1]!;
	let body = m[2]!;
	if (prefix === '丁') {
		prefix = '';
		body = 'T' + body;
	}
	const firstDigit = body.search(/\d/);
	if (firstDigit < 0) return undefined;
	const tail = body.slice(firstDigit).replace(/[OD]/g, '0').replace(/[IL|]/g, '1');
	body = body.slice(0, firstDigit) + tail;
	if (/^[17I]\d{17}[\dX]$/.test(body) && validResidentId(body.slice(1))) body = 'T' + body.slice(1);
	if ((body.match(/\d/g) ?? []).length < 4) return undefined;
	return prefix + body.replace(/^-+|-+$/g, '');
}

/** An 18-character resident ID number in the text whose check character is right. */
function findResidentId(text: string): string | undefined {
	const s = text
		.normalize('NFKC')
		.toUpperCase()
		.replace(/(?<=[\dOIL|])\s+(?=[\dOIL|X])/g, '');
	for (const m of s.matchAll(/[\dOIL|]{17}[\dXOIL|]/g)) {
		const id = m[0].replace(/O/g, '0').replace(/[IL|]/g, '1');
		if (validResidentId(id)) return id;
	}
	return undefined;
}

function cleanName(text: string): string | undefined {
	const m = new RegExp(`[${CJK}](?:[${CJK}·]{0,14}[${CJK}])?`).exec(text.normalize('NFKC'));
	const name = m?.[0];
	return name && name.length >= 2 && name.length <= 15 ? name : undefined;
}

function cleanIssuer(text: string): string | undefined {
	const s = text
		.normalize('NFKC')
		.replace(/\s+/g, '')
		.replace(/[（(]?(盖章|印章|公章)[)）]?$/, '');
	const m = new RegExp(`[${CJK}][${CJK}()（）]{3,49}`).exec(s);
	return m ? m[0] : undefined;
}

/* ------------------------------------------------------------------------------------------------
 * Matching the catalogue.
 * --------------------------------------------------------------------------------------------- */

const compact = (s: string) => s.normalize('NFKC').replace(/[\s\p{P}\p{S}]/gu, '');

function lcs(a: string, b: string): number {
	const prev = new Array<number>(b.length + 1).fill(0);
	for (let i = 1; i <= a.length; i++) {
		let diag = 0;
		for (let j = 1; j <= b.length; j++) {
			const up = prev[j]!;
			prev[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(up, prev[j - 1]!);
			diag = up;
		}
	}
	return prev[b.length]!;
}

/** Items a new registration can use: each regime's current catalogue edition. */
export function currentItems(catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE) {
	return catalogue.items.filter(
		(i) => i.catalogueVersion === regimeRules(i.regime, catalogue).currentCatalogueVersion
	);
}

/**
 * The catalogue item a card's 项目 text names. Exact names (longest wins) first; for a labelled
 * field, a close match too (OCR misreads single characters), but only when it clearly beats the
 * runner-up — 高压电工作业 and 低压电工作业 differ by one character.
 */
export function matchCatalogueItem(
	text: string,
	{ fuzzy = false, items = currentItems() }: { fuzzy?: boolean; items?: readonly CatalogueItem[] }
): CatalogueItem | undefined {
	const hay = compact(text);
	if (!hay) return undefined;
	const exact = items
		.filter((i) => hay.includes(compact(i.nameZh)))
		.sort((a, b) => compact(b.nameZh).length - compact(a.nameZh).length);
	if (exact[0]) return exact[0];
	if (!fuzzy) return undefined;
	const scored = items
		.map((item) => {
			const name = compact(item.nameZh);
			return { item, score: (2 * lcs(hay, name)) / (hay.length + name.length) };
		})
		.sort((a, b) => b.score - a.score);
	const [best, second] = scored;
	if (!best || best.score < 0.6) return undefined;
	if (second && best.score - second.score < 0.1) return undefined;
	return best.item;
}

function regimeOfText(text: string): Regime | undefined {
	const s = compact(text);
	if (s.includes('特种设备')) return 'special_equipment';
	if (s.includes('建筑施工')) return 'construction';
	if (s.includes('特种作业')) return 'special_operation';
	return undefined;
}

/* ------------------------------------------------------------------------------------------------
 * Labelled text (OCR of the card, or a QR payload written as 字段：值 lines).
 * --------------------------------------------------------------------------------------------- */

type LabelField =
	| 'number'
	| 'name'
	| 'idNumber'
	| 'category'
	| 'item'
	| 'issuedOn'
	| 'validity'
	| 'review'
	| 'issuer'
	| 'other';

const LABELS: readonly (readonly [LabelField, readonly string[]])[] = [
	['number', ['证号', '证书编号', '证书号码', '证书号', '证件编号', '编号']],
	['name', ['姓名', '持证人']],
	['idNumber', ['身份证号码', '身份证号', '公民身份号码', '身份证件号码', '证件号码']],
	['category', ['作业类别', '操作类别', '作业种类', '类别', '工种']],
	['item', ['准操项目', '操作项目', '作业项目', '资格项目', '项目代号', '准操类别']],
	[
		'issuedOn',
		[
			'初领日期',
			'初次领证日期',
			'初领证日期',
			'发证日期',
			'批准日期',
			'签发日期',
			'领证日期',
			'取证日期'
		]
	],
	['validity', ['有效期限', '有效期至', '有效期', '有效日期', '有效截止日期', '截止日期']],
	['review', ['应复审日期', '下次复审日期', '下次复审', '复审日期']],
	['issuer', ['发证机关', '签发机关', '发证单位', '发证部门', '批准机关']],
	// Other fields end the value before them.
	[
		'other',
		['性别', '出生日期', '出生年月', '文化程度', '工作单位', '单位', '住址', '民族', '复审记录']
	]
];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface LabelPattern {
	field: LabelField;
	re: RegExp;
}

/** Exact labels, longest first; then labels of 4+ characters with one character misread. */
const LABEL_PATTERNS: readonly LabelPattern[] = (() => {
	const all = LABELS.flatMap(([field, names]) => names.map((name) => ({ field, name })));
	all.sort((a, b) => b.name.length - a.name.length);
	const exact = all.map(({ field, name }) => ({ field, source: escapeRe(name) }));
	const fuzzy = all
		.filter(({ name }) => name.length >= 4)
		.flatMap(({ field, name }) =>
			[...name].map((_, i) => ({
				field,
				source: escapeRe(name.slice(0, i)) + `[${CJK}]` + escapeRe(name.slice(i + 1))
			}))
		);
	return [...exact, ...fuzzy].map(({ field, source }) => ({ field, re: new RegExp(source, 'y') }));
})();

interface Labelled {
	field: LabelField;
	value: string;
}

/** One OCR line made regular: NFKC, stray marks gone, spaces between Chinese characters closed. */
function normalizeLine(line: string): string {
	return line
		.normalize('NFKC')
		.replace(/[“”"'‘’「」『』《》【】]/g, ' ')
		.replace(/[,，。;；]/g, ' ')
		.replace(new RegExp(`([${CJK}])\\s+(?=[${CJK}])`, 'g'), '$1')
		.replace(/\s+/g, ' ')
		.trim();
}

/** Label occurrences in a line: position, length and field; overlapping later ones dropped. */
function findLabels(line: string): { at: number; end: number; field: LabelField }[] {
	const found: { at: number; end: number; field: LabelField }[] = [];
	for (let at = 0; at < line.length;) {
		let hit: { end: number; field: LabelField } | null = null;
		if (CJK_RE.test(line[at]!)) {
			for (const { field, re } of LABEL_PATTERNS) {
				re.lastIndex = at;
				const m = re.exec(line);
				if (m) {
					hit = { end: at + m[0].length, field };
					break;
				}
			}
		}
		if (hit) {
			found.push({ at, ...hit });
			at = hit.end;
		} else at++;
	}
	return found;
}

/** Splits text into (label, value) pairs; a label alone on its line takes the next line. */
function labelledValues(lines: readonly string[]): Labelled[] {
	const out: Labelled[] = [];
	lines.forEach((line, index) => {
		const labels = findLabels(line);
		labels.forEach((label, i) => {
			const end = labels[i + 1]?.at ?? line.length;
			let value = line
				.slice(label.end, end)
				.replace(/^[\s:：\-—=.·、]+/, '')
				.trim();
			if (!value && i === labels.length - 1) {
				const next = lines[index + 1];
				if (next && findLabels(next)[0]?.at !== 0) value = next;
			}
			if (value) out.push({ field: label.field, value });
		});
	});
	return out;
}

/**
 * Reads the printed text of a certificate (tesseract output, or a labelled QR payload).
 * Tolerates the usual OCR noise: spaces between Chinese characters, stray quote marks, O/0 and
 * I/1 confusion in numbers and dates, one misread character in four-character labels.
 */
export function parseCertificateText(
	text: string,
	catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE
): CertificateReading {
	const lines = text.split(/\r?\n/).map(normalizeLine).filter(Boolean);
	const pairs = labelledValues(lines);
	const whole = lines.join('\n');
	const regime = regimeOfText(whole);
	const items = currentItems(catalogue).filter((i) => !regime || i.regime === regime);
	const reading: CertificateReading = {};
	let validFrom: IsoDate | undefined;

	for (const { field, value } of pairs) {
		switch (field) {
			case 'number':
				reading.number ??= parseCertificateNumber(value);
				break;
			case 'name':
				reading.name ??= cleanName(value);
				break;
			case 'idNumber':
				reading.idNumber ??= findResidentId(value);
				break;
			case 'item': {
				const code = /^[A-Z]\d{0,2}$/.exec(compact(value).toUpperCase())?.[0];
				const byCode =
					code && (!regime || regime === 'special_equipment')
						? findCatalogueItemByOfficialCode('special_equipment', '2019', code, catalogue)
						: null;
				reading.code ??= (byCode ?? matchCatalogueItem(value, { fuzzy: true, items }))?.code;
				break;
			}
			case 'issuedOn':
				reading.issuedOn ??= findDates(value)[0];
				break;
			case 'validity': {
				const dates = findDates(value);
				if (dates.length > 0) reading.expiresOn ??= dates[dates.length - 1];
				if (dates.length > 1) validFrom ??= dates[0];
				break;
			}
			case 'review':
				reading.nextReviewOn ??= findDates(value)[0];
				break;
			case 'issuer':
				reading.issuer ??= cleanIssuer(value);
				break;
		}
	}

	// What labels did not give, the whole text may: an item named anywhere, a category with a
	// single item, a T-number, a date range, a link.
	if (!reading.code) {
		reading.code = matchCatalogueItem(whole, { items })?.code;
		const category = pairs.find((p) => p.field === 'category');
		if (!reading.code && category) {
			const cat = catalogue.categories.find(
				(c) =>
					(!regime || c.regime === regime) && compact(category.value).includes(compact(c.nameZh))
			);
			const inCategory = cat ? items.filter((i) => i.category === cat.code) : [];
			if (inCategory.length === 1) reading.code = inCategory[0]!.code;
		}
	}
	if (!reading.number) {
		const t = /(?:^|[^A-Z0-9])([T丁][\dOIl| ]{17,30}[\dXx])(?![\dA-Z])/m.exec(whole);
		if (t) {
			const n = parseCertificateNumber(t[1]!);
			if (n && /^T\d{17}[\dX]$/.test(n)) reading.number = n;
		}
	}
	if (!reading.expiresOn) {
		for (const line of lines) {
			const dates = findDates(line);
			if (dates.length >= 2 && /至|到|~|—|--/.test(line)) {
				validFrom ??= dates[0];
				reading.expiresOn = dates[dates.length - 1];
				break;
			}
		}
	}
	if (!reading.issuedOn && validFrom) reading.issuedOn = validFrom;
	if (!reading.idNumber) {
		// On a 特种作业操作证 the number is T + the holder's ID number.
		const fromNumber = reading.number?.startsWith('T') ? reading.number.slice(1) : undefined;
		reading.idNumber = fromNumber && validResidentId(fromNumber) ? fromNumber : undefined;
	}
	const link = /https?:\/\/[^\s"'<>，。]+/i.exec(text);
	if (link) reading.verifyUrl = asHttpUrl(link[0])?.href;
	return withoutEmpty(reading);
}

function withoutEmpty(reading: CertificateReading): CertificateReading {
	const out: CertificateReading = {};
	for (const [key, value] of Object.entries(reading) as [ReadingField, string | undefined][]) {
		if (value) out[key] = value;
	}
	return out;
}

/* ------------------------------------------------------------------------------------------------
 * QR payloads.
 * --------------------------------------------------------------------------------------------- */

const keyOf = (k: string) => k.toLowerCase().replace(/[_\-\s]/g, '');

/** Parameter names that carry each field, as seen in verification links and JSON payloads. */
const PARAMS: Record<Exclude<ReadingField, 'verifyUrl' | 'code'>, readonly string[]> = {
	number: [
		'certno',
		'certnum',
		'certnumber',
		'certificateno',
		'certificatenum',
		'certificatenumber',
		'certcode',
		'zsbh',
		'zsh',
		'zh',
		'zsbm',
		'bh',
		'no',
		'number',
		'sn',
		'证号',
		'证书编号'
	],
	name: ['xm', 'name', 'holdername', 'holder', '姓名'],
	idNumber: ['sfzh', 'idcard', 'idno', 'idnumber', 'zjhm', '身份证号'],
	issuedOn: ['fzrq', 'clrq', 'issuedate', 'issuedon', 'issued', '发证日期', '初领日期'],
	expiresOn: [
		'yxq',
		'yxqz',
		'yxqjz',
		'expiry',
		'expires',
		'expirydate',
		'validto',
		'validuntil',
		'enddate',
		'有效期至'
	],
	nextReviewOn: ['fsrq', 'reviewdate', 'nextreview', '复审日期'],
	issuer: ['fzjg', 'issuer', 'authority', '发证机关']
};

function readPairs(pairs: Iterable<[string, unknown]>): CertificateReading {
	const reading: CertificateReading = {};
	for (const [rawKey, rawValue] of pairs) {
		if (typeof rawValue !== 'string' && typeof rawValue !== 'number') continue;
		const key = keyOf(rawKey);
		const value = String(rawValue).trim();
		if (!value) continue;
		if (PARAMS.number.includes(key)) reading.number ??= parseCertificateNumber(value);
		else if (PARAMS.name.includes(key)) reading.name ??= cleanName(value);
		else if (PARAMS.idNumber.includes(key)) reading.idNumber ??= findResidentId(value);
		else if (PARAMS.issuedOn.includes(key)) reading.issuedOn ??= paramDate(value);
		else if (PARAMS.expiresOn.includes(key)) {
			const dates = findDates(value);
			reading.expiresOn ??= dates.length > 1 ? dates[dates.length - 1] : paramDate(value);
		} else if (PARAMS.nextReviewOn.includes(key)) reading.nextReviewOn ??= paramDate(value);
		else if (PARAMS.issuer.includes(key)) reading.issuer ??= cleanIssuer(value);
	}
	return reading;
}

/** A path segment that looks like a certificate number rather than a page or an opaque id. */
function numberFromPath(url: URL): string | undefined {
	const segments = url.pathname.split('/').filter(Boolean).reverse();
	for (const raw of segments) {
		let segment: string;
		try {
			segment = decodeURIComponent(raw).replace(/\.(html?|jsp|php|aspx?)$/i, '');
		} catch {
			continue;
		}
		if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(segment)) continue; // a UUID
		if (/^[0-9a-f]{20,}$/i.test(segment) && /[a-f]/i.test(segment)) continue; // a hash
		if (!new RegExp(`^[${CJK}]?[A-Za-z]{0,4}\\d[0-9A-Za-z\\-]{5,39}$`).test(segment)) continue;
		if ((segment.match(/\d/g) ?? []).length < 6) continue;
		return parseCertificateNumber(segment);
	}
	return undefined;
}

function readUrl(url: URL): CertificateReading {
	const params = [...url.searchParams.entries()];
	// Single-page verification sites put the query after the hash: #/cert?certNo=…
	const hashQuery = url.hash.indexOf('?');
	if (hashQuery >= 0) params.push(...new URLSearchParams(url.hash.slice(hashQuery + 1)).entries());
	const reading = readPairs(params);
	if (!reading.number) {
		const hashPath = url.hash.replace(/^#/, '').split('?')[0]!;
		reading.number =
			numberFromPath(new URL(hashPath.startsWith('/') ? hashPath : '/', url.origin)) ??
			numberFromPath(url);
	}
	return withoutEmpty({ ...reading, verifyUrl: url.href });
}

/**
 * Reads a certificate's QR payload: a verification link (kept as the link; the number taken from a
 * well-known parameter or path segment), a JSON object, labelled lines (证号：… 姓名：…), or a bare
 * certificate number.
 */
export function parseQrPayload(
	payload: string,
	catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE
): CertificateReading {
	const text = payload.replace(/^\uFEFF/, '').trim();
	const url = asHttpUrl(text);
	if (url) return readUrl(url);
	if (text.startsWith('{')) {
		try {
			const json: unknown = JSON.parse(text);
			if (json && typeof json === 'object') {
				const reading = readPairs(Object.entries(json));
				for (const value of Object.values(json)) {
					const link = typeof value === 'string' ? asHttpUrl(value) : null;
					if (link) reading.verifyUrl ??= link.href;
				}
				return withoutEmpty(reading);
			}
		} catch {
			// Not JSON after all: read it as text.
		}
	}
	const reading = parseCertificateText(text, catalogue);
	const bare = new RegExp(`^[${CJK}]?[A-Za-z0-9\\-]{6,40}$`);
	if (!reading.number && bare.test(text) && /\d{4}/.test(text)) {
		reading.number = parseCertificateNumber(text);
	}
	return withoutEmpty(reading);
}

/** Whether a reading has anything worth showing. */
export function isEmptyReading(reading: CertificateReading): boolean {
	return Object.values(reading).every((v) => !v);
}
