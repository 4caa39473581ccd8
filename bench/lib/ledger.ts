// Realistic, reproducible ledger data for the benchmarks: workers with Chinese names, valid
// resident ID numbers, phones and trades, each with one certificate (Worker v2, Certificate v1).
import { CertificateRecord, Worker } from '../../src/lib/data/contractor';
import { checkRecord } from '../../src/lib/data/records';
import {
	addDays,
	defaultNextReview,
	expectedExpiry,
	findCatalogueItem,
	residentIdCheckChar
} from '../../src/lib/domain';
import { mulberry32 } from '../../src/lib/testing/seeded';

export interface Ledger {
	contractorId: string;
	workers: Worker[];
	certificates: CertificateRecord[];
}

export const prng = mulberry32;

const SURNAMES = [
	...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'
];
const GIVEN = [
	...'伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓'
];
/** County-level region codes (GB/T 2260) of provinces that send many construction workers. */
const REGIONS = [
	'411302',
	'411321',
	'412723',
	'410102',
	'341221',
	'341122',
	'340102',
	'510104',
	'511302',
	'513030',
	'430102',
	'430521',
	'431102',
	'360102',
	'362202',
	'420102',
	'421127',
	'370102',
	'371321',
	'320102',
	'320583',
	'330106',
	'440106',
	'440304',
	'450102',
	'500103',
	'500228',
	'520102',
	'130102',
	'140105',
	'610102',
	'620102',
	'230102',
	'110105',
	'310115'
];
const MOBILE_PREFIXES = [
	'130',
	'131',
	'132',
	'133',
	'135',
	'136',
	'137',
	'138',
	'139',
	'150',
	'151',
	'152',
	'155',
	'156',
	'157',
	'158',
	'159',
	'166',
	'176',
	'177',
	'180',
	'181',
	'182',
	'183',
	'185',
	'186',
	'187',
	'188',
	'189',
	'191',
	'198',
	'199'
];
/** Trade as the contractor writes it, and the certificate item such a worker holds. */
const TRADES: readonly (readonly [string, string])[] = [
	['电工', 'SO-ELEC-LV'],
	['高压电工', 'SO-ELEC-HV'],
	['焊工', 'SO-WELD-FUSION'],
	['登高架设工', 'SO-HEIGHT-SCAFFOLD'],
	['架子工', 'CN-SCAFFOLD'],
	['建筑电工', 'CN-ELECTRICIAN'],
	['信号司索工', 'CN-RIGGER-SIGNAL'],
	['塔吊司机', 'CN-CRANE-OPERATOR'],
	['起重机司机', 'SE-2019-Q2'],
	['叉车司机', 'SE-2019-N1'],
	['司炉工', 'SE-2019-G1'],
	['吊篮安装工', 'CN-GONDOLA']
];
const ISSUERS: Record<string, readonly string[]> = {
	special_operation: [
		'河南省应急管理厅',
		'上海市应急管理局',
		'四川省应急管理厅',
		'广东省应急管理厅'
	],
	special_equipment: ['上海市市场监督管理局', '江苏省市场监督管理局', '南阳市市场监督管理局'],
	construction: [
		'上海市住房和城乡建设管理委员会',
		'江苏省住房和城乡建设厅',
		'河南省住房和城乡建设厅'
	]
};
const CN_PREFIX = ['沪', '苏', '豫', '川', '粤'];

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function pad(n: number, width: number): string {
	return String(n).padStart(width, '0');
}

/**
 * `count` workers of contractor `contractorId`, each with one certificate, validated against the
 * record schemas the app reads with (a record that would not validate throws here).
 */
export function generateLedger(count: number, contractorId = 'C1', seed = 20_000): Ledger {
	const rand = prng(seed);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
	const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
	const ids = new Set<string>();
	const newId = (prefix: string) => {
		for (;;) {
			let id = prefix;
			for (let i = 0; i < 8; i++) id += ID_ALPHABET[Math.floor(rand() * 36)];
			if (!ids.has(id)) {
				ids.add(id);
				return id;
			}
		}
	};
	const idNumbers = new Set<string>();
	const epochDay = Date.UTC(1966, 0, 1) / 86_400_000;
	const createdBase = Date.UTC(2025, 2, 1);

	const workers: Worker[] = [];
	const certificates: CertificateRecord[] = [];
	for (let i = 0; i < count; i++) {
		let docNumber: string;
		let birthDate: string;
		let sex: 'M' | 'F';
		do {
			const birth = new Date((epochDay + int(0, 40 * 365)) * 86_400_000);
			birthDate = birth.toISOString().slice(0, 10);
			sex = rand() < 0.93 ? 'M' : 'F';
			const seq = int(0, 99) * 10 + (sex === 'M' ? pick([1, 3, 5, 7, 9]) : pick([0, 2, 4, 6, 8]));
			const first17 = pick(REGIONS) + birthDate.replace(/-/g, '') + pad(seq, 3);
			docNumber = first17 + residentIdCheckChar(first17);
		} while (idNumbers.has(docNumber));
		idNumbers.add(docNumber);

		const name = pick(SURNAMES) + pick(GIVEN) + (rand() < 0.75 ? pick(GIVEN) : '');
		const [trade, itemCode] = pick(TRADES);
		const createdAt = new Date(createdBase + int(0, 300 * 86_400) * 1000).toISOString();
		const workerId = newId('W');
		workers.push(
			checkRecord(Worker, {
				schema: 2,
				id: workerId,
				contractorId,
				name,
				docType: 'resident_id',
				docNumber,
				sex,
				birthDate,
				phone: pick(MOBILE_PREFIXES) + pad(int(0, 99_999_999), 8),
				trade,
				createdAt,
				updatedAt: createdAt
			})
		);

		const item = findCatalogueItem(itemCode)!;
		const issuedOn = addDays('2020-01-01', int(0, 6 * 365));
		const expiresOn = expectedExpiry(item.regime, issuedOn);
		const number =
			item.regime === 'special_operation'
				? 'T' + docNumber
				: item.regime === 'special_equipment'
					? docNumber
					: `${pick(CN_PREFIX)}A${pad(int(1, 19), 2)}${issuedOn.slice(0, 4)}${pad(int(1, 99_999), 6)}`;
		certificates.push(
			checkRecord(CertificateRecord, {
				schema: 1,
				id: newId('K'),
				workerId,
				regime: item.regime,
				catalogueVersion: item.catalogueVersion,
				code: item.code,
				number,
				issuedOn,
				expiresOn,
				nextReviewOn: defaultNextReview({ regime: item.regime, issuedOn, expiresOn }),
				issuer: pick(ISSUERS[item.regime]!),
				holderName: name,
				createdAt,
				updatedAt: createdAt
			})
		);
	}
	return { contractorId, workers, certificates };
}
