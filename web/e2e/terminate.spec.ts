import { expect, test, type Page } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { accessible, apiLogin, login, personPage, planYear, shot, fixtureProjects } from './helpers'

// Issue 19 item 4, 终止项目 through the screens: drb1 terminates alice's submitted project on
// 项目详情 (a reason required, then a confirmation); the project shows as closed with its reason,
// its prelim task is gone, and alice still reads it. Creating and submitting are API setup.
test('终止项目: drb1 terminates a project in preliminary review with a reason', async ({ browser, request }) => {
  const token = await apiLogin(request, 'alice')
  const auth = { Authorization: `Bearer ${token}` }
  const name = `终止测试：智慧停车诱导系统 ${Date.now().toString(36)}`
  const r = await request.post('/api/v1/projects', { headers: auth, data: { name, type: 'new', plan_year: planYear,
    estimated_investment_fen: 150_000_000, description: `${name}：建设内容说明`, mlps_level: 2, uses_crypto: false } })
  expect(r.status(), await r.text()).toBe(201)
  const id = (await r.json()).id as string
  const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: auth })
  expect(s.status(), await s.text()).toBe(202)

  const drb = await personPage(browser)
  await login(drb, 'drb1')
  await drb.goto(`/projects/${id}`)
  const terminate = drb.getByTestId('terminate')
  await expect(async () => {
    await drb.reload()
    await expect(terminate).toBeVisible({ timeout: 1000 })
    await expect(drb.getByTestId('open-tasks')).toContainText('初审', { timeout: 1000 })
  }).toPass({ timeout: 20_000 })
  await expect(drb.getByTestId('retire')).toBeHidden() // 系统下线 only in O&M
  await terminate.click()
  const dialog = drb.getByRole('dialog', { name: '终止项目' })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByTestId('close-settlement')).toBeHidden() // 终止结算 only for an approved project
  await dialog.getByTestId('close-confirm').click()
  await expect(dialog.getByTestId('close-error')).toContainText('请填写终止理由')
  await dialog.getByLabel('终止理由').fill('上级决定停建，需求并入省级平台')
  await expect(dialog.getByTestId('close-error')).toBeHidden()
  await accessible(drb, '终止项目')
  await shot(drb, '50-terminate-dialog')
  await dialog.getByTestId('close-confirm').click()
  const confirm = drb.getByRole('dialog', { name: '确认终止项目' })
  await expect(confirm).toContainText('此操作不可撤销')
  await shot(drb, '51-terminate-confirm')
  await confirm.getByRole('button', { name: '确定终止项目' }).click()
  await expect(drb.getByText('项目已终止').first()).toBeVisible()
  await expect(drb.getByTestId('project-stage')).toHaveText('已关闭')
  await expect(drb.getByTestId('closure')).toContainText('上级决定停建，需求并入省级平台')
  await expect(terminate).toBeHidden()
  await expect(drb.getByTestId('open-tasks')).toContainText('当前没有待处理的事项')
  await expect(drb.getByTestId('timeline')).toContainText('终止项目')
  await expect(drb.getByRole('heading', { name: '资金拨付' })).toBeHidden() // closed before approval: no delivery
  await accessible(drb, '已终止的项目')
  await shot(drb, '52-terminated', true)

  // A closed project stays readable by its unit.
  const alice = await personPage(browser)
  await login(alice, 'alice')
  await alice.goto(`/projects/${id}`)
  await expect(alice.getByTestId('project-stage')).toHaveText('已关闭')
  await expect(alice.getByTestId('closure')).toContainText('项目已终止')
  await expect(alice.getByTestId('terminate')).toBeHidden()
  await shot(alice, '53-terminated-unit')
})

/** dialogAccessible is accessible() for an open dialog alone: the O&M page behind it has the
 *  upload controls of 运维备案, whose el-upload nests a button (axe nested-interactive; not this
 *  spec's to fix, and gone once the project is closed, where the whole page is checked). */
