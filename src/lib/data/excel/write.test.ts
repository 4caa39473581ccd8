// Export and error report: 18-digit IDs and Chinese text survive a round trip, strings that a
// spreadsheet would evaluate are guarded, and an exported ledger imports into another document.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { CertificateRecord, Worker } from '../contractor';
import { readRecord } from '../records';
import { loadExcel } from './load';
import { readWorkbook, type Sheet } from './read';
import { suggestMapping } from './mapping';
import { validateRows, type RowError } from './validate';
import { importRows } from './import';
import { errorReport, exportLedger } from './write';
import { LEDGER_COLUMNS, ledgerRows } from './ledger';
import { contractorC1 } from './test-fixtures';

const ID = '110105198001010016';
const IDX = '11010519491231002X';
const COLUMNS = [
	{ key: 'name', header: '姓名' },
	{ key: 'id', header: '身份证号' },
	{ key: 'note', header: '备注' },
	{ key: 'count', header: '数量' }
];

async function rawCells(bytes: Uint8Array) {
	const ExcelJS = await loadExcel();
	const wb = new ExcelJS.Workbook();
	await wb.xlsx.load(bytes as unknown as ArrayBuffer);
	return wb.worksheets[0]!;
}

describe('exportLedger', () => {
	it('round-trips 18-digit IDs and Chinese text exactly, as text cells', async () => {
		const rows = [
			{ name: '欧阳娜娜', id: ID, note: '高处安装、维护、拆除作业', count: 3 },
			{ name: '李明', id: IDX, note: null, count: null },
			{ name: '王五', id: '000123456789012345', note: '编号 0012', count: -2 }
		];
		const bytes = await exportLedger(rows, COLUMNS);
		expect(bytes).toBeInstanceOf(Uint8Array);
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet.headers).toEqual(['姓名', '身份证号', '备注', '数量']);
		expect(sheet.rows.map((r) => r.cells)).toEqual([
			['欧阳娜娜', ID, '高处安装、维护、拆除作业', '3'],
			['李明', IDX, null, null],
			['王五', '000123456789012345', '编号 0012', '-2']
		]);
		const ws = await rawCells(bytes);
		expect(ws.getCell('B2').value).toBe(ID);
		expect(ws.getCell('B2').numFmt).toBe('@');
		expect(ws.getCell('D2').value).toBe(3);
		expect(ws.getCell('D4').value).toBe(-2);
	});

	it('guards formula-like strings so Excel never evaluates them; a dash inside text is untouched', async () => {
		const evil = ['=1+1', '+cmd', '-2', '@SUM(A1)', '=HYPERLINK("http://x","y")'];
		const bytes = await exportLedger(
			[
				...evil.map((note) => ({ name: '张三', id: ID, note, count: null })),
				{ name: '李-四', id: ID, note: 'A-1 区', count: null }
			],
			COLUMNS
		);
		const ws = await rawCells(bytes);
		evil.forEach((note, i) => {
			const cell = ws.getCell(i + 2, 3);
			expect(cell.value).toBe(`'${note}`);
			expect(cell.formula).toBeUndefined();
		});
		expect(ws.getCell(evil.length + 2, 1).value).toBe('李-四');
		expect(ws.getCell(evil.length + 2, 3).value).toBe('A-1 区');
		// Reading our own export back removes the guard again.
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet.rows.map((r) => r.cells[2])).toEqual([...evil, 'A-1 区']);
	});
});

