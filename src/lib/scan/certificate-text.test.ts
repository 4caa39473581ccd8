import { describe, expect, it } from 'vitest';
import {
	findDates,
	isEmptyReading,
	matchCatalogueItem,
	parseCertificateNumber,
	parseCertificateText,
	parseQrPayload
} from './certificate-text';

// Check characters computed with residentIdCheckChar: these are well-formed, invented numbers.
const ID_ZJ = '330102198503120014';
const ID_SE = '330102199007070016';

describe('OCR text of a 特种作业操作证', () => {
	// tesseract.js 7 + chi_sim best_int on a rendered card photographed at a slight angle: spaces
	// between characters, stray quote marks before values.
	const clean = `特种 作业 操作 证
证 号 T330102198503120014
姓 名 ”王建国
性 别 - 男
作业 类 别 ”焊接 与 热切 割 作业
准 操 项 目 ”熔化 焊接 与 热切 割 作业
初 领 日 期 ”2024 年 03 月 01 日
有 效 期 限 2024 年 03 月 01 日 至 2030 年 03 月 01 日
发 证 机 关 。 浙江 省 应 急 管理 厅
`;

	it('reads every field through the spacing and stray marks', () => {
		expect(parseCertificateText(clean)).toEqual({
			number: 'T330102198503120014',
			name: '王建国',
			idNumber: ID_ZJ,
			code: 'SO-WELD-FUSION',
			issuedOn: '2024-03-01',
			expiresOn: '2030-03-01',
			issuer: '浙江省应急管理厅'
		});
	});

	// The same card, smaller and blurrier: T read as 1, labels and the item name misread.
	const noisy = `特种 作业 操作 证
证 号 1330102198503120014
姓 “名 ”王建 国
秋 == 思 : 提
作业 类 对 焊接 与 热切 竺 作业
准 推 项目 饮 化 焊 冬 与 热切 齐 作 业
初 镇 日期 2024 年 03 月 01 日
有 效 期 限 2024 年 03 月 01 日 至 2030 年 03 月 01 日
发 证 级 关 浙江 省 应 急 管 理 他
`;

	it('restores the T, reads labels with one wrong character and a garbled item name', () => {
		const r = parseCertificateText(noisy);
		expect(r.number).toBe('T330102198503120014');
		expect(r.name).toBe('王建国');
		expect(r.code).toBe('SO-WELD-FUSION');
		expect(r.issuedOn).toBe('2024-03-01');
		expect(r.expiresOn).toBe('2030-03-01');
		// Misread characters stay misread: the user sees and confirms the suggestion.
		expect(r.issuer).toBe('浙江省应急管理他');
	});

	it('reads O for 0 and I/l for 1 in numbers and dates', () => {
		const r = parseCertificateText(`证号 T33O1O2l985O312OO14
有效期限 2O24年O3月O1日至2O3O年O3月O1日
应复审日期 2O27 年 O3 月 O1 日`);
		expect(r.number).toBe('T330102198503120014');
		expect(r.issuedOn).toBe('2024-03-01');
		expect(r.expiresOn).toBe('2030-03-01');
		expect(r.nextReviewOn).toBe('2027-03-01');
	});

	it('takes the value from the next line when the label stands alone', () => {
		const r = parseCertificateText(`证 书 编 号
T 3301 0219 8503 1200 14
姓名 王建国 性别 男 文化程度 高中`);
		expect(r.number).toBe('T330102198503120014');
		expect(r.name).toBe('王建国');
	});

	it('does not confuse 高压 and 低压 when the differing character is unreadable', () => {
		expect(parseCertificateText('准操项目 ?压电工作业').code).toBeUndefined();
		expect(parseCertificateText('准操项目 低压电工作业').code).toBe('SO-ELEC-LV');
		expect(parseCertificateText('准操项目 高压电 工作 业').code).toBe('SO-ELEC-HV');
	});
});

describe('OCR text of other regimes', () => {
	it('reads a 特种设备作业人员证 with full-width colons, O/0 mix-ups and an item code', () => {
		const r = parseCertificateText(`中华人民共和国
特种设备作业人员证
姓 名 ： 李 明
性 别 ： 男
身份证号 ： 33O1O2199OO7O7OO16
证书编号 ： 33O1O2199OO7O7OO16
作业项目 ： Q2 起重机司机
发证机关 ： 杭州市市场监督管理局
批准日期 ： 2O23 年 O5 月 1O 日
有效期至 ： 2O27 年 O5 月 O9 日`);
		expect(r).toEqual({
			name: '李明',
			idNumber: ID_SE,
			number: ID_SE,
			code: 'SE-2019-Q2',
			issuer: '杭州市市场监督管理局',
			issuedOn: '2023-05-10',
			expiresOn: '2027-05-09'
		});
	});

	it('finds the item by its code alone on a 特种设备 card', () => {
		expect(parseCertificateText('特种设备作业人员证\n项目代号 N1').code).toBe('SE-2019-N1');
	});

	it('reads a 建筑施工 card: province-prefixed number, dotted date range, trade under 操作类别', () => {
		const r = parseCertificateText(`建筑施工特种作业操作资格证书
姓名 张伟 性别 男
操作类别 建筑架子工(普通脚手架)
证书编号 浙A042019000123
初次领证日期 2019年06月20日
有效期 2023.06.20 - 2025.06.19
发证机关 浙江省住房和城乡建设厅`);
		expect(r).toEqual({
			name: '张伟',
			code: 'CN-SCAFFOLD',
			number: '浙A042019000123',
			issuedOn: '2019-06-20',
			expiresOn: '2025-06-19',
			issuer: '浙江省住房和城乡建设厅'
		});
	});

	it('uses the start of the validity period as the issue date only when none is printed', () => {
		expect(parseCertificateText('有效期：2021-04-01至2027-04-01')).toEqual({
			issuedOn: '2021-04-01',
			expiresOn: '2027-04-01'
		});
	});

	it('finds a date range and a T-number without their labels', () => {
		const r = parseCertificateText(`?? T33010219850312O014
2024.03.01 至 2030.03.01`);
		expect(r.number).toBe('T330102198503120014');
		expect(r.expiresOn).toBe('2030-03-01');
	});

	it('finds nothing in text that is not a certificate', () => {
		expect(isEmptyReading(parseCertificateText('今天 天气 很好\n欢迎 光临'))).toBe(true);
		expect(isEmptyReading(parseCertificateText(''))).toBe(true);
	});
});

