import { expect, test } from '@playwright/test'
import { accessible, apiLogin, login, personPage, returnOverAPI, shot, submitProject } from './helpers'

// Issue 19 item 2, 撤回决定 through the screens: drb1 returned alice's project (API setup) and,
// before she resubmits, withdraws his return on 项目详情 with a reason: the project is back in
// 初审, the 撤回决定 button is gone, the timeline shows the withdrawal, and the task is in his
// 待办 again, assigned to him.
test('撤回决定: drb1 withdraws his return before the unit resubmits', async ({ browser, request }) => {
  const name = `撤回决定测试：智慧停车平台 ${Date.now().toString(36)}`
  const id = await submitProject(request, { name })
  const task = await returnOverAPI(request, id, '请补充停车泊位数据来源')

  const page = await personPage(browser)
  await login(page, 'drb1')
  await page.goto(`/projects/${id}`)
  await expect(page.getByTestId('project-stage')).toHaveText('退回修改')
  const undo = page.getByTestId('withdraw-decision')
  await expect(undo).toBeVisible()
  await accessible(page, '项目详情（可撤回决定）')
  await undo.click()
  const dialog = page.getByRole('dialog', { name: '撤回决定' })
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText('初审“退回修改”')
  await dialog.getByRole('button', { name: '撤回决定' }).click()
  await expect(dialog.getByText('请填写撤回理由')).toBeVisible()
  await dialog.getByPlaceholder('撤回理由（必填）').fill('退回意见有误，数据来源已在附件中')
  await accessible(page, '撤回决定')
  await shot(page, '50-withdraw-decision-dialog')
  await dialog.getByRole('button', { name: '撤回决定' }).click()
  await expect(page.getByText('已撤回决定，任务已回到您的待办')).toBeVisible()
  await expect(page.getByTestId('project-stage')).toHaveText('初审')
  await expect(undo).toBeHidden()
  await expect(page.getByTestId('timeline')).toContainText('撤回决定')
  await expect(page.getByTestId('timeline')).toContainText('退回意见有误，数据来源已在附件中')
  await shot(page, '51-decision-withdrawn', true)

  const drb = { Authorization: `Bearer ${await apiLogin(request, 'drb1')}` }
  const again = await request.get(`/api/v1/tasks/${encodeURIComponent(`${task}:w1`)}`, { headers: drb })
  expect(again.status(), await again.text()).toBe(200)
  expect((await again.json()).assignee_id).toBe('u-drb1')
})
