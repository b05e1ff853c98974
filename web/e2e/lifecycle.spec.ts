import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { accessible, apiLogin, login, pdf, personPage, pick, reassignIn, screens, shot, fixtureProjects, toggle } from './helpers'

// Part 2's whole chain (issue 18), ONE continuous serial run, each step by the role the SPEC
// names and through the screens, on the dev-only test policy (a trial run of seconds, O&M years
// of seconds). alice (市教育局) creates a ≥ 10M project through 新建项目, uploads the 项目意见书 and
// 实施方案 the policy asks for (R6) and submits; bob (市卫健委) creates and submits a small one.
// DRB passes both in preliminary review (待办); DRB convenes the expert session on 专家评审
// (recusal shown first); three experts score both; DRB compiles the plan on 年度计划 (a cut,
// totals from the server) and bundles the small one on 打捆; NDRC approves the large project with
// its checklist and cap, and the bundle. Then the SAME two projects are delivered: contract with
// the data three lists (R9, a field error on its cell), a payment recorded by the unit and
// confirmed by Finance, the funds chart moving (R15), completion (R10: bob's supervision
// sub-project, made through the form, makes the 监理报告 required), the trial-run countdown (R11),
// acceptance with DRB's sign-off and PRTA's witness, a rectification loop (R12), O&M filings and
// the overdue list (R13), the evaluation (R14); then each is retired through the API (the test
// policy's O&M years would otherwise roll on through the suite). Around them: the supervisor
// reassigns an overdue task, ops resets a stuck workflow, audit verifies and filters the log,
// the exports download, and an R8 special request (a draft whose window has closed, set up by
// server/e2e_browser_test.go) goes to the City Government. Each new page is checked by axe-core
// and photographed at 1366×768.
test.describe.configure({ mode: 'serial' })

const year = Number(process.env.EGOVPM_PLAN_YEAR_2 ?? new Date().getFullYear() + 21)
const tag = Date.now().toString(36)
const large = `城市大脑教育数据中台（${tag}）`
const small = `社区卫生服务信息系统（${tag}）`
let largeId = ''
let smallId = ''
const pages: Record<string, Page> = {}
// The R8 draft set up by the Go test (its plan year's submission window has closed).
const fx = fixtureProjects

/** retireAfterItsYears retires (系统下线) a project whose O&M steps are done, through the API as
 *  its unit's submitter. The test policy's O&M year is seconds long: left in O&M the project
 *  would continue as new every few seconds for the rest of the suite and send its unit an overdue
 *  notice each year (alice's bell held ~146 unread by workbench.spec's 08-notifications). The
 *  retirement through the screens is terminate.spec's. */
async function retireAfterItsYears(request: APIRequestContext, user: string, id: string) {
  const r = await request.post(`/api/v1/projects/${id}/retire`, {
    headers: { Authorization: `Bearer ${await apiLogin(request, user)}` },
    data: { reason: '浏览器测试：运维步骤已完成，系统下线。' },
  })
  expect(r.status(), await r.text()).toBe(200)
  expect((await r.json()).stage).toBe('closed')
}

async function as(browser: Browser, user: string): Promise<Page> {
  if (!pages[user]) {
    pages[user] = await personPage(browser)
    await login(pages[user], user)
  }
  return pages[user]
}

/** openDecision opens the 审批 form of the first 待办 row holding every one of `rowTexts`
 *  (claiming the task first when it is a pool task) and chooses `decision`. */
async function openDecision(page: Page, rowTexts: string | RegExp | (string | RegExp)[], decision: string) {
  await page.goto('/tasks')
  let row = page.getByRole('row')
  for (const t of Array.isArray(rowTexts) ? rowTexts : [rowTexts]) row = row.filter({ hasText: t })
  row = row.first()
  await expect(row).toBeVisible()
  const claim = row.getByRole('button', { name: /^签收/ })
  if (await claim.count()) {
    await claim.click()
    await expect(row).toContainText('已签收（本人）')
  }
  await row.getByRole('button', { name: /^审批/ }).click()
  const dlg = page.getByRole('dialog')
  await dlg.getByText(decision, { exact: true }).click()
  return dlg
}

async function submitDecision(dlg: ReturnType<Page['getByRole']>) {
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()
}

/** The Shanghai date `days` ago, as the date pickers take it. */
const daysAgo = (days: number) => new Date(Date.now() + 8 * 3600_000 - days * 86400_000).toISOString().slice(0, 10)

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
  const dlg = await openDecision(page, [project, kind], decision)
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

