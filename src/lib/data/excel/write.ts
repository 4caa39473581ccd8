// Writing .xlsx files: the ledger export (any rows and columns, every string a text cell behind the
// formula-injection guard) and the error report that hands a sheet back with an '错误' column.
import type { Workbook, Worksheet } from 'exceljs';
import { escapeCell } from './cells';
import { loadExcel } from './load';
import type { Sheet } from './read';
import type { RowError, RowWarning } from './validate';

export type ExportValue = string | number | null | undefined;

export interface ExportColumn {
	key: string;
	header: string;
	/** Column width in characters; by default from the header and the first rows. */
	width?: number;
}

function textCell(ws: Worksheet, row: number, col: number, value: ExportValue) {
	const cell = ws.getCell(row, col);
	if (value === null || value === undefined || value === '') return;
	if (typeof value === 'number') {
		cell.value = value;
		return;
	}
	// Text format ('@') as well as a string value: an ID or phone stays text if the user edits it.
	cell.value = escapeCell(value);
	cell.numFmt = '@';
}

function widthOf(text: string): number {
	let w = 0;
	for (const ch of text) w += ch.charCodeAt(0) > 0x2e80 ? 2 : 1;
	return w;
}

function finish(ws: Worksheet, widths: number[], headerRow = 1) {
	ws.getRow(headerRow).font = { bold: true };
	ws.views = [{ state: 'frozen', ySplit: headerRow }];
	widths.forEach((w, i) => (ws.getColumn(i + 1).width = Math.min(Math.max(w + 2, 8), 60)));
}

/** A plain Uint8Array (exceljs hands back a Node or polyfilled Buffer). */
async function toBytes(workbook: Workbook): Promise<Uint8Array> {
	const buffer: unknown = await workbook.xlsx.writeBuffer();
	return buffer instanceof Uint8Array
		? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
		: new Uint8Array(buffer as ArrayBuffer);
}

/** Rows of values → .xlsx bytes: one sheet, a bold frozen header, strings as guarded text cells. */
export async function exportLedger(
	rows: readonly Record<string, ExportValue>[],
	columns: readonly ExportColumn[],
	options: { sheetName?: string } = {}
): Promise<Uint8Array> {
	const ExcelJS = await loadExcel();
	const workbook = new ExcelJS.Workbook();
	const ws = workbook.addWorksheet(options.sheetName ?? 'Sheet1');
	const widths = columns.map((c) => c.width ?? widthOf(c.header));
	columns.forEach((c, i) => textCell(ws, 1, i + 1, c.header));
	rows.forEach((r, n) => {
		columns.forEach((c, i) => {
			const value = r[c.key];
			textCell(ws, n + 2, i + 1, value);
			if (c.width === undefined && n < 200 && value != null) {
				widths[i] = Math.max(widths[i]!, widthOf(String(value)));
			}
		});
	});
	finish(ws, widths);
	return toBytes(workbook);
}

export interface ErrorReportOptions {
	/** 'all' (default) keeps every row at its original row number; 'errors' keeps only failed rows. */
	rows?: 'all' | 'errors';
	/** Text of one error in the '错误' column; default '<column>: <CODE>' (+ ' @<first row>'). */
	describe?: (error: RowError) => string;
	/** Also list warnings (after the errors). */
	warnings?: readonly RowWarning[];
	/** Header of the added column. Default '错误'. */
	header?: string;
}

function defaultDescribe(issue: RowError | RowWarning): string {
	const where = issue.firstRow !== undefined ? ` @${issue.firstRow}` : '';
	return `${issue.column}: ${issue.code}${where}`;
}

/**
 * The sheet handed back for fixing: the original header and rows plus an '错误' column listing each
 * row's errors (codes with their column; the UI may pass `describe` to render them). Rows with
 * errors are filled light red. In 'errors' mode a '原行号' column keeps the original row numbers.
 */
export async function errorReport(
	sheet: Sheet,
	errors: readonly RowError[],
	options: ErrorReportOptions = {}
): Promise<Uint8Array> {
	const ExcelJS = await loadExcel();
	const describe = options.describe ?? defaultDescribe;
	const byRow = new Map<number, string[]>();
	for (const e of errors) byRow.set(e.row, [...(byRow.get(e.row) ?? []), describe(e)]);
	const warned = new Map<number, string[]>();
	for (const w of options.warnings ?? []) {
		warned.set(w.row, [...(warned.get(w.row) ?? []), defaultDescribe(w)]);
	}
	const onlyErrors = options.rows === 'errors';
	const workbook = new ExcelJS.Workbook();
	const ws = workbook.addWorksheet(sheet.name.slice(0, 31) || 'Sheet1');
	const width = sheet.headers.length;
	const headerRow = onlyErrors ? 1 : sheet.headerRow;
	const headers = [...sheet.headers, options.header ?? '错误', ...(onlyErrors ? ['原行号'] : [])];
	headers.forEach((h, i) => textCell(ws, headerRow, i + 1, h));
	const widths = headers.map(widthOf);
	let out = headerRow;
	for (const r of sheet.rows) {
		const problems = byRow.get(r.row);
		if (onlyErrors && !problems) continue;
		out = onlyErrors ? out + 1 : r.row;
		r.cells.forEach((c, i) => textCell(ws, out, i + 1, c));
		const note = [...(problems ?? []), ...(warned.get(r.row) ?? [])].join('; ');
		textCell(ws, out, width + 1, note);
		widths[width] = Math.max(widths[width]!, Math.min(widthOf(note), 80));
		if (onlyErrors) ws.getCell(out, width + 2).value = r.row;
		if (problems) {
			ws.getRow(out).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFDE2E2' } };
		}
	}
	for (const r of sheet.rows.slice(0, 200)) {
		r.cells.forEach((c, i) => c && (widths[i] = Math.max(widths[i]!, widthOf(c))));
	}
	finish(ws, widths, headerRow);
	return toBytes(workbook);
}
