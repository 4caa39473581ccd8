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
	'notFound.home': '返回概览',

	'sync.none': '本设备尚未登记',
	'sync.wiped': '本设备已被吊销，本机数据已清除；如需继续使用请重新登记',
	'sync.local': '仅本机数据',
	'sync.connecting': '正在连接中继 {relay}',
	'sync.synced': '已同步 {time}',
	'sync.offline': '中继不可达 · 上次同步 {time}',
	'sync.refused': '中继拒绝：{reason}',
	'sync.detail': '{docs} 份数据 · 中继 {relay}',
	'refusal.4400': '发送的数据格式错误',
	'refusal.4401': '本设备的凭证无效、过期或已被吊销，请重新登记',
	'refusal.4403': '没有权限读取或修改这些数据',
	'refusal.4404': '数据名称无效',
	'refusal.4413': '单次发送的数据过大',
	'refusal.other': '连接被拒绝（代码 {code}）',

	'who.signedInAs': '当前身份',
	'who.signOut': '退出登记',
	'who.notEnrolled': '本设备未登记。请用管理员提供的登记链接或二维码登记。',

	'enrol.title': '登记本设备',
	'enrol.lead': '此链接只能使用一次。登记后，本设备会保存一份可离线使用的数据副本。',
	'enrol.deviceName': '设备名称',
	'enrol.deviceNamePlaceholder': '例如：东门平板、张工的手机',
	'enrol.submit': '登记',
	'enrol.working': '正在登记…',
	'enrol.done': '登记成功，身份：{who}',
	'enrol.noCode': '链接中没有登记码。请重新扫描管理员提供的二维码。',
	'enrol.failed': '登记失败：{reason}',
	'enrol.offline': '登记需要连接到现场中继，请连上现场网络后重试。',

	'admin.needAdmin': '只有系统管理员可以管理现场、外包单位和设备。',
	'admin.sites': '现场',
	'admin.contractors': '外包单位',
	'admin.enrol': '登记用户与设备',
	'admin.devices': '已登记设备',
	'admin.none': '暂无',
	'admin.name': '名称',
	'admin.siteKind': '现场类型',
	'admin.kind.construction': '建筑施工',
	'admin.kind.industrial': '工业厂区',
	'admin.kind.chemical': '危险化学品',
	'admin.kind.other': '其他',
	'admin.addSite': '新增现场',
	'admin.addContractor': '新增外包单位',
	'admin.creditCode': '统一社会信用代码',
	'admin.contact': '联系人',
	'admin.phone': '电话',
	'admin.worksAt': '所在现场',
	'admin.role': '角色',
	'admin.staffRole': '岗位',
	'admin.staff.project_lead': '项目负责人',
	'admin.staff.safety': '安全部门',
	'admin.staff.director': '主管领导',
	'admin.role.admin': '系统管理员',
	'admin.role.staff': '现场管理人员',
	'admin.role.contractor': '外包单位管理员',
	'admin.role.worker': '作业人员',
	'admin.role.gate': '门岗平板',
	'admin.role.hq': '总部',
	'admin.role.integration': '系统集成（门禁/设备）',
	'admin.contractor': '外包单位',
	'admin.createEnrolment': '生成登记二维码',
	'admin.enrolLink': '登记链接（一次有效，{time} 前使用）',
	'admin.copy': '复制链接',
	'admin.copied': '已复制',
	'admin.revoke': '吊销',
	'admin.revoked': '已吊销',
	'admin.enrolledAt': '登记于 {time}',
	'admin.error': '操作失败：{reason}',
	'admin.needSite': '请至少选择一个现场',
	'admin.needContractor': '请选择外包单位',
	'admin.required': '请填写名称',
	'admin.offlineEnrol': '生成登记码需要连接中继；现场和单位可离线新增，联网后自动同步。',
	'admin.saved': '已保存到本机，将同步到中继'
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
	'notFound.home': 'Back to overview',

	'sync.none': 'This device is not enrolled',
	'sync.wiped': 'This device was revoked and its data erased; enrol it again to continue',
	'sync.local': 'Local data only',
	'sync.connecting': 'Connecting to relay {relay}',
	'sync.synced': 'Synced {time}',
	'sync.offline': 'Relay unreachable · last synced {time}',
	'sync.refused': 'Refused by relay: {reason}',
	'sync.detail': '{docs} documents · relay {relay}',
	'refusal.4400': 'The data sent was malformed',
	'refusal.4401': "This device's token is invalid, expired or revoked: enrol it again",
	'refusal.4403': 'Not allowed to read or change this data',
	'refusal.4404': 'Not a valid document name',
	'refusal.4413': 'Too much data in one message',
	'refusal.other': 'Connection refused (code {code})',

	'who.signedInAs': 'Signed in as',
	'who.signOut': 'Unenrol',
	'who.notEnrolled':
		'This device is not enrolled. Use the link or QR code from your administrator.',

	'enrol.title': 'Enrol this device',
	'enrol.lead':
		'This link works once. Once enrolled, this device keeps a copy of its data that works offline.',
	'enrol.deviceName': 'Device name',
	'enrol.deviceNamePlaceholder': "e.g. East gate tablet, Zhang's phone",
	'enrol.submit': 'Enrol',
	'enrol.working': 'Enrolling…',
	'enrol.done': 'Enrolled as {who}',
	'enrol.noCode': 'The link has no enrolment code. Scan the QR code from your administrator again.',
	'enrol.failed': 'Enrolment failed: {reason}',
	'enrol.offline': 'Enrolment needs the site relay: connect to the site network and try again.',

	'admin.needAdmin': 'Only an administrator manages sites, contractors and devices.',
	'admin.sites': 'Sites',
	'admin.contractors': 'Contractors',
	'admin.enrol': 'Enrol users and devices',
	'admin.devices': 'Enrolled devices',
	'admin.none': 'None yet',
	'admin.name': 'Name',
	'admin.siteKind': 'Kind of site',
	'admin.kind.construction': 'Construction',
	'admin.kind.industrial': 'Industrial plant',
	'admin.kind.chemical': 'Hazardous chemicals',
	'admin.kind.other': 'Other',
	'admin.addSite': 'Add site',
	'admin.addContractor': 'Add contractor',
	'admin.creditCode': 'Unified social credit code',
	'admin.contact': 'Contact',
	'admin.phone': 'Phone',
	'admin.worksAt': 'Works at',
	'admin.role': 'Role',
	'admin.staffRole': 'Position',
	'admin.staff.project_lead': 'Project lead',
	'admin.staff.safety': 'Safety department',
	'admin.staff.director': 'Director',
	'admin.role.admin': 'Administrator',
	'admin.role.staff': 'Site staff',
	'admin.role.contractor': 'Contractor admin',
	'admin.role.worker': 'Worker',
	'admin.role.gate': 'Gate tablet',
	'admin.role.hq': 'Headquarters',
	'admin.role.integration': 'Integration (doors/equipment)',
	'admin.contractor': 'Contractor',
	'admin.createEnrolment': 'Create enrolment QR code',
	'admin.enrolLink': 'Enrolment link (works once, before {time})',
	'admin.copy': 'Copy link',
	'admin.copied': 'Copied',
	'admin.revoke': 'Revoke',
	'admin.revoked': 'Revoked',
	'admin.enrolledAt': 'Enrolled {time}',
	'admin.error': 'Failed: {reason}',
	'admin.needSite': 'Choose at least one site',
	'admin.needContractor': 'Choose the contractor',
	'admin.required': 'Enter a name',
	'admin.offlineEnrol':
		'Creating enrolment codes needs the relay; sites and contractors can be added offline and sync later.',
	'admin.saved': 'Saved on this device; will sync to the relay'
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
