import type { Schemas } from '../api/client'
import { label, stageLabels, typeLabels } from './labels'
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
  ]
}
