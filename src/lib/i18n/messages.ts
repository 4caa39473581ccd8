// The message catalogue: every user-facing string, zh-CN first. English must carry every key
// (the type enforces it). Placeholders are written {name} and filled by `format`.

export const zhCN = {
	'app.name': 'SitePass',
	'app.tagline': '特种作业外包人员管控',
	'app.skip': '跳到主要内容',
	'lang.switch': 'English',
	'lang.label': '语言',

	'nav.home': '概览',
	'nav.ledger': '人员台账',
	'nav.review': '审批',
	'nav.gate': '门岗',
	'nav.monitor': '视频监控',
	'nav.map': '现场地图',
	'nav.muster': '紧急清点',
	'nav.dashboard': '统计看板',
	'nav.admin': '系统管理',
	'nav.menu': '菜单',

	'status.online': '网络在线',
	'status.offline': '离线工作中',
	'status.offlineHint': '数据保存在本机，恢复连接后自动同步',
	'status.relay': '中继',
	'status.relayNone': '尚未连接中继',
	'status.lastSync': '上次同步',
	'status.never': '从未',
	'status.appReady': '已可离线使用',
	'status.appInstalling': '正在缓存离线所需文件…',

	'home.title': '今日现场',
	'home.lead':
		'从登记到离场，每一位特种作业人员都有据可查：证书真实有效、审批留痕、门岗核验本人并佩戴安全帽。',
	'home.flowTitle': '管控流程',
	'home.flow.register': '登记',
	'home.flow.register.body': '外包单位在手机上登记人员、拍摄证书，身份证号与证书信息即时校验。',
	'home.flow.verify': '核验',
	'home.flow.verify.body': '向发证机关查询证书真伪，持续跟踪到期与复审。',
	'home.flow.approve': '审批',
	'home.flow.approve.body': '项目负责人、安全部门、主管领导逐级签名审批，结果不可篡改。',
	'home.flow.enter': '入场',
	'home.flow.enter.body': '门岗刷脸并活体检测，核对资质、培训、体检与安全帽，说明每一条拒绝理由。',
	'home.flow.work': '作业',
	'home.flow.work.body': '作业票绑定人员与区域，摄像头与手机围栏守住危险区域。',
	'home.flow.leave': '离场与评价',
	'home.flow.leave.body': '出场闭环当天记录，工时、违章与评价汇入外包单位考评。',
	'home.tasksTitle': '按岗位开始',
	'home.offlineTitle': '没有网络也能用',
	'home.offlineBody': '所有设备在本机保存数据并照常工作；遇到现场中继或总部服务器时自动合并。',
	'home.version': '版本',

	'page.ledger.title': '人员台账',
	'page.ledger.body':
		'全部外包人员、证书、培训、体检与授权记录。支持按姓名、身份证尾号、证书编号搜索，按单位、工种、证书状态筛选，键盘快速浏览两万人不卡顿；支持 Excel 导入导出。',
	'page.review.title': '审批',
	'page.review.body':
		'待我审批的入场申请按截止时间排列；一屏看全证书状态、核验凭据、黑名单、培训与体检；每一步签名留痕，可批量审批或退回修改。',
	'page.gate.title': '门岗核验',
	'page.gate.body':
		'平板固定在大门口：人脸识别加活体检测，或刷二维码、输入身份证号与 PIN；大字显示并语音播报"允许进入"或拒绝原因，离线也照常记录考勤。',
	'page.monitor.title': '视频监控',
	'page.monitor.body':
		'摄像头画面上划定警戒区域，识别未戴安全帽与闯入危险区的人员，告警推送到安全员手机。',
	'page.map.title': '现场地图',
	'page.map.body':
		'以现场平面图为底图，标出危险区、安全帽区、集合点与大门，实时显示人员最后位置与告警。',
	'page.muster.title': '紧急清点',
	'page.muster.body':
		'一键列出当前在场全部人员，按区域分组，显示电话、血型、过敏史与紧急联系人；多名管理人员同时勾选点名。',
	'page.dashboard.title': '统计看板',
	'page.dashboard.body':
		'在场人数、即将到期与已失效证书、工种分布、审批用时、告警趋势与外包单位考评；总部查看所有现场的合并数据。',
	'page.admin.title': '系统管理',
	'page.admin.body': '现场、外包单位、用户与设备登记，角色与密钥，审批流程与预警天数等规则设置。',
	'page.comingTitle': '此页面将提供',
	'page.offlineNote': '本页离线可用，数据来自本机副本。',

	'role.contractor': '外包单位管理员',
	'role.worker': '作业人员',
	'role.staff': '项目负责人 / 安全员 / 主管领导',
	'role.gate': '门岗平板',
	'role.hq': '总部',
	'role.admin': '系统管理员',

	'notFound.title': '页面不存在',
	'notFound.body': '请检查地址，或从左侧菜单进入。',
	'notFound.home': '返回概览'
} as const;

export type MessageKey = keyof typeof zhCN;
export type Messages = Record<MessageKey, string>;

