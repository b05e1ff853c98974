import { expect, test } from '@playwright/test'
import { accessible, apiLogin, login, personPage, shot, fixtureProjects } from './helpers'

// 申请延期 (issue 19 item 4; R13, T4) through the screens: alice's project is in O&M (set up
// through the API by server/e2e_browser_test.go, under a test policy whose O&M year lasts an
// hour); on 项目详情 she asks to move the year's filing deadline 30 minutes later with a reason
// (the dialog refuses an empty form first), the button is gone while the request waits; drb1
// reads the request in 待办's decision dialog as 延期申请审核 and approves it; the project's O&M
// table shows the new due date and the timeline the request. alice's computer runs on UTC (a
// laptop never set to China's zone): what she types is Beijing time, and both of them see the
// same Beijing times.
test('申请延期: alice asks to extend her O&M filing deadline, drb1 approves it from 待办', async ({ browser, request }) => {
  const fx = fixtureProjects
  expect(fx.extend, 'the O&M project of the fixture for 申请延期').toBeTruthy()
  const alice = await personPage(browser, 'UTC')
  await login(alice, 'alice')
  await alice.goto(`/projects/${fx.extend.id}`)
  await expect(alice.getByTestId('project-stage')).toHaveText('运维')
  const detail = await request.get(`/api/v1/projects/${fx.extend.id}`, {
    headers: { Authorization: `Bearer ${await apiLogin(request, 'alice')}` },
  })
  const due = new Date(((await detail.json()).om_filings as { year: number; due_at: string }[])[0].due_at)
  const newDue = new Date(Math.floor(due.getTime() / 1000) * 1000 + 30 * 60 * 1000)
  const pad = (n: number) => String(n).padStart(2, '0')
  // The screens read and show Beijing time whatever the browser's zone: no daylight saving, UTC+8.
  const bj = new Date(newDue.getTime() + 8 * 3600 * 1000)
  const typed = `${bj.getUTCFullYear()}-${pad(bj.getUTCMonth() + 1)}-${pad(bj.getUTCDate())} ${pad(bj.getUTCHours())}:${pad(bj.getUTCMinutes())}:${pad(bj.getUTCSeconds())}`
  const shown = typed // every screen shows Beijing time in the picker's form (src/lib/time.ts)

  const ask = alice.getByTestId('request-extension')
  await ask.click()
  const dialog = alice.getByRole('dialog', { name: '申请延期' })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByTestId('extension-step')).toHaveText('第 1 个运维年度备案')
  await dialog.getByTestId('extension-submit').click()
  await expect(dialog.getByTestId('extension-error')).toContainText('请选择新的截止时间')
  const picker = dialog.getByLabel('新的截止时间')
  await picker.fill(typed)
  await picker.press('Enter')
  await dialog.getByLabel('延期理由').fill('运维服务单位更换，年度运维报告需重新编制')
  await dialog.getByText('延期理由', { exact: true }).click() // close the picker's panel
  await accessible(alice, '申请延期')
  await shot(alice, '74-extension-dialog')
  await dialog.getByTestId('extension-submit').click()
  await expect(alice.getByText('延期申请已提交，等待市数管局审核')).toBeVisible()
  await expect(dialog).toBeHidden()
  await expect(ask).toBeHidden() // one request at a time
  await expect(alice.getByTestId('timeline')).toContainText('申请延期')
  await expect(alice.getByTestId('timeline')).toContainText(shown)

  const drb = await personPage(browser)
  await login(drb, 'drb1')
  await drb.goto('/tasks')
  const row = drb.getByRole('row').filter({ hasText: fx.extend.name }).filter({ hasText: '延期申请审核' })
  await expect(row).toBeVisible()
  const claim = row.getByRole('button', { name: /^签收/ })
  if (await claim.count()) {
    await claim.click()
    await expect(row).toContainText('已签收（本人）')
  }
  await row.getByRole('button', { name: /^审批/ }).click()
  const dlg = drb.getByRole('dialog', { name: '审批' })
  await expect(dlg).toContainText('延期申请审核')
  await expect(dlg.getByTestId('extension-request')).toContainText('运维服务单位更换，年度运维报告需重新编制')
  await expect(dlg.getByTestId('extension-request')).toContainText(shown)
  await dlg.getByText('通过', { exact: true }).click()
  await dlg.getByLabel('意见').fill('同意延期，请按新的截止时间备案')
  await accessible(drb, '延期申请审核')
  await shot(drb, '75-extension-review')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()

  await alice.goto(`/projects/${fx.extend.id}`)
  await expect(alice.getByTestId('om').locator('.el-table')).toContainText(shown)
  await expect(alice.getByTestId('timeline')).toContainText('延期至')
  await expect(ask).toBeVisible() // the year is still open: another request may follow
  await accessible(alice, '延期后的项目')
  await shot(alice, '76-extension-approved', true)
})
