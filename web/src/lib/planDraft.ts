// The 年度计划 table's draft: one row per candidate project, included (with its plan amount in
// 万元, converted to 分 exactly) or excluded (with a reason). What a plan may hold, and its
// totals, are the server's (POST /plans/{year}/compile-preview and /compile).
import { isBlank } from './labels'
import { fenToNumber, formatFenInput, parseAmount } from './money'

export type PlanChoice = '' | 'include' | 'exclude'

export interface PlanRow {
  projectId: string
  estimatedFen: number
  choice: PlanChoice
  amountWan: string
  reason: string
}

export interface CompileBody {
  included: { project_id: string; approved_amount_fen: number }[]
  excluded: { project_id: string; reason: string }[]
}

/** newRow starts a candidate as included at its estimated investment (no cut). */
export function newRow(projectId: string, estimatedFen: number): PlanRow {
  return { projectId, estimatedFen, choice: 'include', amountWan: formatFenInput(estimatedFen, 'wan'), reason: '' }
}

/**
 * compileBody reads the rows into the compile request: undecided rows are left out; an amount
 * that cannot be read, or an exclusion without a reason, is an error on that row (keyed by
 * project id and field). `partial` keeps the rows that read well even when others do not (for
 * the running totals).
 */
export function compileBody(rows: PlanRow[], partial = false): { errors: Record<string, { amount?: string; reason?: string }>; body?: CompileBody } {
  const errors: Record<string, { amount?: string; reason?: string }> = {}
  const body: CompileBody = { included: [], excluded: [] }
  for (const r of rows) {
    if (r.choice === 'include') {
      const a = parseAmount(r.amountWan, 'wan')
      if (!a.ok) errors[r.projectId] = { amount: a.error }
      else body.included.push({ project_id: r.projectId, approved_amount_fen: fenToNumber(a.fen) })
    } else if (r.choice === 'exclude') {
      if (isBlank(r.reason)) errors[r.projectId] = { reason: '请填写未列入计划的理由' }
      else body.excluded.push({ project_id: r.projectId, reason: r.reason.trim() })
    }
  }
  if (Object.keys(errors).length && !partial) return { errors }
  return { errors, body }
}

/** rowOfRefusal finds the project a refusal of the compile names ("项目 p-… 的计划金额…"). */
export function rowOfRefusal(message: string, rows: PlanRow[]): string | undefined {
  return rows.find((r) => message.includes(r.projectId))?.projectId
}