describe('QR payloads', () => {
	it('takes a verification link and the number in a well-known parameter', () => {
		const url = `https://zwfw.example.gov.cn/verify/cert?certNo=${'T' + ID_ZJ}&type=1`;
		expect(parseQrPayload(url)).toEqual({ verifyUrl: url, number: 'T' + ID_ZJ });
	});

	it('takes the number from the last path segment that looks like one', () => {
		const url = `https://cnse.example.gov.cn/cert/${ID_SE}.html`;
		expect(parseQrPayload(url)).toEqual({ verifyUrl: url, number: ID_SE });
	});

	it('reads a single-page site whose query follows the hash, with pinyin keys', () => {
		const url = `https://cx.example.cn/#/result?zsbh=${'T' + ID_ZJ}&xm=%E7%8E%8B%E5%BB%BA%E5%9B%BD&yxq=20300301`;
		expect(parseQrPayload(url)).toEqual({
			verifyUrl: url,
			number: 'T' + ID_ZJ,
			name: '王建国',
			expiresOn: '2030-03-01'
		});
	});

	it('keeps a link with only an opaque id as the link, with no number', () => {
		const url = 'https://cx.example.cn/v/3f2a9c1e-5b7d-4e1a-9c2b-7a1e3d4c5b6a';
		expect(parseQrPayload(url)).toEqual({ verifyUrl: url });
		expect(parseQrPayload('https://cx.example.cn/index.html?id=12')).toEqual({
			verifyUrl: 'https://cx.example.cn/index.html?id=12'
		});
	});

	it('reads labelled lines, including a link among them', () => {
		const r = parseQrPayload(`证号：T${ID_ZJ}
姓名：王建国
准操项目：低压电工作业
有效期：2024-03-01至2030-03-01
查验：https://cx.example.gov.cn/q?zh=T${ID_ZJ}`);
		expect(r).toEqual({
			number: 'T' + ID_ZJ,
			name: '王建国',
			idNumber: ID_ZJ,
			code: 'SO-ELEC-LV',
			issuedOn: '2024-03-01',
			expiresOn: '2030-03-01',
			verifyUrl: `https://cx.example.gov.cn/q?zh=T${ID_ZJ}`
		});
	});

	it('reads a JSON payload', () => {
		expect(
			parseQrPayload(
				JSON.stringify({ zsbh: ID_SE, xm: '李明', fzrq: '2023-05-10', yxq: '20270509', v: 2 })
			)
		).toEqual({ number: ID_SE, name: '李明', issuedOn: '2023-05-10', expiresOn: '2027-05-09' });
	});

	it('reads a bare number and ignores what is not a certificate', () => {
		expect(parseQrPayload(' T' + ID_ZJ + '\n')).toEqual({ number: 'T' + ID_ZJ, idNumber: ID_ZJ });
		expect(parseQrPayload('浙A042019000123')).toEqual({ number: '浙A042019000123' });
		expect(isEmptyReading(parseQrPayload('hello world'))).toBe(true);
		expect(isEmptyReading(parseQrPayload('WIFI:S:site;T:WPA;P:secret;;'))).toBe(true);
		expect(isEmptyReading(parseQrPayload('javascript:alert(1)'))).toBe(true);
	});
});

describe('pieces', () => {
	it('reads dates in the forms printed on cards, and rejects impossible ones', () => {
		expect(findDates('2024年3月5日、2024-03-15, 2024.03.16 2024/3/17')).toEqual([
			'2024-03-05',
			'2024-03-15',
			'2024-03-16',
			'2024-03-17'
		]);
		expect(findDates('2023年02月30日 1899-01-01 2024-13-01')).toEqual([]);
	});

	it('cleans certificate numbers without inventing a T', () => {
		expect(parseCertificateNumber('丁330102198503120014')).toBe('T' + ID_ZJ);
		expect(parseCertificateNumber('T 3301 0219 8503 1200 14')).toBe('T' + ID_ZJ);
		// An 18-digit number stays as it is (it may be the ID number itself).
		expect(parseCertificateNumber(ID_SE)).toBe(ID_SE);
		// 19 characters whose last 18 are not a valid ID number: no guess.
		expect(parseCertificateNumber('1330102198503120015')).toBe('1330102198503120015');
		expect(parseCertificateNumber('无')).toBeUndefined();
	});

	it('prefers the longest catalogue name', () => {
		expect(matchCatalogueItem('非金属焊接操作', {})?.code).toBe('SE-2019-WELD-NONMETAL');
		expect(matchCatalogueItem('金属焊接操作', {})?.code).toBe('SE-2019-WELD-METAL');
	});
});
