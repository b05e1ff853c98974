import { describe, expect, it } from 'vitest'
import { fromBody, mapError } from '../../src/api/errors'
import { allFieldPaths, cellPath, emptyContractForm, emptyItem, placeListErrors, shapeList, validateContractForm } from '../../src/lib/dataLists'
import { chartOption, summaryText, wan } from '../../src/lib/funds'

const item = (over: Record<string, string> = {}) => ({
  resource: ' 学籍数据 ', department: '市教育局', sharing: 'conditional', legal_basis: '《政务数据共享管理办法》', frequency: '每月', interface: 'jh-la-001', ...over,
})

describe('数据三清单 editor → the API request', () => {
  it('sends items (trimmed, wholly empty rows dropped) or a reason, never both', () => {
    expect(shapeList({ mode: 'items', items: [item(), emptyItem()], noneReason: '不涉及' })).toEqual({ items: [{ ...item(), resource: '学籍数据' }] })
    expect(shapeList({ mode: 'none', items: [item()], noneReason: ' 本项目不涉及禁止共享的数据 ' })).toEqual({ none_reason: '本项目不涉及禁止共享的数据' })
    // An empty list goes as it is: whether it is acceptable is the API's to say.
    expect(shapeList({ mode: 'items', items: [emptyItem()], noneReason: '' })).toEqual({ items: [] })
  })
  it('builds the contract request in fen with the three lists', () => {
    const f = emptyContractForm()
    Object.assign(f, { vendor: ' 安徽某信息技术有限公司 ', amountYuan: '9,000,000.05', signedOn: '2026-03-01', procurementRef: 'LA-2026-001' })
    f.lists.demand.items = [item()]
    f.lists.responsibility.items = [item({ sharing: 'unconditional' })]
    f.lists.negative = { mode: 'none', items: [emptyItem()], noneReason: '不涉及禁止共享数据' }
    const v = validateContractForm(f)
    expect(v.errors).toEqual({})
    expect(v.request).toMatchObject({ vendor: '安徽某信息技术有限公司', amount_fen: 900000005, signed_on: '2026-03-01', procurement_ref: 'LA-2026-001' })
    expect(v.request?.data_lists.negative).toEqual({ none_reason: '不涉及禁止共享数据' })
    expect(v.request?.data_lists.demand).toEqual({ items: [{ ...item(), resource: '学籍数据' }] })
  })
  it('checks only what it needs to build the request', () => {
    const v = validateContractForm(emptyContractForm())
    expect(Object.keys(v.errors).sort()).toEqual(['amount_fen', 'procurement_ref', 'signed_on', 'vendor'])
  })
  it("puts the API's item errors on the row the person typed", () => {
    const f = emptyContractForm()
    // Row 0 left empty (not sent), row 1 is the API's items[0].
    f.lists.demand.items = [emptyItem(), item({ legal_basis: '' })]
    const e = fromBody(400, { error: { code: 'invalid_input', message: '请求参数不合法', fields: {
      'data_lists.demand.items[0].legal_basis': '法律依据必填', 'data_lists.responsibility': '须至少列出一项，或以 none_reason 说明无此清单的理由' } } })
    const m = mapError(e, allFieldPaths(f))
    const placed = placeListErrors(m.fields, f)
    expect(placed[cellPath('demand', 1, 'legal_basis')]).toBe('法律依据必填')
    expect(placed['data_lists.responsibility']).toMatch(/至少列出一项/)
    expect(m.toast).toBe('请检查标红的内容')
  })
})

describe('funds chart', () => {
  const f = { approved_fen: 1_234_567_89, contracted_fen: 1_000_000_00, recorded_fen: 50_000_00, confirmed_fen: 10_000_00, projects: 2 }
  it("lays the server's sums out in 万元, one series per figure", () => {
    expect(wan(1_000_000_00)).toBe(100)
    const o = chartOption('按年度', ['2027年'], [f])
    expect(o.series.map((s) => s.name)).toEqual(['批复金额', '合同金额', '已登记付款', '已确认拨付'])
    expect(o.series[0].data).toEqual([123.4568])
    expect(summaryText(f)).toContain('已确认拨付 1 万元')
  })
})
