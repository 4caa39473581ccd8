// Test fixtures only (imported by the *.test.ts beside it): deterministic realistic workers —
// Chinese names, valid resident IDs, mobiles, trades, catalogue certificates — and actors.
import { CERTIFICATE_CATALOGUE, expectedExpiry, residentIdCheckChar } from '../../domain';
import type { Claims } from '../access';
import type { Actor } from '../commands';
import { mulberry32 } from '../../testing/seeded';

export const rng = mulberry32;

export const pick = <T>(random: () => number, list: readonly T[]): T =>
	list[Math.floor(random() * list.length)]!;

const SURNAMES =
	'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN =
	'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰春梅海鹏飞波斌宇浩凯健俊帆帅旭宁龙林欣晨辉成康星光天达安岩中茂进';
const REGIONS = [
	'110105',
	'310115',
	'440305',
	'510107',
	'320102',
	'420106',
	'330106',
	'370202',
	'410105',
	'610113',
	'500103',
	'130102'
];
export const TRADES = [
	'电工',
	'焊工',
	'架子工',
	'起重工',
	'叉车司机',
	'信号工',
	'普工',
	'钢筋工',
	'木工',
	'管道工'
];

export function chineseName(random: () => number): string {
	const given =
		pick(random, GIVEN.split('')) + (random() < 0.7 ? pick(random, GIVEN.split('')) : '');
	return pick(random, SURNAMES.split('')) + given;
}

/** A valid 18-character resident ID; `digitsOnly` avoids a final X. */
export function residentId(random: () => number, digitsOnly = false): string {
	for (;;) {
		const y = 1965 + Math.floor(random() * 36);
		const m = 1 + Math.floor(random() * 12);
		const d = 1 + Math.floor(random() * 28);
		const seq = String(Math.floor(random() * 1000)).padStart(3, '0');
		const first17 = `${pick(random, REGIONS)}${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}${seq}`;
		const id = first17 + residentIdCheckChar(first17);
		if (!digitsOnly || !id.endsWith('X')) return id;
	}
}

export function mobile(random: () => number): string {
	return `1${pick(random, ['3', '5', '7', '8', '9'])}${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
}

/** Confirmed, current-edition items: what sheets name. */
export const CURRENT_ITEMS = CERTIFICATE_CATALOGUE.items.filter(
	(i) =>
		i.confirmed &&
		i.catalogueVersion === CERTIFICATE_CATALOGUE.regimes[i.regime].currentCatalogueVersion
);

/** How a sheet might write an item: its name, name without '作业', or the card's code. */
export function certTypeText(random: () => number, item: (typeof CURRENT_ITEMS)[number]): string {
	const r = random();
	if (item.officialCode && r < 0.3)
		return r < 0.1 ? item.officialCode.normalize('NFKC') : item.officialCode;
	if (r < 0.6 && item.nameZh.endsWith('作业')) return item.nameZh.slice(0, -2);
	return item.nameZh;
}

export function certificate(random: () => number) {
	const item = pick(random, CURRENT_ITEMS);
	const y = 2019 + Math.floor(random() * 6);
	const issuedOn = `${y}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
	return { item, issuedOn, expiresOn: expectedExpiry(item.regime, issuedOn) };
}

const org = { contractorSites: (c: string) => ({ C1: ['S1'], C2: ['S1'] })[c] };
export function actor(claims: Partial<Claims> & Pick<Claims, 'role'>): Actor {
	return { claims: { iss: 'o', sub: 'u', jti: 'j', iat: 0, exp: 2e9, ...claims } as Claims, org };
}
export const contractorC1 = actor({ role: 'contractor', contractor: 'C1' });
export const contractorC2 = actor({ role: 'contractor', contractor: 'C2' });

/** A calendar date as exceljs writes date cells: UTC midnight. */
export function isoToUtcDate(iso: string): Date {
	return new Date(`${iso}T00:00:00Z`);
}
