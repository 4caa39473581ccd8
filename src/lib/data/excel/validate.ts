// Row validation for an import: every row of a mapped sheet becomes either a parsed worker (with an
// optional certificate, emergency contact and health extras) or a list of errors with stable codes.
import type * as Y from 'yjs';
import {
	expectedExpiry,
	HMT_RESIDENCE_REGIONS,
	localDate,
	parseIdentityDocument,
	type CatalogueItem,
	type CertificateCatalogue,
	type IdentityDocumentType,
	type IsoDate
} from '../../domain';
import { Worker } from '../contractor';
import type { NewCertificate, NewWorker } from '../ledger-commands';
import { readRecord } from '../records';
import {
	halfWidth,
	parseBloodType,
	parseDate,
	parseDateRange,
	parsePhone,
	PRECISION_LIMIT,
	SCIENTIFIC_NUMBER,
	type BloodType,
	type Rh
} from './cells';
import { matchCertificateType } from './cert-match';
import { fieldSpec, type ColumnMapping, type ImportField } from './mapping';
import type { Sheet, SheetRow } from './read';

export const ROW_ERROR_CODES = [
	'REQUIRED_MISSING',
	'TOO_LONG',
	'DOC_TYPE_UNKNOWN',
	'ID_FORMAT',
	'ID_CHECKSUM',
	'ID_DATE',
	/** A 港澳台居民居住证 number whose region is not 810000/820000/830000. */
	'ID_REGION',
	'ID_NUMBER_AS_NUMBER',
	'DUPLICATE_IN_SHEET',
	'DUPLICATE_EXISTING',
	'CERT_TYPE_UNKNOWN',
	'CERT_TYPE_AMBIGUOUS',
	'DATE_INVALID',
	'DATE_IN_FUTURE',
	'EXPIRY_BEFORE_ISSUE',
	'PHONE_INVALID',
	'BLOOD_TYPE_INVALID'
] as const;
export type RowErrorCode = (typeof ROW_ERROR_CODES)[number];

export const ROW_WARNING_CODES = [
	'REGION_UNKNOWN',
	'LOOKS_LIKE_HMT_RESIDENCE',
	/** No expiry in the sheet: the regime's validity from the issue date was used. */
	'EXPIRY_DERIVED',
	'CERT_EXPIRED'
] as const;
export type RowWarningCode = (typeof ROW_WARNING_CODES)[number];

export interface RowIssue<C extends string> {
	/** The sheet's own row number. */
	row: number;
	/** The sheet's header text of the column (or the field's usual header when unmapped). */
	column: string;
	/** 0-based column index; absent when the field has no column. */
	columnIndex?: number;
	field: ImportField;
	code: C;
	/** The cell's text as read. */
	value?: string;
	/** DUPLICATE_IN_SHEET: the row that first had this number. */
	firstRow?: number;
	/** CERT_TYPE_AMBIGUOUS: catalogue codes that fit. */
	candidates?: string[];
	/** EXPIRY_DERIVED: the date used. */
	derived?: IsoDate;
}
export type RowError = RowIssue<RowErrorCode>;
export type RowWarning = RowIssue<RowWarningCode>;

export type ParsedCertificate = Omit<NewCertificate, 'workerId'>;

export interface ParsedRow {
	row: number;
	worker: NewWorker;
	certificate?: ParsedCertificate;
	emergency?: { name: string; phone: string; relation?: string };
	/** Sensitive: written only with the worker's consent, so `importRows` does not write it. */
	health?: { bloodType?: BloodType; rh?: Rh; allergies?: string };
}

export interface ValidateOptions {
	/** Document numbers already registered with this contractor (see `existingDocNumbers`). */
	existingDocNumbers: ReadonlySet<string>;
	/** Site-local today: bounds birth dates and issue dates, and flags expired certificates. */
	today: IsoDate | Date;
	catalogue?: CertificateCatalogue;
	/** Edition a bare 项目代号 such as 'Q2' is read in; default '2019'. */
	officialCodeVersion?: string;
}

export interface Validation {
	/** The valid rows, parsed. */
	rows: ParsedRow[];
	errors: RowError[];
	warnings: RowWarning[];
	/** Rows looked at (rows with nothing in any mapped column are skipped). */
	checked: number;
}

