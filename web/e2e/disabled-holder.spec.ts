import { expect, test } from '@playwright/test'
import { accessible, apiLogin, heldByDisabled, login, personPage, pick, reassignIn, shot } from './helpers'

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

  // The menu's figure beside 逾期督办 counts the held task though it is not yet due, and drops
  // by it once it is moved.
  const figure = sup.getByTestId('menu-count-overdue')
  const before = Number(await figure.textContent())
  expect(before).toBeGreaterThan(0)
  await reassignIn(sup, row, '李审（市数管局）（市数据资源管理局）', '原办理人已离岗，账号停用，转其他审核人员办理。')
  await expect(sup.getByTestId('overdue').getByRole('row').filter({ hasText: project })).toHaveCount(0)
  if (before > 1) await expect(figure).toHaveText(String(before - 1))
  else await expect(figure).toHaveCount(0)
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

test('drbsup picks a disabled reviewer\'s tasks on 逾期督办 and 转办s them at once (批量转办); one closed meanwhile is said', async ({ browser, request }) => {
  const tag2 = `${Date.now().toString(36)}b`
  const projects = [`批量转办测试项目一（${tag2}）`, `批量转办测试项目二（${tag2}）`, `批量转办测试项目三（${tag2}）`]
  const { name, projectIds, tasks } = await heldByDisabled(request, tag2, ...projects)

  const sup = await personPage(browser)
  await login(sup, 'drbsup')
  await sup.goto('/overdue?view=disabled')
  const table = sup.getByTestId('overdue')
  for (const p of projects) {
    await table.getByRole('row').filter({ hasText: p }).getByRole('checkbox', { name: `选择：${p}` }).check()
  }
  await expect(sup.getByRole('group', { name: '批量转办' })).toContainText('已选 3 项')
  await sup.getByTestId('bulk-reassign').click()
  const dlg = sup.getByRole('dialog', { name: '批量转办' })
  await expect(dlg.getByTestId('bulk-reassign-what')).toContainText('批量转办 3 项任务（数管局审核人员）')
  // Nothing chosen yet: said in the form, nothing sent.
  await dlg.getByTestId('reassign-submit').click()
  await expect(dlg).toContainText('请选择转办对象')
  await pick(sup, '转办给', '李审（市数管局）（市数据资源管理局）', dlg)
  await dlg.getByLabel('转办理由').fill(`${name} 已离岗，其待办一并转李审办理。`)
  await expect(dlg).not.toContainText('请选择转办对象') // gone once answered
  await accessible(sup, '批量转办')
  await shot(sup, '30d-bulk-reassign')

  // Meanwhile (another window) the third task is taken over and decided: closed.
  const me = { Authorization: `Bearer ${await apiLogin(request, 'drbsup')}` }
  const meId = (await (await request.get('/api/v1/me', { headers: me })).json()).user.id as string
  let r = await request.post(`/api/v1/tasks/${encodeURIComponent(tasks[2])}/reassign`, { headers: me, data: { assignee_id: meId, reason: '本人先行办理' } })
  expect(r.status(), await r.text()).toBe(200)
  r = await request.post(`/api/v1/tasks/${encodeURIComponent(tasks[2])}/decision`, { headers: me, data: { decision: 'approve', comment: '符合申报条件' } })
  expect(r.status(), await r.text()).toBe(200)

  await dlg.getByTestId('reassign-submit').click()
  const failed = dlg.getByTestId('bulk-reassign-failures')
  await expect(failed).toContainText('已转办 2 项，1 项未转办：')
  await expect(failed).toContainText(projects[2])
  await accessible(sup, '批量转办：部分未转办')
  await shot(sup, '30e-bulk-reassign-partly')
  await dlg.getByRole('button', { name: '关闭', exact: true }).click()
  await expect(dlg).toBeHidden()
  for (const p of projects) await expect(table.getByRole('row').filter({ hasText: p })).toHaveCount(0)

  // The two are drb1's now, each moved as a 转办 alone would.
  const drb1 = { Authorization: `Bearer ${await apiLogin(request, 'drb1')}` }
  const drb1Id = (await (await request.get('/api/v1/me', { headers: drb1 })).json()).user.id as string
  for (const id of projectIds.slice(0, 2)) {
    await expect(async () => {
      const l = await request.get(`/api/v1/tasks?kind=prelim_review&project_id=${id}`, { headers: drb1 })
      expect(((await l.json()).items as { assignee_id?: string }[]).map((t) => t.assignee_id)).toEqual([drb1Id])
    }).toPass({ timeout: 20_000 })
  }
})
