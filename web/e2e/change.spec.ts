import { expect, test, type Page } from '@playwright/test'
import { accessible, login, personPage, shot, fixtureProjects } from './helpers'

// Issue 19 items 3 and 10, 项目变更 through the screens: alice asks on 项目详情 to raise her
// approved project's amount; the change goes back to NDRC, which approves it from 待办; alice
// then asks for a scope change, which DRB rejects from 待办 with its reason; 变更记录 shows both.
// The project (≥ 10M, approved alone by NDRC, in procurement) is set up through the API by
// server/e2e_browser_test.go.
test.describe.configure({ mode: 'serial' })

const fx = fixtureProjects

/** decide opens the person's 待办 row of the project's 项目变更审批 and sends a decision. */
async function decide(page: Page, decision: string, comment: string) {
  await page.goto('/tasks')
  const row = page.getByRole('row').filter({ hasText: fx.change.name }).filter({ hasText: '项目变更审批' })
  await expect(row).toBeVisible()
  const claim = row.getByRole('button', { name: /^签收/ })
  if (await claim.count()) {
    await claim.click()
    await expect(row).toContainText('已签收（本人）')
  }
  await row.getByRole('button', { name: /^审批/ }).click()
  const dlg = page.getByRole('dialog')
  await dlg.getByText(decision, { exact: true }).click()
  await dlg.getByLabel('意见').fill(comment)
  return dlg
}

/** request files a change on alice's project page through the 项目变更 form. */
async function request(page: Page, kind: string, description: string, reason: string, amountYuan?: string, screen?: string) {
  await page.goto(`/projects/${fx.change.id}`)
  await page.getByTestId('change-start').click()
  const dlg = page.getByRole('dialog', { name: '项目变更' })
  await expect(dlg).toBeVisible()
  await dlg.getByText(kind, { exact: true }).click()
  if (amountYuan) await dlg.getByLabel('变更后批复金额（元）').fill(amountYuan)
  await dlg.getByLabel('变更内容').fill(description)
  await dlg.getByLabel('变更理由').fill(reason)
  if (screen) {
    await accessible(page, '项目变更')
    await shot(page, screen)
  }
  await dlg.getByTestId('change-submit').click()
  await expect(page.getByText('变更申请已提交，等待审批')).toBeVisible()
  await expect(dlg).toBeHidden()
}

test('change.spec: an amount increase goes back to NDRC, a scope change to DRB; 变更记录 keeps both', async ({ browser }) => {
  expect(fx.change?.id, 'the Go test passes the fixture').toBeTruthy()
  const alice = await personPage(browser)
  await login(alice, 'alice')
  await request(alice, '投资金额', '增加视频会商模块', '省级平台对接要求新增视频会商', '12000000', '50-change-form')
  const changes = alice.getByTestId('changes')
  await expect(changes).toContainText('待审批')
  await expect(changes).toContainText('发改委审批人（报原审批机关）')
  await expect(changes).toContainText('10,000,000.00 元 → 12,000,000.00 元')
  await expect(alice.getByTestId('change-start')).toBeHidden() // one change request at a time

  const ndrc1 = await personPage(browser)
  await login(ndrc1, 'ndrc1')
  const dlg = await decide(ndrc1, '通过', '同意增加投资，按新批复金额执行。')
  await accessible(ndrc1, '项目变更审批')
  await shot(ndrc1, '51-change-decision')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()

  await request(alice, '建设内容', '取消移动端建设内容', '需求调整，移动端由省级平台统一提供')
  const drb1 = await personPage(browser)
  await login(drb1, 'drb1')
  const reject = await decide(drb1, '不予通过', '移动端为考核指标，不同意取消。')
  await reject.getByRole('button', { name: '提交审批' }).click()
  await expect(reject).toBeHidden()

  await alice.goto(`/projects/${fx.change.id}`)
  await expect(changes.getByRole('row')).toHaveCount(3) // header + two changes
  await expect(changes).toContainText('已批准')
  await expect(changes).toContainText('未批准')
  await expect(changes).toContainText('移动端为考核指标，不同意取消。')
  await expect(alice.getByText('12,000,000.00 元').first()).toBeVisible()
  await expect(alice.getByTestId('change-start')).toBeVisible()
  await alice.getByTestId('changes-card').scrollIntoViewIfNeeded()
  await accessible(alice, '变更记录')
  await shot(alice, '52-change-history')
})
