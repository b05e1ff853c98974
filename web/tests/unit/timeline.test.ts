import { describe, expect, it } from 'vitest'
import { timelineLine } from '../../src/lib/timeline'
import type { Schemas } from '../../src/api/client'

const entry = (action: string, detail: unknown, actor = '李审（市数管局）'): Schemas['TimelineEntry'] =>
  ({ at: '2026-12-07T01:00:00Z', actor_id: 'u-x', actor_name: actor, action, outcome: 'ok', detail })

// 审批记录 reads the same on the project's page and on its printed record (R18).
describe('timelineLine', () => {
  it('names a decision with its task kind and its tone, and the comment', () => {
    const l = timelineLine(entry('task.decide', { kind: 'prelim_review', decision: 'return', comment: '请补充清单' }))
    expect(l.action).not.toBe('task.decide')
    expect(l.actor).toBe('李审（市数管局）')
    expect(l.decision).toEqual({ kind: '初审', text: '退回修改', tone: 'warning' })
    expect(l.notes).toEqual(['意见：请补充清单'])
    expect(timelineLine(entry('task.decide', { kind: 'prelim_review', decision: 'approve' })).decision?.tone).toBe('success')
  })
  it('reads an extension request in Beijing time, and a 催办 with its count', () => {
    const l = timelineLine(entry('extension.request', { year: 2, due_at: '2026-12-07T16:00:00Z', new_due_at: '2026-12-31T16:00:00Z', reason: '系统迁移' }))
    expect(l.notes).toEqual(['第 2 个运维年度备案：截止时间 2026-12-08 00:00:00 申请延至 2027-01-01 00:00:00', '原因：系统迁移'])
    const u = timelineLine(entry('task.urge', { kind: 'prelim_review', notified: 3, message: '请尽快办理' }))
    expect(u.urge).toBe('初审（已通知 3 人）')
    expect(u.notes).toEqual(['留言：请尽快办理'])
  })
  it('keeps an unknown action as the server wrote it, and a row without detail plain', () => {
    const l = timelineLine(entry('something.new', null, '系统'))
    expect(l).toEqual({ action: 'something.new', actor: '系统', decision: null, urge: '', notes: [] })
  })
})
