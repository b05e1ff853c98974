import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { accessible, apiLogin, login, personPage, pick, planYear, shot } from './helpers'

// Issue 19 item 5, 年度计划调整 through the screens: a planned project (bob's) and one awaiting
// the plan pass R3–R5 by API; drb1 proposes on 年度计划 to cut the planned amount and to add the
// other; NDRC (the approver of the 2021 policy the projects are pinned to) approves the
// 年度计划调整审批 task in 待办; the plan shows the new amounts.
// Its own plan year, from the Go test's allocation (server/a_browser_test.go: every year it
// hands out is fresh, so no other test's AnnualPlan workflow holds it).
const year = Number(process.env.EGOVPM_PLAN_YEAR_4 ?? planYear + 30)
const tag = Date.now().toString(36)
const planned = `计划调整测试：智慧停车平台（${tag}）`
const added = `计划调整测试：社区食堂监管（${tag}）`

async function as(request: APIRequestContext, user: string) {
  return { Authorization: `Bearer ${await apiLogin(request, user)}` }
}

/** until retries fn (a request that may meet a step not yet in the read model) until ok. */
async function until<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 150))
  }
  throw new Error('gave up waiting')
}

async function openTask(request: APIRequestContext, h: Record<string, string>, kind: string, id: string): Promise<string> {
  return until(async () => {
    const r = await request.get(`/api/v1/tasks?kind=${kind}&project_id=${id}`, { headers: h })
    const items = (await r.json()).items as { id: string }[]
    return items?.length ? items[0].id : undefined
  })
}

test('plan-adjust 计划调整: drb1 cuts a planned amount and adds a project on 年度计划, NDRC approves', async ({ browser, request }) => {
  const bob = await as(request, 'bob')
  const drb = await as(request, 'drb1')
  const ids: string[] = []
  for (const [name, fen] of [[planned, 300_000_000], [added, 200_000_000]] as const) {
    const r = await request.post('/api/v1/projects', { headers: bob, data: { name, type: 'new', plan_year: year,
      estimated_investment_fen: fen, description: `${name}：建设内容说明`, mlps_level: 2, uses_crypto: false } })
    expect(r.status(), await r.text()).toBe(201)
    const id = (await r.json()).id as string
    ids.push(id)
    expect((await request.post(`/api/v1/projects/${id}/submit`, { headers: bob })).status()).toBe(202)
    const t = await openTask(request, drb, 'prelim_review', id)
    const d = await request.post(`/api/v1/tasks/${t}/decision`, { headers: drb, data: { decision: 'approve', comment: '符合申报条件' } })
    expect(d.status(), await d.text()).toBe(200)
  }
  await until(async () => {
    const r = await request.post(`/api/v1/plans/${year}/expert-sessions`, { headers: drb,
      data: { expert_ids: ['u-exp2', 'u-exp3', 'u-exp4'], project_ids: ids, pick_reason: '测试指定专家' } })
    if (r.status() === 201) return true
    expect(r.status(), `only "not ready yet" is retried: ${await r.text()}`).toBe(409)
    return undefined
  })
  for (const e of ['exp2', 'exp3', 'exp4']) {
    const h = await as(request, e)
    for (const id of ids) {
      const t = await openTask(request, h, 'expert_review', id)
      const d = await request.post(`/api/v1/tasks/${t}/decision`, { headers: h, data: { decision: 'pass', score: 90, comment: '可行' } })
      expect(d.status(), await d.text()).toBe(200)
    }
  }
  await until(async () => {
    const r = await request.post(`/api/v1/plans/${year}/compile`, { headers: drb,
      data: { included: [{ project_id: ids[0], approved_amount_fen: 300_000_000 }] } })
    if (r.status() === 200) return true
    expect(r.status(), `only "not ready yet" is retried: ${await r.text()}`).toBe(409)
    return undefined
  })

  const drb1 = await personPage(browser)
  await login(drb1, 'drb1')
  const card = drb1.getByTestId('adjust-card')
  await expect(async () => {
    await drb1.goto(`/plan?year=${year}`)
    await expect(card.getByRole('row').filter({ hasText: planned })).toContainText('待批复', { timeout: 1000 })
    await expect(card.getByRole('row').filter({ hasText: added })).toBeVisible({ timeout: 1000 })
  }).toPass({ timeout: 30_000 })
  await pick(drb1, `调整方式：${planned}`, '调整金额')
  await card.getByLabel(`调整后金额（万元）：${planned}`).fill('250')
  await pick(drb1, `调整方式：${added}`, '增补列入')
  await card.getByLabel(`调整后金额（万元）：${added}`).fill('999')
  await card.getByLabel('调整理由').fill('年中财政预算调整')
  await card.getByTestId('adjust-submit').click()
  await expect(card.getByRole('alert')).toContainText('不超过估算投资')
  await accessible(drb1, '年度计划（计划调整）')
  await shot(drb1, '50-plan-adjust-form')
  await card.getByLabel(`调整后金额（万元）：${added}`).fill('180')
  await card.getByTestId('adjust-submit').click()
  await expect(drb1.getByText('计划调整已提交，待审批机关审批')).toBeVisible()

  const ndrc = await personPage(browser)
  await login(ndrc, 'ndrc1')
  await ndrc.goto('/tasks')
  const row = ndrc.getByRole('row').filter({ hasText: '年度计划调整审批' }).first()
  await expect(row).toBeVisible({ timeout: 30_000 })
  const claim = row.getByRole('button', { name: /^签收/ })
  if (await claim.count()) {
    await claim.click()
    await expect(row).toContainText('已签收（本人）')
  }
  await row.getByRole('button', { name: /^审批/ }).click()
  const dlg = ndrc.getByRole('dialog')
  await expect(dlg.getByTestId('adjustment')).toContainText('年中财政预算调整')
  await expect(dlg.getByTestId('adjustment')).toContainText(`增补列入 ${added}：180.00 万元`)
  await expect(dlg.getByTestId('adjustment')).toContainText(`调整金额 ${planned}：250.00 万元`)
  await dlg.getByText('通过', { exact: true }).click()
  await dlg.getByLabel('意见', { exact: true }).fill('同意调整。')
  await accessible(ndrc, '年度计划调整审批')
  await shot(ndrc, '51-plan-adjust-approval')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()

  const items = drb1.getByTestId('plan-items')
  await expect(async () => {
    await drb1.goto(`/plan?year=${year}`)
    await expect(items.getByRole('row').filter({ hasText: planned })).toContainText('250.00 万元', { timeout: 1000 })
    await expect(items.getByRole('row').filter({ hasText: added })).toContainText('180.00 万元', { timeout: 1000 })
  }).toPass({ timeout: 30_000 })
  await shot(drb1, '52-plan-adjusted', true)
})
