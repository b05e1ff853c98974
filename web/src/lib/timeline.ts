import type { Schemas } from '../api/client'
import { actionLabels, decisionLabels, label, taskKindLabels } from './labels'
import { beijing } from './time'

type Entry = Schemas['TimelineEntry']

/** TimelineDetail is what a project's audit rows carry in their detail, as the timeline reads it. */
export type TimelineDetail = {
  decision?: string; comment?: string; kind?: string; task_id?: string; score?: number; reason?: string; message?: string
  notified?: number; from_stage?: string; year?: number; due_at?: string; new_due_at?: string
}

export const detailOf = (e: Entry) => (e.detail ?? {}) as TimelineDetail

/** decisionTone: a decision that sends a project back or stops it reads as a warning, any
 *  other as success (审批记录, 已办). */
export const decisionTone = (d: string): 'success' | 'warning' => (['return', 'reject', 'fail'].includes(d) ? 'warning' : 'success')

/** TimelineLine is one entry of 审批记录 as people read it, on the project's page and on its
 *  printed record: the step, who took it, the decision (with its task's kind), and the notes. */
export interface TimelineLine {
  action: string
  actor: string
  decision: { kind: string; text: string; tone: 'success' | 'warning' } | null
  /** what a 催办 asked for, and of how many people */
  urge: string
  notes: string[]
}

export function timelineLine(e: Entry): TimelineLine {
  const d = detailOf(e)
  const notes: string[] = []
  if (d.message) notes.push(`留言：${d.message}`)
  if (d.comment) notes.push(`意见：${d.comment}`)
  if (e.action === 'extension.request') notes.push(`第 ${d.year} 个运维年度备案：截止时间 ${beijing(d.due_at)} 申请延至 ${beijing(d.new_due_at)}`)
  if (d.new_due_at && e.action === 'task.decide') notes.push(`延期至：${beijing(d.new_due_at)}`)
  if (d.reason) notes.push(`原因：${d.reason}`)
  return {
    action: actionLabels[e.action] ?? e.action,
    actor: e.actor_name,
    decision: d.decision
      ? { kind: d.kind ? label(taskKindLabels, d.kind) : '', text: label(decisionLabels, d.decision), tone: decisionTone(d.decision) }
      : null,
    urge: e.action === 'task.urge' ? `${label(taskKindLabels, d.kind)}（已通知 ${d.notified ?? 0} 人）` : '',
    notes,
  }
}