/** newProject fills 新建项目 as a unit's clerk does and saves the draft; it returns the new id. */
async function newProject(page: Page, p: { name: string; wan: string; description: string; mlps?: string; type?: string; parent?: string }) {
  await page.getByRole('menuitem', { name: '我的项目' }).click()
  await page.getByRole('button', { name: '新建项目' }).click()
  await expect(page.getByRole('heading', { name: '新建项目' })).toBeVisible()
  await page.getByLabel('项目名称').fill(p.name)
  if (p.type) await pick(page, '项目类型', p.type)
  if (p.parent) await pick(page, '主项目', p.parent)
  const y = page.getByLabel('计划年度')
  await y.fill(String(year))
  await y.press('Enter')
  await page.getByLabel('估算总投资（万元）').fill(p.wan)
  await page.getByLabel('建设内容说明').fill(p.description)
  if (p.mlps) await pick(page, '等保级别', p.mlps)
  await page.getByRole('radiogroup', { name: '部署方式' }).getByText('市政务云平台', { exact: true }).click()
  await expect(page.getByRole('radio', { name: '市政务云平台' })).toBeChecked()
  await page.getByText('江淮大数据中心六安市子平台', { exact: true }).click()
  await expect(page.getByRole('checkbox', { name: '江淮大数据中心六安市子平台' })).toBeChecked()
  await page.getByRole('button', { name: '保存草稿' }).click()
  await expect(page.getByTestId('project-name')).toHaveText(p.name)
  return new URL(page.url()).pathname.split('/').pop() ?? ''
}

async function submitProject(page: Page) {
  await page.getByTestId('submit').click()
  await confirmBox(page, '提交')
  await expect(stage(page)).toHaveText('初审')
}

test('alice and bob create their projects on 新建项目, upload what the policy asks for and submit', async ({ browser }) => {
  // ≥ 10M: decided alone, with the 项目意见书 and 实施方案 (R6); MLPS level 3 (R17 at acceptance).
  const alice = await as(browser, 'alice')
  largeId = await newProject(alice, { name: large, wan: '1200', mlps: '第 3 级', description: `${large}：建设全市教育数据中台，汇聚学籍、师资与教育资源数据。` })
  await expect(alice.getByText('1,200.00 万元')).toBeVisible()
  await upload(alice, '项目意见书', '项目意见书.pdf')
  await upload(alice, '实施方案', '实施方案.pdf')
  await shot(alice, '19-project-documents-before-submit')
  await submitProject(alice)
  // < 10M: goes into the year's bundle (R6), no document needed before approval.
  const bob = await as(browser, 'bob')
  smallId = await newProject(bob, { name: small, wan: '200', description: `${small}：建设社区卫生服务站的居民健康档案与随访系统。` })
  await submitProject(bob)
})

test('首页: each role sees its own figures, linked to the lists behind them', async ({ browser, request }) => {
  const alice = await as(browser, 'alice')
  await alice.goto('/')
  await expect(alice.getByRole('heading', { name: '首页' })).toBeVisible()
  await expect(alice.getByTestId('card-window')).toContainText('年度申报截止')
  await expect(alice.getByTestId('card-stages')).toContainText('初审')
  await accessible(alice, '首页（单位）')
  await shot(alice, '20-home-unit')
  // "共 N 个" is the server's total (the browser adds nothing up).
  const total = async (user: string) => {
    const r = await request.get('/api/v1/dashboard', { headers: { Authorization: `Bearer ${await apiLogin(request, user)}` } })
    expect(r.status(), await r.text()).toBe(200)
    const n = (await r.json()).total
    expect(n).toBeGreaterThan(0)
    return String(n)
  }
  await expect(alice.getByTestId('stages-total')).toHaveText(await total('alice'))
  // T4: a unit's O&M filings are on its projects' pages; the card lists its O&M projects.
  await expect(alice.getByTestId('om-filings-link')).toHaveAttribute('href', '/projects?stage=om')
  const drb1 = await as(browser, 'drb1')
  await expect(drb1.getByTestId('card-tasks')).toContainText('其中已逾期')
  await expect(drb1.getByTestId('chart').locator('svg')).toBeVisible()
  await expect(drb1.getByTestId('stages-total')).toHaveText(await total('drb1'))
  await accessible(drb1, '首页（数管局）')
  await shot(drb1, '21-home-drb')
  // T4: DRB's card opens the O&M filings due (运维备案, 待备案).
  await drb1.getByTestId('om-filings-link').click()
  await expect(drb1).toHaveURL(/\/om-filings\?status=due$/)
  await expect(drb1.getByRole('radio', { name: '待备案' })).toBeChecked()
  await drb1.goto('/')
  await drb1.getByTestId('card-stages').locator('[data-stage="prelim_review"]').click()
  await expect(drb1).toHaveURL(/\/projects\?stage=prelim_review/)
  await expect(drb1.getByRole('row').filter({ hasText: large })).toBeVisible()
})

test('drb1 passes both in preliminary review (待办)', async ({ browser }) => {
  const drb1 = await as(browser, 'drb1')
  for (const name of [large, small]) {
    const dlg = await openDecision(drb1, name, '通过')
    await dlg.getByLabel('意见', { exact: true }).fill('材料齐全，同意进入专家评审。')
    await submitDecision(dlg)
  }
})

