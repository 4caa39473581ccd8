// The certificate catalogue as versioned data: the three regimes (特种作业 / 特种设备 / 住建), their
// validity and review rules, and every operation item with a stable code. Sites may ship a newer copy.

import { addMonths, addDays, addYears, isValidDate, minDate, type IsoDate } from './dates';

/**
 * - special_operation: 特种作业操作证, 应急管理部 (formerly 安监总局) Order No. 30.
 * - special_equipment: 特种设备作业人员证, 市场监管总局.
 * - construction: 建筑施工特种作业操作资格证, 住建部 建质〔2008〕75号.
 */
export type Regime = 'special_operation' | 'special_equipment' | 'construction';

export const REGIMES: readonly Regime[] = [
	'special_operation',
	'special_equipment',
	'construction'
];

/** A span before a deadline, in days or calendar months (rules are written both ways). */
export type Period = { readonly days: number } | { readonly months: number };

export interface RegimeRules {
	readonly regime: Regime;
	readonly nameZh: string;
	readonly nameEn: string;
	readonly authorityZh: string;
	readonly basis: string;
	/** Catalogue version a newly issued certificate of this regime is coded in. */
	readonly currentCatalogueVersion: string;
	readonly validityYears: number;
	/** 延期: how much longer a card may be extended at expiry without re-examination, if at all. */
	readonly extensionYears: number | null;
	/** 复审 interval; null where the regime has no periodic review. */
	readonly reviewIntervalYears: number | null;
	/** Interval the issuer may grant after 10+ clean years in the trade (复审延长至每6年1次). */
	readonly extendedReviewIntervalYears: number | null;
	/** How long before the review date the holder may (and should) apply. */
	readonly reviewWindow: Period | null;
	/** How long before expiry renewal (延期复审 / 复审换证 / 延期) is applied for. */
	readonly renewalWindow: Period;
}

export interface CatalogueCategory {
	readonly code: string;
	readonly regime: Regime;
	readonly nameZh: string;
	readonly nameEn: string;
}

export interface CatalogueItem {
	/** Stable ASCII code stored on certificates and used by the work-scope matrix. */
	readonly code: string;
	readonly regime: Regime;
	/** The issuing authority's catalogue edition this item belongs to. */
	readonly catalogueVersion: string;
	readonly category: string;
	/** Code printed on the card (项目代号), where the regime has one. */
	readonly officialCode: string | null;
	readonly nameZh: string;
	readonly nameEn: string;
	/** False where the sub-item comes from secondary sources and awaits confirmation. */
	readonly confirmed: boolean;
	/** Item that replaced this one in a newer catalogue edition (old cards convert on renewal). */
	readonly successor?: string;
}

export interface CertificateCatalogue {
	readonly version: string;
	readonly regimes: Readonly<Record<Regime, RegimeRules>>;
	readonly categories: readonly CatalogueCategory[];
	readonly items: readonly CatalogueItem[];
}

type ItemRow = readonly [
	code: string,
	officialCode: string | null,
	nameZh: string,
	nameEn: string,
	confirmed: boolean,
	successor?: string
];

// Rows keep the data dense and readable; `items` expands them with regime, version and category.
function rows(
	regime: Regime,
	catalogueVersion: string,
	category: string,
	list: readonly ItemRow[]
): CatalogueItem[] {
	return list.map(([code, officialCode, nameZh, nameEn, confirmed, successor]) => ({
		code,
		regime,
		catalogueVersion,
		category,
		officialCode,
		nameZh,
		nameEn,
		confirmed,
		...(successor ? { successor } : {})
	}));
}

const SO = 'special_operation';
const SE = 'special_equipment';
const CN = 'construction';

