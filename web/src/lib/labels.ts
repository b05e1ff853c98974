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
}

export const actionLabels: Record<string, string> = {
  'project.create': '创建草稿',
  'project.edit': '修改项目',
  'project.submit_request': '提交申报',
  'project.submit': '流程启动',
  'project.resubmit': '重新提交',
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
}

export const label = (table: Record<string, string>, key: string | null | undefined) =>
  key ? (table[key] ?? key) : '—'

/** blank is the API's rule for a required text: only whitespace (U+3000 too) or zero-width characters. */
export const isBlank = (s: string | null | undefined) => !s || /^[\s\u3000\u200B-\u200D\u2060\uFEFF]*$/.test(s)
