import type { Schemas } from '../api/client'
import { deploymentLabels, label, platformsLabel, stageLabels, typeLabels } from './labels'
import { wanLabel, yuanLabel } from './money'
import { beijing } from './time'

/** projectFacts are a project's basic facts as label and value, in the order 项目详情's 基本信息
 *  and the printed record (打印) show them; orgName names the building unit. */
export function projectFacts(p: Schemas['ProjectDetail'], orgName: (id: string) => string): [string, string][] {
  return [
    ['项目编号', p.id], ['建设单位', orgName(p.unit_id)],
    ['项目类型', label(typeLabels, p.type)], ['计划年度', String(p.plan_year)],
    ['估算总投资', wanLabel(p.estimated_investment_fen)], ['批复金额', yuanLabel(p.approved_amount_fen)],
    ['当前阶段', `${label(stageLabels, p.stage)}（第 ${p.round} 轮）`], ['适用政策版本', p.policy_version ?? '提交时确定'],
    ['等保级别', `第 ${p.mlps_level} 级`], ['使用密码技术', p.uses_crypto ? '是' : '否'],
    ['提交时间', beijing(p.submitted_at)], ['试运行结束', beijing(p.trial_run_ends_at)],
    ...sharedInfrastructure(p),
  ]
}

/** sharedInfrastructure is what the unit declared of 基础共用: where the system runs (with the
 *  reason for a self-built deployment) and the shared platforms it builds on; 未填写 for a
 *  project created before the form asked. */
export function sharedInfrastructure(p: Pick<Schemas['Project'], 'deployment' | 'deployment_reason' | 'shared_platforms'>): [string, string][] {
  if (!p.deployment) return [['部署方式', '未填写'], ['依托共用平台', '未填写']]
  const where = p.deployment === 'self_built' ? `${deploymentLabels.self_built}（理由：${p.deployment_reason}）` : label(deploymentLabels, p.deployment)
  return [['部署方式', where], ['依托共用平台', platformsLabel(p.shared_platforms)]]
}