test('drb1 convenes the expert session on 专家评审: recusal shown, then a panel that stands', async ({ browser }) => {
  const drb1 = await as(browser, 'drb1')
  await drb1.goto(`/sessions?year=${year}`)
  await expect(drb1.getByTestId('panel-rules')).toContainText('不少于 3 人且为奇数')
  const rows = drb1.getByTestId('panel-projects')
  await expect(rows.getByRole('row').filter({ hasText: large })).toBeVisible()
  await expect(rows.getByRole('row').filter({ hasText: small })).toBeVisible()
  await toggle(drb1, '评审专家', [/^孙专家（市教育局）/, /^周专家/, /^吴专家/])
  const largeRow = rows.getByRole('row').filter({ hasText: large })
  await expect(largeRow).toContainText('孙专家（市教育局） 属于项目申报单位（市教育局），回避')
  await expect(largeRow).toContainText('还差 1 人')
  await expect(drb1.getByTestId('selection')).toContainText('须再增加 1 名非本单位专家')
  await expect(drb1.getByTestId('convene')).toBeDisabled()
  await accessible(drb1, '专家评审')
  await shot(drb1, '22-expert-session-recusal')

  // Without the unit's own expert, with 郑专家: both panels stand.
  await toggle(drb1, '评审专家', [/^孙专家/, /^郑专家/])
  await expect(drb1.getByTestId('selection')).toContainText('均符合规则')
  await drb1.locator('label').filter({ hasText: '市财政局' }).click()
  await expect(drb1.getByRole('checkbox', { name: '市财政局' })).toBeChecked()
  // Hand-picked, not drawn (issue 19 item 6): the convene waits for a reason.
  await expect(drb1.getByTestId('convene')).toBeDisabled()
  await drb1.getByLabel('手工选择专家的理由').fill('需要熟悉教育与卫健系统的专家')
  await drb1.getByTestId('convene').click()
  await expect(drb1.getByTestId('convened')).toContainText('周专家')
  await expect(rows.getByRole('row').filter({ hasText: large })).toHaveCount(0)
  await shot(drb1, '23-expert-session-convened')
})

test('three experts score both projects (待办)', async ({ browser }) => {
  for (const [user, score] of [['exp2', '88'], ['exp3', '82'], ['exp4', '79']]) {
    const exp = await as(browser, user)
    for (const name of [large, small]) {
      const dlg = await openDecision(exp, name, '通过')
      await dlg.getByLabel('评分（0–100）').fill(score)
      await dlg.getByLabel('意见', { exact: true }).fill('方案可行。')
      await submitDecision(dlg)
    }
    await exp.context().close()
    delete pages[user]
  }
})

test('drb1 compiles the plan on 年度计划: a cut in 万元, totals from the server', async ({ browser }) => {
  const drb1 = await as(browser, 'drb1')
  await drb1.goto(`/plan?year=${year}`)
  const table = drb1.getByTestId('compile-table')
  await expect(table.getByRole('row').filter({ hasText: large })).toContainText('通过 3/3', { timeout: 30_000 })
  await expect(table.getByRole('row').filter({ hasText: small })).toBeVisible()
  await drb1.getByLabel(`计划金额（万元）：${large}`).fill('1,000')
  await expect(drb1.getByTestId('planned-total')).toHaveText('1,200.00 万元')
  await expect(drb1.getByTestId('plan-totals')).toContainText('核减 200.00 万元')
  await expect(drb1.getByTestId('totals-by-unit')).toContainText('市教育局')
  await accessible(drb1, '年度计划')
  await shot(drb1, '24-plan-compile', true)
  await drb1.getByTestId('compile-submit').click()
  await expect(drb1.getByTestId('plan-items').getByRole('row').filter({ hasText: large })).toContainText('1,000.00 万元')
  await expect(drb1.getByTestId('plan-card')).toContainText('计划合计')
  await shot(drb1, '25-plan-compiled', true)
})

test('drb1 bundles the small project on 打捆 and sees its members', async ({ browser }) => {
  const drb1 = await as(browser, 'drb1')
  await drb1.goto(`/bundles?year=${year}`)
  await expect(drb1.getByTestId('bundle-candidates').getByRole('row').filter({ hasText: small })).toBeVisible({ timeout: 30_000 })
  await expect(drb1.getByTestId('bundle-candidates')).not.toContainText(large)
  await accessible(drb1, '打捆')
  await shot(drb1, '26-bundle-candidates')
  await drb1.getByTestId('bundle-submit').click()
  const bundles = drb1.getByTestId('bundles')
  await expect(bundles).toContainText('待审批')
  await expect(bundles.getByRole('row').filter({ hasText: small })).toContainText('200.00 万元')
  await shot(drb1, '27-bundle-created')
})

