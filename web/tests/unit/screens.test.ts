import { describe, expect, it } from 'vitest'
import { compileBody, newRow, rowOfRefusal } from '../../src/lib/planDraft'
import { dayBounds, workflowLink } from '../../src/lib/ops'
import { stepStatus } from '../../src/lib/lifecycle'

describe('年度计划 draft', () => {
  it('starts a row included at its estimate, in 万元', () => {
    expect(newRow('p-1', 1_200_000_000)).toMatchObject({ choice: 'include', amountWan: '1200.00' })
  })
  it('converts cut amounts in 万元 to 分 exactly', () => {
    const rows = [{ ...newRow('p-1', 1_200_000_000), amountWan: '1,000.000001' }, { ...newRow('p-2', 30_000_000), amountWan: '0.29' }]
    const v = compileBody(rows)
    expect(v.errors).toEqual({})
    expect(v.body?.included).toEqual([
      { project_id: 'p-1', approved_amount_fen: 1_000_000_001 },
      { project_id: 'p-2', approved_amount_fen: 290_000 },
    ])
  })
  it('needs a reason to leave a project out, and leaves undecided rows out', () => {
    const rows = [{ ...newRow('p-1', 1), choice: 'exclude' as const, reason: ' \u3000' }, { ...newRow('p-2', 1), choice: '' as const }]
    expect(compileBody(rows)).toEqual({ errors: { 'p-1': { reason: '请填写未列入计划的理由' } } })
    rows[0].reason = '重复建设'
    expect(compileBody(rows).body).toEqual({ included: [], excluded: [{ project_id: 'p-1', reason: '重复建设' }] })
  })
  it('keeps the readable rows for the running totals', () => {
    const rows = [{ ...newRow('p-1', 100), amountWan: 'x' }, newRow('p-2', 1_000_000)]
    const v = compileBody(rows, true)
    expect(v.errors['p-1'].amount).toContain('数字')
    expect(v.body?.included).toEqual([{ project_id: 'p-2', approved_amount_fen: 1_000_000 }])
  })
  it('finds the row a refusal names', () => {
    expect(rowOfRefusal('项目 p-2 的计划金额须在 0.01 到 10.00 元之间', [newRow('p-1', 1), newRow('p-2', 1)])).toBe('p-2')
  })
})

describe('ops and audit helpers', () => {
  it('links a workflow to its Temporal Web UI page, escaped', () => {
    expect(workflowLink('http://127.0.0.1:8233/namespaces/default/workflows/{workflow_id}', 'project:p-1'))
      .toBe('http://127.0.0.1:8233/namespaces/default/workflows/project%3Ap-1')
    expect(workflowLink('', 'x')).toBe('')
  })
  it('turns Beijing days into an inclusive–exclusive range', () => {
    expect(dayBounds('2026-12-31', '2026-12-31')).toEqual({ from: '2026-12-31T00:00:00+08:00', to: '2027-01-01T00:00:00+08:00' })
    expect(dayBounds('', '2024-02-28')).toEqual({ to: '2024-02-29T00:00:00+08:00' })
  })
})

describe('bundle approval', () => {
  it('approves all, or with the excluded members', async () => {
    const { decisionBody } = await import('../../src/lib/decision')
    const f = { decision: 'approve', comment: '', score: null, amountYuan: '', grade: 'good', excluded: [] as string[] }
    expect(decisionBody('bundle_approval', f).body).toEqual({ decision: 'approve', comment: '' })
    f.excluded = ['p-2']
    expect(decisionBody('bundle_approval', f).body).toEqual({ decision: 'approve', comment: '', excluded_project_ids: ['p-2'] })
    expect(decisionBody('bundle_approval', { ...f, decision: 'reject', comment: '不符合' }).body).toEqual({ decision: 'reject', comment: '不符合' })
  })
})

describe('项目生命周期 picture', () => {
  it('marks the step ✗ only for a failed end, not for a detour that goes on', () => {
    expect(stepStatus('construction')).toBe('process')
    expect(stepStatus('rejected')).toBe('error')
    expect(stepStatus('not_included')).toBe('error')
    expect(stepStatus('special_request')).toBe('process')
    expect(stepStatus('revision')).toBe('process')
    expect(stepStatus('rectification')).toBe('process')
    expect(stepStatus('closed')).toBe('wait')
  })
})
