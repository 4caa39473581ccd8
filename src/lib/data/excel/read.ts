// Reading an uploaded .xlsx or .csv into plain sheets: a header row and rows of cell text, with
// the sheet's own row numbers, dates as 'YYYY-MM-DD' and numbers as digits (never rounded text).
import type { CellValue } from 'exceljs';
import { cleanText } from './cells';
import { decodeCsv, parseCsv } from './csv';
import { loadExcel } from './load';
import { suggestMapping } from './mapping';

export type Cell = string | null;

export interface SheetRow {
	/** The sheet's own row number (1-based, as Excel shows it). */
	row: number;
	/** Cell text by 0-based column; null for empty. */
	cells: Cell[];
	/**
	 * Cells that held a number, by column: the raw value. Lets validation see an ID number that
	 * Excel stored as a number (digits lost) and read a date serial in a column not formatted as date.
	 */
	numbers?: Record<number, number>;
}

export interface Sheet {
	name: string;
	/** Row number of the header row (1 unless a title sits above it). */
	headerRow: number;
	headers: string[];
	/** Non-empty rows below the header row. */
	rows: SheetRow[];
	/** Serials count from 1904 in this workbook (old Mac Excel). */
	date1904?: boolean;
	hidden?: boolean;
}

export type WorkbookErrorCode =
	/** An OLE2 file: a legacy .xls, or an .xlsx saved with a password. */
	| 'XLS_OR_ENCRYPTED'
	| 'NOT_A_WORKBOOK'
	/** A CSV that is neither UTF-8 nor GB18030. */
	| 'ENCODING'
	| 'TOO_MANY_ROWS';

export class WorkbookError extends Error {
	constructor(
		readonly code: WorkbookErrorCode,
		message: string
	) {
		super(message);
	}
}

export interface ReadOptions {
	/** Force the header row; by default the first row within the first 10 that names ≥2 fields. */
	headerRow?: number;
	/** Refuse larger sheets (the browser holds all of it in memory). Default 20,000. */
	maxRows?: number;
}

function bytesOf(data: ArrayBuffer | Uint8Array): Uint8Array {
	return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Reads an .xlsx or .csv (told apart by content, not name). Throws `WorkbookError`. */
export async function readWorkbook(
	data: ArrayBuffer | Uint8Array,
	options: ReadOptions = {}
): Promise<Sheet[]> {
	const bytes = bytesOf(data);
	if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
		throw new WorkbookError('XLS_OR_ENCRYPTED', 'legacy .xls or encrypted workbook');
	}
	if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
		return readXlsx(bytes, options);
	}
	return [readCsv(bytes, options)];
}

/** Reads CSV bytes as one sheet named 'csv'. */
export function readCsv(data: ArrayBuffer | Uint8Array, options: ReadOptions = {}): Sheet {
	let text: string;
	try {
		text = decodeCsv(bytesOf(data)).text;
	} catch {
		throw new WorkbookError('ENCODING', 'CSV is neither UTF-8 nor GB18030');
	}
	const raw = parseCsv(text).map((record, i) => ({
		row: i + 1,
		cells: record.map(cleanText)
	}));
	return toSheet('csv', raw, options);
}

