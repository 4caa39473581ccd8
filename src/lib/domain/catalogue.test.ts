// Tests for the certificate catalogue: data integrity, version-aware codes and regime date rules.
import { describe, expect, test } from 'vitest';
import {
	CERTIFICATE_CATALOGUE,
	defaultNextReview,
	expectedExpiry,
	findCatalogueItem,
	findCatalogueItemByOfficialCode,
	REGIMES,
	regimeRules,
	windowStart
} from './catalogue';

const { items, categories } = CERTIFICATE_CATALOGUE;

describe('catalogue data', () => {
	test('is versioned', () => {
		expect(CERTIFICATE_CATALOGUE.version).toMatch(/^\d{4}\.\d+$/);
	});

	test('item codes are unique, ASCII and prefixed by their regime', () => {
		const codes = items.map((i) => i.code);
		expect(new Set(codes).size).toBe(codes.length);
		const prefix = { special_operation: 'SO-', special_equipment: 'SE-', construction: 'CN-' };
		for (const item of items) {
			expect(item.code).toMatch(/^[A-Z0-9-]+$/);
			expect(item.code.startsWith(prefix[item.regime])).toBe(true);
		}
	});

	test('every item belongs to a category of its own regime and has both names', () => {
		for (const item of items) {
			const category = categories.find((c) => c.code === item.category);
			expect(category?.regime, item.code).toBe(item.regime);
			expect(item.nameZh.length).toBeGreaterThan(0);
			expect(item.nameEn.length).toBeGreaterThan(0);
		}
	});

	test('category and item codes never collide (alternatives may name either)', () => {
		const itemCodes = new Set(items.map((i) => i.code));
		for (const category of categories) expect(itemCodes.has(category.code)).toBe(false);
	});

	test('successors point at existing items of the current catalogue', () => {
		for (const item of items.filter((i) => i.successor !== undefined)) {
			const successor = findCatalogueItem(item.successor ?? '');
			expect(successor?.catalogueVersion, item.code).toBe('2019');
			expect(successor?.category).toBe(item.category);
		}
	});

	test('only 电工 and 高处 sub-items of 特种作业 are marked confirmed', () => {
		const so = items.filter((i) => i.regime === 'special_operation');
		for (const item of so) {
			const shouldBeConfirmed = item.category === 'SO-ELEC' || item.category === 'SO-HEIGHT';
			expect(item.confirmed, item.code).toBe(shouldBeConfirmed);
		}
		const names = so.filter((i) => i.category === 'SO-ELEC').map((i) => i.nameZh);
		expect(names).toEqual([
			'低压电工作业',
			'高压电工作业',
			'电力电缆作业',
			'继电保护作业',
			'电气试验作业',
			'防爆电气作业'
		]);
	});

	test('all ten 特种作业 categories of DOMAIN.md are present', () => {
		const so = categories.filter((c) => c.regime === 'special_operation').map((c) => c.nameZh);
		expect(so).toEqual([
			'电工作业',
			'焊接与热切割作业',
			'高处作业',
			'制冷与空调作业',
			'煤矿安全作业',
			'金属非金属矿山安全作业',
			'石油天然气安全作业',
			'冶金(有色)生产安全作业',
			'危险化学品安全作业',
			'烟花爆竹安全作业'
		]);
	});

	test('the six 住建 trades are present', () => {
		expect(items.filter((i) => i.regime === 'construction').map((i) => i.nameZh)).toEqual([
			'建筑电工',
			'建筑架子工',
			'建筑起重信号司索工',
			'建筑起重机械司机',
			'建筑起重机械安装拆卸工',
			'高处作业吊篮安装拆卸工'
		]);
	});
});