export const CERTIFICATE_CATALOGUE: CertificateCatalogue = {
	version: '2026.1',
	regimes: {
		special_operation: {
			regime: SO,
			nameZh: '特种作业操作证',
			nameEn: 'Special operation certificate',
			authorityZh: '应急管理部',
			basis: '安监总局令第30号',
			currentCatalogueVersion: 'order30',
			validityYears: 6,
			extensionYears: null,
			reviewIntervalYears: 3,
			extendedReviewIntervalYears: 6,
			reviewWindow: { days: 60 },
			renewalWindow: { days: 60 }
		},
		special_equipment: {
			regime: SE,
			nameZh: '特种设备作业人员证',
			nameEn: 'Special equipment operator certificate',
			authorityZh: '国家市场监督管理总局',
			basis: '特种设备作业人员资格认定分类与项目 (2019)',
			currentCatalogueVersion: '2019',
			validityYears: 4,
			extensionYears: null,
			reviewIntervalYears: null,
			extendedReviewIntervalYears: null,
			reviewWindow: null,
			// The rule has said 1 to 3 months in different years; 90 days is the cautious default.
			renewalWindow: { days: 90 }
		},
		construction: {
			regime: CN,
			nameZh: '建筑施工特种作业操作资格证书',
			nameEn: 'Construction special trade certificate',
			authorityZh: '住房和城乡建设主管部门',
			basis: '建质〔2008〕75号',
			currentCatalogueVersion: '2008',
			validityYears: 2,
			extensionYears: 2,
			reviewIntervalYears: null,
			extendedReviewIntervalYears: null,
			reviewWindow: null,
			renewalWindow: { months: 3 }
		}
	},
	categories: [
		{ code: 'SO-ELEC', regime: SO, nameZh: '电工作业', nameEn: 'Electrical work' },
		{
			code: 'SO-WELD',
			regime: SO,
			nameZh: '焊接与热切割作业',
			nameEn: 'Welding and thermal cutting'
		},
		{ code: 'SO-HEIGHT', regime: SO, nameZh: '高处作业', nameEn: 'Work at height' },
		{
			code: 'SO-REFRIG',
			regime: SO,
			nameZh: '制冷与空调作业',
			nameEn: 'Refrigeration and air conditioning'
		},
		{ code: 'SO-COAL', regime: SO, nameZh: '煤矿安全作业', nameEn: 'Coal mine safety work' },
		{
			code: 'SO-MINE',
			regime: SO,
			nameZh: '金属非金属矿山安全作业',
			nameEn: 'Metal and non-metal mine safety work'
		},
		{
			code: 'SO-OILGAS',
			regime: SO,
			nameZh: '石油天然气安全作业',
			nameEn: 'Oil and gas safety work'
		},
		{
			code: 'SO-METAL',
			regime: SO,
			nameZh: '冶金(有色)生产安全作业',
			nameEn: 'Metallurgy (non-ferrous) production safety work'
		},
		{
			code: 'SO-CHEM',
			regime: SO,
			nameZh: '危险化学品安全作业',
			nameEn: 'Hazardous chemicals safety work'
		},
		{
			code: 'SO-FIRE',
			regime: SO,
			nameZh: '烟花爆竹安全作业',
			nameEn: 'Fireworks safety work'
		},
		{ code: 'SE-MGMT', regime: SE, nameZh: '特种设备安全管理', nameEn: 'Safety management' },
		{ code: 'SE-BOILER', regime: SE, nameZh: '锅炉作业', nameEn: 'Boilers' },
		{ code: 'SE-PV', regime: SE, nameZh: '压力容器作业', nameEn: 'Pressure vessels' },
		{ code: 'SE-CYL', regime: SE, nameZh: '气瓶作业', nameEn: 'Gas cylinders' },
		{ code: 'SE-PIPE', regime: SE, nameZh: '压力管道作业', nameEn: 'Pressure piping' },
		{ code: 'SE-LIFT', regime: SE, nameZh: '电梯作业', nameEn: 'Lifts' },
		{ code: 'SE-CRANE', regime: SE, nameZh: '起重机作业', nameEn: 'Cranes' },
		{ code: 'SE-ROPEWAY', regime: SE, nameZh: '客运索道作业', nameEn: 'Passenger ropeways' },
		{ code: 'SE-RIDE', regime: SE, nameZh: '大型游乐设施作业', nameEn: 'Amusement rides' },
		{
			code: 'SE-VEHICLE',
			regime: SE,
			nameZh: '场(厂)内专用机动车辆作业',
			nameEn: 'In-plant motor vehicles'
		},
		{ code: 'SE-VALVE', regime: SE, nameZh: '安全附件维修作业', nameEn: 'Safety accessories' },
		{
			code: 'SE-WELD',
			regime: SE,
			nameZh: '特种设备焊接作业',
			nameEn: 'Special equipment welding'
		},
		{
			code: 'CN-TRADE',
			regime: CN,
			nameZh: '建筑施工特种作业',
			nameEn: 'Construction special trades'
		}
	],
	items: [
		// 特种作业 (Order 30 appendix). 电工 and 高处 sub-items are confirmed; the rest await confirmation.
		...rows(SO, 'order30', 'SO-ELEC', [
			['SO-ELEC-LV', null, '低压电工作业', 'Low-voltage electrician', true],
			['SO-ELEC-HV', null, '高压电工作业', 'High-voltage electrician', true],
			['SO-ELEC-CABLE', null, '电力电缆作业', 'Power cable work', true],
			['SO-ELEC-RELAY', null, '继电保护作业', 'Relay protection work', true],
			['SO-ELEC-TEST', null, '电气试验作业', 'Electrical testing', true],
			['SO-ELEC-EXPL', null, '防爆电气作业', 'Explosion-proof electrical work', true]
		]),
		...rows(SO, 'order30', 'SO-WELD', [
			['SO-WELD-FUSION', null, '熔化焊接与热切割作业', 'Fusion welding and thermal cutting', false],
			['SO-WELD-PRESSURE', null, '压力焊作业', 'Pressure welding', false],
			['SO-WELD-BRAZE', null, '钎焊作业', 'Brazing and soldering', false]
		]),
		...rows(SO, 'order30', 'SO-HEIGHT', [
			['SO-HEIGHT-SCAFFOLD', null, '登高架设作业', 'Scaffold erection at height', true],
			[
				'SO-HEIGHT-MAINT',
				null,
				'高处安装、维护、拆除作业',
				'Installation, maintenance and dismantling at height',
				true
			]
		]),
		...rows(SO, 'order30', 'SO-REFRIG', [
			[
				'SO-REFRIG-OPER',
				null,
				'制冷与空调设备运行操作作业',
				'Refrigeration plant operation',
				false
			],
			[
				'SO-REFRIG-REPAIR',
				null,
				'制冷与空调设备安装修理作业',
				'Refrigeration plant installation and repair',
				false
			]
		]),
		...rows(SO, 'order30', 'SO-COAL', [
			['SO-COAL-ELEC', null, '煤矿井下电气作业', 'Underground electrical work (coal)', false],
			['SO-COAL-BLAST', null, '煤矿井下爆破作业', 'Underground blasting (coal)', false],
			['SO-COAL-MONITOR', null, '煤矿安全监测监控作业', 'Safety monitoring (coal)', false],
			['SO-COAL-GAS', null, '煤矿瓦斯检查作业', 'Gas inspection (coal)', false],
			['SO-COAL-INSPECT', null, '煤矿安全检查作业', 'Safety inspection (coal)', false],
			['SO-COAL-HOIST', null, '煤矿提升机操作作业', 'Hoist operation (coal)', false],
			[
				'SO-COAL-CUTTER',
				null,
				'煤矿采煤机(掘进机)操作作业',
				'Shearer / roadheader operation (coal)',
				false
			],
			['SO-COAL-DRAINAGE', null, '煤矿瓦斯抽采作业', 'Gas drainage (coal)', false],
			['SO-COAL-OUTBURST', null, '煤矿防突作业', 'Outburst prevention (coal)', false],
			['SO-COAL-WATER', null, '煤矿探放水作业', 'Water exploration and drainage (coal)', false]
		]),
		...rows(SO, 'order30', 'SO-MINE', [
			['SO-MINE-VENT', null, '金属非金属矿井通风作业', 'Mine ventilation', false],
			['SO-MINE-TAILINGS', null, '尾矿作业', 'Tailings work', false],
			['SO-MINE-INSPECT', null, '金属非金属矿山安全检查作业', 'Mine safety inspection', false],
			['SO-MINE-HOIST', null, '金属非金属矿山提升机操作作业', 'Mine hoist operation', false],
			['SO-MINE-SUPPORT', null, '金属非金属矿山支柱作业', 'Mine roof support', false],
			['SO-MINE-ELEC', null, '金属非金属矿山井下电气作业', 'Underground electrical (mine)', false],
			['SO-MINE-DRAIN', null, '金属非金属矿山排水作业', 'Mine drainage', false],
			['SO-MINE-BLAST', null, '金属非金属矿山爆破作业', 'Mine blasting', false]
		]),
		...rows(SO, 'order30', 'SO-OILGAS', [['SO-OILGAS-DRILL', null, '司钻作业', 'Driller', false]]),
		...rows(SO, 'order30', 'SO-METAL', [
			['SO-METAL-GAS', null, '煤气作业', 'Coal gas work', false]
		]),
		...rows(SO, 'order30', 'SO-CHEM', [
			['SO-CHEM-PHOSGENE', null, '光气及光气化工艺作业', 'Phosgene processes', false],
			['SO-CHEM-CHLORALKALI', null, '氯碱电解工艺作业', 'Chlor-alkali electrolysis', false],
			['SO-CHEM-CHLORINATION', null, '氯化工艺作业', 'Chlorination', false],
			['SO-CHEM-NITRATION', null, '硝化工艺作业', 'Nitration', false],
			['SO-CHEM-AMMONIA', null, '合成氨工艺作业', 'Ammonia synthesis', false],
			['SO-CHEM-CRACKING', null, '裂解(裂化)工艺作业', 'Cracking', false],
			['SO-CHEM-FLUORINATION', null, '氟化工艺作业', 'Fluorination', false],
			['SO-CHEM-HYDROGENATION', null, '加氢工艺作业', 'Hydrogenation', false],
			['SO-CHEM-DIAZOTIZATION', null, '重氮化工艺作业', 'Diazotization', false],
			['SO-CHEM-OXIDATION', null, '氧化工艺作业', 'Oxidation', false],
			['SO-CHEM-PEROXIDATION', null, '过氧化工艺作业', 'Peroxidation', false],
			['SO-CHEM-AMINATION', null, '胺基化工艺作业', 'Amination', false],
			['SO-CHEM-SULFONATION', null, '磺化工艺作业', 'Sulfonation', false],
			['SO-CHEM-POLYMERIZATION', null, '聚合工艺作业', 'Polymerization', false],
			['SO-CHEM-ALKYLATION', null, '烷基化工艺作业', 'Alkylation', false],
			[
				'SO-CHEM-INSTRUMENT',
				null,
				'化工自动化控制仪表作业',
				'Process automation instruments',
				false
			]
		]),
		...rows(SO, 'order30', 'SO-FIRE', [
			['SO-FIRE-PYRO', null, '烟火药制造作业', 'Pyrotechnic composition manufacture', false],
			['SO-FIRE-BLACKPOWDER', null, '黑火药制造作业', 'Black powder manufacture', false],
			['SO-FIRE-FUSE', null, '引火线制造作业', 'Fuse manufacture', false],
			['SO-FIRE-CHARGE', null, '烟花爆竹产品涉药作业', 'Charging fireworks products', false],
			['SO-FIRE-STORAGE', null, '烟花爆竹储存作业', 'Fireworks storage', false]
		]),

		// 特种设备 2019 catalogue (特种设备作业人员资格认定分类与项目).
		...rows(SE, '2019', 'SE-MGMT', [
			['SE-2019-A', 'A', '特种设备安全管理', 'Special equipment safety management', true]
		]),
		...rows(SE, '2019', 'SE-BOILER', [
			['SE-2019-G1', 'G1', '工业锅炉司炉', 'Industrial boiler operator', true],
			['SE-2019-G2', 'G2', '电站锅炉司炉', 'Power-station boiler operator', true],
			['SE-2019-G3', 'G3', '锅炉水处理', 'Boiler water treatment', true]
		]),
		...rows(SE, '2019', 'SE-PV', [
			['SE-2019-R1', 'R1', '快开门式压力容器操作', 'Quick-opening pressure vessel operation', true],
			['SE-2019-R2', 'R2', '移动式压力容器充装', 'Mobile pressure vessel filling', true],
			['SE-2019-R3', 'R3', '氧舱维护保养', 'Oxygen chamber maintenance', true]
		]),
		...rows(SE, '2019', 'SE-CYL', [['SE-2019-P', 'P', '气瓶充装', 'Gas cylinder filling', true]]),
		...rows(SE, '2019', 'SE-LIFT', [
			['SE-2019-T', 'T', '电梯修理', 'Lift repair and maintenance', true]
		]),
		...rows(SE, '2019', 'SE-CRANE', [
			['SE-2019-Q1', 'Q1', '起重机指挥', 'Crane signaller', true],
			['SE-2019-Q2', 'Q2', '起重机司机', 'Crane operator', true]
		]),
		...rows(SE, '2019', 'SE-ROPEWAY', [
			['SE-2019-S1', 'S1', '客运索道修理', 'Ropeway repair', false],
			['SE-2019-S2', 'S2', '客运索道司机', 'Ropeway operator', false]
		]),
		...rows(SE, '2019', 'SE-RIDE', [
			['SE-2019-Y1', 'Y1', '大型游乐设施修理', 'Amusement ride repair', false],
			['SE-2019-Y2', 'Y2', '大型游乐设施操作', 'Amusement ride operation', false]
		]),
		...rows(SE, '2019', 'SE-VEHICLE', [
			['SE-2019-N1', 'N1', '叉车司机', 'Forklift driver', true],
			['SE-2019-N2', 'N2', '观光车和观光列车司机', 'Sightseeing vehicle driver', true]
		]),
		...rows(SE, '2019', 'SE-VALVE', [
			['SE-2019-F', 'F', '安全阀校验', 'Safety valve testing', true]
		]),
		// Welding operators carry a welding-procedure code (TSG Z6002), not a letter code.
		...rows(SE, '2019', 'SE-WELD', [
			['SE-2019-WELD-METAL', null, '金属焊接操作', 'Metal welding operator', true],
			['SE-2019-WELD-NONMETAL', null, '非金属焊接操作', 'Non-metal welding operator', true]
		]),

		// 特种设备 2011 catalogue (质检总局令第140号). Codes overlap the 2019 ones with other meanings
		// (2011 Q2 is crane electrical repair, not crane operator): always read code with version.
		...rows(SE, '2011', 'SE-MGMT', [
			['SE-2011-A1', 'A1', '特种设备安全管理负责人', 'Safety manager in charge', true, 'SE-2019-A'],
			['SE-2011-A2', 'A2', '特种设备质量管理负责人', 'Quality manager in charge', true],
			[
				'SE-2011-A3',
				'A3',
				'锅炉压力容器压力管道安全管理',
				'Boiler, vessel and piping safety management',
				true,
				'SE-2019-A'
			],
			['SE-2011-A4', 'A4', '电梯安全管理', 'Lift safety management', true, 'SE-2019-A'],
			['SE-2011-A5', 'A5', '起重机械安全管理', 'Crane safety management', true, 'SE-2019-A'],
			['SE-2011-A6', 'A6', '客运索道安全管理', 'Ropeway safety management', true, 'SE-2019-A'],
			[
				'SE-2011-A7',
				'A7',
				'大型游乐设施安全管理',
				'Amusement ride safety management',
				true,
				'SE-2019-A'
			],
			[
				'SE-2011-A8',
				'A8',
				'场(厂)内专用机动车辆安全管理',
				'In-plant vehicle safety management',
				true,
				'SE-2019-A'
			]
		]),
		...rows(SE, '2011', 'SE-BOILER', [
			['SE-2011-G1', 'G1', '一级锅炉司炉', 'Boiler operator, grade 1', true],
			['SE-2011-G2', 'G2', '二级锅炉司炉', 'Boiler operator, grade 2', true],
			['SE-2011-G3', 'G3', '三级锅炉司炉', 'Boiler operator, grade 3', true],
			[
				'SE-2011-G4',
				'G4',
				'一级锅炉水质处理',
				'Boiler water treatment, grade 1',
				true,
				'SE-2019-G3'
			],
			[
				'SE-2011-G5',
				'G5',
				'二级锅炉水质处理',
				'Boiler water treatment, grade 2',
				true,
				'SE-2019-G3'
			],
			['SE-2011-G6', 'G6', '锅炉能效作业', 'Boiler energy efficiency', true]
		]),
		...rows(SE, '2011', 'SE-PV', [
			['SE-2011-R1', 'R1', '固定式压力容器操作', 'Stationary pressure vessel operation', true],
			[
				'SE-2011-R2',
				'R2',
				'移动式压力容器充装',
				'Mobile pressure vessel filling',
				true,
				'SE-2019-R2'
			],
			['SE-2011-R3', 'R3', '氧舱维护保养', 'Oxygen chamber maintenance', true, 'SE-2019-R3']
		]),
		...rows(SE, '2011', 'SE-CYL', [
			['SE-2011-P1', 'P1', '永久气体气瓶充装', 'Permanent gas cylinder filling', true, 'SE-2019-P'],
			['SE-2011-P2', 'P2', '液化气体气瓶充装', 'Liquefied gas cylinder filling', true, 'SE-2019-P'],
			['SE-2011-P3', 'P3', '溶解乙炔气瓶充装', 'Dissolved acetylene filling', true, 'SE-2019-P'],
			['SE-2011-P4', 'P4', '液化石油气瓶充装', 'LPG cylinder filling', true, 'SE-2019-P'],
			['SE-2011-P5', 'P5', '车用气瓶充装', 'Vehicle cylinder filling', true, 'SE-2019-P']
		]),
		...rows(SE, '2011', 'SE-PIPE', [
			['SE-2011-D1', 'D1', '压力管道巡检维护', 'Pressure piping patrol and maintenance', true],
			['SE-2011-D2', 'D2', '带压封堵', 'Hot tapping and plugging', true],
			['SE-2011-D3', 'D3', '带压密封', 'On-line leak sealing', true]
		]),
		...rows(SE, '2011', 'SE-LIFT', [
			[
				'SE-2011-T1',
				'T1',
				'电梯机械安装维修',
				'Lift mechanical installation and repair',
				true,
				'SE-2019-T'
			],
			[
				'SE-2011-T2',
				'T2',
				'电梯电气安装维修',
				'Lift electrical installation and repair',
				true,
				'SE-2019-T'
			],
			['SE-2011-T3', 'T3', '电梯司机', 'Lift attendant', true]
		]),
		...rows(SE, '2011', 'SE-CRANE', [
			[
				'SE-2011-Q1',
				'Q1',
				'起重机械机械安装维修',
				'Crane mechanical installation and repair',
				true
			],
			[
				'SE-2011-Q2',
				'Q2',
				'起重机械电气安装维修',
				'Crane electrical installation and repair',
				true
			],
			['SE-2011-Q3', 'Q3', '起重机械指挥', 'Crane signaller', true, 'SE-2019-Q1'],
			[
				'SE-2011-Q4',
				'Q4',
				'桥门式起重机司机',
				'Overhead / gantry crane operator',
				true,
				'SE-2019-Q2'
			],
			['SE-2011-Q5', 'Q5', '塔式起重机司机', 'Tower crane operator', true, 'SE-2019-Q2'],
			['SE-2011-Q6', 'Q6', '门座式起重机司机', 'Portal crane operator', true, 'SE-2019-Q2'],
			['SE-2011-Q7', 'Q7', '缆索式起重机司机', 'Cable crane operator', true, 'SE-2019-Q2'],
			['SE-2011-Q8', 'Q8', '流动式起重机司机', 'Mobile crane operator', true, 'SE-2019-Q2'],
			['SE-2011-Q9', 'Q9', '升降机司机', 'Hoist operator', true, 'SE-2019-Q2'],
			['SE-2011-Q10', 'Q10', '机械式停车设备司机', 'Mechanical parking operator', true]
		]),
		...rows(SE, '2011', 'SE-ROPEWAY', [
			['SE-2011-S1', 'S1', '客运索道安装', 'Ropeway installation', true],
			['SE-2011-S2', 'S2', '客运索道维修', 'Ropeway repair', true],
			['SE-2011-S3', 'S3', '客运索道司机', 'Ropeway operator', true],
			['SE-2011-S4', 'S4', '客运索道编索', 'Ropeway splicing', true]
		]),
		...rows(SE, '2011', 'SE-RIDE', [
			['SE-2011-Y1', 'Y1', '大型游乐设施安装', 'Amusement ride installation', false],
			['SE-2011-Y2', 'Y2', '大型游乐设施维修', 'Amusement ride repair', false],
			['SE-2011-Y3', 'Y3', '大型游乐设施操作', 'Amusement ride operation', false],
			['SE-2011-Y4', 'Y4', '水上游乐设施操作与维修', 'Water ride operation and repair', false]
		]),
		...rows(SE, '2011', 'SE-VEHICLE', [
			['SE-2011-N1', 'N1', '车辆维修', 'In-plant vehicle repair', false],
			['SE-2011-N2', 'N2', '叉车司机', 'Forklift driver', false, 'SE-2019-N1'],
			['SE-2011-N3', 'N3', '搬运车牵引车推顶车司机', 'Tractor / pusher driver', false],
			[
				'SE-2011-N4',
				'N4',
				'内燃观光车司机',
				'Combustion sightseeing car driver',
				false,
				'SE-2019-N2'
			],
			[
				'SE-2011-N5',
				'N5',
				'蓄电池观光车司机',
				'Battery sightseeing car driver',
				false,
				'SE-2019-N2'
			]
		]),
		...rows(SE, '2011', 'SE-VALVE', [
			['SE-2011-F1', 'F1', '安全阀校验', 'Safety valve testing', false, 'SE-2019-F'],
			['SE-2011-F2', 'F2', '安全阀维修', 'Safety valve repair', false]
		]),
		...rows(SE, '2011', 'SE-WELD', [
			[
				'SE-2011-WELD-METAL',
				null,
				'金属焊接操作',
				'Metal welding operator',
				false,
				'SE-2019-WELD-METAL'
			],
			[
				'SE-2011-WELD-NONMETAL',
				null,
				'非金属焊接操作',
				'Non-metal welding operator',
				false,
				'SE-2019-WELD-NONMETAL'
			]
		]),

		// 住建 建筑施工特种作业 (建质〔2008〕75号).
		...rows(CN, '2008', 'CN-TRADE', [
			['CN-ELECTRICIAN', null, '建筑电工', 'Construction electrician', true],
			['CN-SCAFFOLD', null, '建筑架子工', 'Construction scaffolder', true],
			['CN-RIGGER-SIGNAL', null, '建筑起重信号司索工', 'Construction rigger and signaller', true],
			['CN-CRANE-OPERATOR', null, '建筑起重机械司机', 'Construction crane operator', true],
			[
				'CN-CRANE-INSTALL',
				null,
				'建筑起重机械安装拆卸工',
				'Construction crane installer / dismantler',
				true
			],
			[
				'CN-GONDOLA',
				null,
				'高处作业吊篮安装拆卸工',
				'Suspended platform installer / dismantler',
				true
			]
		])
	]
};