/** The document numbers of a contractor document's workers, as stored (normalised). */
export function existingDocNumbers(doc: Y.Doc): Set<string> {
	const out = new Set<string>();
	for (const raw of doc.getMap('workers').values()) {
		const read = readRecord(Worker, raw);
		if (read.ok) out.add(read.record.docNumber);
	}
	return out;
}

const LIMITS: Partial<Record<ImportField, number>> = {
	name: 50,
	trade: 50,
	certNumber: 40,
	certIssuer: 100,
	allergies: 500,
	emergencyName: 50,
	emergencyRelation: 20
};

const DOC_TYPE_WORDS: Record<IdentityDocumentType, readonly string[]> = {
	resident_id: [
		'身份证',
		'居民身份证',
		'二代身份证',
		'大陆居民身份证',
		'中华人民共和国居民身份证',
		'idcard',
		'residentid',
		'resident_id'
	],
	hmt_residence: [
		'港澳台居民居住证',
		'港澳居民居住证',
		'台湾居民居住证',
		'居住证',
		'hmtresidence',
		'hmt_residence',
		'residencepermit'
	],
	passport: ['护照', 'passport'],
	other: [
		'其他',
		'其它',
		'其他证件',
		'other',
		'港澳居民来往内地通行证',
		'台湾居民来往大陆通行证',
		'回乡证',
		'台胞证'
	]
};
const DOC_TYPES = new Map<string, IdentityDocumentType>(
	Object.entries(DOC_TYPE_WORDS).flatMap(([type, words]) =>
		words.map((w) => [w.toLowerCase(), type as IdentityDocumentType] as const)
	)
);

/** The document type a sheet names ('身份证', '护照', 'passport'…), or null. */
export function parseDocType(text: string): IdentityDocumentType | null {
	return DOC_TYPES.get(halfWidth(text).toLowerCase().replace(/\s/g, '')) ?? null;
}

/** Without a type column: 18-character numbers are IDs (81/82/83 regions: residence permits). */
function inferDocType(number: string): IdentityDocumentType {
	if (/^\d{17}[\dX]$/.test(number)) {
		return HMT_RESIDENCE_REGIONS.includes(number.slice(0, 6)) ? 'hmt_residence' : 'resident_id';
	}
	// Letters other than a final X: a passport; digits only (a mistyped ID) stay an ID.
	return /[A-Z]/.test(number.replace(/X$/, '')) ? 'passport' : 'resident_id';
}

const ID_CODES = {
	FORMAT: 'ID_FORMAT',
	CHECKSUM: 'ID_CHECKSUM',
	DATE: 'ID_DATE',
	REGION: 'ID_REGION'
} as const satisfies Record<string, RowErrorCode>;

/** Chinese names are often padded to line up in Excel ('张  三'): drop spaces between Han characters. */
function cleanName(name: string): string {
	return /^[\p{Script=Han}·•\s]+$/u.test(name)
		? name.replace(/\s+/g, '')
		: name.replace(/\s+/g, ' ');
}

/** Document and certificate numbers: half-width, no spaces, upper-case. */
function cleanNumber(text: string): string {
	return halfWidth(text)
		.replace(/[\s\u3000]/g, '')
		.toUpperCase();
}

