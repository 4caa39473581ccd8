// The 2,000-row scenario: a realistic sheet with 20 planted bad rows of mixed kinds; validation must
// report exactly those rows, and the clean 1,980 must import in one Yjs transaction.
import * as Y from 'yjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWorker } from '../ledger-commands';
import { loadExcel } from './load';
import { readWorkbook, type Sheet } from './read';
import { suggestMapping } from './mapping';
import { existingDocNumbers, validateRows, type RowErrorCode, type Validation } from './validate';
import { importRows } from './import';
import { errorReport } from './write';
import {
	certTypeText,
	certificate,
	chineseName,
	contractorC1,
	isoToUtcDate,
	mobile,
	pick,
	residentId,
	rng,
	TRADES
} from './test-fixtures';

const ROWS = 2000;
const TODAY = '2026-03-01';
const HEADERS = [
	'序号',
	'姓名',
	'身份证号码',
	'手机号',
	'工种',
	'作业类别',
	'证书编号',
	'发证日期',
	'有效期至',
	'备注'
];

// The planted faults: kind → how many.
const PLANTED: [RowErrorCode, number][] = [
	['ID_CHECKSUM', 3],
	['ID_DATE', 2],
	['DUPLICATE_IN_SHEET', 3],
	['DUPLICATE_EXISTING', 2],
	['CERT_TYPE_UNKNOWN', 2],
	['ID_NUMBER_AS_NUMBER', 3],
	['EXPIRY_BEFORE_ISSUE', 2],
	['REQUIRED_MISSING', 1],
	['DATE_INVALID', 1],
	['PHONE_INVALID', 1]
];

interface Built {
	bytes: Uint8Array;
	expected: { row: number; code: RowErrorCode; firstRow?: number }[];
	existing: string[];
}

async function buildSheet(): Promise<Built> {
	const random = rng(20260301);
	const ExcelJS = await loadExcel();
	const workbook = new ExcelJS.Workbook();
	const ws = workbook.addWorksheet('特种作业人员');
	ws.addRow(HEADERS);

	// Sheet row n (2..2001) holds worker n-2. Pick 20 distinct planted rows away from the top so a
	// duplicate always has an earlier clean row to copy.
	const kinds = PLANTED.flatMap(([code, n]) => Array<RowErrorCode>(n).fill(code));
	const plantedRows = new Map<number, RowErrorCode>();
	while (plantedRows.size < kinds.length) {
		const row = 20 + Math.floor(random() * (ROWS - 19));
		if (!plantedRows.has(row)) plantedRows.set(row, kinds[plantedRows.size]!);
	}

	const used = new Set<string>();
	const freshId = (digitsOnly = false) => {
		for (;;) {
			const id = residentId(random, digitsOnly);
			if (!used.has(id)) {
				used.add(id);
				return id;
			}
		}
	};
	const existing = [freshId(), freshId()];
	const cleanIds: { row: number; id: string }[] = [];
	const expected: Built['expected'] = [];

	for (let row = 2; row <= ROWS + 1; row++) {
		const kind = plantedRows.get(row);
		const cert = certificate(random);
		let id: string | number = freshId(kind === 'ID_NUMBER_AS_NUMBER');
		let name: string | null = chineseName(random);
		let phone = mobile(random);
		let certType = certTypeText(random, cert.item);
		let issued: Date | string = isoToUtcDate(cert.issuedOn);
		let expiry: Date | string =
			random() < 0.5 ? isoToUtcDate(cert.expiresOn) : cert.expiresOn.replace(/-/g, '/');
		let firstRow: number | undefined;
		switch (kind) {
			case 'ID_CHECKSUM': {
				const good = id.charAt(17);
				id = id.slice(0, 17) + (good === '0' ? '1' : '0');
				break;
			}
			case 'ID_DATE': {
				const first17 = `${id.slice(0, 6)}19900230${id.slice(14, 17)}`;
				const { residentIdCheckChar } = await import('../../domain');
				id = first17 + residentIdCheckChar(first17);
				break;
			}
			case 'DUPLICATE_IN_SHEET': {
				const source = pick(
					random,
					cleanIds.filter((c) => c.row < row)
				);
				id = source.id;
				firstRow = source.row;
				break;
			}
			case 'DUPLICATE_EXISTING':
				id = existing[expected.filter((e) => e.code === kind).length]!;
				break;
			case 'CERT_TYPE_UNKNOWN':
				certType = pick(random, ['挖掘机驾驶', '焊工证XYZ', '安全员C证']);
				break;
			case 'ID_NUMBER_AS_NUMBER':
				id = Number(id);
				break;
			case 'EXPIRY_BEFORE_ISSUE':
				expiry = isoToUtcDate(`${Number(cert.issuedOn.slice(0, 4)) - 1}${cert.issuedOn.slice(4)}`);
				break;
			case 'REQUIRED_MISSING':
				name = null;
				break;
			case 'DATE_INVALID':
				issued = '2021-02-30';
				break;
			case 'PHONE_INVALID':
				phone = '12345678901';
				break;
		}
		if (kind) expected.push({ row, code: kind, ...(firstRow ? { firstRow } : {}) });
		else cleanIds.push({ row, id: id as string });
		const r = ws.addRow([
			row - 1,
			name,
			id,
			phone,
			pick(random, TRADES),
			certType,
			`T${String(id).slice(0, 17)}`,
			issued,
			expiry,
			random() < 0.1 ? '新进场' : null
		]);
		r.getCell(8).numFmt = 'yyyy-mm-dd';
		if (expiry instanceof Date) r.getCell(9).numFmt = 'yyyy-mm-dd';
	}
	const buffer = await workbook.xlsx.writeBuffer();
	return { bytes: new Uint8Array(buffer as ArrayBuffer), expected, existing };
}