async function readXlsx(bytes: Uint8Array, options: ReadOptions): Promise<Sheet[]> {
	const ExcelJS = await loadExcel();
	const workbook = new ExcelJS.Workbook();
	try {
		// exceljs' types ask for a Node Buffer; JSZip underneath takes any Uint8Array.
		await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
	} catch {
		throw new WorkbookError('NOT_A_WORKBOOK', 'not a readable .xlsx');
	}
	const date1904 = Boolean((workbook.properties as { date1904?: boolean }).date1904);
	const maxRows = options.maxRows ?? 20000;
	return workbook.worksheets.map((ws) => {
		if (ws.actualRowCount > maxRows + 10) {
			throw new WorkbookError('TOO_MANY_ROWS', `sheet ${ws.name} has more than ${maxRows} rows`);
		}
		const raw: SheetRow[] = [];
		ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
			const cells: Cell[] = [];
			const numbers: Record<number, number> = {};
			row.eachCell({ includeEmpty: false }, (cell, colNumber) => {
				const { text, number } = cellText(cell.value);
				cells[colNumber - 1] = text;
				if (number !== undefined) numbers[colNumber - 1] = number;
			});
			for (let i = 0; i < cells.length; i++) cells[i] ??= null;
			raw.push(
				Object.keys(numbers).length > 0
					? { row: rowNumber, cells, numbers }
					: { row: rowNumber, cells }
			);
		});
		const sheet = toSheet(ws.name, raw, options);
		if (date1904) sheet.date1904 = true;
		if (ws.state && ws.state !== 'visible') sheet.hidden = true;
		return sheet;
	});
}

/** Digits of an integer without exponent notation (1.1e17 → '110000000000000000'). */
function numberText(value: number): string {
	if (Number.isInteger(value) && Math.abs(value) < 1e21) return BigInt(value).toString();
	return String(value);
}

function isoDateUtc(date: Date): string {
	// exceljs turns serials into UTC instants; round to the nearest second against float noise.
	const d = new Date(Math.round(date.getTime() / 1000) * 1000);
	return d.toISOString().slice(0, 10);
}

function cellText(value: CellValue | undefined): { text: Cell; number?: number } {
	if (value === null || value === undefined) return { text: null };
	if (typeof value === 'string') return { text: cleanText(value) };
	if (typeof value === 'number') return { text: numberText(value), number: value };
	if (typeof value === 'boolean') return { text: value ? 'TRUE' : 'FALSE' };
	if (value instanceof Date) {
		return { text: Number.isNaN(value.getTime()) ? null : isoDateUtc(value) };
	}
	if ('richText' in value) return { text: cleanText(value.richText.map((r) => r.text).join('')) };
	if ('hyperlink' in value) return cellText(value.text as CellValue);
	if ('formula' in value || 'sharedFormula' in value) return cellText(value.result as CellValue);
	if ('error' in value) return { text: value.error };
	return { text: null };
}

function toSheet(name: string, raw: SheetRow[], options: ReadOptions): Sheet {
	const rows = raw.filter((r) => r.cells.some((c) => c !== null));
	if (rows.length > (options.maxRows ?? 20000) + 1) {
		throw new WorkbookError('TOO_MANY_ROWS', `sheet ${name} has too many rows`);
	}
	const header = findHeader(rows, options.headerRow);
	if (!header) return { name, headerRow: 1, headers: [], rows: [] };
	const data = rows.filter((r) => r.row > header.row);
	const width = Math.max(header.cells.length, ...data.map((r) => r.cells.length));
	const pad = (cells: Cell[]) =>
		cells.length < width ? [...cells, ...Array<Cell>(width - cells.length).fill(null)] : cells;
	return {
		name,
		headerRow: header.row,
		headers: pad(header.cells).map((c) => c ?? ''),
		rows: data.map((r) => ({ ...r, cells: pad(r.cells) }))
	};
}

function findHeader(rows: SheetRow[], forced?: number): SheetRow | undefined {
	if (forced !== undefined) return rows.find((r) => r.row === forced) ?? { row: forced, cells: [] };
	// A title row ('XX公司特种作业人员花名册') often sits above the header.
	for (const r of rows.slice(0, 10)) {
		// A merged title repeats one text across its cells; a header names different things.
		if (new Set(r.cells.filter((c) => c !== null)).size < 2) continue;
		const mapped = suggestMapping(r.cells);
		if (
			Object.keys(mapped).length >= 2 &&
			(mapped.name !== undefined || mapped.docNumber !== undefined)
		) {
			return r;
		}
	}
	return rows[0];
}