test('drb1 prints the year\'s plan (included with amounts, totals, the bundle) and the bundle proposal (R5, R6)', async ({ browser }) => {
  const drb1 = await as(browser, 'drb1')
  await drb1.goto(`/plan?year=${year}`)
  await drb1.getByTestId('plan-print').click()
  await expect(drb1).toHaveURL(new RegExp(`/plans/${year}/print$`))
  const sheet = drb1.getByTestId('print-sheet')
  await expect(sheet.getByRole('heading', { level: 1 })).toHaveText(`${year} 年度政务信息化项目实施计划`)
  const items = sheet.getByTestId('print-plan-included')
  await expect(items.getByRole('row').filter({ hasText: large })).toContainText('1,000.00') // the cut amount, in 万元
  await expect(items.getByRole('row').filter({ hasText: small })).toContainText('打捆申报')
  await expect(sheet.getByTestId('print-plan-summary')).toContainText('计划金额合计 1,200.00 万元')
  await expect(sheet.getByTestId('print-plan-summary')).toContainText('核减 200.00 万元')
  await expect(sheet.getByTestId('print-totals-unit')).toContainText('市教育局')
  await expect(sheet.getByTestId('print-plan-bundles')).toContainText('待审批')
  await expect(sheet.getByTestId('print-foot')).toContainText('打印人：')
  await accessible(drb1, '打印年度计划')
  await drb1.emulateMedia({ media: 'print' })
  await expect(drb1.getByTestId('print-now')).toBeHidden()
  await shot(drb1, '27b-plan-print', true)
  const printed = await drb1.pdf({ path: `${screens}/27b-plan-print.pdf`, format: 'A4' })
  expect(printed.subarray(0, 5).toString()).toBe('%PDF-')
  await drb1.emulateMedia({ media: 'screen' })
  await drb1.getByTestId('print-back').click()
  await expect(drb1).toHaveURL(new RegExp(`/plan\\?year=${year}$`))

  // 打捆项目建议书 as sent to the NDRC: the member with its unit and plan amount, the total.
  await drb1.goto(`/bundles?year=${year}`)
  await drb1.getByTestId('bundle-print').first().click()
  await expect(drb1).toHaveURL(new RegExp(`/plans/${year}/bundles/[^/]+/print$`))
  const proposal = drb1.getByTestId('print-sheet')
  await expect(proposal.getByRole('heading', { level: 1 })).toHaveText(`${year} 年度政务信息化打捆项目建议书`)
  await expect(proposal.getByTestId('print-bundle-members').getByRole('row').filter({ hasText: small })).toContainText('市卫健委')
  await expect(proposal.getByTestId('print-bundle-members')).toContainText('合计（1 个项目）')
  await expect(proposal.getByTestId('print-bundle-intro')).toContainText('计划金额合计 200.00 万元')
  await expect(proposal.getByTestId('print-bundle-intro')).toContainText('审批状态：待审批')
  await accessible(drb1, '打印打捆项目建议书')
  await drb1.emulateMedia({ media: 'print' })
  await shot(drb1, '27c-bundle-print', true)
  await drb1.emulateMedia({ media: 'screen' })
  await drb1.getByTestId('print-back').click()
  await expect(drb1).toHaveURL(new RegExp(`/bundles\\?year=${year}$`))
  // An address that names no bundle of the year, or no year, says so instead of a blank sheet.
  await drb1.goto(`/plans/${year}/bundles/b-nope/print`)
  await expect(drb1.getByText('该年度计划中没有这个打捆项目')).toBeVisible()
  await expect(drb1.getByTestId('print-sheet')).toHaveCount(0)
  await drb1.goto('/plans/99/print')
  await expect(drb1.getByText('计划年度无效')).toBeVisible()
})

test('ndrc1 approves the large project with its checklist and cap, then the bundle', async ({ browser }) => {
  const ndrc = await as(browser, 'ndrc1')
  let dlg = await openDecision(ndrc, large, '通过')
  const list = dlg.getByTestId('checklist')
  await expect(list).toContainText('材料齐全')
  await expect(list.locator('[data-kind="opinion"]')).toContainText('已提交')
  await expect(list.locator('[data-kind="impl_plan"]')).toContainText('实施方案.pdf')
  await expect(dlg.getByTestId('cap')).toContainText('10,000,000.00 元')
  await dlg.getByLabel('批复金额').fill('10000000.01')
  await dlg.getByLabel('意见', { exact: true }).fill('同意批复。')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg.getByText('批复金额不能超过 10000000.00 元')).toBeVisible()
  await accessible(ndrc, '项目审批（清单）')
  await shot(ndrc, '28-approval-checklist')
  await dlg.getByLabel('批复金额').fill('9800000')
  await submitDecision(dlg)

  dlg = await openDecision(ndrc, '打捆项目审批', '通过')
  await expect(dlg.getByTestId('checklist')).toContainText(small)
  await expect(dlg.getByRole("checkbox", { name: `剔除：${small}` })).not.toBeChecked()
  await accessible(ndrc, '打捆项目审批')
  await shot(ndrc, '29-bundle-approval')
  await dlg.getByLabel('意见', { exact: true }).fill('同意打捆批复。')
  await submitDecision(dlg)

  // Both are approved (and move on to procurement, the unit's next step).
  const drb1 = await as(browser, 'drb1')
  for (const id of [largeId, smallId]) {
    await expect.poll(async () => {
      await drb1.goto(`/projects/${id}`)
      return drb1.getByTestId('project-stage').innerText()
    }, { timeout: 30_000 }).toMatch(/已批复|采购/)
  }
  await expect(drb1.getByTestId('timeline')).toContainText('打捆审批')
})

