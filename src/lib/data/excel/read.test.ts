// Reading .xlsx and .csv: cell kinds, lost digits, title rows above the header, CSV encodings.
import { describe, expect, it } from 'vitest';
import { loadExcel } from './load';
import { readWorkbook, WorkbookError, type Sheet } from './read';
import { parseCsv } from './csv';
import { suggestMapping } from './mapping';
import { validateRows } from './validate';

const ID = '11010519491231002X';
const ID_DIGITS = '110105198001010016';

async function xlsx(build: (ws: import('exceljs').Worksheet) => void): Promise<Uint8Array> {
	const ExcelJS = await loadExcel();
	const wb = new ExcelJS.Workbook();
	build(wb.addWorksheet('人员'));
	return new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer);
}

const utf8 = (text: string, bom = false) => {
	const body = new TextEncoder().encode(text);
	return bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...body]) : body;
};

describe('readWorkbook (.xlsx)', () => {
	it('gives text for every kind of cell, dates as YYYY-MM-DD and numbers as digits', async () => {
		const bytes = await xlsx((ws) => {
			ws.addRow(['姓名', '身份证号', '手机号', '发证日期', '年龄', '备注', '合计']);
			const r = ws.addRow([
				{ richText: [{ text: '李' }, { text: '明' }] },
				ID,
				13800138000,
				new Date(Date.UTC(2021, 2, 5)),
				35.5,
				{ text: '链接', hyperlink: 'https://example.org' },
				{ formula: '1+1', result: 2 }
			]);
			r.getCell(4).numFmt = 'yyyy-mm-dd';
			ws.addRow([]);
			ws.addRow(['  王五\u3000', ' ', null, '2021/3/5']);
		});
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet).toMatchObject({ name: '人员', headerRow: 1 });
		expect(sheet.headers).toEqual([
			'姓名',
			'身份证号',
			'手机号',
			'发证日期',
			'年龄',
			'备注',
			'合计'
		]);
		expect(sheet.rows).toEqual([
			{
				row: 2,
				cells: ['李明', ID, '13800138000', '2021-03-05', '35.5', '链接', '2'],
				numbers: { 2: 13800138000, 4: 35.5, 6: 2 }
			},
			{ row: 4, cells: ['王五', null, null, '2021/3/5', null, null, null] }
		]);
	});

	it('keeps the digits of an ID stored as a number, and validation refuses it', async () => {
		const bytes = await xlsx((ws) => {
			ws.addRow(['姓名', '身份证号']);
			ws.addRow(['张三', Number(ID_DIGITS)]);
			ws.addRow(['李四', ID_DIGITS]);
		});
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet.rows[0]!.numbers).toEqual({ 1: Number(ID_DIGITS) });
		expect(sheet.rows[0]!.cells[1]).not.toContain('e');
		const v = validateRows(sheet, suggestMapping(sheet.headers), {
			existingDocNumbers: new Set(),
			today: '2026-01-01'
		});
		expect(v.errors).toEqual([
			expect.objectContaining({ row: 2, column: '身份证号', code: 'ID_NUMBER_AS_NUMBER' })
		]);
		expect(v.rows.map((r) => r.worker.docNumber)).toEqual([ID_DIGITS]);
	});

	it("finds the header below a merged title row and keeps the sheet's row numbers", async () => {
		const bytes = await xlsx((ws) => {
			ws.addRow(['XX建设公司特种作业人员身份证及证书登记表']);
			ws.mergeCells('A1:D1');
			ws.addRow(['填表日期：2026-01-01']);
			ws.addRow(['序号', '姓名', '身份证号', '工种']);
			ws.addRow([1, '张三', ID, '电工']);
		});
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet.headerRow).toBe(3);
		expect(sheet.headers).toEqual(['序号', '姓名', '身份证号', '工种']);
		expect(sheet.rows).toEqual([{ row: 4, cells: ['1', '张三', ID, '电工'], numbers: { 0: 1 } }]);
	});

	it('reads every worksheet', async () => {
		const ExcelJS = await loadExcel();
		const wb = new ExcelJS.Workbook();
		wb.addWorksheet('一队').addRow(['姓名', '身份证号']);
		wb.addWorksheet('二队').addRow(['姓名', '身份证号']);
		const sheets = await readWorkbook((await wb.xlsx.writeBuffer()) as ArrayBuffer);
		expect(sheets.map((s) => s.name)).toEqual(['一队', '二队']);
	});

	it('refuses a legacy .xls (or encrypted workbook) and a broken zip with codes', async () => {
		const ole = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
		await expect(readWorkbook(ole)).rejects.toMatchObject({ code: 'XLS_OR_ENCRYPTED' });
		const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6]);
		await expect(readWorkbook(zip)).rejects.toBeInstanceOf(WorkbookError);
		await expect(readWorkbook(zip)).rejects.toMatchObject({ code: 'NOT_A_WORKBOOK' });
	});
});

