import { expect, test, type APIRequestContext } from '@playwright/test'
import { accessible, apiLogin, login, personPage, pick, shot, toggle } from './helpers'

// Issue 19 item 6, the task turns through the screens. 随机抽取 (R4): on 专家评审 DRB draws a
// panel of a specialty at random for the projects picked; the expert of alice's unit is
// recused before the draw, the draw's seed and candidates are shown and kept in the audit log;
// changing a drawn expert makes it a hand-pick that waits for a reason; the draw as drawn is
// convened without one. 抄送: drb1 approves a preliminary review in 待办 and CCs it to 黄财
// (市财政局), who finds it in the bell and opens the project. 委派: drb1 claims a preliminary
// review and delegates it to 赵督 on 待办; 赵督 approves it; drb1 sees it decided under 我委派的.
// Creating and submitting are API setup.
const year = Number(process.env.EGOVPM_PLAN_YEAR_3 ?? new Date().getFullYear() + 22)
const tag = Date.now().toString(36)
const names = { alice: `智慧校园安全平台（抽取 ${tag}）`, bob: `基层医疗数据平台（抽取 ${tag}）` }

async function submitted(request: APIRequestContext, user: string, name: string) {
  const h = { Authorization: `Bearer ${await apiLogin(request, user)}` }
  const r = await request.post('/api/v1/projects', { headers: h, data: { name, type: 'new', plan_year: year,
    estimated_investment_fen: 300_000_000, description: `${name}：建设内容说明。`, mlps_level: 2, uses_crypto: false } })
  expect(r.status(), await r.text()).toBe(201)
  const id = (await r.json()).id as string
  const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: h })
  expect(s.status(), await s.text()).toBe(202)
  return id
}

async function toExpertReview(request: APIRequestContext, user: 'alice' | 'bob') {
  const id = await submitted(request, user, names[user])
  const d = { Authorization: `Bearer ${await apiLogin(request, 'drb1')}` }
  await expect(async () => {
    const t = await request.get(`/api/v1/tasks?project_id=${id}`, { headers: d })
    const task = (await t.json()).items?.[0]
    expect(task?.kind).toBe('prelim_review')
    const a = await request.post(`/api/v1/tasks/${task.id}/decision`, { headers: d, data: { decision: 'approve', comment: '符合申报条件' } })
    expect(a.status(), await a.text()).toBe(200)
  }).toPass({ timeout: 20_000 })
}

