// Row validation: each error code on a small sheet, several errors in one row, what a clean row
// parses into, and warnings.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { createWorker } from '../ledger-commands';
import type { Sheet } from './read';
import { suggestMapping } from './mapping';
import { existingDocNumbers, validateRows, type ValidateOptions } from './validate';
import { contractorC1 } from './test-fixtures';

const ID = '11010519491231002X';
const ID2 = '110105198001010016';
const HEADERS = [
	'姓名',
	'证件类型',
	'身份证号',
	'手机号',
	'工种',
	'证书类型',
	'证书编号',
	'发证日期',
	'有效期至',
	'复审日期',
	'发证机关',
	'血型',
	'过敏史',
	'紧急联系人',
	'紧急联系电话'
];

function sheet(
	rows: (string | null)[][],
	numbers: Record<number, Record<number, number>> = {}
): Sheet {
	return {
		name: 't',
		headerRow: 1,
		headers: HEADERS,
		rows: rows.map((cells, i) => ({
			row: i + 2,
			cells: [...cells, ...Array(HEADERS.length - cells.length).fill(null)],
			...(numbers[i + 2] ? { numbers: numbers[i + 2] } : {})
		}))
	};
}
const OPTS: ValidateOptions = { existingDocNumbers: new Set(), today: '2026-03-01' };
const mapping = suggestMapping(HEADERS);
const codes = (s: Sheet, opts = OPTS) =>
	validateRows(s, mapping, opts).errors.map((e) => `${e.row}:${e.column}:${e.code}`);

