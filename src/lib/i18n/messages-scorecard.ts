// The contractor scorecard's messages (issue 11), spread into the catalogue in messages.ts. zh-CN
// first; `scorecardEn` must carry every key of `scorecardZhCN` (the type says so). The formula's
// numbers are placeholders filled from the domain's constants (scorecardFormulaParams), so the text
// and the code cannot drift: data/scorecard.ts `scorecardFormula`.

export const scorecardZhCN = {
	'scorecard.component.incidents': '安全事件',
	'scorecard.component.alerts': '报警',
	'scorecard.component.certificates': '证书失效',
	'scorecard.component.approvals': '审批退回',
	'scorecard.component.ratings': '作业评价',
	'scorecard.dimension.quality': '作业质量',
	'scorecard.dimension.safety': '安全行为',
	'scorecard.dimension.tidiness': '文明施工',
	'scorecard.severity.near_miss': '未遂事件',
	'scorecard.severity.minor': '轻微事件',
	'scorecard.severity.serious': '严重事件',
	'scorecard.missing.no_hours': '无工时记录，本项不计分，权重分摊给其他项',
	'scorecard.missing.no_certificates': '无在持证书，本项不计分，权重分摊给其他项',
	'scorecard.missing.no_decisions': '无审批记录，本项不计分，权重分摊给其他项',
	'scorecard.missing.no_ratings': '无作业评价，本项不计分，权重分摊给其他项',
	'scorecard.formula.title': '评分公式',
	'scorecard.formula.intro':
		'综合得分（0-100）为以下五项分数的加权平均；当前权重：安全事件 {wIncidents}%、报警 {wAlerts}%、证书失效 {wCertificates}%、审批退回 {wApprovals}%、作业评价 {wRatings}%。',
	'scorecard.formula.incidents':
		'安全事件：100 − {incidentK} × 每 {rateHours} 工时的加权事件数（未遂事件计 {nearMiss}、轻微事件计 {minor}、严重事件计 {serious}），最低 0 分。',
	'scorecard.formula.alerts':
		'报警：100 − {alertK} × 每 {rateHours} 工时的报警次数（误报不计），最低 0 分。',
	'scorecard.formula.certificates':
		'证书失效：100 × (1 − 当期失效且未换证的证书数 ÷ 当期在持证书数)。到期或逾期未复审、被吊销，均算失效。',
	'scorecard.formula.approvals':
		'审批退回：100 × (1 − 退回或驳回的审批意见数 ÷ 全部审批意见数)，按进场申请中每名工人的每条审批意见计。',
	'scorecard.formula.ratings':
		'作业评价：(平均分 − {ratingMin}) ÷ {ratingSpan} × 100；平均分取每次评价的作业质量、安全行为、文明施工三项（各 1-5 分）的平均。同一人对同一作业再次评价时，以最新一次为准。',
	'scorecard.formula.missing':
		'某项没有数据（无工时、无在持证书、无审批意见或无评价）时不计入，其权重按比例分给其余各项；工时来自门禁进出配对。',
	'scorecard.err.WRONG_DOCUMENT': '未保存：记录须写入本工地该月份的事件记录，请刷新页面后重试。',
	'scorecard.err.IN_FUTURE': '未保存：时间晚于当前时间，请检查本机时钟或所填时间。',
	'scorecard.err.TITLE_REQUIRED': '未保存：请填写作业名称。',
	'scorecard.err.BAD_MARK': '未保存：作业质量、安全行为、文明施工均需选择 1-5 分。',
	'scorecard.err.BAD_INCIDENT': '未保存：请选择事件严重程度并填写事件标题。',
	'scorecard.err.NOT_A_CORRECTION': '未保存：要更正的评价不存在或不是同一作业，请刷新页面后重试。',
	'scorecard.err.weights.negative': '未保存：权重不能为负数。',
	'scorecard.err.weights.not_a_number': '未保存：每一项权重都需填写数字。',
	'scorecard.err.weights.all_zero': '未保存：权重不能全部为 0，至少有一项大于 0。',
	'scorecard.err.weights.unknown_key': '未保存：包含未知的评分项，请刷新页面后重试。'
};

