// CSV input: decoding (UTF-8 with or without BOM, UTF-16 with BOM as Excel's "Unicode text", and
// GB18030/GBK as older Chinese Excel saves it) and RFC 4180 parsing with the delimiter detected.

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030';

export class CsvDecodeError extends Error {
	readonly code = 'ENCODING';
}

/** Decodes CSV bytes: BOM first, else strict UTF-8, else GB18030 (a superset of GBK/GB2312). */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
	if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
		return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
	}
	if (bytes[0] === 0xff && bytes[1] === 0xfe) {
		return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
	}
	if (bytes[0] === 0xfe && bytes[1] === 0xff) {
		return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
	}
	try {
		return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
	} catch {
		// Not UTF-8: a Chinese-locale Excel "CSV" is GBK, which GB18030 decodes.
	}
	try {
		return { text: new TextDecoder('gb18030', { fatal: true }).decode(bytes), encoding: 'gb18030' };
	} catch {
		throw new CsvDecodeError('neither UTF-8 nor GB18030');
	}
}

/** The delimiter that occurs most (outside quotes) in the first record: comma, tab or semicolon. */
export function detectDelimiter(text: string): string {
	const counts = new Map([
		[',', 0],
		['\t', 0],
		[';', 0]
	]);
	let quoted = false;
	for (const ch of text) {
		if (ch === '"') quoted = !quoted;
		else if (!quoted && (ch === '\n' || ch === '\r')) break;
		else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
	}
	let best = ',';
	for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
	return best;
}

/** RFC 4180 records (quoted fields may hold delimiters, quotes as "" and line breaks). */
export function parseCsv(text: string, delimiter = detectDelimiter(text)): string[][] {
	const records: string[][] = [];
	let record: string[] = [];
	let field = '';
	let quoted = false;
	let i = 0;
	while (i < text.length) {
		const ch = text[i]!;
		if (quoted) {
			if (ch === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i += 2;
					continue;
				}
				quoted = false;
			} else field += ch;
			i++;
			continue;
		}
		if (ch === '"' && field === '') quoted = true;
		else if (ch === delimiter) {
			record.push(field);
			field = '';
		} else if (ch === '\r' || ch === '\n') {
			record.push(field);
			records.push(record);
			record = [];
			field = '';
			if (ch === '\r' && text[i + 1] === '\n') i++;
		} else field += ch;
		i++;
	}
	if (field !== '' || record.length > 0) {
		record.push(field);
		records.push(record);
	}
	return records;
}