/** Validates every row of `sheet` under `mapping`. Pure: reads nothing but its arguments. */
export function validateRows(
	sheet: Sheet,
	mapping: ColumnMapping,
	options: ValidateOptions
): Validation {
	const today = typeof options.today === 'string' ? options.today : localDate(options.today);
	const errors: RowError[] = [];
	const warnings: RowWarning[] = [];
	const rows: ParsedRow[] = [];
	const firstSeen = new Map<string, number>();
	const mapped = Object.values(mapping).filter((c): c is number => c !== undefined);
	let checked = 0;

	for (const sheetRow of sheet.rows) {
		if (mapped.every((c) => sheetRow.cells[c] == null)) continue;
		checked++;
		const row = new RowReader(sheet, sheetRow, mapping);
		const rowErrors: RowError[] = [];
		const fail = (field: ImportField, code: RowErrorCode, extra: Partial<RowError> = {}) =>
			rowErrors.push(row.issue(field, code, extra));
		const warn = (field: ImportField, code: RowWarningCode, extra: Partial<RowWarning> = {}) =>
			warnings.push(row.issue(field, code, extra));
		const text = (field: ImportField): string | null => {
			const value = row.text(field);
			const limit = LIMITS[field];
			if (value !== null && limit !== undefined && Array.from(value).length > limit) {
				fail(field, 'TOO_LONG');
				return null;
			}
			return value;
		};

		// Identity.
		const nameText = text('name');
		const name = nameText === null ? null : cleanName(nameText);
		if (name === null && row.text('name') === null) fail('name', 'REQUIRED_MISSING');

		let docType: IdentityDocumentType | null = null;
		const typeText = row.text('docType');
		if (typeText !== null) {
			docType = parseDocType(typeText);
			if (docType === null) fail('docType', 'DOC_TYPE_UNKNOWN');
		}

		let docNumber: string | null = null;
		const numberText = row.text('docNumber');
		if (numberText === null) fail('docNumber', 'REQUIRED_MISSING');
		else if (row.lostDigits('docNumber')) fail('docNumber', 'ID_NUMBER_AS_NUMBER');
		else if (typeText === null || docType !== null) {
			const number = cleanNumber(numberText);
			const type = docType ?? inferDocType(number);
			const parsed = parseIdentityDocument(type, number, today);
			if (!parsed.ok) fail('docNumber', ID_CODES[parsed.error.code]);
			else {
				docType = type;
				docNumber = parsed.value.number;
				for (const w of parsed.warnings) warn('docNumber', w.code);
				const first = firstSeen.get(docNumber);
				if (options.existingDocNumbers.has(docNumber)) fail('docNumber', 'DUPLICATE_EXISTING');
				else if (first !== undefined) fail('docNumber', 'DUPLICATE_IN_SHEET', { firstRow: first });
				else firstSeen.set(docNumber, sheetRow.row);
			}
		}

		const phoneText = row.text('phone');
		const phone = phoneText === null ? null : parsePhone(phoneText);
		if (phoneText !== null && phone === null) fail('phone', 'PHONE_INVALID');
		const trade = text('trade');

		// Certificate: any certificate cell makes the type, number and issue date required.
		let certificate: ParsedCertificate | undefined;
		const certFields = [
			'certType',
			'certNumber',
			'certIssuedOn',
			'certExpiresOn',
			'certNextReviewOn',
			'certIssuer'
		] as const;
		if (certFields.some((f) => row.text(f) !== null)) {
			let item: CatalogueItem | null = null;
			const typeCell = row.text('certType');
			if (typeCell === null) fail('certType', 'REQUIRED_MISSING');
			else {
				const match = matchCertificateType(typeCell, options);
				if (match.ok) item = match.item;
				else if (match.code === 'CERT_TYPE_AMBIGUOUS') {
					fail('certType', match.code, { candidates: match.candidates });
				} else fail('certType', match.code);
			}

			let number: string | null = null;
			const certNumberText = text('certNumber');
			if (row.text('certNumber') === null) fail('certNumber', 'REQUIRED_MISSING');
			else if (row.lostDigits('certNumber')) fail('certNumber', 'ID_NUMBER_AS_NUMBER');
			else if (certNumberText !== null) number = cleanNumber(certNumberText);

			const expiryText = row.text('certExpiresOn');
			const range = expiryText === null ? null : parseDateRange(expiryText);
			let issuedOn = row.date('certIssuedOn');
			if (issuedOn === undefined && range?.from) issuedOn = range.from;
			if (issuedOn === undefined) fail('certIssuedOn', 'REQUIRED_MISSING');
			else if (issuedOn === null) fail('certIssuedOn', 'DATE_INVALID');
			else if (issuedOn > today) fail('certIssuedOn', 'DATE_IN_FUTURE');

			let expiresOn = range ? range.to : row.date('certExpiresOn');
			if (expiresOn === undefined && item && issuedOn) {
				expiresOn = expectedExpiry(item.regime, issuedOn, options.catalogue);
				warn('certExpiresOn', 'EXPIRY_DERIVED', { derived: expiresOn });
			} else if (expiresOn === null) fail('certExpiresOn', 'DATE_INVALID');
			else if (expiresOn && issuedOn && expiresOn < issuedOn) {
				fail('certExpiresOn', 'EXPIRY_BEFORE_ISSUE');
			} else if (expiresOn && expiresOn < today) warn('certExpiresOn', 'CERT_EXPIRED');

			const nextReviewOn = row.date('certNextReviewOn');
			if (nextReviewOn === null) fail('certNextReviewOn', 'DATE_INVALID');
			const issuer = text('certIssuer');

			if (item && number && issuedOn && expiresOn) {
				certificate = {
					regime: item.regime,
					catalogueVersion: item.catalogueVersion,
					code: item.code,
					number,
					issuedOn,
					expiresOn,
					...(nextReviewOn ? { nextReviewOn } : {}),
					...(issuer ? { issuer } : {}),
					...(name ? { holderName: name } : {})
				};
			}
		}

		// Emergency contact: a name and a phone, or neither.
		let emergency: ParsedRow['emergency'];
		const eName = text('emergencyName');
		const ePhoneText = row.text('emergencyPhone');
		const eRelation = text('emergencyRelation');
		if (eName !== null || ePhoneText !== null) {
			const ePhone = ePhoneText === null ? null : parsePhone(ePhoneText);
			if (eName === null && row.text('emergencyName') === null) {
				fail('emergencyName', 'REQUIRED_MISSING');
			}
			if (ePhoneText === null) fail('emergencyPhone', 'REQUIRED_MISSING');
			else if (ePhone === null) fail('emergencyPhone', 'PHONE_INVALID');
			if (eName && ePhone) {
				emergency = { name: eName, phone: ePhone, ...(eRelation ? { relation: eRelation } : {}) };
			}
		}

		let health: ParsedRow['health'];
		const bloodText = row.text('bloodType');
		const blood = bloodText === null ? null : parseBloodType(bloodText);
		if (bloodText !== null && blood === null) fail('bloodType', 'BLOOD_TYPE_INVALID');
		const allergies = text('allergies');
		if (blood || allergies) health = { ...(blood ?? {}), ...(allergies ? { allergies } : {}) };

		if (rowErrors.length > 0) {
			errors.push(...rowErrors);
			continue;
		}
		rows.push({
			row: sheetRow.row,
			worker: {
				name: name!,
				docType: docType!,
				docNumber: docNumber!,
				...(phone ? { phone } : {}),
				...(trade ? { trade } : {})
			},
			...(certificate ? { certificate } : {}),
			...(emergency ? { emergency } : {}),
			...(health ? { health } : {})
		});
	}
	return { rows, errors, warnings, checked };
}

