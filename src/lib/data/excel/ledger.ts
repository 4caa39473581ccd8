// The personnel ledger as export rows: one row per certificate (a worker without one gets one row),
// with headers that `suggestMapping` maps back, so an exported ledger imports into another device.
import type * as Y from 'yjs';
import { findCatalogueItem, type IdentityDocumentType } from '../../domain';
import { CertificateRecord, Worker } from '../contractor';
import { readRecord } from '../records';
import { certificateTypeLabel } from './cert-match';
import type { ExportColumn, ExportValue } from './write';

/** Sheet vocabulary for document types; `parseDocType` reads these back. */
export const DOC_TYPE_SHEET_NAMES: Record<IdentityDocumentType, string> = {
	resident_id: '居民身份证',
	hmt_residence: '港澳台居民居住证',
	passport: '护照',
	other: '其他'
};

export const LEDGER_COLUMNS: readonly ExportColumn[] = [
	{ key: 'name', header: '姓名' },
	{ key: 'docType', header: '证件类型' },
	{ key: 'docNumber', header: '证件号码', width: 22 },
	{ key: 'sex', header: '性别' },
	{ key: 'birthDate', header: '出生日期' },
	{ key: 'phone', header: '手机号' },
	{ key: 'trade', header: '工种' },
	{ key: 'certType', header: '证书类型' },
	{ key: 'certNumber', header: '证书编号', width: 22 },
	{ key: 'certIssuedOn', header: '发证日期' },
	{ key: 'certExpiresOn', header: '有效期至' },
	{ key: 'certNextReviewOn', header: '复审日期' },
	{ key: 'certIssuer', header: '发证机关' }
];

/** Export rows for every readable worker of a contractor document, by name then document number. */
export function ledgerRows(doc: Y.Doc): Record<string, ExportValue>[] {
	const certs = new Map<string, CertificateRecord[]>();
	for (const raw of doc.getMap('certificates').values()) {
		const read = readRecord(CertificateRecord, raw);
		if (read.ok)
			certs.set(read.record.workerId, [...(certs.get(read.record.workerId) ?? []), read.record]);
	}
	const workers: Worker[] = [];
	for (const raw of doc.getMap('workers').values()) {
		const read = readRecord(Worker, raw);
		if (read.ok) workers.push(read.record);
	}
	workers.sort(
		(a, b) => a.name.localeCompare(b.name, 'zh-CN') || a.docNumber.localeCompare(b.docNumber)
	);
	const rows: Record<string, ExportValue>[] = [];
	for (const w of workers) {
		const base = {
			name: w.name,
			docType: DOC_TYPE_SHEET_NAMES[w.docType],
			docNumber: w.docNumber,
			sex: w.sex === 'M' ? '男' : w.sex === 'F' ? '女' : null,
			birthDate: w.birthDate ?? null,
			phone: w.phone ?? null,
			trade: w.trade ?? null
		};
		const list = (certs.get(w.id) ?? []).sort((a, b) => a.issuedOn.localeCompare(b.issuedOn));
		if (list.length === 0) rows.push(base);
		for (const c of list) {
			const item = findCatalogueItem(c.code);
			rows.push({
				...base,
				certType: item ? certificateTypeLabel(item) : c.code,
				certNumber: c.number,
				certIssuedOn: c.issuedOn,
				certExpiresOn: c.expiresOn,
				certNextReviewOn: c.nextReviewOn ?? null,
				certIssuer: c.issuer ?? null
			});
		}
	}
	return rows;
}