export const scorecardEn: Record<keyof typeof scorecardZhCN, string> = {
	'scorecard.component.incidents': 'Safety incidents',
	'scorecard.component.alerts': 'Alerts',
	'scorecard.component.certificates': 'Certificate lapses',
	'scorecard.component.approvals': 'Approval returns',
	'scorecard.component.ratings': 'Job ratings',
	'scorecard.dimension.quality': 'Task quality',
	'scorecard.dimension.safety': 'Safety conduct',
	'scorecard.dimension.tidiness': 'Tidiness',
	'scorecard.severity.near_miss': 'Near miss',
	'scorecard.severity.minor': 'Minor',
	'scorecard.severity.serious': 'Serious',
	'scorecard.missing.no_hours': 'No hours recorded: left out, its weight shared among the others',
	'scorecard.missing.no_certificates':
		'No certificates held: left out, its weight shared among the others',
	'scorecard.missing.no_decisions':
		'No approval decisions: left out, its weight shared among the others',
	'scorecard.missing.no_ratings': 'No job ratings: left out, its weight shared among the others',
	'scorecard.formula.title': 'How the score is computed',
	'scorecard.formula.intro':
		'The score (0-100) is the weighted average of five components; current weights: incidents {wIncidents}%, alerts {wAlerts}%, certificate lapses {wCertificates}%, approval returns {wApprovals}%, job ratings {wRatings}%.',
	'scorecard.formula.incidents':
		'Incidents: 100 − {incidentK} × severity-weighted incidents per {rateHours} hours worked (near miss {nearMiss}, minor {minor}, serious {serious}), never below 0.',
	'scorecard.formula.alerts':
		'Alerts: 100 − {alertK} × alerts per {rateHours} hours worked (false alarms not counted), never below 0.',
	'scorecard.formula.certificates':
		'Certificate lapses: 100 × (1 − certificates that lapsed in the period without renewal ÷ certificates held). Expired, review overdue and revoked all count as lapsed.',
	'scorecard.formula.approvals':
		'Approval returns: 100 × (1 − returned or rejected decisions ÷ all decisions), one decision per worker of an entry application.',
	'scorecard.formula.ratings':
		'Job ratings: (average mark − {ratingMin}) ÷ {ratingSpan} × 100, the average of task quality, safety conduct and tidiness (1-5 each) over all ratings. When someone rates the same job again, their latest rating counts.',
	'scorecard.formula.missing':
		'A component without data (no hours, no certificates held, no decisions or no ratings) is left out and its weight is shared among the others in proportion; hours come from paired gate entries and exits.',
	'scorecard.err.WRONG_DOCUMENT':
		'Not saved: the record belongs in this site’s events of its month. Reload the page and try again.',
	'scorecard.err.IN_FUTURE':
		'Not saved: the time is later than now. Check this device’s clock or the time entered.',
	'scorecard.err.TITLE_REQUIRED': 'Not saved: enter the job’s name.',
	'scorecard.err.BAD_MARK':
		'Not saved: choose 1 to 5 for task quality, safety conduct and tidiness.',
	'scorecard.err.BAD_INCIDENT':
		'Not saved: choose the severity and enter a title for the incident.',
	'scorecard.err.NOT_A_CORRECTION':
		'Not saved: the rating to correct is gone or is about another job. Reload the page and try again.',
	'scorecard.err.weights.negative': 'Not saved: a weight cannot be negative.',
	'scorecard.err.weights.not_a_number': 'Not saved: every weight must be a number.',
	'scorecard.err.weights.all_zero': 'Not saved: at least one weight must be above 0.',
	'scorecard.err.weights.unknown_key':
		'Not saved: an unknown component was included. Reload the page and try again.'
};