describe('readWorkbook (.csv)', () => {
	it('reads UTF-8 with a BOM, quoted fields and CRLF', async () => {
		const csv = `姓名,身份证号,备注\r\n张三,${ID},"含,逗号"\r\n"李""四""",${ID_DIGITS},"两\n行"\r\n\r\n`;
		const [sheet] = (await readWorkbook(utf8(csv, true))) as [Sheet];
		expect(sheet.name).toBe('csv');
		expect(sheet.headers).toEqual(['姓名', '身份证号', '备注']);
		expect(sheet.rows).toEqual([
			{ row: 2, cells: ['张三', ID, '含,逗号'] },
			{ row: 3, cells: ['李"四"', ID_DIGITS, '两\n行'] }
		]);
	});

	it('reads UTF-8 without a BOM and tab-separated text', async () => {
		const [sheet] = (await readWorkbook(utf8(`姓名\t身份证号\n张三\t${ID}\n`))) as [Sheet];
		expect(sheet.rows[0]!.cells).toEqual(['张三', ID]);
	});

	it('reads GB18030 (GBK) as a Chinese-locale Excel saves it', async () => {
		const hex =
			'd0d5c3fb2cc9edb7ddd6a4bac52ccad6bbfabac50d0ad5c5c8fd2c3131303130353139343931323331303032582c31333830303133383030300d0a';
		const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet.headers).toEqual(['姓名', '身份证号', '手机号']);
		expect(sheet.rows[0]!.cells).toEqual(['张三', ID, '13800138000']);
	});

	it('reads UTF-16 with a BOM (Excel "Unicode text")', async () => {
		const text = `姓名\t身份证号\r\n张三\t${ID}\r\n`;
		const bytes = new Uint8Array(2 + text.length * 2);
		bytes.set([0xff, 0xfe]);
		for (let i = 0; i < text.length; i++) {
			bytes[2 + i * 2] = text.charCodeAt(i) & 0xff;
			bytes[3 + i * 2] = text.charCodeAt(i) >> 8;
		}
		const [sheet] = (await readWorkbook(bytes)) as [Sheet];
		expect(sheet.rows[0]!.cells).toEqual(['张三', ID]);
	});

	it("sees Excel's rounded scientific text for what it is", async () => {
		const [sheet] = (await readWorkbook(utf8('姓名,身份证号\n张三,1.10105E+17\n'))) as [Sheet];
		const v = validateRows(
			sheet,
			{ name: 0, docNumber: 1 },
			{ existingDocNumbers: new Set(), today: '2026-01-01' }
		);
		expect(v.errors.map((e) => e.code)).toEqual(['ID_NUMBER_AS_NUMBER']);
	});

	it('parses RFC 4180 edge cases', () => {
		expect(parseCsv('a,b\n1,', ',')).toEqual([
			['a', 'b'],
			['1', '']
		]);
		expect(parseCsv('"a""b",c', ',')).toEqual([['a"b', 'c']]);
		expect(parseCsv('a;b\r\n1;2', ';')).toEqual([
			['a', 'b'],
			['1', '2']
		]);
	});
});
