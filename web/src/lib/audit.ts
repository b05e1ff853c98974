import { decisionLabels, deploymentLabels, planAdjustLabels, platformsLabel, roleLabels, stageLabels, typeLabels } from './labels'
import { yuanLabel } from './money'
import { beijing } from './time'

// How 审计日志 shows a row's outcome and detail to an auditor: in Chinese, amounts in 元, times in
// Beijing time, a row's detail as one line per field. A field or value this table does not know
// is shown as the server wrote it, so a new kind of row is never hidden; the raw JSON stays in the
// CSV export (数据导出) and the API.

const outcomeLabels: Record<string, string> = {
  ...decisionLabels,
  ok: '成功',
  refused: '已拒绝',
  failed: '失败',
  approved: '已批复',
  included: '列入计划',
  excluded: '未列入计划',
  awaiting_plan: '待列入计划',
}

/** auditOutcomeLabel names an audit row's outcome in Chinese (the code itself when unknown). */
export const auditOutcomeLabel = (o: string) => outcomeLabels[o] ?? o

const fieldLabels: Record<string, string> = {
  reason: '理由',
  comment: '意见',
  decision: '决定',
  mode: '重置方式',
  task_id: '任务编号',
  bundle_id: '打捆编号',
  plan_year: '计划年度',
  year: '年度',
  session_id: '评审会编号',
  adjustment_id: '调整编号',
  run_id: '原运行',
  new_run_id: '新运行',
  event_id: '事件编号',
  workflow_id: '流程编号',
  activity_type: '活动类型',
  error: '错误',
  name: '名称',
  kind: '类型',
  username: '用户名',
  email: '邮箱',
  email_pending: '待验证邮箱',
  digest: '每日汇总',
  tries_left: '剩余尝试次数',
  roles: '角色',
  before: '原角色',
  after: '新角色',
  org_id: '单位',
  token_id: '令牌编号',
  expires_at: '到期时间',
  close_at: '截止时间',
  due_at: '截止时间',
  new_due_at: '新的截止时间',
  amount_fen: '金额',
  approved_amount_fen: '批复金额',
  plan_amount_fen: '计划金额',
  score: '评分',
  experts: '专家',
  recused: '回避',
  user_ids: '人员',
  org_ids: '单位',
  replaces: '替换令牌',
  was_initial: '首次修改',
  not_included: '未列入项目',
  excluded_project_ids: '剔除项目',
  action: '调整方式',
  expert_ids: '专家',
  cc_user_ids: '抄送人员',
  cc_org_ids: '抄送单位',
  user_id: '人员',
  assignee_id: '办理人',
  deputy_id: '代理人',
  unit_id: '建设单位',
  co_organiser_ids: '协办单位',
  project_id: '项目编号',
  document_id: '文档编号',
  payment_id: '付款编号',
  round: '轮次',
  policy: '政策版本',
  policy_version: '政策版本',
  special_request: '专题请示',
  stage: '阶段',
  from_stage: '原阶段',
  milestone: '付款节点',
  paid_on: '付款日期',
  paid_fen: '已付金额',
  settlement_fen: '结算金额',
  new_amount_fen: '新金额',
  contract_amount_fen: '合同金额',
  estimated_investment_fen: '估算投资',
  count: '数量',
  change_id: '变更编号',
  draw_id: '抽取编号',
  pick_reason: '指定理由',
  specialty: '专业',
  specialties: '专业',
  panel_size: '专家人数',
  opinion: '意见',
  grade: '等级',
  mean_score: '平均分',
  late: '逾期',
  om_year: '运维年度',
  description: '说明',
  status: '状态',
  signed_on: '签订日期',
  vendor: '供应商',
  procurement_ref: '采购编号',
  request_reason: '申请理由',
  transition_id: '流转编号',
  project_ids: '项目',
  task_ids: '任务',
  notification_id: '通知编号',
  version: '版本',
  members: '成员项目',
  decided_by: '决定人',
  // A project's fields, as its creation and edits record them.
  type: '类型',
  data_resources: '数据资源',
  mlps_level: '等保级别',
  uses_crypto: '使用密码技术',
  parent_project_id: '主项目',
  deployment: '部署方式',
  deployment_reason: '不使用市政务云的理由',
  shared_platforms: '依托共用平台',
}

// Fields whose values are ids of people or of orgs, shown by name when the screen knows them.
const userFields = new Set(['experts', 'expert_ids', 'recused', 'user_ids', 'cc_user_ids', 'user_id', 'assignee_id', 'deputy_id', 'decided_by'])
const orgFields = new Set(['org_ids', 'cc_org_ids', 'org_id', 'unit_id', 'co_organiser_ids'])

/** Names looks up the name of a person or an org by id (the id itself when unknown). */
export type Names = { user: (id: string) => string; org: (id: string) => string }

const modeLabels: Record<string, string> = { last_good: '最后一个正常的工作流任务', event: '指定事件' }

function value(key: string, v: unknown, names?: Names): string {
  if (v === null || v === undefined) return '—'
  const name = names && (userFields.has(key) ? names.user : orgFields.has(key) ? names.org : undefined)
  if (name) {
    if (typeof v === 'string') return name(v)
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map(name).join('、')
  }
  if (key.endsWith('_fen') && typeof v === 'number') return yuanLabel(v)
  if (key.endsWith('_at') && typeof v === 'string') {
    const t = beijing(v)
    return t === '—' ? v : t // not a time: as written
  }
  if (key === 'decision' && typeof v === 'string') return decisionLabels[v] ?? v
  if (key === 'email' && v === '') return '（删除邮箱）'
  if (key === 'email_pending' && v === '') return '（取消更改）'
  if (key === 'mode' && typeof v === 'string') return modeLabels[v] ?? v
  if (key === 'type' && typeof v === 'string') return typeLabels[v] ?? v
  if (key === 'deployment' && typeof v === 'string') return deploymentLabels[v] ?? v
  if (key === 'shared_platforms' && Array.isArray(v)) return platformsLabel(v.map(String))
  if ((key === 'stage' || key === 'from_stage') && typeof v === 'string') return stageLabels[v] ?? v
  if (key === 'action' && typeof v === 'string') return planAdjustLabels[v] ?? v // a plan adjustment's (plan.adjust*)
  if ((key === 'roles' || key === 'before' || key === 'after') && Array.isArray(v)) return v.map((r) => roleLabels[String(r)] ?? String(r)).join('、')
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return v.join('、')
  if (typeof v === 'object') return JSON.stringify(v)
  if (typeof v === 'boolean') return v ? '是' : '否'
  return String(v)
}

export type AuditDetailLine = { key: string; label: string; value: string }

/** auditDetailLines shows a row's detail object as labelled lines, in the server's key order;
 *  with names, people and orgs by name. */
export function auditDetailLines(detail: unknown, names?: Names): AuditDetailLine[] {
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return []
  return Object.entries(detail as Record<string, unknown>).map(([key, v]) => ({ key, label: fieldLabels[key] ?? key, value: value(key, v, names) }))
}

/** auditProjectOf is the project a row is about, for a link to it: the server's project_id
 *  (a project's own rows, an ops action on its workflow, an action on one of its tasks or
 *  documents), else
 *  read from the object (a project, workflow:project:<id>); '' otherwise. */
export function auditProjectOf(row: Record<string, unknown>): string {
  if (typeof row.project_id === 'string' && row.project_id) return row.project_id
  const id = String(row.object_id ?? '')
  if (row.object_type === 'project') return id
  if (row.object_type === 'workflow' && /^project:p-[0-9a-z]+$/.test(id)) return id.slice('project:'.length)
  return ''
}