test.describe('tasks-turns', () => {
  test('随机抽取: drb1 draws a panel by specialty with recusal; a changed draw needs a reason', async ({ browser, request }) => {
    await toExpertReview(request, 'alice')
    await toExpertReview(request, 'bob')

    const drb1 = await personPage(browser)
    await login(drb1, 'drb1')
    await drb1.goto(`/sessions?year=${year}`)
    const rows = drb1.getByTestId('panel-projects')
    await expect(async () => {
      await drb1.reload()
      await expect(rows.getByRole('row').filter({ hasText: names.bob })).toBeVisible({ timeout: 1000 })
    }).toPass({ timeout: 20_000 })
    await expect(rows.getByRole('row').filter({ hasText: names.alice })).toBeVisible()

    await expect(drb1.getByRole('combobox', { name: '抽取专业' })).toBeVisible()
    await drb1.getByRole('button', { name: '随机抽取专家' }).click()
    const result = drb1.getByTestId('draw-result')
    await expect(result).toContainText('随机种子')
    await expect(result).toContainText('候选 4 人')
    await expect(result).toContainText('回避 孙专家（市教育局）')
    await expect(drb1.getByTestId('selection')).toContainText('均符合规则')
    await expect(drb1.getByLabel('手工选择专家的理由')).toHaveCount(0)
    await expect(drb1.getByTestId('convene')).toBeEnabled()
    await accessible(drb1, '专家评审（随机抽取）')
    await shot(drb1, '50-expert-draw')

    // Swap one drawn expert for the one left: a hand-pick, which waits for a reason.
    const drawn = (await result.textContent())!.split('抽中 ')[1].split('。')[0].split('、')
    const left = ['周专家', '吴专家', '郑专家', '冯专家'].find((n) => !drawn.includes(n))!
    await toggle(drb1, '评审专家', [new RegExp('^' + drawn[0]), new RegExp('^' + left)])
    await expect(drb1.getByTestId('selection')).toContainText('均符合规则')
    const reason = drb1.getByLabel('手工选择专家的理由')
    await expect(reason).toBeVisible()
    await expect(drb1.getByTestId('convene')).toBeDisabled()
    await accessible(drb1, '专家评审（手工选择）')
    await shot(drb1, '51-expert-hand-pick-needs-reason')

    // A new draw, convened as drawn: no reason asked.
    await drb1.getByRole('button', { name: '随机抽取专家' }).click()
    await expect(reason).toHaveCount(0)
    const seed = (await result.textContent())!.match(/随机种子 (\d+)/)![1]
    await drb1.getByTestId('convene').click()
    await expect(drb1.getByTestId('convened')).toContainText(names.bob)
    await expect(rows.getByRole('row').filter({ hasText: names.alice })).toHaveCount(0)
    await shot(drb1, '52-expert-draw-convened')

    // The draw is in the audit log with its seed.
    const a = { Authorization: `Bearer ${await apiLogin(request, 'audit1')}` }
    const log = await request.get('/api/v1/audit?kind=expert.draw', { headers: a })
    expect(log.status()).toBe(200)
    expect(await log.text()).toContain(seed)
  })

  test('抄送: drb1 CCs a prelim approval to 黄财, who is told and reads the project', async ({ browser, request }) => {
    const name = `区域医疗影像共享平台（抄送 ${tag}）`
    await submitted(request, 'bob', name)
    const drb1 = await personPage(browser)
    await login(drb1, 'drb1')
    const row = drb1.getByRole('row').filter({ hasText: name })
    await expect(async () => {
      await drb1.goto('/tasks')
      await expect(row).toBeVisible({ timeout: 1000 })
    }).toPass({ timeout: 20_000 })
    const claim = row.getByRole('button', { name: /^签收/ })
    if (await claim.count()) {
      await claim.click()
      await expect(row).toContainText('已签收（本人）')
    }
    await row.getByRole('button', { name: /^审批/ }).click()
    const dlg = drb1.getByRole('dialog')
    await dlg.getByText('通过', { exact: true }).click()
    await dlg.getByLabel('意见').fill('同意，请市财政局知悉。')
    await toggle(drb1, '抄送人员', ['黄财（市财政局）'], dlg)
    await expect(dlg.getByTestId('cc-users')).toContainText('黄财（市财政局）')
    await expect(drb1.locator('.el-message')).toHaveCount(0, { timeout: 10_000 }) // the 签收 toast fades first
    await accessible(drb1, '审批（抄送）')
    await shot(drb1, '53-decision-cc')
    await dlg.getByRole('button', { name: '提交审批' }).click()
    await expect(dlg).toBeHidden()

    const fin1 = await personPage(browser)
    await login(fin1, 'fin1')
    const bell = fin1.getByTestId('bell')
    await expect(bell).toHaveAccessibleName(/条未读/, { timeout: 40_000 })
    await bell.click()
    const note = fin1.getByTestId('notification').filter({ hasText: `抄送：初审决定——${name}` })
    await expect(note).toBeVisible()
    await expect(note).toContainText('李审（市数管局）：通过。意见：同意，请市财政局知悉。')
    await shot(fin1, '54-cc-notification')
    await note.getByRole('button', { name: `抄送：初审决定——${name}`, exact: true }).click()
    await expect(fin1.getByTestId('project-name')).toHaveText(name)
    await accessible(fin1, '项目详情（抄送）')
    await shot(fin1, '55-cc-project')
  })

  test('委派: drb1 delegates a prelim review to 赵督, who decides it; drb1 sees it decided', async ({ browser, request }) => {
    const name = `社区养老服务平台（委派 ${tag}）`
    await submitted(request, 'alice', name)
    const drb1 = await personPage(browser)
    await login(drb1, 'drb1')
    const row = drb1.getByTestId('tasks').getByRole('row').filter({ hasText: name })
    await expect(async () => {
      await drb1.goto('/tasks')
      await expect(row).toBeVisible({ timeout: 1000 })
    }).toPass({ timeout: 20_000 })
    await row.getByRole('button', { name: `签收：${name}` }).click()
    await expect(row).toContainText('已签收（本人）')
    await row.getByRole('button', { name: `委派：${name}` }).click()
    const dlg = drb1.getByRole('dialog', { name: '委派' })
    await pick(drb1, '委派对象', '赵督（市数管局）', dlg)
    await dlg.getByLabel('委派事由').fill('本周出差，请代为初审。')
    await expect(drb1.locator('.el-message')).toHaveCount(0, { timeout: 10_000 })
    await accessible(drb1, '委派')
    await shot(drb1, '56-delegate-dialog')
    await dlg.getByRole('button', { name: '委派', exact: true }).click()
    await expect(dlg).toBeHidden()
    await expect(row).toHaveCount(0)
    const mine = drb1.getByTestId('delegated').getByRole('row').filter({ hasText: name })
    await expect(mine).toContainText('办理中')

    const sup = await personPage(browser)
    await login(sup, 'drbsup')
    await sup.goto('/tasks')
    const srow = sup.getByTestId('tasks').getByRole('row').filter({ hasText: name })
    await expect(srow).toContainText('已签收（本人）')
    await srow.getByRole('button', { name: `审批：${name}` }).click()
    const d = sup.getByRole('dialog')
    await d.getByText('通过', { exact: true }).click()
    await d.getByLabel('意见').fill('代为审核，同意。')
    await d.getByRole('button', { name: '提交审批' }).click()
    await expect(d).toBeHidden()

    await drb1.reload()
    await expect(mine).toContainText('已办结：通过（代为审核，同意。）')
    await accessible(drb1, '待办（我委派的）')
    await shot(drb1, '57-delegated-decided')
  })
})
