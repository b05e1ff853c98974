// The lifecycle picture's model (LifecycleChart.vue): the main path from 草稿 to 运维 and the
// branches a project can take beside it.

export const mainPath = ['draft', 'prelim_review', 'expert_review', 'awaiting_plan', 'awaiting_approval', 'approved',
  'procurement', 'construction', 'trial_run', 'acceptance', 'om']

// tone: an end that failed (danger: the step it left from is marked ✗), a detour that goes on
// (warning: that step is still in progress), or an end that is not a failure (info).
export type Tone = 'danger' | 'warning' | 'info'

export const branches: { stage: string; from: string; note: string; tone: Tone }[] = [
  { stage: 'revision', from: 'prelim_review', note: '初审退回，单位修改后重新提交', tone: 'warning' },
  { stage: 'rejected', from: '', note: '审查或审批不予通过', tone: 'danger' },
  { stage: 'not_included', from: 'awaiting_plan', note: '未列入年度计划', tone: 'danger' },
  { stage: 'special_request', from: 'awaiting_approval', note: '计划外项目，报市政府专题审批', tone: 'warning' },
  { stage: 'rectification', from: 'acceptance', note: '验收未通过，整改后重新申请', tone: 'warning' },
  { stage: 'closed', from: '', note: '项目关闭', tone: 'info' },
]

// stepStatus is el-steps' process-status for the step a project at stage stands on: ✗ (error)
// only where its branch is a failed end.
export function stepStatus(stage: string): 'process' | 'error' | 'wait' {
  if (mainPath.includes(stage)) return 'process'
  const tone = branches.find((b) => b.stage === stage)?.tone ?? 'danger'
  return ({ danger: 'error', warning: 'process', info: 'wait' } as const)[tone]
}
