// 批量审批 on 待办: which tasks may be picked together, and how the server's per-item answers
// read. What is decided, and whether, is the server's (POST /api/v1/tasks/bulk-decision).
// 批量转办 on 逾期督办 (POST /api/v1/tasks/bulk-reassign) reads its failed items with describe too.
import { decisionLabels, stageLabels } from './labels'

/** The most tasks one bulk decision takes (the server's limit). */
export const maxBulk = 100

/** The kinds decided in bulk and the decisions each takes (server/bulk.go's bulkDecisions). */
export const bulkDecisions: Record<string, readonly string[]> = {
  prelim_review: ['approve', 'return'],
  acceptance_check: ['approve', 'return'],
  project_approval: ['approve'],
  special_request_approval: ['approve'],
}

export interface PickableTask {
  id: string
  kind: string
  status: string
  assignee_id?: string | null
}

/** whyNot says why t cannot join the tasks picked (of kind pickedKind, '' for none); '' when it can. */
export function whyNot(t: PickableTask, userId: string, pickedKind: string, picked: number): string {
  if (t.status !== 'open') return '已办结'
  if (!bulkDecisions[t.kind]) return '该类任务须逐项审批'
  if (t.assignee_id && t.assignee_id !== userId) return '已由他人签收'
  if (pickedKind && t.kind !== pickedKind) return '批量审批的任务须为同一类型'
  if (picked >= maxBulk) return `一次最多 ${maxBulk} 项`
  return ''
}

/** working is what a bulk dialog says while its request goes item by item (what: 办理, 转办):
 *  past the rate limit's budget the server waits for each next item's turn. */
export const working = (what: string, n: number) =>
  `正在逐项${what} ${n} 项，每项单独记录；项数较多时按操作频率限制依次办理，可能需要十余秒，请稍候。`

/** canDecide reports whether the tasks picked (all of kind) may be given decision in bulk. */
export const canDecide = (kind: string, decision: string) => !!bulkDecisions[kind]?.includes(decision)

export interface BulkItem {
  task_id: string
  status: number
  body: unknown
}

export interface BulkRow {
  taskId: string
  ok: boolean
  /** retry: refused by the rate limit, not decided: may be sent again later. */
  retry: boolean
  text: string
}

/** describe turns one item's answer into a line of the result table (the server's own words for refusals). */
export function describe(it: BulkItem): BulkRow {
  const b = (it.body ?? {}) as { decision?: string; stage?: string; error?: { code?: string; message?: string } }
  if (it.status === 200) {
    const d = decisionLabels[b.decision ?? ''] ?? b.decision ?? ''
    const st = b.stage ? `，项目进入「${stageLabels[b.stage] ?? b.stage}」` : ''
    return { taskId: it.task_id, ok: true, retry: false, text: `已${d}${st}` }
  }
  const code = b.error?.code ?? ''
  const msg = b.error?.message ?? `办理失败（HTTP ${it.status}）`
  return { taskId: it.task_id, ok: false, retry: code === 'rate_limited', text: code === 'rate_limited' ? `${msg}（未办理，可稍后重试）` : msg }
}

/** summary is the result's one line: how many were decided and how many were not. */
export function summary(rows: BulkRow[]): string {
  const ok = rows.filter((r) => r.ok).length
  const failed = rows.length - ok
  return failed ? `已办理 ${ok} 项，${failed} 项未办理` : `已全部办理（${ok} 项）`
}
