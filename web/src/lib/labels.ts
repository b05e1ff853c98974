// Chinese names of the API's fixed vocabulary (API.md). Names only: which stage follows which,
// and every rule, come from the server.

export const stageLabels: Record<string, string> = {
  draft: '草稿',
  prelim_review: '初审',
  revision: '退回修改',
  expert_review: '专家评审',
  awaiting_plan: '待列入计划',
  not_included: '未列入计划',
  awaiting_approval: '待批复',
  special_request: '专题请示',
  approved: '已批复',
  procurement: '采购',
  construction: '建设',
  trial_run: '试运行',
  acceptance: '竣工验收',
  rectification: '整改',
  om: '运维',
  rejected: '不予立项',
  closed: '已关闭',
}

/** The stages in lifecycle order (as API.md lists them). */
export const orderedStages = Object.keys(stageLabels)

export const typeLabels: Record<string, string> = {
  new: '新建',
  continuation: '续建',
  om: '运维',
  service: '购买服务',
  design: '设计（第三方服务）',
  supervision: '监理（第三方服务）',
  testing: '测评（第三方服务）',
  security: '安全（第三方服务）',
}

/** 部署方式 (基础共用): where a project's system runs. */
export const deploymentLabels: Record<string, string> = {
  gov_cloud: '市政务云平台',
  self_built: '自建机房或独立部署',
  none: '不涉及部署',
}

/** 依托共用平台 (基础共用): the city's shared platforms a project builds on. */
export const platformLabels: Record<string, string> = {
  data_platform: '江淮大数据中心六安市子平台',
  service_platform: '一体化在线政务服务平台（皖事通办）',
}

/** platformsLabel names the shared platforms a project builds on, 无 for none. */
export const platformsLabel = (keys: readonly string[]) => (keys.length ? keys.map((k) => platformLabels[k] ?? k).join('、') : '无')

export const taskKindLabels: Record<string, string> = {
  prelim_review: '初审',
  expert_review: '专家评审',
  bundle_approval: '打捆项目审批',
  project_approval: '项目审批',
  special_request_approval: '专题请示审批',
  acceptance_check: '验收材料审查',
  acceptance_signoff: '验收签署',
  acceptance_witness: '验收见证',
  om_review: '运维备案审查',
  evaluation: '绩效评估',
  change_review: '项目变更审批',
  plan_adjustment: '年度计划调整审批',
  termination_review: '终止申请审核',
  extension_review: '延期申请审核',
}

// 项目变更 (issue 19): what a change request changes, and where it stands.
// R16: why a project is a duplicate-construction candidate (GET /projects/{id}/similar's reasons).
export const similarReasonLabels: Record<string, string> = { name: '名称相近', description: '建设内容相近', data_resources: '数据资源重合' }
export const changeKindLabels: Record<string, string> = { scope: '建设内容', amount: '投资金额', vendor: '承建单位', schedule: '建设周期' }
// R6: a bundle's answer from the NDRC.
export const bundleStatusLabels: Record<string, string> = { pending: '待审批', approved: '已批复', rejected: '不予批复', partially_approved: '部分批复' }
export const changeStatusLabels: Record<string, string> = { pending: '待审批', approved: '已批准', rejected: '未批准' }
// 绩效评估: the grades of a performance evaluation, as the decision dialog offers them (in this order)
// and the evaluations list shows them.
export const gradeLabels: Record<string, string> = { excellent: '优秀', good: '良好', fair: '一般', poor: '较差' }
// R5 调整: the actions of a mid-year plan adjustment, as its card offers them and its task names them.
export const planAdjustLabels: Record<string, string> = { add: '增补列入', remove: '移出计划', amount: '调整金额' }

// The kinds of organisation (机构类型), as the server names them (domain.OrgKindNames,
// TestOrgKindNames_MatchWeb): 用户管理's 新建机构 offers them.
export const orgKindLabels: Record<string, string> = {
  unit: '项目建设单位',
  drb: '市数管局',
  ndrc: '市发改委',
  finance: '市财政局',
  crypto: '市密码管理局',
  prta: '市公管局',
  audit: '市审计局',
  citygov: '市政府',
  expert: '专家',
  ops: '运维',
}

export const roleLabels: Record<string, string> = {
  submitter: '申报单位经办人',
  drb_reviewer: '数管局审核人员',
  drb_supervisor: '数管局主管',
  expert: '评审专家',
  ndrc_approver: '发改委审批人',
  citygov_approver: '市政府审批人',
  prta_witness: '公管局见证人',
  finance: '财政局',
  crypto: '密码管理局',
  audit: '审计局',
  admin: '系统管理员',
  ops: '运维人员',
}

