// Certificate type text → catalogue item: names, suffixes, full-width text, 项目代号 and editions.
import { describe, expect, it } from 'vitest';
import { CERTIFICATE_CATALOGUE } from '../../domain';
import { certificateTypeLabel, matchCertificateType } from './cert-match';

const code = (text: string, opts = {}) => {
	const m = matchCertificateType(text, opts);
	return m.ok ? m.item.code : m.code;
};

describe('matchCertificateType', () => {
	it('matches zh names with or without 作业, spaces and full-width characters', () => {
		expect(code('高压电工作业')).toBe('SO-ELEC-HV');
		expect(code('高压电工')).toBe('SO-ELEC-HV');
		expect(code(' 低压 电工 ')).toBe('SO-ELEC-LV');
		expect(code('登高架设')).toBe('SO-HEIGHT-SCAFFOLD');
		expect(code('高处安装维护拆除作业')).toBe('SO-HEIGHT-MAINT');
		expect(code('熔化焊接与热切割')).toBe('SO-WELD-FUSION');
		expect(code('建筑架子工')).toBe('CN-SCAFFOLD');
		expect(code('建筑电工证')).toBe('CN-ELECTRICIAN');
		expect(code('叉车司机作业')).toBe('SE-2019-N1');
	});

	it('reads the regime name around the item', () => {
		expect(code('特种作业操作证（高压电工作业）')).toBe('SO-ELEC-HV');
		expect(code('特种作业操作证【登高架设作业】')).toBe('SO-HEIGHT-SCAFFOLD');
		expect(code('建筑施工特种作业操作资格证书(建筑起重机械司机)')).toBe('CN-CRANE-OPERATOR');
	});

	it('reads 项目代号 in the 2019 catalogue by default, full-width too', () => {
		expect(code('Q2')).toBe('SE-2019-Q2');
		expect(code('Ｑ２')).toBe('SE-2019-Q2');
		expect(code('n1')).toBe('SE-2019-N1');
		expect(code('Q1 起重机指挥')).toBe('SE-2019-Q1');
		expect(code('叉车司机(N1)')).toBe('SE-2019-N1');
		expect(code('Q4')).toBe('CERT_TYPE_UNKNOWN');
	});

	it('reads another edition when told, or when the text names it', () => {
		expect(code('Q2', { officialCodeVersion: '2011' })).toBe('SE-2011-Q2');
		expect(code('2011版Q4')).toBe('SE-2011-Q4');
		expect(code('Q8(2011)')).toBe('SE-2011-Q8');
	});

	it('prefers the current edition when two share a name, and takes our stable codes', () => {
		expect(code('叉车司机')).toBe('SE-2019-N1');
		expect(code('SE-2011-N2')).toBe('SE-2011-N2');
		expect(code('so-elec-hv')).toBe('SO-ELEC-HV');
	});

	it('says which items fit when a category or a conflicting code is given', () => {
		const m = matchCertificateType('电工作业');
		expect(m).toMatchObject({ ok: false, code: 'CERT_TYPE_AMBIGUOUS' });
		expect(m.ok === false && m.code === 'CERT_TYPE_AMBIGUOUS' && m.candidates).toContain(
			'SO-ELEC-HV'
		);
		expect(code('Q2 叉车司机')).toBe('CERT_TYPE_AMBIGUOUS');
	});

	it('refuses what the catalogue does not hold', () => {
		for (const t of ['挖掘机驾驶', '安全员C证', 'Z9', '', '作业'])
			expect(code(t)).toBe('CERT_TYPE_UNKNOWN');
	});

	it('labels every item with text that reads back as that item', () => {
		for (const item of CERTIFICATE_CATALOGUE.items) {
			expect(code(certificateTypeLabel(item))).toBe(item.code);
		}
		expect(
			certificateTypeLabel(CERTIFICATE_CATALOGUE.items.find((i) => i.code === 'SE-2011-N2')!)
		).toBe('SE-2011-N2');
	});
});
