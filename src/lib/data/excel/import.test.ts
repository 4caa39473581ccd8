// All-or-nothing import: one transaction on success; on any refusal — no access, a record refused
// mid-way, a stale or tampered row — the document is left byte-for-byte unchanged.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { CertificateRecord, EmergencyContact, Worker } from '../contractor';
import { createWorker } from '../ledger-commands';
import { readRecord } from '../records';
import type { Sheet } from './read';
import { existingDocNumbers, validateRows, type ParsedRow } from './validate';
import { ImportError, importRows } from './import';
import {
	actor,
	certificate,
	chineseName,
	contractorC1,
	contractorC2,
	mobile,
	residentId,
	rng
} from './test-fixtures';

const TODAY = '2026-03-01';

function parsedRows(n: number, seed = 7): ParsedRow[] {
	const random = rng(seed);
	const ids = new Set<string>();
	while (ids.size < n) ids.add(residentId(random));
	const sheet: Sheet = {
		name: 't',
		headerRow: 1,
		headers: [
			'姓名',
			'身份证号',
			'手机号',
			'证书类型',
			'证书编号',
			'发证日期',
			'有效期至',
			'紧急联系人',
			'紧急联系电话',
			'血型'
		],
		rows: [...ids].map((id, i) => {
			const c = certificate(random);
			return {
				row: i + 2,
				cells: [
					chineseName(random),
					id,
					mobile(random),
					c.item.nameZh,
					`N${i}`,
					c.issuedOn,
					c.expiresOn,
					'家属',
					mobile(random),
					i % 2 ? 'A' : null
				]
			};
		})
	};
	const v = validateRows(
		sheet,
		{
			name: 0,
			docNumber: 1,
			phone: 2,
			certType: 3,
			certNumber: 4,
			certIssuedOn: 5,
			certExpiresOn: 6,
			emergencyName: 7,
			emergencyPhone: 8,
			bloodType: 9
		},
		{ existingDocNumbers: new Set(), today: TODAY }
	);
	expect(v.errors).toEqual([]);
	return v.rows;
}

/** Runs `attempt`, expecting an ImportError, and checks the document did not change at all. */
function expectUntouched(doc: Y.Doc, attempt: () => unknown): ImportError {
	const before = Y.encodeStateAsUpdate(doc);
	let updates = 0;
	const count = () => updates++;
	doc.on('update', count);
	let error: unknown;
	try {
		attempt();
	} catch (e) {
		error = e;
	}
	doc.off('update', count);
	expect(error).toBeInstanceOf(ImportError);
	expect(updates).toBe(0);
	expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
	return error as ImportError;
}

describe('nested transactions in Yjs', () => {
	it('join the outer one: one update event', () => {
		const doc = new Y.Doc();
		let updates = 0;
		doc.on('update', () => updates++);
		doc.transact(() => {
			doc.transact(() => doc.getMap('a').set('x', 1));
			doc.getMap('a').set('y', 2);
			const other = new Y.Doc();
			other.getMap('a').set('z', 3);
			Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
		});
		expect(updates).toBe(1);
		expect(doc.getMap('a').toJSON()).toEqual({ x: 1, y: 2, z: 3 });
	});
});