describe('validateRows', () => {
	it('parses a clean row into a worker, a certificate, an emergency contact and health extras', () => {
		const v = validateRows(
			sheet([
				[
					'张  三',
					'身份证',
					'11010519491231002x',
					'138 0013 8000',
					'电工',
					'特种作业操作证(高压电工作业)',
					't-123',
					'2021/3/5',
					'2027年3月5日',
					'2024-03-05',
					'北京市应急管理局',
					'O型',
					'青霉素',
					'李四',
					'13900139000'
				]
			]),
			mapping,
			OPTS
		);
		expect(v.errors).toEqual([]);
		expect(v.rows).toEqual([
			{
				row: 2,
				worker: {
					name: '张三',
					docType: 'resident_id',
					docNumber: ID,
					phone: '13800138000',
					trade: '电工'
				},
				certificate: {
					regime: 'special_operation',
					catalogueVersion: 'order30',
					code: 'SO-ELEC-HV',
					number: 'T-123',
					issuedOn: '2021-03-05',
					expiresOn: '2027-03-05',
					nextReviewOn: '2024-03-05',
					issuer: '北京市应急管理局',
					holderName: '张三'
				},
				emergency: { name: '李四', phone: '13900139000' },
				health: { bloodType: 'O', allergies: '青霉素' }
			}
		]);
	});

	it('reports each identity error with its code', () => {
		expect(
			codes(
				sheet([
					[null, null, ID],
					['A', null, null],
					['B', null, '11010519491231002'],
					['C', null, '110105194912310021'],
					['D', null, '11010519900230001X'],
					['E', '驾照', ID],
					['F', '港澳台居民居住证', ID],
					['G', null, '11010520300101001X']
				])
			)
		).toEqual([
			'2:姓名:REQUIRED_MISSING',
			'3:身份证号:REQUIRED_MISSING',
			'4:身份证号:ID_FORMAT',
			'5:身份证号:ID_CHECKSUM',
			'6:身份证号:ID_DATE',
			'7:证件类型:DOC_TYPE_UNKNOWN',
			'8:身份证号:ID_REGION',
			'9:身份证号:ID_DATE'
		]);
	});

	it('infers passports and residence permits when there is no type column', () => {
		const v = validateRows(
			sheet([
				['A', null, 'e1234567'],
				['B', null, '810000199001010019']
			]),
			mapping,
			OPTS
		);
		expect(v.errors).toEqual([]);
		expect(v.rows.map((r) => [r.worker.docType, r.worker.docNumber])).toEqual([
			['passport', 'E1234567'],
			['hmt_residence', '810000199001010019']
		]);
	});

	it('reports duplicates in the sheet against the first row, and already registered numbers', () => {
		const doc = new Y.Doc();
		createWorker(doc, 'C1', contractorC1, { name: '已有', docType: 'resident_id', docNumber: ID2 });
		const v = validateRows(
			sheet([
				['A', null, ID],
				['B', null, ' 11010519491231002x '],
				['C', null, ID2],
				['D', null, ID]
			]),
			mapping,
			{ ...OPTS, existingDocNumbers: existingDocNumbers(doc) }
		);
		expect(v.errors.map((e) => [e.row, e.code, e.firstRow])).toEqual([
			[3, 'DUPLICATE_IN_SHEET', 2],
			[4, 'DUPLICATE_EXISTING', undefined],
			[5, 'DUPLICATE_IN_SHEET', 2]
		]);
		expect(v.rows.map((r) => r.row)).toEqual([2]);
	});

	it('reports certificate errors, several in one row', () => {
		expect(
			codes(
				sheet([
					['A', null, ID, null, null, '挖掘机', 'X1', '2021-02-30', '2020-01-01'],
					['B', null, ID2, '123', null, 'Q2', null, '2022-01-01', '2021-12-31'],
					[
						'C',
						null,
						'110105198001010024',
						null,
						null,
						'电工作业',
						'X2',
						'2030-01-01',
						'2031-01-01',
						'soon'
					]
				])
			)
		).toEqual([
			'2:证书类型:CERT_TYPE_UNKNOWN',
			'2:发证日期:DATE_INVALID',
			'3:手机号:PHONE_INVALID',
			'3:证书编号:REQUIRED_MISSING',
			'3:有效期至:EXPIRY_BEFORE_ISSUE',
			'4:证书类型:CERT_TYPE_AMBIGUOUS',
			'4:发证日期:DATE_IN_FUTURE',
			'4:复审日期:DATE_INVALID'
		]);
	});

	it('derives a missing expiry from the regime and warns; reads a validity range', () => {
		const v = validateRows(
			sheet([
				['A', null, ID, null, null, 'Q2', 'X1', '2021-03-05'],
				['B', null, ID2, null, null, '高压电工', 'X2', null, '2018.01.01-2024.01.01']
			]),
			mapping,
			OPTS
		);
		expect(v.errors).toEqual([]);
		expect(v.rows.map((r) => [r.certificate?.issuedOn, r.certificate?.expiresOn])).toEqual([
			['2021-03-05', '2025-03-05'],
			['2018-01-01', '2024-01-01']
		]);
		expect(v.warnings.map((w) => [w.row, w.code])).toEqual([
			[2, 'EXPIRY_DERIVED'],
			[3, 'CERT_EXPIRED']
		]);
	});

	it('reads date serials from number cells', () => {
		const v = validateRows(
			sheet([['A', null, ID, null, null, 'N1', 'X', '44260', '45721']], {
				2: { 7: 44260, 8: 45721 }
			}),
			mapping,
			OPTS
		);
		expect(v.rows[0]!.certificate).toMatchObject({
			issuedOn: '2021-03-05',
			expiresOn: '2025-03-05'
		});
	});

	it('checks emergency contacts and blood types', () => {
		expect(
			codes(
				sheet([
					['A', null, ID, null, null, null, null, null, null, null, null, 'Z', null, '李四', null],
					['B', null, ID2, null, null, null, null, null, null, null, null, null, null, null, '139']
				])
			)
		).toEqual([
			'2:紧急联系电话:REQUIRED_MISSING',
			'2:血型:BLOOD_TYPE_INVALID',
			'3:紧急联系人:REQUIRED_MISSING',
			'3:紧急联系电话:PHONE_INVALID'
		]);
	});

	it('names an unmapped required field by its usual header, and skips rows empty in mapped columns', () => {
		const s = sheet([
			['A', null, ID],
			[null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]
		]);
		s.rows[1]!.cells.push('note');
		const v = validateRows(s, { name: 0 }, OPTS);
		expect(v.errors.map((e) => [e.row, e.column, e.code, e.columnIndex])).toEqual([
			[2, '身份证号', 'REQUIRED_MISSING', undefined]
		]);
		expect(v.checked).toBe(1);
	});

	it('refuses over-long text', () => {
		expect(codes(sheet([['名'.repeat(51), null, ID]]))).toEqual(['2:姓名:TOO_LONG']);
	});
});