export const documentKindLabels: Record<string, string> = {
  opinion: '项目意见书',
  impl_plan: '实施方案',
  special_request: '专题请示',
  contract: '合同',
  supervision_report: '监理报告',
  trial_run_report: '试运行报告',
  crypto_plan: '密码应用方案',
  crypto_assessment: '密评报告',
  mlps_filing: '等保备案',
  acceptance_minutes: '验收纪要',
  om_report: '运维报告',
  other: '其他',
}

export const decisionLabels: Record<string, string> = {
  approve: '通过',
  return: '退回修改',
  reject: '不予通过',
  pass: '通过',
  fail: '不通过',
  resubmit: '重新提交',
  confirm: '确认',
}

export const actionLabels: Record<string, string> = {
  'project.create': '创建草稿',
  'project.edit': '修改项目',
  'project.submit_request': '提交申报',
  'project.submit': '流程启动',
  'project.resubmit': '重新提交',
  'project.withdraw': '撤回',
  'task.withdraw_decision': '撤回决定',
  'change.request': '申请项目变更',
  'project.terminate': '终止项目',
  'termination.request': '申请终止',
  'extension.request': '申请延期',
  'project.retire': '系统下线',
  'document.upload': '上传文档',
  'task.decide': '审批决定',
  'expert_review.panel': '组织专家评审',
  'plan.include': '列入年度计划',
  'plan.exclude': '未列入年度计划',
  'approval.request': '报送审批',
  'bundle.approve': '打捆审批',
  'project.procurement': '进入采购',
  'contract.register': '合同备案',
  'construction.complete': '建设完成',
  'trial_run.over': '试运行期满',
  'acceptance.apply': '申请验收',
  'acceptance.reminder': '验收提醒',
  'om.file': '运维备案',
  'om.remind': '运维备案提醒',
  'om.overdue': '运维备案逾期',
  'payment.record': '登记付款',
  'payment.confirm': '确认付款',
  'payment.reject': '退回付款',
  'task.claim': '签收任务',
  'task.reassign': '转办',
  'task.deputize': '代理',
  'absence.create': '设置代理人',
  'absence.end': '结束请假',
  'task.urge': '催办',
  'task.escalate': '逾期升级',
  'task.remind': '到期提醒',
  'expert_review.convene': '召开专家评审会',
  'expert_review.outcome': '专家评审结论',
  'plan.compile': '编制年度计划',
  'bundle.create': '创建打捆项目',
  'bundle.reject': '打捆不予批复',
  'bundle.exclude': '打捆审批时剔除',
  'ops.reset': '重置流程',
  'ops.retry': '重试活动',
  'ops.replay': '回放校验',
  'ops.external_reset': '流程引擎外部重置',
  'ops.external_terminate': '流程引擎外部终止',
  'ops.external_cancel': '流程引擎外部取消',
  'auth.login': '登录',
  'auth.logout': '退出',
  'auth.refresh': '续期会话',
  'auth.password': '修改密码',
  'document.download': '下载文档',
  'user.create': '创建用户',
  'user.set_roles': '修改角色',
  'user.disable': '停用账号',
  'user.enable': '启用账号',
  'user.unlock': '解锁账号',
  'user.reset_password': '重置密码',
  'user.set_email': '设置邮箱',
  'user.mail_settings': '邮件通知设置',
  'user.email_confirmed': '验证邮箱',
  'org.create': '创建机构',
  'notification.read': '通知已读',
  'notification.read_all': '通知全部已读',
  'project.stage': '阶段变更',
}

export const label = (table: Record<string, string>, key: string | null | undefined) =>
  key ? (table[key] ?? key) : '—'

/** blank is the API's rule for a required text: only whitespace (U+3000 too) or zero-width characters. */
export const isBlank = (s: string | null | undefined) => !s || /^[\s\u3000\u200B-\u200D\u2060\uFEFF]*$/.test(s)

/** The audit log's families of actions (GET /audit?kind=), the part before the dot. */
export const auditFamilyLabels: Record<string, string> = {
  project: '项目',
  document: '文档',
  task: '任务办理',
  expert_review: '专家评审',
  plan: '年度计划',
  bundle: '打捆',
  approval: '报送审批',
  contract: '合同备案',
  construction: '建设',
  trial_run: '试运行',
  acceptance: '验收',
  om: '运维备案',
  payment: '资金拨付',
  ops: '运维操作',
  auth: '登录与会话',
  user: '用户',
  org: '机构',
  notification: '通知',
}

/** auditActionLabel names an audit action: its own label, or its family's with the action. */
export function auditActionLabel(action: string): string {
  if (actionLabels[action]) return actionLabels[action]
  const family = action.split('.')[0]
  return auditFamilyLabels[family] ? `${auditFamilyLabels[family]}（${action}）` : action
}
