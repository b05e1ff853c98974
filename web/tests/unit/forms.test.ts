import { describe, expect, it } from 'vitest'
import { ApiError, fromBody, mapError } from '../../src/api/errors'
import { emptyProjectForm, fromProject, projectFormFields, validateProjectForm } from '../../src/lib/projectForm'
import { sharedInfrastructure } from '../../src/lib/projectFacts'
import { decisionBody, decisionFields, refusalField } from '../../src/lib/decision'
import { IdempotencyKeys, spend } from '../../src/lib/idempotency'

describe('新建项目 form', () => {
  it('needs a name, a type, a year and an amount', () => {
    const f = { ...emptyProjectForm(), name: ' \u3000\u200b ', investmentWan: '' }
    const v = validateProjectForm(f)
    expect(v.request).toBeUndefined()
    expect(v.errors.name).toBe('请填写项目名称')
    expect(v.errors.estimated_investment_fen).toBe('请输入金额')
  })
  it('asks where the system runs, and why when not on the 市政务云平台 (基础共用)', () => {
    const f = { ...emptyProjectForm(), name: '智慧教育云平台', investmentWan: '950.5' }
    expect(validateProjectForm(f)).toEqual({ errors: { deployment: '请选择部署方式' } })
    const self = validateProjectForm({ ...f, deployment: 'self_built', deploymentReason: ' \u3000' })
    expect(self).toEqual({ errors: { deployment_reason: '请说明不使用市政务云平台的理由' } })
    const why = validateProjectForm({ ...f, deployment: 'self_built', deploymentReason: ' 涉密业务 ', sharedPlatforms: ['data_platform'] })
    expect(why.request).toMatchObject({ deployment: 'self_built', deployment_reason: '涉密业务', shared_platforms: ['data_platform'] })
    // A reason typed, then the cloud chosen: the reason is not sent (the server would refuse it).
    const cloud = validateProjectForm({ ...f, deployment: 'gov_cloud', deploymentReason: '涉密业务' })
    expect(cloud.request?.deployment).toBe('gov_cloud')
    expect(cloud.request).not.toHaveProperty('deployment_reason')
  })
  it('shows 基础共用 as declared, and 未填写 for a project from before the question', () => {
    expect(sharedInfrastructure({ deployment: null, deployment_reason: '', shared_platforms: [] })).toEqual([['部署方式', '未填写'], ['依托共用平台', '未填写']])
    expect(sharedInfrastructure({ deployment: 'gov_cloud', deployment_reason: '', shared_platforms: [] })).toEqual([['部署方式', '市政务云平台'], ['依托共用平台', '无']])
    expect(sharedInfrastructure({ deployment: 'self_built', deployment_reason: '涉密业务', shared_platforms: ['data_platform', 'service_platform'] }))
      .toEqual([['部署方式', '自建机房或独立部署（理由：涉密业务）'], ['依托共用平台', '江淮大数据中心六安市子平台、一体化在线政务服务平台（皖事通办）']])
    const back = fromProject({ name: 'x', type: 'new', plan_year: 2030, estimated_investment_fen: 100, description: '', data_resources: [], mlps_level: 2,
      uses_crypto: false, deployment: null, deployment_reason: '', shared_platforms: [] })
    expect(back.deployment).toBe('')
  })
  it('builds the API request in fen', () => {
    const f = { ...emptyProjectForm(), deployment: 'gov_cloud' as const, name: ' 智慧教育云平台 ', planYear: '2030', investmentWan: '950.5', dataResources: [' 学籍 ', ''] }
    const v = validateProjectForm(f)
    expect(v.errors).toEqual({})
    expect(v.request).toMatchObject({ name: '智慧教育云平台', plan_year: 2030, estimated_investment_fen: 950500000, data_resources: ['学籍'] })
    expect(v.request?.parent_project_id).toBeUndefined()
  })
})

describe('error body → form fields and toast', () => {
  const body = { error: { code: 'invalid_input', message: '请求参数不合法', fields: { name: '必填', plan_year: '须为 2000–2200 的年份', bogus: '不允许的字段' }, request_id: 'r1' } }
  it('puts each field the form has under it, the rest into the toast', () => {
    const e = fromBody(400, body)
    expect(e).toBeInstanceOf(ApiError)
    expect(e.requestId).toBe('r1')
    const m = mapError(e, projectFormFields)
    expect(m.fields).toEqual({ name: '必填', plan_year: '须为 2000–2200 的年份' })
    expect(m.toast).toContain('bogus：不允许的字段')
  })
  it('aliases API names onto form names', () => {
    const e = fromBody(400, { error: { code: 'wrong_password', message: '当前密码错误', fields: { current_password: '当前密码错误' } } })
    expect(mapError(e, ['current'], { current_password: 'current' })).toEqual({ fields: { current: '当前密码错误' }, toast: '请检查标红的内容' })
  })
  it('shows a field-less error as a toast with the API message', () => {
    const e = fromBody(429, { error: { code: 'account_locked', message: '登录失败次数过多，账号已锁定至 2026-01-01 10:00:00（北京时间）' } })
    expect(mapError(e, ['username'])).toEqual({ fields: {}, toast: e.message })
    expect(fromBody(502, 'gateway down').message).toMatch(/服务器/)
    expect(fromBody(0, null).code).toBe('network')
  })
  it('puts a refused decision on its field', () => {
    const e = fromBody(400, { error: { code: 'invalid_decision', message: '退回修改须填写修改意见' } })
    expect(mapError(e, decisionFields, {}, refusalField)).toEqual({ fields: { comment: '退回修改须填写修改意见' }, toast: '' })
    const a = fromBody(422, { error: { code: 'amount_over_limit', message: '批复金额不能超过 9500000.00 元' } })
    expect(mapError(a, decisionFields, {}, refusalField).fields).toEqual({ approved_amount_fen: '批复金额不能超过 9500000.00 元' })
  })
})

describe('decision form', () => {
  it('sends the score and the amount in fen', () => {
    expect(decisionBody('expert_review', { decision: 'pass', comment: ' 可行 ', score: 88, amountYuan: '', grade: '' }).body)
      .toEqual({ decision: 'pass', comment: '可行', score: 88 })
    expect(decisionBody('project_approval', { decision: 'approve', comment: '', score: null, amountYuan: '9,500,000.01', grade: '' }).body)
      .toEqual({ decision: 'approve', comment: '', approved_amount_fen: 950000001 })
    expect(decisionBody('expert_review', { decision: 'pass', comment: '', score: null, amountYuan: '', grade: '' }).errors.score).toBe('请填写评分')
  })
  it('keeps one Idempotency-Key per body', () => {
    const k = new IdempotencyKeys()
    const a = k.keyFor({ decision: 'approve' })
    expect(k.keyFor({ decision: 'approve' })).toBe(a) // a double click or a resend
    const b = k.keyFor({ decision: 'reject' })
    expect(b).not.toBe(a) // a changed body is a new request
    expect(k.keyFor({ decision: 'reject' })).toBe(b)
    expect(b).toMatch(/^[A-Za-z0-9._:-]{1,128}$/) // the gateway's Idempotency-Key syntax
  })
  it('gives the same body a new key once the server refused the last one', () => {
    const k = new IdempotencyKeys()
    const a = k.keyFor({ step: 'complete' })
    spend(a) // 422 documents_missing: nothing applied, a resend would get the same 422
    const b = k.keyFor({ step: 'complete' }) // sent again after the upload
    expect(b).not.toBe(a)
    expect(k.keyFor({ step: 'complete' })).toBe(b) // and kept for a retry of that send
  })
})
