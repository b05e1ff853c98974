// What a decision form offers per task kind (API.md's vocabulary) and how a refused decision
// maps onto the form. Whether a decision is allowed, and what it must carry, is the server's.
import type { ApiError } from '../api/errors'
import { fenToNumber, parseAmount } from './money'

export interface DecisionForm {
  decision: string
  comment: string
  score: number | null
  amountYuan: string
  grade: string
  /** The bundle members an approval leaves out (R6: approve with exclusions). */
  excluded?: string[]
  /** 抄送 (issue 19 item 6): people and orgs the decision is CC'd to (not a bundle's). */
  ccUsers?: string[]
  ccOrgs?: string[]
}

export const decisionsFor = (kind: string): string[] => {
  switch (kind) {
    case 'prelim_review':
      return ['approve', 'return', 'reject']
    case 'expert_review':
    case 'acceptance_signoff':
    case 'acceptance_witness':
      return ['pass', 'fail']
    case 'project_approval':
    case 'special_request_approval':
    case 'bundle_approval':
    case 'plan_adjustment':
    case 'termination_review':
    case 'extension_review':
      return ['approve', 'reject']
    case 'acceptance_check':
      return ['approve', 'return']
    case 'evaluation':
      return ['approve']
  }
  return ['approve', 'reject']
}

export const hasScore = (kind: string) => kind === 'expert_review' || kind === 'evaluation'
export const hasAmount = (kind: string) => kind === 'project_approval' || kind === 'special_request_approval'
export const hasGrade = (kind: string) => kind === 'evaluation'

export const decisionFields = ['decision', 'comment', 'score', 'approved_amount_fen', 'grade', 'cc_user_ids', 'cc_org_ids'] as const

/** decisionBody builds the API's request, or field errors for what cannot be read. */
export function decisionBody(kind: string, f: DecisionForm): { errors: Record<string, string>; body?: Record<string, unknown> } {
  const errors: Record<string, string> = {}
  if (!f.decision) errors.decision = '请选择审批结论'
  const body: Record<string, unknown> = { decision: f.decision, comment: f.comment.trim() }
  if (hasScore(kind)) {
    if (f.score === null || f.score === undefined) errors.score = '请填写评分'
    else body.score = f.score
  }
  if (hasAmount(kind) && f.decision === 'approve') {
    const a = parseAmount(f.amountYuan, 'yuan')
    if (!a.ok) errors.approved_amount_fen = a.error
    else body.approved_amount_fen = fenToNumber(a.fen)
  }
  if (hasGrade(kind)) body.grade = f.grade
  if (kind === 'bundle_approval' && f.decision === 'approve' && f.excluded?.length) body.excluded_project_ids = [...f.excluded]
  if (kind !== 'bundle_approval' && f.ccUsers?.length) body.cc_user_ids = [...f.ccUsers]
  if (kind !== 'bundle_approval' && f.ccOrgs?.length) body.cc_org_ids = [...f.ccOrgs]
  return Object.keys(errors).length ? { errors } : { errors, body }
}

/** refusalField puts a field-less refusal (invalid_decision, amount_over_limit) on its field. */
export function refusalField(e: ApiError): string | undefined {
  if (e.code === 'amount_over_limit') return 'approved_amount_fen'
  if (e.code !== 'invalid_decision') return undefined
  if (/评分/.test(e.message)) return 'score'
  if (/等级/.test(e.message)) return 'grade'
  if (/意见|清单|理由/.test(e.message)) return 'comment'
  return 'decision'
}