async function dialogAccessible(page: Page, what: string) {
  await page.waitForLoadState('networkidle')
  const r = await new AxeBuilder({ page }).include('.el-overlay-dialog').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help}`), `${what}: serious or critical accessibility violations`).toEqual([])
}

// 系统下线 through the screens: alice retires her project in O&M (set up through the API by
// server/e2e_browser_test.go) on 项目详情 with a reason; O&M ends and the project shows as
// retired, which DRB reads too.
test('系统下线: alice retires her system from O&M with a reason', async ({ browser }) => {
  const fx = fixtureProjects
  expect(fx.om, 'the O&M project of the fixture').toBeTruthy()
  const alice = await personPage(browser)
  await login(alice, 'alice')
  await alice.goto(`/projects/${fx.om.id}`)
  await expect(alice.getByTestId('project-stage')).toHaveText('运维')
  await expect(alice.getByTestId('terminate')).toBeHidden() // 终止 is DRB's
  await alice.getByTestId('retire').click()
  const dialog = alice.getByRole('dialog', { name: '系统下线' })
  await expect(dialog).toBeVisible()
  await dialog.getByLabel('下线理由').fill('系统功能已并入市一体化政务服务平台，原系统停止运行')
  await dialogAccessible(alice, '系统下线')
  await shot(alice, '54-retire-dialog')
  await dialog.getByTestId('close-confirm').click()
  const confirm = alice.getByRole('dialog', { name: '确认系统下线' })
  await expect(confirm).toContainText('不再要求年度运维备案')
  await confirm.getByRole('button', { name: '确定系统下线' }).click()
  await expect(alice.locator('.el-message--success', { hasText: '系统已下线' })).toBeVisible() // the toast, not the closure
  await expect(alice.getByTestId('project-stage')).toHaveText('已关闭')
  await expect(alice.getByTestId('closure')).toContainText('系统已下线')
  await expect(alice.getByTestId('retire')).toBeHidden()
  await expect(alice.getByTestId('timeline')).toContainText('系统下线')
  await accessible(alice, '已下线的项目')
  await shot(alice, '55-retired')

  const drb = await personPage(browser)
  await login(drb, 'drb1')
  await drb.goto(`/projects/${fx.om.id}`)
  await expect(drb.getByTestId('closure')).toContainText('原系统停止运行')
  await expect(drb.getByTestId('terminate')).toBeHidden()
})

// 终止 with a final settlement (终止结算): drb1 terminates alice's project in construction (set
// up through the API) and approves 1,000,000.00 元 for work done; the closure shows it and alice
// can still record a payment, up to it.
test('终止结算: drb1 terminates a project in construction with a final settlement', async ({ browser }) => {
  const fx = fixtureProjects
  expect(fx.built, 'the construction project of the fixture').toBeTruthy()
  const drb = await personPage(browser)
  await login(drb, 'drb1')
  await drb.goto(`/projects/${fx.built.id}`)
  await expect(drb.getByTestId('project-stage')).toHaveText('建设')
  await drb.getByTestId('terminate').click()
  const dialog = drb.getByRole('dialog', { name: '终止项目' })
  await dialog.getByLabel('终止理由').fill('需求调整，已完成的数据接入部分据实结算')
  await dialog.getByLabel('终止结算金额（元，可选）').fill('1,000,000.00')
  await dialogAccessible(drb, '终止项目（终止结算）')
  await shot(drb, '56-terminate-settlement')
  await dialog.getByTestId('close-confirm').click()
  await drb.getByRole('dialog', { name: '确认终止项目' }).getByRole('button', { name: '确定终止项目' }).click()
  await expect(drb.getByTestId('closure')).toContainText('终止结算 1,000,000.00 元')

  const alice = await personPage(browser)
  await login(alice, 'alice')
  await alice.goto(`/projects/${fx.built.id}`)
  await expect(alice.getByTestId('closure')).toContainText('终止结算')
  await expect(alice.getByRole('heading', { name: '资金拨付' })).toBeVisible()
  await accessible(alice, '已终止的项目（终止结算）')
  await shot(alice, '57-terminated-settlement', true)
})

// 终止申请 through the screens (issue 19 item 4): alice asks on 项目详情 to terminate her
// submitted project (a reason required, then a confirmation); the button is gone while the
// request waits; drb1 approves it from 待办 (终止申请审核) and the project closes as terminated
// with alice's reason and DRB's comment, which alice reads. Creating and submitting are API setup.
test('终止申请: alice asks to terminate her project, drb1 approves it from 待办', async ({ browser, request }) => {
  const token = await apiLogin(request, 'alice')
  const auth = { Authorization: `Bearer ${token}` }
  const name = `终止申请测试：社区养老服务平台 ${Date.now().toString(36)}`
  const r = await request.post('/api/v1/projects', { headers: auth, data: { name, type: 'new', plan_year: planYear,
    estimated_investment_fen: 120_000_000, description: `${name}：建设内容说明`, mlps_level: 2, uses_crypto: false } })
  expect(r.status(), await r.text()).toBe(201)
  const id = (await r.json()).id as string
  const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: auth })
  expect(s.status(), await s.text()).toBe(202)

  const alice = await personPage(browser)
  await login(alice, 'alice')
  const ask = alice.getByTestId('request-termination')
  await expect(async () => {
    await alice.goto(`/projects/${id}`)
    await expect(ask).toBeVisible({ timeout: 1000 })
  }).toPass({ timeout: 20_000 })
  await expect(alice.getByTestId('terminate')).toBeHidden() // 终止 itself is DRB's
  await ask.click()
  const dialog = alice.getByRole('dialog', { name: '申请终止' })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByTestId('close-settlement')).toBeHidden()
  await dialog.getByTestId('close-confirm').click()
  await expect(dialog.getByTestId('close-error')).toContainText('请填写终止理由')
  await dialog.getByLabel('终止理由').fill('上级部门已统一建设同类平台，本项目不再实施')
  await accessible(alice, '申请终止')
  await shot(alice, '70-termination-request-dialog')
  await dialog.getByTestId('close-confirm').click()
  const confirm = alice.getByRole('dialog', { name: '确认申请终止' })
  await expect(confirm).toContainText('提交市数管局审核')
  await confirm.getByRole('button', { name: '确定申请终止' }).click()
  await expect(alice.getByText('终止申请已提交，等待市数管局审核')).toBeVisible()
  await expect(ask).toBeHidden() // one request at a time
  await expect(alice.getByTestId('project-stage')).not.toHaveText('已关闭')
  await expect(alice.getByTestId('timeline')).toContainText('申请终止')
  await accessible(alice, '终止申请待审核')
  await shot(alice, '71-termination-request-pending')

  const drb = await personPage(browser)
  await login(drb, 'drb1')
  await drb.goto('/tasks')
  const row = drb.getByRole('row').filter({ hasText: name }).filter({ hasText: '终止申请审核' })
  await expect(row).toBeVisible()
  const claim = row.getByRole('button', { name: /^签收/ })
  if (await claim.count()) {
    await claim.click()
    await expect(row).toContainText('已签收（本人）')
  }
  await row.getByRole('button', { name: /^审批/ }).click()
  const dlg = drb.getByRole('dialog', { name: '审批' })
  await expect(dlg).toContainText('终止申请审核')
  await dlg.getByText('通过', { exact: true }).click()
  await dlg.getByLabel('意见').fill('同意终止，已建设内容移交市级平台')
  await accessible(drb, '终止申请审核')
  await shot(drb, '72-termination-review')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()

  await alice.goto(`/projects/${id}`)
  await expect(alice.getByTestId('project-stage')).toHaveText('已关闭')
  await expect(alice.getByTestId('closure')).toContainText('项目已终止')
  await expect(alice.getByTestId('closure')).toContainText('上级部门已统一建设同类平台，本项目不再实施')
  await expect(alice.getByTestId('closure')).toContainText('同意终止，已建设内容移交市级平台')
  await expect(ask).toBeHidden()
  await accessible(alice, '终止申请通过后的项目')
  await shot(alice, '73-termination-request-closed', true)
})
