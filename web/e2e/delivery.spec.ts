import { expect, test, type Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { accessible, login, pdf, personPage, shot } from './helpers'

// Part 2's delivery, funds and exports (issue 18), every step through the screens by the role
// the SPEC names, on the dev-only test policy (a trial run of seconds, O&M years of seconds).
// Set up through the API by server/e2e_browser_test.go: a ≥ 10M project of alice's and a
// bundled project of bob's, both approved (in procurement), and a draft of alice's whose
// submission window has closed.
test.describe.configure({ mode: 'serial' })

type Fixture = Record<'large' | 'bundled' | 'late', { id: string; name: string }>
const fx: Fixture = JSON.parse(process.env.EGOVPM_E2E_DELIVERY || '{}')
let alice: Page
let drb1: Page
let fin1: Page
let bob: Page

/** The Shanghai date `days` ago, as the date pickers take it. */
const daysAgo = (days: number) => new Date(Date.now() + 8 * 3600_000 - days * 86400_000).toISOString().slice(0, 10)

/** pick chooses an option of an Element Plus select, in the listbox that select controls. */
async function pick(page: Page, combobox: string, option: string) {
  const box = page.getByRole('combobox', { name: combobox })
  await box.click({ force: true })
  const listbox = page.locator(`[id="${await box.getAttribute('aria-controls')}"]`)
  await listbox.getByRole('option', { name: option, exact: true }).click()
  await expect(listbox).toBeHidden()
}

async function fillItem(page: Page, list: string, row: number, v: Record<string, string>) {
  const cell = (f: string) => page.getByLabel(`${list}第 ${row} 行：${f}`, { exact: true })
  for (const [f, val] of Object.entries(v)) {
    if (f === '共享条件') await pick(page, `${list}第 ${row} 行：共享条件`, val)
    else await cell(f).fill(val)
  }
}

async function upload(page: Page, kind: string, filename: string) {
  await pick(page, '文档类型', kind)
  await page.getByTestId('upload').locator('input[type=file]').setInputFiles({ name: filename, mimeType: 'application/pdf', buffer: pdf })
  await expect(page.getByRole('cell', { name: filename, exact: true })).toBeVisible()
}

async function confirmBox(page: Page, button: string) {
  await page.getByRole('dialog').getByRole('button', { name: button, exact: true }).click()
}

/** decide opens the person's 待办 row of a project's task kind and sends a decision. */
async function decide(page: Page, project: string, kind: string, decision: string, comment: string, extra?: (dlg: ReturnType<Page['getByRole']>) => Promise<void>) {
  await page.goto('/tasks')
  const row = page.getByRole('row').filter({ hasText: project }).filter({ hasText: kind })
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
  if (extra) await extra(dlg)
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()
  return dlg
}

const stage = (page: Page) => page.getByTestId('project-stage')

/** applyForAcceptance waits for the trial run's end on the server's clock (seconds under the test
 *  policy, R11) and applies for acceptance (R12). */
async function applyForAcceptance(page: Page) {
  await expect(page.getByTestId('countdown')).toContainText('已期满', { timeout: 30_000 })
  await page.getByTestId('apply-acceptance').click()
  await confirmBox(page, '确认')
  await expect(stage(page)).toHaveText('竣工验收')
}

/** signOff: DRB checks the acceptance materials and signs off, PRTA witnesses (R12). */
async function signOff(drb: Page, prta: Page, project: string, check = '验收材料齐全。') {
  await decide(drb, project, '验收材料审查', '通过', check)
  await decide(drb, project, '验收签署', '通过', '同意通过竣工验收。')
  await decide(prta, project, '验收见证', '通过', '验收程序合规，见证无异议。')
}

/** fileOM uploads the O&M report of the year the server names (R13). The test policy's O&M year
 *  is seconds long: the year named when the form was read may have closed by the time the report
 *  is in. The form then says so, and the next try files the year the server names then. */
async function fileOM(page: Page) {
  const file = page.getByTestId('om').locator('input[type=file]')
  for (let i = 0; i < 3; i++) {
    await file.first().setInputFiles({ name: '年度运维报告.pdf', mimeType: 'application/pdf', buffer: pdf })
    const done = page.getByText(/第 \d+ 个运维年度已备案/)
    const refused = page.getByTestId('om-error')
    await expect(done.or(refused)).toBeVisible()
    if (await done.isVisible()) break
    await page.reload()
  }
  await expect(page.getByTestId('om').locator('.el-table').getByText('已备案', { exact: true }).first()).toBeVisible()
}

test('alice registers the contract with the data three lists; the API’s field error lands on its cell', async ({ browser }) => {
  expect(fx.large?.id, 'the Go test passes the fixture').toBeTruthy()
  alice = await personPage(browser)
  await login(alice, 'alice')
  // 我的项目: the approved project waits on the unit's contract.
  await alice.goto('/projects')
  await expect(alice.getByTestId('unit-todo')).toContainText(fx.large.name)
  await alice.goto(`/projects/${fx.large.id}`)
  await expect(stage(alice)).toHaveText('采购')
  await alice.getByTestId('go-contract').click()
  await expect(alice.getByRole('heading', { name: '合同备案' })).toBeVisible()

  await alice.getByLabel('供应商').fill('安徽皖信数据科技有限公司')
  await alice.getByLabel('采购编号').fill('LA-ZC-2026-0815')
  await alice.getByLabel('合同金额').fill('9,000,000.00')
  await alice.locator('#ct-date').fill(daysAgo(3))
  await alice.locator('#ct-date').press('Enter')
  await fillItem(alice, '需求清单', 1, { 数据资源: '学生学籍信息', '提供/使用部门': '市教育局（提供）', 共享条件: '有条件共享',
    更新频率: '每学期', 江淮大数据中心六安市子平台接口: 'JH-LA-JY-0001' }) // 法律依据 left out
  await fillItem(alice, '责任清单', 1, { 数据资源: '教师资格信息', '提供/使用部门': '市教育局', 共享条件: '无条件共享',
    法律依据: '《安徽省政务数据资源管理办法》', 更新频率: '每月', 江淮大数据中心六安市子平台接口: 'JH-LA-JY-0002' })
  const negative = alice.getByTestId('list-negative')
  await negative.getByText('无此清单（须说明理由）').click()
  await negative.getByLabel('无此清单的理由').fill('本项目不涉及禁止共享的数据资源。')
  await alice.getByTestId('contract-submit').click()
  // R9 is the server's: its error on items[0].legal_basis is shown under that cell.
  await expect(alice.getByTestId('list-demand').getByRole('alert').filter({ hasText: '法律依据必填' })).toBeVisible()
  await accessible(alice, '合同备案')
  await shot(alice, '40-contract-form-error', true)
  await alice.getByLabel('需求清单第 1 行：法律依据', { exact: true }).fill('《政务信息资源共享管理暂行办法》')
  await alice.getByTestId('contract-submit').click()
  await expect(stage(alice)).toHaveText('建设')
  const contract = alice.getByTestId('contract')
  await expect(contract).toContainText('安徽皖信数据科技有限公司')
  await expect(contract).toContainText('9,000,000.00 元')
  await expect(alice.getByTestId('contract-list-negative')).toContainText('无此清单。理由：本项目不涉及禁止共享的数据资源。')
  await expect(alice.getByTestId('contract-list-demand')).toContainText('有条件共享')
})

test('alice records a payment, seeing what may still be recorded; fin1 confirms it; the funds chart moves', async ({ browser }) => {
  await alice.goto(`/projects/${fx.large.id}`)
  await expect(alice.getByTestId('payment-remaining')).toContainText('9,000,000.00 元')
  await alice.getByLabel('付款节点').fill('合同首付款（30%）')
  await alice.getByLabel('付款金额').fill('2700000')
  await alice.locator('#pay-date').fill(daysAgo(1))
  await alice.locator('#pay-date').press('Enter')
  await alice.getByTestId('payment-submit').click()
  await expect(alice.getByTestId('payments').getByRole('row').filter({ hasText: '合同首付款（30%）' })).toContainText('待确认')
  await expect(alice.getByTestId('remaining')).toHaveText('6,300,000.00 元')
  // The unit may not confirm what it recorded: it is offered no confirmation at all.
  await expect(alice.getByTestId('payment-confirm')).toHaveCount(0)
  await accessible(alice, '项目详情（建设、资金）')
  await shot(alice, '41-project-construction-payment', true)

  fin1 = await personPage(browser)
  await login(fin1, 'fin1')
  await fin1.goto('/funds')
  await expect(fin1.getByTestId('funds-chart').first()).toBeVisible()
  const before = await fin1.getByTestId('funds-confirmed').innerText()
  await fin1.getByRole('menuitem', { name: '付款确认' }).click()
  const row = fin1.getByTestId('payments-list').getByRole('row').filter({ hasText: fx.large.name })
  await expect(row).toContainText('合同首付款（30%）')
  await accessible(fin1, '付款确认')
  await shot(fin1, '42-payments-to-confirm')
  await row.getByTestId('payment-confirm').click()
  await confirmBox(fin1, '确认')
  await expect(row).toHaveCount(0) // the list shows those still to confirm
  await fin1.goto('/funds')
  await expect(fin1.getByTestId('funds-confirmed')).not.toHaveText(before)
  const n = (s: string) => Number(s.replace(/[^\d.]/g, ''))
  expect(n(await fin1.getByTestId('funds-confirmed').innerText()) - n(before)).toBeCloseTo(2_700_000, 2)
  await expect(fin1.getByTestId('funds-by-unit')).toContainText('市教育局')
  await fin1.waitForTimeout(600) // ECharts' entry animation
  await accessible(fin1, '资金报表')
  await shot(fin1, '43-funds-report', true)
})

test('completion, the trial-run countdown on the server’s clock, the acceptance checklist and application', async () => {
  await alice.goto(`/projects/${fx.large.id}`)
  await alice.getByTestId('construction-complete').click()
  await confirmBox(alice, '确认')
  await expect(stage(alice)).toHaveText('试运行')
  await expect(alice.getByTestId('countdown')).toContainText('试运行结束时间')
  const checklist = alice.getByTestId('acceptance-checklist')
  await expect(checklist.locator('[data-kind=trial_run_report]')).toContainText('未上传')
  await expect(checklist.locator('[data-kind=mlps_filing]')).toContainText('未上传') // R17: MLPS level 3
  await shot(alice, '44-trial-run')
  await upload(alice, '试运行报告', '试运行报告.pdf')
  await upload(alice, '等保备案', '等保备案证明.pdf')
  await expect(checklist.locator('[data-kind=trial_run_report]')).toContainText('已上传')
  await expect(checklist.locator('[data-kind=mlps_filing]')).toContainText('已上传')
  await accessible(alice, '试运行与验收')
  // R11: the test policy's trial run is seconds long; the countdown (server time) says when.
  await applyForAcceptance(alice)
})

test('DRB checks; PRTA’s witness fails: rectification; the unit applies again; DRB signs off, PRTA witnesses: O&M', async ({ browser }) => {
  drb1 = await personPage(browser)
  await login(drb1, 'drb1')
  await decide(drb1, fx.large.name, '验收材料审查', '通过', '验收材料齐全。')
  const prta1 = await personPage(browser)
  await login(prta1, 'prta1')
  await decide(prta1, fx.large.name, '验收见证', '不通过', '接口文档缺失，需整改后重新组织验收。')
  await alice.goto(`/projects/${fx.large.id}`)
  await expect(stage(alice)).toHaveText('整改')
  await expect(alice.getByTestId('rectification')).toBeVisible()
  await accessible(alice, '整改')
  await shot(alice, '45-rectification')
  await alice.getByTestId('apply-acceptance').click()
  await confirmBox(alice, '确认')
  await expect(stage(alice)).toHaveText('竣工验收')

  await signOff(drb1, prta1, fx.large.name, '整改完成，材料齐全。')
  await prta1.context().close()
  await alice.goto(`/projects/${fx.large.id}`)
  await expect(stage(alice)).toHaveText('运维')
})

test('alice files the O&M report of the year the server names; DRB evaluates; DRB sees overdue filings', async () => {
  await alice.goto(`/projects/${fx.large.id}`)
  await expect(alice.getByTestId('om')).toContainText('个运维年度')
  await fileOM(alice)
  await accessible(alice, '运维备案')
  await shot(alice, '46-om-filing', true)

  await decide(drb1, fx.large.name, '绩效评估', '通过', '达到预期建设目标，数据共享成效明显。', async (dlg) => {
    await dlg.getByLabel('评分（0–100）').fill('88')
  })
  await drb1.goto(`/projects/${fx.large.id}`)
  await expect(drb1.getByTestId('evaluation')).toContainText('88')
  await expect(drb1.getByTestId('evaluation')).toContainText('良好')
  // R14 (issue 19 item 9): each round is a row; the test policy evaluates at acceptance and
  // again every hour, so the next round's date is announced.
  await expect(drb1.getByTestId('evaluation').getByRole('row').filter({ hasText: '第 1 轮' })).toContainText('88')
  await expect(drb1.getByTestId('evaluation-next')).toContainText('下次绩效评价')
  await drb1.getByTestId('evaluation').scrollIntoViewIfNeeded()
  await accessible(drb1, '绩效评价')
  await shot(drb1, '46b-evaluation-rounds')

  // R13: unfiled years pass their deadline (seconds here) and are flagged overdue.
  await drb1.getByRole('menuitem', { name: '运维备案' }).click()
  await expect(drb1).toHaveURL(/\/om-filings$/)
  await expect(async () => {
    await drb1.reload() // as a person would, until the next deadline has passed
    await expect(drb1.getByTestId('om-filings').getByRole('row').filter({ hasText: fx.large.name }).first()).toBeVisible({ timeout: 2_000 })
  }).toPass({ timeout: 40_000 })
  await accessible(drb1, '运维备案（逾期）')
  await shot(drb1, '47-om-overdue')

  // R13 (issue 19 item 8): alice files an overdue year after all (逾期补报): accepted, marked late.
  await alice.goto(`/projects/${fx.large.id}`)
  await alice.getByTestId('om').locator('.el-table input[type=file]').first()
    .setInputFiles({ name: '补报运维报告.pdf', mimeType: 'application/pdf', buffer: pdf })
  await expect(alice.getByText(/第 \d+ 个运维年度已逾期补报备案/)).toBeVisible()
  await expect(alice.getByTestId('om-late').first()).toHaveText('逾期补报')

  // T4: the unit's to-do lists the filing due.
  await alice.goto('/projects')
  await expect(alice.getByTestId('om-due').filter({ hasText: fx.large.name })).toBeVisible()
  await shot(alice, '48-my-projects-om-due')
})

test('bob registers the bundled project’s contract; 完工 is refused without the 监理报告 (R10), then done; DRB confirms his payment', async ({ browser }) => {
  bob = await personPage(browser)
  await login(bob, 'bob')
  await bob.goto(`/projects/${fx.bundled.id}`)
  await bob.getByTestId('go-contract').click()
  await bob.getByLabel('供应商').fill('六安市健康信息技术有限公司')
  await bob.getByLabel('采购编号').fill('LA-ZC-2026-0902')
  await bob.getByLabel('合同金额').fill('2800000')
  await bob.locator('#ct-date').fill(daysAgo(2))
  await bob.locator('#ct-date').press('Enter')
  await fillItem(bob, '需求清单', 1, { 数据资源: '居民电子健康档案', '提供/使用部门': '市卫健委（提供）', 共享条件: '有条件共享',
    法律依据: '《国家健康医疗大数据标准、安全和服务管理办法》', 更新频率: '实时', 江淮大数据中心六安市子平台接口: 'JH-LA-WJ-0101' })
  await fillItem(bob, '责任清单', 1, { 数据资源: '健康档案数据质量', '提供/使用部门': '市卫健委', 共享条件: '不予共享',
    法律依据: '《个人信息保护法》', 更新频率: '每季度', 江淮大数据中心六安市子平台接口: '无' })
  await bob.getByTestId('list-negative').getByText('无此清单（须说明理由）').click()
  await bob.getByTestId('list-negative').getByLabel('无此清单的理由').fill('不涉及负面清单数据。')
  await bob.getByTestId('contract-submit').click()
  await expect(stage(bob)).toHaveText('建设')
  await bob.getByLabel('付款节点').fill('预付款')
  await bob.getByLabel('付款金额').fill('840000')
  await bob.locator('#pay-date').fill(daysAgo(1))
  await bob.locator('#pay-date').press('Enter')
  await bob.getByTestId('payment-submit').click()
  await expect(bob.getByTestId('remaining')).toHaveText('1,960,000.00 元')
  // R10: the project has a supervision sub-project; the server's checklist names the 监理报告
  // and refuses 完工 without it, in Chinese, changing nothing.
  const needed = bob.getByRole('list', { name: '完工所需材料' })
  await expect(needed.getByRole('listitem')).toHaveText(['未上传 监理报告'])
  await bob.getByTestId('construction-complete').click()
  await confirmBox(bob, '确认')
  await expect(bob.getByRole('alert').filter({ hasText: '缺少材料：监理报告。请先在“项目文档”中按类型上传。' })).toBeVisible()
  await expect(stage(bob)).toHaveText('建设')
  await accessible(bob, '完工（缺少监理报告）')
  await shot(bob, '45b-completion-needs-supervision-report')
  await upload(bob, '监理报告', '监理报告.pdf')
  await expect(needed.getByRole('listitem')).toHaveText(['已上传 监理报告'])
  await bob.getByTestId('construction-complete').click()
  await confirmBox(bob, '确认')
  await expect(stage(bob)).toHaveText('试运行')

  // DRB confirms payments too (R15), here from the project's page.
  await drb1.goto(`/projects/${fx.bundled.id}`)
  const row = drb1.getByTestId('payments').getByRole('row').filter({ hasText: '预付款' })
  await row.getByTestId('payment-confirm').click()
  await confirmBox(drb1, '确认')
  await expect(row).toContainText('已确认')
  await accessible(drb1, '项目详情（DRB）')
})

test('the bundled project: trial run ends, bob applies with the checklist, DRB checks and signs off, PRTA witnesses; bob files O&M', async ({ browser }) => {
  await bob.goto(`/projects/${fx.bundled.id}`)
  const checklist = bob.getByTestId('acceptance-checklist')
  await expect(checklist.locator('[data-kind=trial_run_report]')).toContainText('未上传')
  await expect(checklist.locator('[data-kind=mlps_filing]')).toContainText('未上传') // R17: MLPS level 2
  await upload(bob, '试运行报告', '健康档案小程序试运行报告.pdf')
  await upload(bob, '等保备案', '健康档案小程序等保备案证明.pdf')
  await expect(checklist.getByText('未上传')).toHaveCount(0)
  await applyForAcceptance(bob)
  const prta1 = await personPage(browser)
  await login(prta1, 'prta1')
  await signOff(drb1, prta1, fx.bundled.name)
  await prta1.context().close()
  await bob.goto(`/projects/${fx.bundled.id}`)
  await expect(stage(bob)).toHaveText('运维')
  await fileOM(bob)
  await bob.context().close()
})

test('exports from the screens: 项目台账, 年度计划表, 资金拨付表, audit log', async ({ browser }) => {
  await drb1.goto('/exports')
  await accessible(drb1, '数据导出')
  await shot(drb1, '49-exports')
  const [reg] = await Promise.all([drb1.waitForEvent('download'), drb1.getByTestId('export-registry').getByRole('button', { name: '导出 Excel' }).click()])
  expect(reg.suggestedFilename()).toBe('项目台账.xlsx')
  const bytes = readFileSync(await reg.path())
  expect(bytes.subarray(0, 2).toString()).toBe('PK') // a zip: .xlsx (its content is checked in Go)
  const [csv] = await Promise.all([drb1.waitForEvent('download'), drb1.getByTestId('export-payments').getByRole('button', { name: '导出 CSV' }).click()])
  const text = readFileSync(await csv.path())
  expect(text.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
  expect(text.toString('utf8')).toContain('合同首付款（30%）')

  const audit1 = await personPage(browser)
  await login(audit1, 'audit1')
  await audit1.goto('/exports')
  await expect(audit1.getByTestId('export-audit')).toBeVisible()
  const [log] = await Promise.all([audit1.waitForEvent('download'), audit1.getByTestId('export-audit').getByRole('button', { name: '导出 CSV' }).click()])
  expect(readFileSync(await log.path()).toString('utf8')).toContain('export.registry')
  await audit1.context().close()
})

test('R8: after the deadline alice uploads the 专题请示 and submits it as a special request', async () => {
  await alice.goto(`/projects/${fx.late.id}`)
  await expect(alice.getByTestId('deadline-passed')).toBeVisible()
  const card = alice.getByTestId('special-request')
  await expect(card.getByTestId('special-request-doc')).toHaveText('未上传')
  await accessible(alice, '专题请示')
  await shot(alice, '50-special-request')
  await alice.getByTestId('upload').locator('input[type=file]').setInputFiles({ name: '关于应急指挥平台建设的专题请示.pdf', mimeType: 'application/pdf', buffer: pdf })
  await expect(card.getByTestId('special-request-doc')).toHaveText('已上传')
  await alice.getByTestId('submit').click()
  await confirmBox(alice, '作为专题请示提交')
  await expect(stage(alice)).toHaveText('专题请示')
})

test('R8: gov1 approves the special request in 待办 with its checklist and cap; it joins the plan', async ({ browser }) => {
  const gov1 = await personPage(browser)
  await login(gov1, 'gov1')
  await gov1.getByRole('menuitem', { name: '待办' }).click()
  const row = gov1.getByTestId('tasks').getByRole('row').filter({ hasText: fx.late.name }).filter({ hasText: '专题请示审批' })
  await expect(row).toBeVisible({ timeout: 40_000 }) // the task opens once the workflow has the submission
  const claim = row.getByRole('button', { name: /^签收/ })
  if (await claim.count()) {
    await claim.click()
    await expect(row).toContainText('已签收（本人）')
  }
  await row.getByRole('button', { name: /^审批/ }).click()
  const dlg = gov1.getByRole('dialog')
  await expect(dlg).toContainText('审批：专题请示审批')
  const list = dlg.getByTestId('checklist')
  await expect(list).toContainText('材料齐全')
  await expect(list.locator('[data-kind="special_request"]')).toContainText('关于应急指挥平台建设的专题请示.pdf')
  await dlg.getByText('通过', { exact: true }).click()
  // R7: an unplanned project's approval is capped at its estimate (3,000,000 元).
  await expect(dlg.getByTestId('cap')).toContainText('3,000,000.00 元（项目估算投资')
  await dlg.getByLabel('批复金额').fill('3000000.01')
  await dlg.getByLabel('意见', { exact: true }).fill('同意列入年度计划。')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg.getByText('批复金额不能超过 3000000.00 元')).toBeVisible()
  await accessible(gov1, '专题请示审批')
  await shot(gov1, '51-special-request-approval')
  await dlg.getByLabel('批复金额').fill('2900000')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()
  await gov1.goto(`/projects/${fx.late.id}`)
  await expect(stage(gov1)).toHaveText('待批复')
  await gov1.context().close()
})
