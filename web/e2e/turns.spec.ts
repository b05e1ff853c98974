import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { accessible, apiLogin, login, personPage, planYear, shot } from './helpers'

// Issue 19's gateway turns, through the screens: DRB's reviewer approves three preliminary
// reviews at once on 待办 (批量通过), one of which another reviewer decided meanwhile, and reads
// each task's result; the unit urges (催办) its project's overdue task held by drb1, who is
// notified, and is told in Chinese when it urges again the same day. Creating and submitting
// are API setup; the overdue task is the Go test's (seedOverdue: EGOVPM_E2E_URGE_*).
test.describe.configure({ mode: 'serial' })

const tag = Date.now().toString(36)
const names = [1, 2, 3].map((i) => `街道网格治理平台 ${i} 期（批量审批 ${tag}）`)

async function submitted(request: APIRequestContext, token: string, name: string): Promise<string> {
  const auth = { Authorization: `Bearer ${token}` }
  const r = await request.post('/api/v1/projects', { headers: auth, data: { name, type: 'new', plan_year: planYear,
    estimated_investment_fen: 150_000_000, description: `${name}：建设内容说明`, mlps_level: 2, uses_crypto: false } })
  expect(r.status(), await r.text()).toBe(201)
  const id = (await r.json()).id as string
  const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: auth })
  expect(s.status(), await s.text()).toBe(202)
  return id
}

/** openTaskOf returns the id of the open preliminary review of project as user sees it. */
async function openTaskOf(request: APIRequestContext, token: string, project: string): Promise<string> {
  let id = ''
  await expect.poll(async () => {
    const r = await request.get(`/api/v1/tasks?kind=prelim_review&project_id=${project}`, { headers: { Authorization: `Bearer ${token}` } })
    id = ((await r.json()).items?.[0]?.id as string) ?? ''
    return id
  }, { timeout: 20_000 }).not.toBe('')
  return id
}

let drb1: Page

test('drb1 approves three preliminary reviews at once on 待办; the stale one says why', async ({ browser, request }) => {
  const alice = await apiLogin(request, 'alice')
  const ids: string[] = []
  for (const n of names) ids.push(await submitted(request, alice, n))
  const sup = await apiLogin(request, 'drbsup')
  const tasks: string[] = []
  for (const p of ids) tasks.push(await openTaskOf(request, sup, p))

  drb1 = await personPage(browser)
  await login(drb1, 'drb1')
  await drb1.goto('/tasks')
  for (const n of names) {
    await drb1.getByRole('checkbox', { name: `选择：${n}` }).check()
  }
  await expect(drb1.getByText('已选 3 项（初审）')).toBeVisible()
  await accessible(drb1, '待办（批量选择）')
  await shot(drb1, '60-inbox-bulk-selected')

  await drb1.getByRole('button', { name: '批量通过' }).click()
  const dlg = drb1.getByRole('dialog', { name: '批量通过' })
  await expect(dlg.getByTestId('bulk-confirm')).toContainText('3')
  for (const n of names) await expect(dlg.getByRole('list', { name: '将要办理的任务' })).toContainText(n)
  await accessible(drb1, '批量通过（确认）')
  // The dialog's live region is there, silent, before the request: a screen reader announces
  // 「正在逐项办理…」 only when it is put into a region already present.
  await expect(dlg.getByRole('status').and(dlg.getByTestId('bulk-busy'))).toHaveText('')
  await shot(drb1, '61-bulk-confirm')

  // Meanwhile the supervisor decides the third alone: stale for the bulk request.
  const r = await request.post(`/api/v1/tasks/${tasks[2]}/decision`, {
    headers: { Authorization: `Bearer ${sup}` }, data: { decision: 'approve', comment: '已单独审批' } })
  expect(r.status(), await r.text()).toBe(200)

  await dlg.getByRole('button', { name: /^确认批量通过/ }).click()
  await expect(dlg.getByTestId('bulk-summary')).toHaveText('已办理 2 项，1 项未办理')
  const results = dlg.getByTestId('bulk-results')
  for (const n of names.slice(0, 2)) {
    await expect(results.getByRole('row').filter({ hasText: n })).toContainText('成功')
    await expect(results.getByRole('row').filter({ hasText: n })).toContainText('项目进入「专家评审」')
  }
  await expect(results.getByRole('row').filter({ hasText: names[2] })).toContainText('未办理')
  await accessible(drb1, '批量通过（结果）')
  await shot(drb1, '62-bulk-results')
  await dlg.getByRole('button', { name: '关闭', exact: true }).click()
  await expect(dlg).toBeHidden()
  for (const n of names) await expect(drb1.getByRole('row').filter({ hasText: n })).toHaveCount(0)
})

test('alice urges her project’s overdue task; drb1 is told; a second urge the same day is refused in Chinese', async ({ browser }) => {
  const id = process.env.EGOVPM_E2E_URGE_ID ?? ''
  const name = process.env.EGOVPM_E2E_URGE_NAME ?? ''
  const alice = await personPage(browser)
  await login(alice, 'alice')
  await alice.goto(`/projects/${id}`)
  await expect(alice.getByTestId('project-name')).toHaveText(name)
  const row = alice.getByTestId('open-tasks').getByRole('row').filter({ hasText: '初审' })
  await expect(row).toContainText('已逾期')
  // Its 办理人 by name, not the user id (alice may not list users; the server names him).
  await expect(row).toContainText('李审（市数管局）')
  await expect(row).not.toContainText('u-drb1')
  await row.scrollIntoViewIfNeeded()
  await accessible(alice, '项目详情（催办）')
  await shot(alice, '63-project-overdue-task')

  await row.getByRole('button', { name: '催办：初审' }).click()
  const dlg = alice.getByRole('dialog', { name: '催办' })
  await dlg.getByLabel('留言（可选）').fill('开学在即，请于本周内完成初审。')
  await accessible(alice, '催办')
  await shot(alice, '64-urge-dialog')
  await dlg.getByRole('button', { name: '催办', exact: true }).click()
  await expect(alice.getByText('已催办，已通知 1 人')).toBeVisible()
  await expect(dlg).toBeHidden()
  await expect(alice.getByTestId('timeline')).toContainText('开学在即，请于本周内完成初审。')
  await expect(alice.getByTestId('timeline')).toContainText('催办')

  // Again: the server's refusal, in its words.
  await row.getByRole('button', { name: '催办：初审' }).click()
  await dlg.getByRole('button', { name: '催办', exact: true }).click()
  await expect(dlg.getByTestId('urge-error')).toContainText('催办过该任务')
  await accessible(alice, '催办（过于频繁）')
  await shot(alice, '65-urge-too-soon')
  await dlg.getByRole('button', { name: '取消' }).click()

  // drb1, who holds the task, finds the urge in the bell.
  await drb1.goto('/tasks')
  const bell = drb1.getByTestId('bell')
  await expect(bell).toHaveAccessibleName(/条未读/, { timeout: 40_000 })
  await bell.click()
  await expect(drb1.getByTestId('notification').filter({ hasText: `催办：初审已逾期` }).filter({ hasText: name })).toBeVisible()
  await shot(drb1, '66-urge-notification')
})