describe('importRows', () => {
	it('writes workers, certificates and emergency contacts in one transaction; not health', () => {
		const doc = new Y.Doc();
		createWorker(doc, 'C1', contractorC1, {
			name: '已有',
			docType: 'passport',
			docNumber: 'E1234567'
		});
		const rows = parsedRows(20);
		const origins: unknown[] = [];
		doc.on('afterTransaction', (t: Y.Transaction) => origins.push([t.origin, t.local]));
		const result = importRows(doc, 'C1', contractorC1, rows, {
			today: TODAY,
			origin: 'excel',
			now: new Date('2026-03-01T02:00:00Z')
		});
		// The origin is ours; Yjs marks a transaction that applies an update as not local.
		expect(origins).toEqual([['excel', false]]);
		expect(result).toMatchObject({ emergencyContacts: 20, healthSkipped: 10 });
		expect(doc.getMap('workers').size).toBe(21);
		expect(doc.getMap('health').size).toBe(0);
		for (const [i, w] of result.workers.entries()) {
			const stored = readRecord(Worker, doc.getMap('workers').get(w.id));
			expect(stored).toMatchObject({
				ok: true,
				record: { docNumber: rows[i]!.worker.docNumber, createdAt: '2026-03-01T02:00:00.000Z' }
			});
			expect(readRecord(EmergencyContact, doc.getMap('emergency').get(w.id)).ok).toBe(true);
		}
		for (const c of result.certificates) {
			expect(readRecord(CertificateRecord, doc.getMap('certificates').get(c.id)).ok).toBe(true);
		}
	});

	it('an actor without access writes nothing', () => {
		const doc = new Y.Doc();
		const e = expectUntouched(doc, () =>
			importRows(doc, 'C1', contractorC2, parsedRows(10), { today: TODAY })
		);
		expect(e).toMatchObject({
			code: 'WRITE_FAILED',
			failure: { row: 2, causeCode: 'ACCESS_DENIED' }
		});
		const gate = actor({ role: 'gate', sites: ['S1'] });
		expectUntouched(doc, () => importRows(doc, 'C1', gate, parsedRows(10), { today: TODAY }));
	});

	it('a row refused at write time, after 29 rows were written, leaves the document unchanged', () => {
		const doc = new Y.Doc();
		createWorker(doc, 'C1', contractorC1, {
			name: '已有',
			docType: 'passport',
			docNumber: 'E1234567'
		});
		const rows = parsedRows(50);
		// The record schema allows 100 characters of issuer: only addCertificate's check catches it.
		rows[29] = {
			...rows[29]!,
			certificate: { ...rows[29]!.certificate!, issuer: '局'.repeat(101) }
		};
		const e = expectUntouched(doc, () =>
			importRows(doc, 'C1', contractorC1, rows, { today: TODAY })
		);
		expect(e).toMatchObject({
			code: 'WRITE_FAILED',
			failure: { row: 31, causeCode: 'INVALID_RECORD' }
		});
		expect(doc.getMap('workers').size).toBe(1);
		expect(doc.getMap('certificates').size).toBe(0);
	});

	it('an actor whose access check throws mid-way leaves the document unchanged', () => {
		const doc = new Y.Doc();
		let calls = 0;
		const flaky = {
			claims: contractorC1.claims,
			org: {
				contractorSites: (c: string) => {
					if (++calls > 25) throw new Error('org view unavailable');
					return contractorC1.org.contractorSites(c);
				}
			}
		};
		// The contractor's own document may not consult the org view; a staff member's does.
		const staff = {
			...flaky,
			claims: {
				...contractorC1.claims,
				role: 'staff' as const,
				staffRole: 'safety' as const,
				sites: ['S1'],
				contractor: undefined
			}
		};
		const e = expectUntouched(doc, () =>
			importRows(doc, 'C1', staff, parsedRows(40), { today: TODAY })
		);
		expect(e.code).toBe('WRITE_FAILED');
		expect(calls).toBeGreaterThan(25);
	});

	it('refuses stale validation: a number registered since, or twice in the batch', () => {
		const doc = new Y.Doc();
		const rows = parsedRows(10);
		expect(existingDocNumbers(doc).size).toBe(0);
		createWorker(doc, 'C1', contractorC1, {
			name: '后来',
			docType: 'resident_id',
			docNumber: rows[4]!.worker.docNumber
		});
		const e = expectUntouched(doc, () =>
			importRows(doc, 'C1', contractorC1, rows, { today: TODAY })
		);
		expect(e).toMatchObject({ code: 'STALE', issues: [{ row: 6, code: 'DUPLICATE_EXISTING' }] });

		const twice = [
			rows[0]!,
			{ ...rows[1]!, worker: { ...rows[1]!.worker, docNumber: rows[0]!.worker.docNumber } }
		];
		expect(
			expectUntouched(doc, () => importRows(doc, 'C1', contractorC1, twice, { today: TODAY }))
		).toMatchObject({
			code: 'STALE',
			issues: [{ row: 3, code: 'DUPLICATE_IN_SHEET', firstRow: 2 }]
		});
	});

	it('refuses tampered rows', () => {
		const doc = new Y.Doc();
		const rows = parsedRows(5);
		const bad = [
			...rows,
			{ ...rows[0]!, row: 99, worker: { ...rows[0]!.worker, docNumber: '110105194912310021' } }
		];
		expect(
			expectUntouched(doc, () => importRows(doc, 'C1', contractorC1, bad, { today: TODAY }))
		).toMatchObject({
			code: 'INVALID_ROWS',
			issues: [{ row: 99, code: 'ROW_INVALID' }]
		});
		const cert = [{ ...rows[0]!, certificate: { ...rows[0]!.certificate!, code: 'NOPE' } }];
		expect(
			expectUntouched(doc, () => importRows(doc, 'C1', contractorC1, cert, { today: TODAY })).code
		).toBe('INVALID_ROWS');
	});
});
