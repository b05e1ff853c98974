import { expect, test, type Browser, type Page } from '@playwright/test'
import { accessible, apiLogin, login, pdf, personPage, shot } from './helpers'

// Part 2's plan and approval scenario (issue 18), each step by the role the SPEC names and
// through the screens: a ≥ 10M project (alice, 市教育局) and a small one (bob, 市卫健委) pass
// DRB's preliminary review in 待办; DRB convenes the expert session on 专家评审 (recusal shown
// first); three experts score both; DRB compiles the plan on 年度计划 (a cut, totals from the
// server) and bundles the small one on 打捆; NDRC approves the large project with its checklist
// and cap, and the bundle; both are approved. Then the supervisor reassigns an overdue task,
// ops resets a stuck workflow, audit verifies and filters the log; each new page is checked
// by axe-core and photographed. Creating and submitting are API setup (part 1's screens).
test.describe.configure({ mode: 'serial' })

const year = Number(process.env.EGOVPM_PLAN_YEAR_2 ?? new Date().getFullYear() + 21)
const tag = Date.now().toString(36)
const large = `城市大脑教育数据中台（${tag}）`
const small = `社区卫生服务信息系统（${tag}）`
let largeId = ''
let smallId = ''
const pages: Record<string, Page> = {}

async function as(browser: Browser, user: string): Promise<Page> {
  if (!pages[user]) {
    pages[user] = await personPage(browser)
    await login(pages[user], user)
  }
  return pages[user]
}

/** decide opens the 审批 form of the task in row `row` of 待办 and chooses `decision`. */
async function openDecision(page: Page, rowText: string | RegExp, decision: string) {
  await page.goto('/tasks')
  const row = page.getByRole('row').filter({ hasText: rowText }).first()
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

test('setup: alice and bob submit a large and a small project (API)', async ({ request }) => {
  for (const [user, name, fen] of [['alice', large, 1_200_000_000], ['bob', small, 200_000_000]] as const) {
    const token = await apiLogin(request, user)
    const h = { Authorization: `Bearer ${token}` }
    const r = await request.post('/api/v1/projects', { headers: h, data: { name, type: 'new', plan_year: year,
      estimated_investment_fen: fen, description: `${name}：建设内容说明。`, mlps_level: 2, uses_crypto: false } })
    expect(r.status(), await r.text()).toBe(201)
    const id = (await r.json()).id as string
    if (user === 'alice') {
      largeId = id
      for (const kind of ['opinion', 'impl_plan']) {
        const up = await request.post(`/api/v1/projects/${id}/documents`, { headers: h,
          multipart: { kind, file: { name: kind === 'opinion' ? '项目意见书.pdf' : '实施方案.pdf', mimeType: 'application/pdf', buffer: pdf } } })
        expect(up.status(), await up.text()).toBe(201)
      }
    } else smallId = id
    const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: h })
    expect(s.status(), await s.text()).toBe(202)
  }
})

test('首页: each role sees its own figures, linked to the lists behind them', async ({ browser, request }) => {
  const alice = await as(browser, 'alice')
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
  const pick = drb1.getByRole('combobox', { name: '评审专家' })
  await pick.click({ force: true })
  for (const n of ['孙专家（市教育局）', '周专家', '吴专家']) await drb1.getByRole('option', { name: new RegExp('^' + n) }).click()
  await drb1.keyboard.press('Escape')
  const largeRow = rows.getByRole('row').filter({ hasText: large })
  await expect(largeRow).toContainText('孙专家（市教育局） 属于项目申报单位（市教育局），回避')
  await expect(largeRow).toContainText('还差 1 人')
  await expect(drb1.getByTestId('selection')).toContainText('须再增加 1 名非本单位专家')
  await expect(drb1.getByTestId('convene')).toBeDisabled()
  await accessible(drb1, '专家评审')
  await shot(drb1, '22-expert-session-recusal')

  // Without the unit's own expert, with 郑专家: both panels stand.
  await pick.click({ force: true })
  await drb1.getByRole('option', { name: /^孙专家/ }).click()
  await drb1.getByRole('option', { name: /^郑专家/ }).click()
  await drb1.keyboard.press('Escape')
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

test('drbsup reassigns an overdue task on 逾期督办', async ({ browser }) => {
  const name = process.env.EGOVPM_E2E_REASSIGN_NAME ?? ''
  const sup = await as(browser, 'drbsup')
  await expect(sup.getByTestId('all-overdue')).not.toHaveText('0')
  await sup.getByTestId('all-overdue').click()
  await expect(sup).toHaveURL(/\/overdue$/)
  const row = sup.getByTestId('overdue').getByRole('row').filter({ hasText: name })
  await expect(row).toContainText('逾期 3 天')
  await accessible(sup, '逾期督办')
  await shot(sup, '30-overdue')
  await row.getByRole('button', { name: /^转办/ }).click()
  const dlg = sup.getByRole('dialog', { name: '转办' })
  await dlg.getByRole('combobox', { name: '转办给' }).click({ force: true })
  await sup.getByRole('option', { name: /（市数据资源管理局）/ }).first().click()
  await dlg.getByLabel('转办理由').fill('原办理人休假，转其他审核人员办理。')
  await dlg.getByTestId('reassign-submit').click()
  await expect(dlg).toBeHidden()
  await expect(sup.getByTestId('overdue').getByRole('row').filter({ hasText: name })).not.toContainText('待签收')
})

test('ops1 resets a stuck workflow on 运维监控', async ({ browser }) => {
  const id = process.env.EGOVPM_E2E_STUCK_ID ?? ''
  const wf = `project:${id}`
  const ops = await as(browser, 'ops1')
  await ops.getByRole('menuitem', { name: '运维监控' }).click()
  const row = ops.getByTestId('stuck').getByRole('row').filter({ hasText: wf })
  await expect(row).toContainText('人工任务逾期未办', { timeout: 30_000 })
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
  await audit.getByRole('combobox', { name: '操作类型' }).click({ force: true })
  await audit.getByRole('option', { name: '运维操作' }).click()
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
  await accessible(audit, '审计日志')
  await shot(audit, '34-audit-log')
  await audit.getByRole('menuitem', { name: '全部任务' }).click()
  await expect(audit.getByTestId('all-tasks')).toBeVisible()
  await expect(audit.getByRole('button', { name: /^审批/ })).toHaveCount(0)
  await accessible(audit, '全部任务')
  await shot(audit, '35-audit-all-tasks')
})