test('alice registers the contract with the data three lists; the API’s field error lands on its cell', async ({ browser }) => {
  const alice = await as(browser, 'alice')
  expect(largeId, 'made through 新建项目 above').toBeTruthy()
  // 我的项目: the approved project waits on the unit's contract.
  await alice.goto('/projects')
  await expect(alice.getByTestId('unit-todo')).toContainText(large)
  await alice.goto(`/projects/${largeId}`)
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
  const alice = await as(browser, 'alice')
  const fin1 = await as(browser, 'fin1')
  await alice.goto(`/projects/${largeId}`)
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

  await fin1.goto('/funds')
  await expect(fin1.getByTestId('funds-chart').first()).toBeVisible()
  const before = await fin1.getByTestId('funds-confirmed').innerText()
  await fin1.getByRole('menuitem', { name: '付款确认' }).click()
  const row = fin1.getByTestId('payments-list').getByRole('row').filter({ hasText: large })
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

test('completion, the trial-run countdown on the server’s clock, the acceptance checklist and application', async ({ browser }) => {
  const alice = await as(browser, 'alice')
  await alice.goto(`/projects/${largeId}`)
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
  const alice = await as(browser, 'alice')
  const drb1 = await as(browser, 'drb1')
  await decide(drb1, large, '验收材料审查', '通过', '验收材料齐全。')
  const prta1 = await as(browser, 'prta1')
  await decide(prta1, large, '验收见证', '不通过', '接口文档缺失，需整改后重新组织验收。')
  await alice.goto(`/projects/${largeId}`)
  await expect(stage(alice)).toHaveText('整改')
  await expect(alice.getByTestId('rectification')).toBeVisible()
  await accessible(alice, '整改')
  await shot(alice, '45-rectification')
  await alice.getByTestId('apply-acceptance').click()
  await confirmBox(alice, '确认')
  await expect(stage(alice)).toHaveText('竣工验收')

  await signOff(drb1, prta1, large, '整改完成，材料齐全。')
  await alice.goto(`/projects/${largeId}`)
  await expect(stage(alice)).toHaveText('运维')
})

test('alice files the O&M report of the year the server names; DRB evaluates; DRB sees overdue filings', async ({ browser, request }) => {
  const alice = await as(browser, 'alice')
  const drb1 = await as(browser, 'drb1')
  await alice.goto(`/projects/${largeId}`)
  await expect(alice.getByTestId('om')).toContainText('个运维年度')
  await fileOM(alice)
  await accessible(alice, '运维备案')
  await shot(alice, '46-om-filing', true)
  // Its record is long by now: the latest 12 entries, the earlier ones (from 创建草稿 on) on request.
  const timeline = alice.getByTestId('timeline')
  await expect(timeline.locator('.el-timeline-item')).toHaveCount(12)
  await expect(timeline).not.toContainText('创建草稿')
  await alice.getByTestId('timeline-earlier').click()
  await expect(timeline).toContainText('创建草稿')
  await expect(alice.getByTestId('timeline-earlier')).toBeHidden()
  await expect(timeline).toContainText('试运行期满 · 系统') // the platform's own steps, by name
  await expect(timeline).not.toContainText('system')

  // 打印: the whole record on an A4 sheet, with who printed it when; the buttons are not printed.
  const entries = await timeline.locator('.el-timeline-item').count()
  await alice.getByTestId('print').click()
  await expect(alice).toHaveURL(new RegExp(`/projects/${largeId}/print$`))
  const sheet = alice.getByTestId('print-sheet')
  await expect(sheet.getByTestId('print-name')).toHaveText(large)
  expect(await sheet.getByTestId('print-entry').count()).toBeGreaterThanOrEqual(entries) // O&M notices may have come since
  await expect(sheet.getByTestId('print-entry').first()).toContainText('创建草稿')
  await expect(sheet.getByTestId('print-timeline')).toContainText('试运行期满')
  await expect(sheet.getByTestId('print-foot')).toContainText('打印人：王丽（市教育局）')
  await expect(sheet.getByTestId('print-foot')).toContainText('单位：市教育局')
  await expect(sheet.getByTestId('print-foot')).toContainText(/打印时间：\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}（北京时间）/)
  await accessible(alice, '打印项目审批记录')
  await alice.setViewportSize({ width: 794, height: 1123 }) // A4 at 96 dpi
  await alice.emulateMedia({ media: 'print' })
  await expect(alice.getByTestId('print-now')).toBeHidden()
  await expect(sheet).toBeVisible()
  await shot(alice, '47-print', true)
  const printed = await alice.pdf({ path: `${screens}/47-print.pdf`, format: 'A4' })
  expect(printed.subarray(0, 5).toString()).toBe('%PDF-')
  await alice.emulateMedia({ media: null })
  await alice.setViewportSize({ width: 1366, height: 768 })
  await alice.getByTestId('print-back').click()
  await expect(alice).toHaveURL(new RegExp(`/projects/${largeId}$`))

  await decide(drb1, large, '绩效评估', '通过', '达到预期建设目标，数据共享成效明显。', async (dlg) => {
    await dlg.getByLabel('评分（0–100）').fill('88')
  })
  await drb1.goto(`/projects/${largeId}`)
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
    await expect(drb1.getByTestId('om-filings').getByRole('row').filter({ hasText: large }).first()).toBeVisible({ timeout: 2_000 })
  }).toPass({ timeout: 40_000 })
  await accessible(drb1, '运维备案（逾期）')
  await shot(drb1, '47-om-overdue')

  // R13 (issue 19 item 8): alice files an overdue year after all (逾期补报): accepted, marked late.
  await alice.goto(`/projects/${largeId}`)
  await alice.getByTestId('om').locator('.el-table input[type=file]').first()
    .setInputFiles({ name: '补报运维报告.pdf', mimeType: 'application/pdf', buffer: pdf })
  await expect(alice.getByText(/第 \d+ 个运维年度已逾期补报备案/)).toBeVisible()
  await expect(alice.getByTestId('om-late').first()).toHaveText('逾期补报')

  // T4: the unit's to-do lists the filing due.
  await alice.goto('/projects')
  await expect(alice.getByTestId('om-due').filter({ hasText: large })).toBeVisible()
  await shot(alice, '48-my-projects-om-due')
  await retireAfterItsYears(request, 'alice', largeId)
})

