// Excel import and export for the personnel ledger: read .xlsx/.csv, map columns, validate rows,
// import all-or-nothing, hand back an error report, export the ledger. exceljs loads on first use.
export { loadExcel, type ExcelJS } from './load';
export {
	readWorkbook,
	readCsv,
	WorkbookError,
	type Sheet,
	type SheetRow,
	type Cell,
	type ReadOptions,
	type WorkbookErrorCode
} from './read';
export { decodeCsv, parseCsv, detectDelimiter, type CsvEncoding } from './csv';
export {
	IMPORT_FIELDS,
	FIELD_SPECS,
	REQUIRED_FIELDS,
	fieldSpec,
	suggestMapping,
	mappingProblems,
	normaliseHeader,
	type ImportField,
	type FieldSpec,
	type ColumnMapping,
	type MappingProblem
} from './mapping';
export {
	matchCertificateType,
	certificateTypeLabel,
	type CertMatch,
	type CertMatchOptions
} from './cert-match';
export {
	validateRows,
	existingDocNumbers,
	parseDocType,
	columnLetter,
	ROW_ERROR_CODES,
	ROW_WARNING_CODES,
	type RowError,
	type RowWarning,
	type RowErrorCode,
	type RowWarningCode,
	type RowIssue,
	type ParsedRow,
	type ParsedCertificate,
	type ValidateOptions,
	type Validation
} from './validate';
export {
	importRows,
	ImportError,
	type ImportErrorCode,
	type ImportIssue,
	type ImportOptions,
	type ImportResult
} from './import';
export {
	exportLedger,
	errorReport,
	type ExportColumn,
	type ExportValue,
	type ErrorReportOptions
} from './write';
export { ledgerRows, LEDGER_COLUMNS, DOC_TYPE_SHEET_NAMES } from './ledger';
export { escapeCell, unescapeCell, parseDate, parsePhone, parseBloodType } from './cells';