// Catalogues are immutable values, so an index per catalogue object is safe to keep.
const indexes = new WeakMap<CertificateCatalogue, Map<string, CatalogueItem>>();

function itemIndex(catalogue: CertificateCatalogue): Map<string, CatalogueItem> {
	let index = indexes.get(catalogue);
	if (!index) {
		index = new Map(catalogue.items.map((item) => [item.code, item]));
		indexes.set(catalogue, index);
	}
	return index;
}

export function findCatalogueItem(
	code: string,
	catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE
): CatalogueItem | null {
	return itemIndex(catalogue).get(code) ?? null;
}

/** Finds an item by what is printed on the card: regime, catalogue version and 项目代号 (e.g. 'Q2'). */
export function findCatalogueItemByOfficialCode(
	regime: Regime,
	catalogueVersion: string,
	officialCode: string,
	catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE
): CatalogueItem | null {
	const wanted = officialCode.trim().toUpperCase();
	return (
		catalogue.items.find(
			(item) =>
				item.regime === regime &&
				item.catalogueVersion === catalogueVersion &&
				item.officialCode === wanted
		) ?? null
	);
}

export function regimeRules(
	regime: Regime,
	catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE
): RegimeRules {
	return catalogue.regimes[regime];
}

/** Start of a window that closes on `deadline`. */
export function windowStart(deadline: IsoDate, period: Period): IsoDate {
	return 'days' in period ? addDays(deadline, -period.days) : addMonths(deadline, -period.months);
}