describe('ledger export → import', () => {
	it('imports an exported ledger into another contractor document unchanged', async () => {
		const source = new Y.Doc();
		const csv = `姓名,身份证号,手机号,工种,作业类别,证书编号,发证日期,有效期至\n李明,${IDX},13800138000,电工,高压电工,T1,2021-03-05,2027-03-05\n李明,${IDX},,,,,,\n王五,${ID},,叉车工,N1,T2,2022-01-01,2026-01-01\n赵六,E1234567,,,SE-2011-N2,T3,2015-01-01,2019-01-01\n`;
		const [first] = (await readWorkbook(new TextEncoder().encode(csv))) as [Sheet];
		const v1 = validateRows(first, suggestMapping(first.headers), {
			existingDocNumbers: new Set(),
			today: '2026-03-01'
		});
		expect(v1.errors.map((e) => e.code)).toEqual(['DUPLICATE_IN_SHEET']);
		importRows(source, 'C1', contractorC1, v1.rows, { today: '2026-03-01' });

		const bytes = await exportLedger(ledgerRows(source), LEDGER_COLUMNS, { sheetName: '人员台账' });
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet.name).toBe('人员台账');
		const mapping = suggestMapping(sheet.headers);
		expect(mapping).toMatchObject({
			name: 0,
			docType: 1,
			docNumber: 2,
			phone: 5,
			trade: 6,
			certType: 7,
			certNumber: 8
		});
		const v2 = validateRows(sheet, mapping, { existingDocNumbers: new Set(), today: '2026-03-01' });
		expect(v2.errors).toEqual([]);
		const target = new Y.Doc();
		importRows(target, 'C1', contractorC1, v2.rows, { today: '2026-03-01' });

		const view = (doc: Y.Doc) => {
			const workers = [...doc.getMap('workers').values()].map((raw) => {
				const w = (readRecord(Worker, raw) as { record: Worker }).record;
				return { id: w.id, row: { ...w, id: '', createdAt: '', updatedAt: '' } };
			});
			const idOf = new Map(workers.map((w) => [w.id, w.row.docNumber]));
			const certs = [...doc.getMap('certificates').values()].map((raw) => {
				const c = (readRecord(CertificateRecord, raw) as { record: CertificateRecord }).record;
				return { ...c, id: '', workerId: idOf.get(c.workerId), createdAt: '', updatedAt: '' };
			});
			const by = (a: { docNumber?: string; number?: string }, b: typeof a) =>
				String(a.docNumber ?? a.number).localeCompare(String(b.docNumber ?? b.number));
			return { workers: workers.map((w) => w.row).sort(by), certs: certs.sort(by) };
		};
		expect(view(target)).toEqual(view(source));
		expect(
			view(target)
				.certs.map((c) => c.code)
				.sort()
		).toEqual(['SE-2011-N2', 'SE-2019-N1', 'SO-ELEC-HV']);
	});
});

describe('errorReport', () => {
	const sheet: Sheet = {
		name: '花名册',
		headerRow: 2,
		headers: ['姓名', '身份证号'],
		rows: [
			{ row: 3, cells: ['张三', IDX] },
			{ row: 4, cells: [null, '110105194912310021'] },
			{ row: 5, cells: ['=1+1', IDX] }
		]
	};
	const errors: RowError[] = [
		{ row: 4, column: '姓名', field: 'name', code: 'REQUIRED_MISSING' },
		{
			row: 4,
			column: '身份证号',
			columnIndex: 1,
			field: 'docNumber',
			code: 'ID_CHECKSUM',
			value: '110105194912310021'
		},
		{
			row: 5,
			column: '身份证号',
			columnIndex: 1,
			field: 'docNumber',
			code: 'DUPLICATE_IN_SHEET',
			firstRow: 3
		}
	];

	it('keeps rows at their own row numbers and lists codes with columns', async () => {
		const [back] = (await readWorkbook(await errorReport(sheet, errors))) as [Sheet];
		expect(back.headerRow).toBe(2);
		expect(back.headers).toEqual(['姓名', '身份证号', '错误']);
		expect(back.rows).toEqual([
			{ row: 3, cells: ['张三', IDX, null] },
			{
				row: 4,
				cells: [null, '110105194912310021', '姓名: REQUIRED_MISSING; 身份证号: ID_CHECKSUM']
			},
			{ row: 5, cells: ['=1+1', IDX, '身份证号: DUPLICATE_IN_SHEET @3'] }
		]);
	});

	it("can keep only failed rows, with their original numbers, and render errors the UI's way", async () => {
		const bytes = await errorReport(sheet, errors, {
			rows: 'errors',
			describe: (e) => `第${e.row}行 ${e.code}`
		});
		const [back] = (await readWorkbook(bytes)) as [Sheet];
		expect(back.headers).toEqual(['姓名', '身份证号', '错误', '原行号']);
		expect(back.rows.map((r) => [r.row, r.cells[2], r.cells[3]])).toEqual([
			[2, '第4行 REQUIRED_MISSING; 第4行 ID_CHECKSUM', '4'],
			[3, '第5行 DUPLICATE_IN_SHEET', '5']
		]);
	});
});