test('bob registers the bundled project’s contract; 完工 is refused without the 监理报告 (R10), then done; DRB confirms his payment', async ({ browser }) => {
  const drb1 = await as(browser, 'drb1')
  const bob = await as(browser, 'bob')
  // R10 (R1): bob adds the project's supervision (监理) sub-project on 新建项目; its 完工 then
  // needs the 监理报告.
  await newProject(bob, { name: `${small}监理`, wan: '10', type: '监理（第三方服务）', parent: `${small}（${year}）`, description: '工程监理服务' })
  await bob.goto(`/projects/${smallId}`)
  await bob.getByTestId('go-contract').click()
  await bob.getByLabel('供应商').fill('六安市健康信息技术有限公司')
  await bob.getByLabel('采购编号').fill('LA-ZC-2026-0902')
  await bob.getByLabel('合同金额').fill('2000000')
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
  await bob.getByLabel('付款金额').fill('600000')
  await bob.locator('#pay-date').fill(daysAgo(1))
  await bob.locator('#pay-date').press('Enter')
  await bob.getByTestId('payment-submit').click()
  await expect(bob.getByTestId('remaining')).toHaveText('1,400,000.00 元')
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
  await drb1.goto(`/projects/${smallId}`)
  const row = drb1.getByTestId('payments').getByRole('row').filter({ hasText: '预付款' })
  await row.getByTestId('payment-confirm').click()
  await confirmBox(drb1, '确认')
  await expect(row).toContainText('已确认')
  await accessible(drb1, '项目详情（DRB）')
})

test('the bundled project: trial run ends, bob applies with the checklist, DRB checks and signs off, PRTA witnesses; bob files O&M', async ({ browser, request }) => {
  const bob = await as(browser, 'bob')
  const drb1 = await as(browser, 'drb1')
  await bob.goto(`/projects/${smallId}`)
  const checklist = bob.getByTestId('acceptance-checklist')
  await expect(checklist.locator('[data-kind=trial_run_report]')).toContainText('未上传')
  await expect(checklist.locator('[data-kind=mlps_filing]')).toContainText('未上传') // R17: MLPS level 2
  await upload(bob, '试运行报告', '健康档案小程序试运行报告.pdf')
  await upload(bob, '等保备案', '健康档案小程序等保备案证明.pdf')
  await expect(checklist.getByText('未上传')).toHaveCount(0)
  await applyForAcceptance(bob)
  const prta1 = await as(browser, 'prta1')
  await signOff(drb1, prta1, small)
  await prta1.context().close()
  delete pages.prta1
  await bob.goto(`/projects/${smallId}`)
  await expect(stage(bob)).toHaveText('运维')
  await fileOM(bob)
  await bob.context().close()
  delete pages.bob
  await retireAfterItsYears(request, 'bob', smallId)
})

