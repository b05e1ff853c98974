import { describe, expect, it } from 'vitest'
import { auditDetailLines, auditOutcomeLabel, auditProjectOf } from '../../src/lib/audit'
import { stageLabels } from '../../src/lib/labels'

describe('审计日志 rows, as an auditor reads them (R18)', () => {
  it('labels a submission’s and a stage change’s keys, and the stage in words', () => {
    const v = Object.fromEntries(auditDetailLines({ round: 1, policy: 'test', special_request: false, from_stage: 'prelim_review', stage: 'expert_review' }).map((l) => [l.label, l.value]))
    expect(v).toEqual({ 轮次: '1', 政策版本: 'test', 专题请示: '否', 原阶段: stageLabels.prelim_review, 阶段: stageLabels.expert_review })
  })
  it('names outcomes in Chinese, and shows an unknown one as written', () => {
    expect(auditOutcomeLabel('ok')).toBe('成功')
    expect(auditOutcomeLabel('refused')).toBe('已拒绝')
    expect(auditOutcomeLabel('return')).toBe('退回修改')
    expect(auditOutcomeLabel('something_new')).toBe('something_new')
  })
  it('shows a reset’s detail as labelled lines, in the server’s order', () => {
    const lines = auditDetailLines({ mode: 'last_good', reason: '逾期任务排查', run_id: 'r-1', event_id: 16, new_run_id: 'r-2' })
    expect(lines.map((l) => `${l.label}：${l.value}`)).toEqual([
      '重置方式：最后一个正常的工作流任务', '理由：逾期任务排查', '原运行：r-1', '事件编号：16', '新运行：r-2',
    ])
  })
  it('shows amounts in 元, times in Beijing time, roles and decisions in Chinese', () => {
    const v = Object.fromEntries(auditDetailLines({
      amount_fen: 123_456_789, expires_at: '2026-12-06T16:00:00Z', roles: ['drb_reviewer', 'auditor_x'], decision: 'approve',
      recused: true, experts: ['u-1', 'u-2'], nested: { a: 1 }, note: null,
    }).map((l) => [l.label, l.value]))
    expect(v['金额']).toBe('1,234,567.89 元')
    expect(v['到期时间']).toBe('2026-12-07 00:00:00')
    expect(v['角色']).toBe('数管局审核人员、auditor_x')
    expect(v['决定']).toBe('通过')
    expect(v['回避']).toBe('是')
    expect(v['专家']).toBe('u-1、u-2')
    expect(v.nested).toBe('{"a":1}')
    expect(v.note).toBe('—')
    expect(auditDetailLines({ close_at: '年底前' })[0].value).toBe('年底前') // not a time: as written
    expect(auditDetailLines({ action: 'remove' })[0]).toMatchObject({ label: '调整方式', value: '移出计划' })
    expect(auditDetailLines({ brand_new: 'x' })[0]).toMatchObject({ label: 'brand_new', value: 'x' })
  })
  it('shows a role change (用户管理, user.set_roles) as the roles before and after', () => {
    const lines = auditDetailLines({ before: ['submitter'], after: ['expert', 'audit'] })
    expect(lines.map((l) => [l.label, l.value])).toEqual([['原角色', '申报单位经办人'], ['新角色', '评审专家、审计局']])
  })
  it('shows a mail address change (邮件通知) in words: the address awaiting its code, a dropped one, a wrong code', () => {
    const show = (d: Record<string, unknown>) => auditDetailLines(d).map((l) => `${l.label}：${l.value}`)
    expect(show({ email_pending: 'li.shen@luan.gov.cn', digest: true })).toEqual(['待验证邮箱：li.shen@luan.gov.cn', '每日汇总：是'])
    expect(show({ email_pending: '' })).toEqual(['待验证邮箱：（取消更改）'])
    expect(show({ email: '' })).toEqual(['邮箱：（删除邮箱）'])
    expect(show({ email: 'li.shen@luan.gov.cn', tries_left: 3 })).toEqual(['邮箱：li.shen@luan.gov.cn', '剩余尝试次数：3'])
  })
  it('shows a project’s creation (project.create) field by field in words, 基础共用 included', () => {
    const lines = auditDetailLines({ name: '智慧教育云平台', type: 'new', mlps_level: 2, uses_crypto: false, data_resources: ['学籍'],
      deployment: 'self_built', deployment_reason: '涉密业务', shared_platforms: ['data_platform', 'service_platform'] })
    expect(lines.map((l) => `${l.label}：${l.value}`)).toEqual(['名称：智慧教育云平台', '类型：新建', '等保级别：2', '使用密码技术：否', '数据资源：学籍',
      '部署方式：自建机房或独立部署', '不使用市政务云的理由：涉密业务', '依托共用平台：江淮大数据中心六安市子平台、一体化在线政务服务平台（皖事通办）'])
    expect(auditDetailLines({ shared_platforms: [] })[0].value).toBe('无')
  })
  it('shows nothing for a row without detail', () => {
    for (const d of [null, undefined, {}, [], 'x']) expect(auditDetailLines(d)).toEqual([])
  })
  it('links a project’s rows and the ops rows of its workflow to the project', () => {
    expect(auditProjectOf({ object_type: 'project', object_id: 'p-1a2b' })).toBe('p-1a2b')
    expect(auditProjectOf({ object_type: 'workflow', object_id: 'project:p-1a2b' })).toBe('p-1a2b')
    expect(auditProjectOf({ object_type: 'workflow', object_id: 'plan:2026' })).toBe('')
    expect(auditProjectOf({ object_type: 'user', object_id: 'u-1' })).toBe('')
    expect(auditProjectOf({ object_type: 'task', object_id: 't-9', project_id: 'p-1a2b' })).toBe('p-1a2b')
    expect(auditProjectOf({ object_type: 'task', object_id: 't-9' })).toBe('')
  })
  it('names people and orgs when the screen knows them, and leaves counts and other ids alone', () => {
    const names = { user: (id: string) => ({ 'u-1': '冯专家', 'u-2': '陈专家' })[id] ?? id, org: (id: string) => (id === 'org-edu' ? '市教育局' : id) }
    const v = Object.fromEntries(auditDetailLines({ cc_org_ids: ['org-edu'], deputy_id: 'u-2', task_id: 'u-1' }, names)
      .map((l) => [l.label, l.value]))
    expect(auditDetailLines({ experts: 3 }, names)[0].value).toBe('3') // a panel's size stays a number
    expect(v['抄送单位']).toBe('市教育局')
    expect(v['代理人']).toBe('陈专家')
    expect(v['任务编号']).toBe('u-1')
    expect(auditDetailLines({ expert_ids: ['u-1', 'u-2', 'u-9'] }, names)[0].value).toBe('冯专家、陈专家、u-9')
    expect(auditDetailLines({ expert_ids: ['u-1'] })[0].value).toBe('u-1') // no names: ids
    expect(auditDetailLines({ org_id: 'org-edu' }, names)[0]).toMatchObject({ label: '单位', value: '市教育局' })
  })
})