export const en: Messages = {
	'app.name': 'SitePass',
	'app.tagline': 'Special-operations contractor control',
	'app.skip': 'Skip to main content',
	'lang.switch': '中文',
	'lang.label': 'Language',

	'nav.home': 'Overview',
	'nav.ledger': 'Personnel',
	'nav.review': 'Approvals',
	'nav.gate': 'Gate',
	'nav.monitor': 'Cameras',
	'nav.map': 'Site map',
	'nav.muster': 'Muster',
	'nav.dashboard': 'Dashboard',
	'nav.admin': 'Administration',
	'nav.menu': 'Menu',

	'status.online': 'Online',
	'status.offline': 'Working offline',
	'status.offlineHint': 'Data is kept on this device and syncs when the connection returns',
	'status.relay': 'Relay',
	'status.relayNone': 'No relay connected yet',
	'status.lastSync': 'Last sync',
	'status.never': 'never',
	'status.appReady': 'Ready to work offline',
	'status.appInstalling': 'Caching files for offline use…',

	'home.title': 'Site today',
	'home.lead':
		'From registration to exit, every special-operations worker is accounted for: genuine, current certificates, signed approvals, and a gate that checks the person and the hard hat.',
	'home.flowTitle': 'How control works',
	'home.flow.register': 'Register',
	'home.flow.register.body':
		'Contractors register workers on a phone and photograph certificates; ID numbers and certificate fields are checked as typed.',
	'home.flow.verify': 'Verify',
	'home.flow.verify.body':
		'Certificates are checked against the issuing registry and watched for expiry and review.',
	'home.flow.approve': 'Approve',
	'home.flow.approve.body':
		'Project lead, safety department and director sign each step; nobody can alter the record.',
	'home.flow.enter': 'Enter',
	'home.flow.enter.body':
		'The gate matches the face with liveness, checks certificates, training, medical and hard hat, and explains every refusal.',
	'home.flow.work': 'Work',
	'home.flow.work.body':
		'Permits bind people to work and zones; cameras and phone geofences guard danger zones.',
	'home.flow.leave': 'Leave and learn',
	'home.flow.leave.body':
		'Exits close the day; hours, violations and ratings feed contractor scorecards.',
	'home.tasksTitle': 'Start by role',
	'home.offlineTitle': 'Works with no network',
	'home.offlineBody':
		'Every device keeps its data and keeps working; devices merge when they reach the site relay or headquarters.',
	'home.version': 'Version',

	'page.ledger.title': 'Personnel ledger',
	'page.ledger.body':
		'All contractor workers with certificates, training, medical and approvals. Search by name, ID suffix or certificate number; filter by contractor, trade and certificate status; keyboard-fast for 20,000 people; Excel import and export.',
	'page.review.title': 'Approvals',
	'page.review.body':
		'Entry applications awaiting your decision, sorted by deadline, with certificate status, verification evidence, blacklist, training and medical on one screen; every step signed; bulk approve or return for correction.',
	'page.gate.title': 'Gate check',
	'page.gate.body':
		'A tablet at the gate: face recognition with liveness, or QR pass, or ID number and PIN; shows and speaks "enter" or the reasons why not, and records attendance even offline.',
	'page.monitor.title': 'Cameras',
	'page.monitor.body':
		'Warning zones drawn on camera images; people without hard hats or inside danger zones raise alerts to safety officers.',
	'page.map.title': 'Site map',
	'page.map.body':
		"The site's own plan as the base map with danger zones, hard-hat areas, muster points and gates; last known positions and alerts live.",
	'page.muster.title': 'Emergency muster',
	'page.muster.body':
		'One click lists everyone on site by zone with phone, blood type, allergies and emergency contact; supervisors tick people off together.',
	'page.dashboard.title': 'Dashboard',
	'page.dashboard.body':
		'Headcount, certificates about to lapse, trades, approval times, alerts and contractor scorecards; headquarters sees every site merged.',
	'page.admin.title': 'Administration',
	'page.admin.body':
		'Sites, contractors, users and devices; roles and keys; rules such as approval chains and warning days.',
	'page.comingTitle': 'What this page will do',
	'page.offlineNote': 'This page works offline from the copy on this device.',

	'role.contractor': 'Contractor admin',
	'role.worker': 'Worker',
	'role.staff': 'Project lead / safety / director',
	'role.gate': 'Gate tablet',
	'role.hq': 'Headquarters',
	'role.admin': 'Administrator',

	'notFound.title': 'Page not found',
	'notFound.body': 'Check the address, or use the menu.',
	'notFound.home': 'Back to overview'
};

export const catalogues = { 'zh-CN': zhCN as Messages, en } as const;
export type Locale = keyof typeof catalogues;
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

/** Fills {placeholders}; a missing parameter is left visible rather than silently blank. */
export function format(
	locale: Locale,
	key: MessageKey,
	params: Record<string, string | number> = {}
): string {
	const template = catalogues[locale][key];
	return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
		name in params ? String(params[name]) : whole
	);
}
