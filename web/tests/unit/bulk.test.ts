import { describe as group, expect, it } from 'vitest'
import { canDecide, describe, maxBulk, summary, whyNot } from '../../src/lib/bulk'
import { mayUrge } from '../../src/lib/urge'

const task = (over: Partial<{ id: string; kind: string; status: string; assignee_id: string | null }> = {}) =>
  ({ id: 't1', kind: 'prelim_review', status: 'open', assignee_id: null, ...over })

group('批量审批: which tasks may be picked together', () => {
  it('takes open tasks of a bulk kind, offered or the caller’s own', () => {
    expect(whyNot(task(), 'u-drb1', '', 0)).toBe('')
    expect(whyNot(task({ assignee_id: 'u-drb1' }), 'u-drb1', '', 0)).toBe('')
  })
  it('refuses expert reviews and bundle approvals, others’ tasks and closed ones', () => {
    expect(whyNot(task({ kind: 'expert_review' }), 'u-drb1', '', 0)).toBe('该类任务须逐项审批')
    expect(whyNot(task({ kind: 'bundle_approval' }), 'u-drb1', '', 0)).toBe('该类任务须逐项审批')
    expect(whyNot(task({ assignee_id: 'u-other' }), 'u-drb1', '', 0)).toBe('已由他人签收')
    expect(whyNot(task({ status: 'done' }), 'u-drb1', '', 0)).toBe('已办结')
  })
  it('keeps one kind and at most 100', () => {
    expect(whyNot(task({ kind: 'acceptance_check' }), 'u-drb1', 'prelim_review', 1)).toBe('批量审批的任务须为同一类型')
    expect(whyNot(task(), 'u-drb1', '', maxBulk)).toBe(`一次最多 ${maxBulk} 项`)
  })
  it('offers return only where the kind takes it', () => {
    expect(canDecide('prelim_review', 'return')).toBe(true)
    expect(canDecide('project_approval', 'return')).toBe(false)
    expect(canDecide('project_approval', 'approve')).toBe(true)
    expect(canDecide('expert_review', 'approve')).toBe(false)
  })
})

group('批量审批: the per-item results', () => {
  it('reads a decided item from the decision’s own answer', () => {
    const r = describe({ task_id: 't1', status: 200, body: { task_id: 't1', decision: 'approve', stage: 'expert_review' } })
    expect(r).toEqual({ taskId: 't1', ok: true, retry: false, text: '已通过，项目进入「专家评审」' })
  })
  it('shows a refused item in the server’s words', () => {
    const r = describe({ task_id: 't2', status: 409, body: { error: { code: 'stale_task', message: '任务已失效', request_id: 'x.2' } } })
    expect(r).toEqual({ taskId: 't2', ok: false, retry: false, text: '任务已失效' })
  })
  it('marks rate-limited items as not decided, to send again', () => {
    const r = describe({ task_id: 't3', status: 429, body: { error: { code: 'rate_limited', message: '操作过于频繁，请稍后再试' } } })
    expect(r.retry).toBe(true)
    expect(r.text).toContain('未办理')
  })
  it('says how many were decided', () => {
    const ok = describe({ task_id: 'a', status: 200, body: { decision: 'approve' } })
    const bad = describe({ task_id: 'b', status: 404, body: { error: { code: 'not_found', message: '任务不存在或无权访问' } } })
    expect(summary([ok, bad])).toBe('已办理 1 项，1 项未办理')
    expect(summary([ok])).toBe('已全部办理（1 项）')
  })
})

group('催办: who is offered the button', () => {
  const now = Date.parse('2030-06-10T00:00:00Z')
  const late = { due_at: '2030-06-01T00:00:00Z', assignee_id: 'u-drb1', status: 'open' }
  it('offers it to a reader of the project on an overdue task', () => {
    expect(mayUrge(late, ['submitter'], 'u-alice', now)).toBe(true)
    expect(mayUrge(late, ['drb_supervisor', 'drb_reviewer'], 'u-drbsup', now)).toBe(true)
  })
  it('not before the due date, not to its holder, not to Audit', () => {
    expect(mayUrge({ ...late, due_at: '2030-06-11T00:00:00Z' }, ['submitter'], 'u-alice', now)).toBe(false)
    expect(mayUrge(late, ['drb_reviewer'], 'u-drb1', now)).toBe(false)
    expect(mayUrge(late, ['audit'], 'u-audit1', now)).toBe(false)
    expect(mayUrge({ ...late, status: 'done' }, ['submitter'], 'u-alice', now)).toBe(false)
  })
})
