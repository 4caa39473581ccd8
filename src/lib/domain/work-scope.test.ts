// Tests for the work-scope matrix: the DOMAIN.md examples, site-kind restrictions and site overrides.
import { describe, expect, test } from 'vitest';
import { CERTIFICATE_CATALOGUE } from './catalogue';
import type { Certificate } from './certificate-status';
import {
	coverage,
	resolveWorkType,
	siteWorkTypes,
	WORK_SCOPE_MATRIX,
	type SiteKind,
	type SiteScopeOverrides
} from './work-scope';

function card(code: string, id = `c-${code}`): Certificate {
	return {
		id,
		workerId: 'w-1',
		regime: code.startsWith('SO-')
			? 'special_operation'
			: code.startsWith('SE-')
				? 'special_equipment'
				: 'construction',
		catalogueVersion: '',
		code,
		number: '1',
		issuedOn: '2025-01-01',
		expiresOn: '2029-01-01'
	};
}

function covers(
	workType: string,
	codes: string[],
	siteKind: SiteKind = 'industrial',
	overrides?: SiteScopeOverrides
): boolean {
	return coverage(
		workType,
		codes.map((c) => card(c)),
		{ siteKind, overrides }
	).covered;
}

describe('matrix data', () => {
	test('is versioned and work-type codes are unique', () => {
		expect(WORK_SCOPE_MATRIX.version).toMatch(/^\d{4}\.\d+$/);
		const codes = WORK_SCOPE_MATRIX.workTypes.map((w) => w.code);
		expect(new Set(codes).size).toBe(codes.length);
	});

	test('every alternative names a catalogue item or category (no typos in the matrix)', () => {
		const known = new Set([
			...CERTIFICATE_CATALOGUE.items.map((i) => i.code),
			...CERTIFICATE_CATALOGUE.categories.map((c) => c.code)
		]);
		for (const workType of WORK_SCOPE_MATRIX.workTypes) {
			for (const alt of workType.requiresAnyOf) expect(known.has(alt.code), alt.code).toBe(true);
		}
	});
});

describe('DOMAIN.md examples', () => {
	test('高压电气作业 needs 高压电工; 低压电工 does not suffice', () => {
		expect(covers('hv_electrical', ['SO-ELEC-HV'])).toBe(true);
		expect(covers('hv_electrical', ['SO-ELEC-LV'])).toBe(false);
		expect(
			covers('hv_electrical', ['SO-ELEC-LV', 'SO-ELEC-CABLE', 'CN-ELECTRICIAN'], 'construction')
		).toBe(false);
	});

	test('登高架设 needs 登高架设作业, or 建筑架子工 on building sites; 高压电工 does not grant it', () => {
		expect(covers('scaffolding', ['SO-HEIGHT-SCAFFOLD'], 'industrial')).toBe(true);
		expect(covers('scaffolding', ['SO-HEIGHT-SCAFFOLD'], 'construction')).toBe(true);
		expect(covers('scaffolding', ['CN-SCAFFOLD'], 'construction')).toBe(true);
		expect(covers('scaffolding', ['CN-SCAFFOLD'], 'industrial')).toBe(false);
		expect(covers('scaffolding', ['CN-SCAFFOLD'], 'chemical')).toBe(false);
		expect(covers('scaffolding', ['SO-ELEC-HV'], 'construction')).toBe(false);
		expect(covers('scaffolding', ['SO-HEIGHT-MAINT'])).toBe(false);
	});

	test('动火 needs the matching 焊接与热切割 sub-item', () => {
		expect(covers('hot_work', ['SO-WELD-FUSION'])).toBe(true);
		expect(covers('hot_work', ['SO-WELD-BRAZE'])).toBe(false);
		expect(covers('hot_work', ['SO-WELD-PRESSURE'])).toBe(false);
		expect(covers('hot_work', ['SE-2019-WELD-METAL'])).toBe(false);
	});

	test('吊装: driver needs Q2 (or 建筑起重机械司机 on building sites), signaller Q1', () => {
		expect(covers('crane_operator', ['SE-2019-Q2'])).toBe(true);
		expect(covers('crane_operator', ['SE-2019-Q1'])).toBe(false);
		expect(covers('crane_operator', ['CN-CRANE-OPERATOR'], 'construction')).toBe(true);
		expect(covers('crane_operator', ['CN-CRANE-OPERATOR'], 'chemical')).toBe(false);
		// 2011 "Q2" was crane electrical repair; its drivers were Q4–Q9.
		expect(covers('crane_operator', ['SE-2011-Q2'])).toBe(false);
		expect(covers('crane_operator', ['SE-2011-Q8'])).toBe(true);

		expect(covers('crane_signaller', ['SE-2019-Q1'])).toBe(true);
		expect(covers('crane_signaller', ['SE-2019-Q2'])).toBe(false);
		expect(covers('crane_signaller', ['CN-RIGGER-SIGNAL'], 'construction')).toBe(true);
		expect(covers('crane_signaller', ['CN-RIGGER-SIGNAL'], 'industrial')).toBe(false);
		expect(covers('crane_signaller', ['SE-2011-Q3'])).toBe(true);
	});

	test('叉车 needs N1 (2019), not N2 sightseeing cars', () => {
		expect(covers('forklift', ['SE-2019-N1'])).toBe(true);
		expect(covers('forklift', ['SE-2019-N2'])).toBe(false);
		expect(covers('forklift', ['SE-2011-N2'])).toBe(true);
	});

	test('制冷 accepts any card of the category while its sub-items are unconfirmed', () => {
		expect(covers('refrigeration', ['SO-REFRIG-OPER'])).toBe(true);
		expect(covers('refrigeration', ['SO-REFRIG-REPAIR'])).toBe(true);
		expect(covers('refrigeration', ['SO-ELEC-LV'])).toBe(false);
	});

	test('普工 needs nothing', () => {
		expect(coverage('general_labour', [], { siteKind: 'other' })).toMatchObject({
			covered: true,
			required: [],
			matching: []
		});
	});
});

