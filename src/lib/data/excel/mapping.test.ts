// Header mapping suggestions from the names contractors use, and mapping problems.
import { describe, expect, it } from 'vitest';
import { mappingProblems, suggestMapping } from './mapping';

describe('suggestMapping', () => {
	it('maps the usual Chinese roster headers', () => {
		expect(
			suggestMapping([
				'序号',
				'姓名',
				'证件类型',
				'身份证号码（必填）*',
				'联系电话',
				'工种',
				'操作项目',
				'操作证号',
				'初领日期',
				'有效期至',
				'下次复审',
				'发证机关',
				'血型',
				'过敏史',
				'紧急联系人',
				'紧急联系电话',
				'备注'
			])
		).toEqual({
			name: 1,
			docType: 2,
			docNumber: 3,
			phone: 4,
			trade: 5,
			certType: 6,
			certNumber: 7,
			certIssuedOn: 8,
			certExpiresOn: 9,
			certNextReviewOn: 10,
			certIssuer: 11,
			bloodType: 12,
			allergies: 13,
			emergencyName: 14,
			emergencyPhone: 15
		});
	});

	it('maps other common spellings', () => {
		expect(
			suggestMapping([
				'名字',
				'证件号码',
				'手机',
				'证书名称',
				'证号',
				'发证日期',
				'到期日期',
				'复审日期'
			])
		).toEqual({
			name: 0,
			docNumber: 1,
			phone: 2,
			certType: 3,
			certNumber: 4,
			certIssuedOn: 5,
			certExpiresOn: 6,
			certNextReviewOn: 7
		});
		expect(
			suggestMapping(['姓 名', '身份证号', '电话', '作业类别', '证书编号', '有效期'])
		).toMatchObject({
			name: 0,
			docNumber: 1,
			phone: 2,
			certType: 3,
			certNumber: 4,
			certExpiresOn: 5
		});
	});

	it('maps English headers', () => {
		expect(
			suggestMapping([
				'Name',
				'ID Number',
				'Mobile',
				'Trade',
				'Certificate Type',
				'Certificate No.',
				'Issue Date',
				'Expiry Date',
				'Emergency Contact',
				'Emergency Phone'
			])
		).toEqual({
			name: 0,
			docNumber: 1,
			phone: 2,
			trade: 3,
			certType: 4,
			certNumber: 5,
			certIssuedOn: 6,
			certExpiresOn: 7,
			emergencyName: 8,
			emergencyPhone: 9
		});
		expect(suggestMapping(['ID', 'Full name', 'Valid until'])).toEqual({
			docNumber: 0,
			name: 1,
			certExpiresOn: 2
		});
	});

	it("does not take the ID card's own dates, issuer or the emergency phone for other fields", () => {
		expect(
			suggestMapping(['姓名', '身份证号', '身份证有效期', '身份证签发机关', '紧急联系人电话'])
		).toEqual({
			name: 0,
			docNumber: 1,
			emergencyPhone: 4
		});
	});

	it('uses each column once and leaves unknown headers out', () => {
		const m = suggestMapping(['姓名', '姓名', '备注', '', null]);
		expect(m).toEqual({ name: 0 });
	});
});

describe('mappingProblems', () => {
	it('names missing required fields, doubled columns and columns out of range', () => {
		expect(mappingProblems({ name: 0, phone: 0, trade: 9 }, 3)).toEqual([
			{ code: 'REQUIRED_UNMAPPED', field: 'docNumber' },
			{ code: 'COLUMN_OUT_OF_RANGE', field: 'trade', column: 9 },
			{ code: 'COLUMN_TWICE', column: 0, fields: ['name', 'phone'] }
		]);
		expect(mappingProblems({ name: 0, docNumber: 1 }, 2)).toEqual([]);
	});
});