describe('lookups', () => {
	test('findCatalogueItem by stable code', () => {
		expect(findCatalogueItem('SO-ELEC-HV')).toMatchObject({
			nameZh: '高压电工作业',
			regime: 'special_operation',
			category: 'SO-ELEC'
		});
		expect(findCatalogueItem('NOPE')).toBeNull();
	});

	test('the same printed code means different work in the 2011 and 2019 catalogues', () => {
		const q2of2019 = findCatalogueItemByOfficialCode('special_equipment', '2019', 'Q2');
		const q2of2011 = findCatalogueItemByOfficialCode('special_equipment', '2011', 'q2');
		expect(q2of2019?.code).toBe('SE-2019-Q2');
		expect(q2of2019?.nameZh).toBe('起重机司机');
		expect(q2of2011?.code).toBe('SE-2011-Q2');
		expect(q2of2011?.nameZh).toBe('起重机械电气安装维修');
		expect(findCatalogueItemByOfficialCode('special_equipment', '2011', 'Q3')?.successor).toBe(
			'SE-2019-Q1'
		);
		expect(findCatalogueItemByOfficialCode('special_equipment', '2019', 'Q10')).toBeNull();
	});

	test('the 2019 catalogue codes of DOMAIN.md exist', () => {
		for (const code of [
			'A',
			'G1',
			'G2',
			'G3',
			'R1',
			'R2',
			'R3',
			'P',
			'T',
			'Q1',
			'Q2',
			'N1',
			'N2',
			'F'
		]) {
			expect(
				findCatalogueItemByOfficialCode('special_equipment', '2019', code),
				code
			).not.toBeNull();
		}
		expect(findCatalogueItem('SE-2019-N1')?.nameZh).toBe('叉车司机');
		expect(findCatalogueItem('SE-2019-Q1')?.nameZh).toBe('起重机指挥');
	});

	test('a site can use its own catalogue copy', () => {
		const local = {
			...CERTIFICATE_CATALOGUE,
			version: '2026.1-site',
			items: [
				...CERTIFICATE_CATALOGUE.items,
				{
					code: 'SO-ELEC-NEW',
					regime: 'special_operation' as const,
					catalogueVersion: 'order30',
					category: 'SO-ELEC',
					officialCode: null,
					nameZh: '新增电工作业',
					nameEn: 'New electrical item',
					confirmed: false
				}
			]
		};
		expect(findCatalogueItem('SO-ELEC-NEW', local)?.nameZh).toBe('新增电工作业');
		expect(findCatalogueItem('SO-ELEC-NEW')).toBeNull();
	});
});

describe('regime rules', () => {
	test('validity, review and renewal per regime', () => {
		expect(regimeRules('special_operation')).toMatchObject({
			validityYears: 6,
			reviewIntervalYears: 3,
			extendedReviewIntervalYears: 6,
			reviewWindow: { days: 60 }
		});
		expect(regimeRules('special_equipment')).toMatchObject({
			validityYears: 4,
			reviewIntervalYears: null,
			renewalWindow: { days: 90 }
		});
		expect(regimeRules('construction')).toMatchObject({
			validityYears: 2,
			extensionYears: 2,
			reviewIntervalYears: null,
			renewalWindow: { months: 3 }
		});
		for (const regime of REGIMES) expect(regimeRules(regime).regime).toBe(regime);
	});

	test('expectedExpiry adds the regime validity', () => {
		expect(expectedExpiry('special_operation', '2020-03-15')).toBe('2026-03-15');
		expect(expectedExpiry('special_equipment', '2022-07-01')).toBe('2026-07-01');
		expect(expectedExpiry('construction', '2024-02-29')).toBe('2026-02-28');
	});

	test('windowStart handles days and calendar months', () => {
		expect(windowStart('2026-08-01', { days: 60 })).toBe('2026-06-02');
		expect(windowStart('2026-05-31', { months: 3 })).toBe('2026-02-28');
	});
});

describe('defaultNextReview', () => {
	const so = {
		regime: 'special_operation' as const,
		issuedOn: '2023-05-01',
		expiresOn: '2029-05-01'
	};

	test('特种作业: issue date plus 3 years', () => {
		expect(defaultNextReview(so)).toBe('2026-05-01');
		expect(defaultNextReview({ ...so, reviewIntervalYears: 3 })).toBe('2026-05-01');
	});

	test('an extended 6-year interval moves the review to expiry (延期复审)', () => {
		expect(defaultNextReview({ ...so, reviewIntervalYears: 6 })).toBe('2029-05-01');
	});

	test('never later than expiry', () => {
		expect(defaultNextReview({ ...so, expiresOn: '2025-12-31' })).toBe('2025-12-31');
	});

	test('regimes without periodic review have none', () => {
		expect(
			defaultNextReview({
				regime: 'special_equipment',
				issuedOn: '2023-05-01',
				expiresOn: '2027-05-01'
			})
		).toBeNull();
		expect(
			defaultNextReview({ regime: 'construction', issuedOn: '2025-05-01', expiresOn: '2027-05-01' })
		).toBeNull();
	});

	test('unusable issue date gives no review date', () => {
		expect(defaultNextReview({ ...so, issuedOn: '' })).toBeNull();
	});
});
