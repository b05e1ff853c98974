import { expect, test } from '@playwright/test'
import { accessible, apiLogin, heldByDisabled, login, personPage, reassignIn, shot } from './helpers'

// 停用 with work in hand: a DRB reviewer claims a prelim review and leaves; the administrator
// disables the account. Nobody would act on the claimed task until it fell overdue; 逾期督办's
// 停用人员持有的任务 lists it at once (GET /tasks/overdue?held_by_disabled=true), not yet due;
// the DRB supervisor, told by a notice that opens that list, 转办s it to a colleague, whose
// 待办 then holds it.

const tag = Date.now().toString(36)
const project = `停用转办测试项目（${tag}）`

test('逾期督办 lists the tasks a disabled user holds; drbsup 转办s one', async ({ browser, request }) => {
  const { name, projectId, task } = await heldByDisabled(request, tag, project)

  const sup = await personPage(browser)
  await login(sup, 'drbsup')
  // 首页 counts them beside 全部逾期 (other specs may hold some too) and opens the list; the
  // figure's link says what it counts, not only the number.
  const held = sup.getByRole('link', { name: /^停用人员持有：[1-9]\d* 件$/ })
  await expect(held).toBeVisible()
  await expect(sup.getByRole('link', { name: /^全部逾期（督办）：\d+ 件$/ })).toBeVisible()
  await shot(sup, '30c-home-supervisor')
  await held.click()
  await expect(sup).toHaveURL(/\/overdue\?view=disabled$/)
  await expect(sup.getByTestId('overdue').getByRole('row').filter({ hasText: project })).toContainText(name)
  await sup.goBack()
  // The supervisor is told (holder_disabled); the notice opens the list.
  await sup.getByTestId('bell').click()
  const notice = sup.getByTestId('notification').filter({ hasText: name })
  await expect(notice).toContainText('其持有 1 项未办结的任务')
  await notice.getByRole('button', { name: '停用人员持有待办', exact: true }).click()
  await expect(sup).toHaveURL(/\/overdue\?view=disabled$/)
  await expect(sup.getByTestId('overdue-view').getByRole('radio', { name: '停用人员持有的任务' })).toBeChecked()
  const row = sup.getByTestId('overdue').getByRole('row').filter({ hasText: project })
  await expect(row).toContainText(name)
  await expect(row).toContainText('已停用')
  await expect(row).toContainText('未到期')
  await accessible(sup, '逾期督办：停用人员持有的任务')
  await shot(sup, '30b-overdue-disabled-holder')

  await reassignIn(sup, row, '李审（市数管局）（市数据资源管理局）', '原办理人已离岗，账号停用，转其他审核人员办理。')
  await expect(sup.getByTestId('overdue').getByRole('row').filter({ hasText: project })).toHaveCount(0)
  // The view is the address's: a reload keeps it; the other view rewrites it.
  await sup.reload()
  await expect(sup.getByTestId('overdue-view').getByRole('radio', { name: '停用人员持有的任务' })).toBeChecked()
  await sup.getByTestId('overdue-view').getByText('逾期任务', { exact: true }).click()
  await expect(sup).toHaveURL(/\/overdue$/)
  await expect(sup.getByTestId('overdue-view').getByRole('radio', { name: '逾期任务' })).toBeChecked()

  const drb1 = { Authorization: `Bearer ${await apiLogin(request, 'drb1')}` }
  const drb1Id = (await (await request.get('/api/v1/me', { headers: drb1 })).json()).user.id as string
  await expect(async () => {
    const l = await request.get(`/api/v1/tasks?kind=prelim_review&project_id=${projectId}`, { headers: drb1 })
    const items = (await l.json()).items as { id: string; assignee_id?: string }[]
    expect(items.map((t) => [t.id, t.assignee_id])).toEqual([[task, drb1Id]])
  }).toPass({ timeout: 20_000 })
})