test('drbsup reassigns an overdue task on 逾期督办', async ({ browser, request }) => {
  const name = process.env.EGOVPM_E2E_REASSIGN_NAME ?? ''
  const sup = await as(browser, 'drbsup')
  await expect(sup.getByTestId('all-overdue')).not.toHaveText('0')
  // The menu's figure beside 逾期督办, in red, counts the tasks of its two views (overdue, or
  // held by a disabled user), each once.
  const overdue = sup.getByTestId('menu-count-overdue')
  const auth = { Authorization: `Bearer ${await apiLogin(request, 'drbsup')}` }
  await expect(async () => {
    const ids = new Set<string>()
    for (const q of ['', '&held_by_disabled=true']) {
      const r = await request.get(`/api/v1/tasks/overdue?limit=100${q}`, { headers: auth })
      for (const t of (await r.json()).items as { id: string }[]) ids.add(t.id)
    }
    await sup.reload()
    await expect(overdue).toHaveText(String(ids.size), { timeout: 2000 })
  }).toPass({ timeout: 20_000 })
  await expect(overdue).toHaveClass(/urgent/)
  await sup.getByTestId('all-overdue').click()
  await expect(sup).toHaveURL(/\/overdue$/)
  const row = sup.getByTestId('overdue').getByRole('row').filter({ hasText: name })
  await expect(row).toContainText('逾期 3 天')
  await accessible(sup, '逾期督办')
  await shot(sup, '30-overdue')
  await reassignIn(sup, row, /（市数据资源管理局）/, '原办理人休假，转其他审核人员办理。')
  await expect(sup.getByTestId('overdue').getByRole('row').filter({ hasText: name })).not.toContainText('待签收')
})

test('ops1 resets a stuck workflow on 运维监控', async ({ browser }) => {
  const id = process.env.EGOVPM_E2E_STUCK_ID ?? ''
  const wf = `project:${id}`
  const ops = await as(browser, 'ops1')
  await ops.getByRole('menuitem', { name: '运维监控' }).click()
  const row = ops.getByTestId('stuck').getByRole('row').filter({ hasText: wf })
  await expect(row).toContainText('人工任务逾期未办', { timeout: 30_000 })
  // The reason itself reads in Chinese: the task by its kind's name, who may claim it (O1).
  await expect(row).toContainText(/初审任务 \S+ 已于 .+（北京时间）到期，仍未办理（待签收，候选角色：数管局审核人员）/)
  await expect(row.getByRole('link', { name: `在 Temporal Web UI 中查看 ${wf}` }))
    .toHaveAttribute('href', `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(wf)}`)
  await accessible(ops, '运维监控')
  await shot(ops, '31-ops-stuck')
  await row.getByRole('button', { name: `重置：${wf}` }).click()
  const dlg = ops.getByRole('dialog')
  await dlg.getByTestId('ops-confirm').click()
  await expect(dlg.getByText('请填写操作原因')).toBeVisible()
  await dlg.getByLabel('操作原因').fill('逾期任务排查：重置到最后一个正常的工作流任务。')
  await shot(ops, '32-ops-confirm')
  await dlg.getByTestId('ops-confirm').click()
  await expect(dlg).toBeHidden()
  await expect(ops.getByTestId('ops-result').first()).toContainText(`已重置 ${wf}`)
  await expect(ops.getByTestId('ops-result').first()).toContainText('新运行')
  await shot(ops, '33-ops-reset-result')
})