describe('a 2,000-row sheet with 20 planted bad rows', () => {
	let built: Built;
	let sheet: Sheet;
	let doc: Y.Doc;
	let validation: Validation;

	beforeAll(async () => {
		built = await buildSheet();
		doc = new Y.Doc();
		// Two workers already registered with C1: their rows must be DUPLICATE_EXISTING.
		for (const id of built.existing) {
			createWorker(doc, 'C1', contractorC1, {
				name: '已登记',
				docType: 'resident_id',
				docNumber: id
			});
		}
	}, 20000);

	it('reports exactly the planted rows, each with its code', async () => {
		const started = performance.now();
		[sheet] = (await readWorkbook(built.bytes)) as [Sheet];
		expect(sheet.rows).toHaveLength(ROWS);
		const mapping = suggestMapping(sheet.headers);
		expect(mapping).toEqual({
			name: 1,
			docNumber: 2,
			phone: 3,
			trade: 4,
			certType: 5,
			certNumber: 6,
			certIssuedOn: 7,
			certExpiresOn: 8
		});
		validation = validateRows(sheet, mapping, {
			existingDocNumbers: existingDocNumbers(doc),
			today: TODAY
		});
		const got = validation.errors
			.map((e) => ({ row: e.row, code: e.code, ...(e.firstRow ? { firstRow: e.firstRow } : {}) }))
			.sort((a, b) => a.row - b.row);
		expect(got).toEqual([...built.expected].sort((a, b) => a.row - b.row));
		expect(validation.rows).toHaveLength(ROWS - 20);
		expect(validation.checked).toBe(ROWS);

		// Columns are named as the sheet names them.
		const columnOf = (code: RowErrorCode) => validation.errors.find((e) => e.code === code)!.column;
		expect(columnOf('ID_CHECKSUM')).toBe('身份证号码');
		expect(columnOf('REQUIRED_MISSING')).toBe('姓名');
		expect(columnOf('EXPIRY_BEFORE_ISSUE')).toBe('有效期至');
		expect(columnOf('DATE_INVALID')).toBe('发证日期');
		expect(columnOf('CERT_TYPE_UNKNOWN')).toBe('作业类别');
		expect(columnOf('PHONE_INVALID')).toBe('手机号');
		// Every clean row carries its certificate.
		expect(
			validation.rows.every(
				(r) => r.certificate && r.certificate.expiresOn >= r.certificate.issuedOn
			)
		).toBe(true);
		console.log(`read + validate ${ROWS} rows: ${Math.round(performance.now() - started)} ms`);
	});

	it('imports the 1,980 clean rows in one transaction (one update event)', () => {
		const started = performance.now();
		let updates = 0;
		let transactions = 0;
		doc.on('update', () => updates++);
		doc.on('afterTransaction', () => transactions++);
		const result = importRows(doc, 'C1', contractorC1, validation.rows, { today: TODAY });
		expect(updates).toBe(1);
		expect(transactions).toBe(1);
		expect(result.workers).toHaveLength(ROWS - 20);
		expect(result.certificates).toHaveLength(ROWS - 20);
		expect(doc.getMap('workers').size).toBe(ROWS - 20 + built.existing.length);
		expect(doc.getMap('certificates').size).toBe(ROWS - 20);
		console.log(`import ${ROWS - 20} rows: ${Math.round(performance.now() - started)} ms`);
	});

	it('hands back the sheet with an 错误 column on exactly those rows', async () => {
		const report = await errorReport(sheet, validation.errors);
		const [back] = (await readWorkbook(report)) as [Sheet];
		const errorColumn = back.headers.indexOf('错误');
		expect(errorColumn).toBe(HEADERS.length);
		const flagged = back.rows.filter((r) => r.cells[errorColumn]).map((r) => r.row);
		expect(flagged).toEqual(built.expected.map((e) => e.row).sort((a, b) => a - b));
		const dup = built.expected.find((e) => e.code === 'DUPLICATE_IN_SHEET')!;
		expect(back.rows.find((r) => r.row === dup.row)!.cells[errorColumn]).toBe(
			`身份证号码: DUPLICATE_IN_SHEET @${dup.firstRow}`
		);
	});
});