/** One sheet row seen through the mapping. */
class RowReader {
	constructor(
		private readonly sheet: Sheet,
		private readonly sheetRow: SheetRow,
		private readonly mapping: ColumnMapping
	) {}

	text(field: ImportField): string | null {
		const column = this.mapping[field];
		return column === undefined ? null : (this.sheetRow.cells[column] ?? null);
	}

	/** The cell held a number too large to keep every digit, or Excel's '1.10105E+17' as text. */
	lostDigits(field: ImportField): boolean {
		const column = this.mapping[field];
		if (column === undefined) return false;
		const number = this.sheetRow.numbers?.[column];
		if (number !== undefined)
			return Math.abs(number) >= PRECISION_LIMIT || !Number.isInteger(number);
		return SCIENTIFIC_NUMBER.test(this.text(field) ?? '');
	}

	/** undefined: empty; null: not a date. */
	date(field: ImportField): IsoDate | null | undefined {
		const text = this.text(field);
		if (text === null) return undefined;
		const column = this.mapping[field]!;
		return parseDate(text, this.sheetRow.numbers?.[column], this.sheet.date1904);
	}

	issue<C extends string>(
		field: ImportField,
		code: C,
		extra: Partial<RowIssue<C>> = {}
	): RowIssue<C> {
		const column = this.mapping[field];
		const value = this.text(field);
		return {
			row: this.sheetRow.row,
			column:
				column === undefined
					? fieldSpec(field).header
					: this.sheet.headers[column] || columnLetter(column),
			...(column !== undefined ? { columnIndex: column } : {}),
			field,
			code,
			...(value !== null ? { value } : {}),
			...extra
		};
	}
}

/** 0 → 'A', 26 → 'AA'. */
export function columnLetter(index: number): string {
	let n = index + 1;
	let out = '';
	while (n > 0) {
		const r = (n - 1) % 26;
		out = String.fromCharCode(65 + r) + out;
		n = Math.floor((n - 1) / 26);
	}
	return out;
}
