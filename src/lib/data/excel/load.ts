// Loads exceljs on first use (dynamic import), so the ~930 kB library stays out of the app's first
// load. Vite resolves the package's `browser` field (dist/exceljs.min.js); Node gets excel.js.
import type * as ExcelJSModule from 'exceljs';

export type ExcelJS = typeof ExcelJSModule;

let loading: Promise<ExcelJS> | null = null;

/** The exceljs namespace. Both builds are CommonJS/UMD, so the API sits on `default`. */
export function loadExcel(): Promise<ExcelJS> {
	loading ??= import('exceljs').then(
		(mod) => ((mod as unknown as { default?: ExcelJS }).default ?? mod) as ExcelJS,
		(error: unknown) => {
			loading = null;
			throw error;
		}
	);
	return loading;
}