/**
 * Expiry a new certificate would carry: issue date plus the regime's validity, same day of month.
 * Cards print their own expiry; this is for pre-filling forms and for cards that lack one.
 */
export function expectedExpiry(
	regime: Regime,
	issuedOn: IsoDate,
	catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE
): IsoDate {
	return addYears(issuedOn, regimeRules(regime, catalogue).validityYears);
}

/** The fields of a certificate the default review date depends on. */
export interface ReviewBasis {
	regime: Regime;
	issuedOn: IsoDate;
	expiresOn: IsoDate;
	reviewIntervalYears?: 3 | 6 | null;
}

/**
 * 复审 date when none is recorded: issue date plus the review interval (3 years, or 6 where the
 * issuer extended it), never later than expiry — at expiry the review becomes the renewal review
 * (延期复审). Null for regimes without periodic review or when the dates are unusable.
 */
export function defaultNextReview(
	cert: ReviewBasis,
	catalogue: CertificateCatalogue = CERTIFICATE_CATALOGUE
): IsoDate | null {
	const rules = regimeRules(cert.regime, catalogue);
	if (rules.reviewIntervalYears === null || !isValidDate(cert.issuedOn)) return null;
	const interval = cert.reviewIntervalYears ?? rules.reviewIntervalYears;
	const review = addYears(cert.issuedOn, interval);
	return isValidDate(cert.expiresOn) ? minDate(review, cert.expiresOn) : review;
}