describe('coverage details', () => {
	test('reports what is required at this kind of site, what is held and what matches', () => {
		const certs = [card('SO-ELEC-HV'), card('SE-2019-N1'), card('SO-ELEC-HV', 'old-hv')];
		const industrial = coverage('scaffolding', certs, { siteKind: 'industrial' });
		expect(industrial).toMatchObject({
			covered: false,
			required: [{ code: 'SO-HEIGHT-SCAFFOLD' }],
			matching: [],
			heldCodes: ['SO-ELEC-HV', 'SE-2019-N1']
		});
		const construction = coverage('scaffolding', certs, { siteKind: 'construction' });
		expect(construction.required.map((a) => a.code)).toEqual(['SO-HEIGHT-SCAFFOLD', 'CN-SCAFFOLD']);

		const hv = coverage('hv_electrical', certs, { siteKind: 'industrial' });
		expect(hv.matching.map((c) => c.id)).toEqual(['c-SO-ELEC-HV', 'old-hv']);
	});

	test('an unknown work type is never covered', () => {
		expect(coverage('juggling', [card('SO-ELEC-HV')], { siteKind: 'industrial' })).toMatchObject({
			workType: null,
			covered: false
		});
	});

	test('a work type whose alternatives all belong to other site kinds is not covered', () => {
		const result = coverage('gondola_installation', [card('CN-GONDOLA')], {
			siteKind: 'industrial'
		});
		expect(result.required).toEqual([]);
		expect(result.covered).toBe(false);
	});
});

describe('site overrides', () => {
	test('a site may accept any welding sub-item for hot work', () => {
		const overrides: SiteScopeOverrides = {
			workTypes: [
				{
					code: 'hot_work',
					nameZh: '动火',
					nameEn: 'Hot work',
					requiresAnyOf: [{ code: 'SO-WELD' }]
				}
			]
		};
		expect(covers('hot_work', ['SO-WELD-BRAZE'], 'industrial', overrides)).toBe(true);
		expect(covers('hot_work', ['SO-ELEC-LV'], 'industrial', overrides)).toBe(false);
	});

	test('a site may accept further certificates for a built-in work type', () => {
		const overrides: SiteScopeOverrides = {
			extraAlternatives: { lv_electrical: [{ code: 'SO-ELEC-HV' }] }
		};
		expect(covers('lv_electrical', ['SO-ELEC-HV'])).toBe(false);
		expect(covers('lv_electrical', ['SO-ELEC-HV'], 'industrial', overrides)).toBe(true);
		expect(resolveWorkType('lv_electrical', overrides)?.requiresAnyOf.map((a) => a.code)).toEqual([
			'SO-ELEC-LV',
			'CN-ELECTRICIAN',
			'SO-ELEC-HV'
		]);
	});

	test('a chemical site may add its own work types', () => {
		const overrides: SiteScopeOverrides = {
			workTypes: [
				{
					code: 'ammonia_unit',
					nameZh: '合成氨装置操作',
					nameEn: 'Ammonia unit operation',
					requiresAnyOf: [{ code: 'SO-CHEM-AMMONIA', siteKinds: ['chemical'] }]
				}
			]
		};
		expect(covers('ammonia_unit', ['SO-CHEM-AMMONIA'], 'chemical')).toBe(false);
		expect(covers('ammonia_unit', ['SO-CHEM-AMMONIA'], 'chemical', overrides)).toBe(true);
		expect(covers('ammonia_unit', ['SO-CHEM-NITRATION'], 'chemical', overrides)).toBe(false);

		const all = siteWorkTypes(overrides).map((w) => w.code);
		expect(all).toContain('ammonia_unit');
		expect(all).toContain('hv_electrical');
		expect(all.length).toBe(WORK_SCOPE_MATRIX.workTypes.length + 1);
	});
});