test('audit1 verifies the chain, filters the log and reads every task', async ({ browser, request }) => {
  const audit = await as(browser, 'audit1')
  await audit.getByRole('menuitem', { name: '审计日志' }).click()
  await audit.getByTestId('verify').click()
  await expect(audit.getByTestId('verify-result')).toContainText('校验通过')
  await pick(audit, '操作类型', '运维操作')
  await audit.getByRole('button', { name: '查询' }).click()
  const rows = audit.getByTestId('audit-rows')
  // The unfiltered page shows 重置流程 too: wait until the filtered answer replaced it (no row
  // of another kind left), then check what it holds.
  await expect(rows.locator('[data-action]:not([data-action^="ops."])')).toHaveCount(0)
  await expect(rows).toContainText('重置流程')
  // The reset's row shows the trace id the API returns for it (issue 21 item 2), named for
  // what its button does.
  const a = { Authorization: `Bearer ${await apiLogin(request, 'audit1')}` }
  const log = await request.get('/api/v1/audit?kind=ops.reset&limit=1', { headers: a })
  expect(log.status()).toBe(200)
  const reset = (await log.json()).items[0]
  expect(reset.trace_id).toMatch(/^[0-9a-f]{32}$/)
  const resetRow = rows.getByRole('row').filter({ hasText: '重置流程' }).filter({ hasText: reset.object_id }).first()
  await expect(resetRow.getByRole('button', { name: `复制追踪编号 ${reset.trace_id}`, exact: true })).toHaveText(reset.trace_id)
  // The row reads in Chinese: its outcome, and its detail field by field (the raw JSON is the CSV's).
  await expect(resetRow.locator('[data-outcome]')).toHaveText('成功')
  await expect(resetRow.getByTestId('audit-detail')).toContainText('重置方式：最后一个正常的工作流任务')
  await expect(resetRow.getByTestId('audit-detail')).toContainText('理由：逾期任务排查：重置到最后一个正常的工作流任务。')
  // The object reads as the project's name, a link to its page, above the chain's type:id.
  expect(reset.project_id).toBe(reset.object_id.replace(/^project:/, ''))
  expect(reset.project_name).toBeTruthy()
  await expect(resetRow.getByRole('link', { name: reset.project_name, exact: true }))
    .toHaveAttribute('href', `/projects/${reset.project_id}`) // the reset project's page
  await expect(resetRow).toContainText(`workflow:${reset.object_id}`)
  await accessible(audit, '审计日志')
  await shot(audit, '34-audit-log')
  // A project's own rows link to it too.
  const stuck = process.env.EGOVPM_E2E_STUCK_ID ?? ''
  await audit.getByLabel('对象', { exact: true }).fill(`project:${stuck}`)
  await pick(audit, '操作类型', '项目')
  await audit.getByRole('button', { name: '查询' }).click()
  await expect(rows.locator('[data-action]:not([data-action^="project."])')).toHaveCount(0)
  await rows.getByRole('row').filter({ hasText: `project:${stuck}` }).first().getByRole('link').first().click()
  await expect(audit).toHaveURL(new RegExp(`/projects/${stuck}$`))
  // 审计记录 on the project's page: the rows about it — its own and its workflow's (the reset) —
  // and no other's, each naming it; 显示全部记录 lifts the filter.
  const stuckName = process.env.EGOVPM_E2E_STUCK_NAME ?? ''
  await audit.getByTestId('audit-trail').click()
  await expect(audit).toHaveURL(new RegExp(`/audit\\?project=${stuck}$`))
  await expect(audit.getByTestId('audit-project')).toContainText(`仅显示项目「${stuckName}」的审计记录`)
  await expect(rows.locator('[data-action="ops.reset"]').first()).toBeVisible()
  await expect(rows.locator('[data-action^="project."]').first()).toBeVisible()
  await expect(rows.locator('tbody tr').filter({ hasNotText: stuckName })).toHaveCount(0)
  await accessible(audit, '审计日志（一个项目）')
  await shot(audit, '34b-audit-project')
  // 导出本项目审计记录: the same rows as a workbook named after the project.
  const [trail] = await Promise.all([audit.waitForEvent('download'), audit.getByRole('button', { name: '导出本项目审计记录' }).click()])
  expect(trail.suggestedFilename()).toBe(`审计记录-${stuckName}.xlsx`)
  expect(readFileSync(await trail.path()).subarray(0, 2).toString()).toBe('PK')
  await audit.getByTestId('audit-all-projects').click()
  await expect(audit.getByTestId('audit-project')).toHaveCount(0)
  await expect(audit).toHaveURL(/\/audit$/)
  if (largeId) { // (set when the suite runs whole) people in a row's detail are named: the panel of alice's project
    await audit.getByRole('menuitem', { name: '审计日志' }).click()
    await audit.getByLabel('对象', { exact: true }).fill(`project:${largeId}`)
    await pick(audit, '操作类型', '专家评审')
    await audit.getByRole('button', { name: '查询' }).click()
    await expect(rows.locator('[data-action]:not([data-action^="expert_review."])')).toHaveCount(0)
    const convene = rows.getByRole('row').filter({ has: audit.locator('[data-action="expert_review.convene"]') })
    await expect(convene.locator('[data-key="experts"]')).toHaveText(/^专家：[^、u]+专家(、[^、u]+专家)+$/) // names (周专家、吴专家 …), not u-… ids
  }
  await audit.getByRole('menuitem', { name: '全部任务' }).click()
  await expect(audit.getByTestId('all-tasks')).toBeVisible()
  await expect(audit.getByRole('button', { name: /^审批/ })).toHaveCount(0)
  await accessible(audit, '全部任务')
  await shot(audit, '35-audit-all-tasks')
})

test('exports from the screens: 项目台账, 年度计划表, 资金拨付表, audit log', async ({ browser }) => {
  const drb1 = await as(browser, 'drb1')
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

  const audit1 = await as(browser, 'audit1')
  await audit1.goto('/exports')
  await expect(audit1.getByTestId('export-audit')).toBeVisible()
  const [log] = await Promise.all([audit1.waitForEvent('download'), audit1.getByTestId('export-audit').getByRole('button', { name: '导出 CSV' }).click()])
  expect(readFileSync(await log.path()).toString('utf8')).toContain('export.registry')
  await audit1.context().close()
  delete pages.audit1
})

test('R8: after the deadline alice uploads the 专题请示 and submits it as a special request', async ({ browser }) => {
  const alice = await as(browser, 'alice')
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
