import { expect, test } from '@playwright/test'
import { accessible, apiLogin, login, personPage, planYear, shot } from './helpers'

// Issue 19 item 2, 撤回 through the screens: alice withdraws her submitted project on 项目详情
// with a reason while its preliminary review is untouched; it is a draft again (round 2) and
// the 撤回 button is gone. Creating and submitting are API setup.
test('撤回: alice withdraws her submitted project before the prelim review starts', async ({ browser, request }) => {
  const token = await apiLogin(request, 'alice')
  const auth = { Authorization: `Bearer ${token}` }
  const name = `撤回测试：社区养老服务平台 ${Date.now().toString(36)}`
  const r = await request.post('/api/v1/projects', { headers: auth, data: { name, type: 'new', plan_year: planYear,
    estimated_investment_fen: 120_000_000, description: `${name}：建设内容说明`, mlps_level: 2, uses_crypto: false } })
  expect(r.status(), await r.text()).toBe(201)
  const id = (await r.json()).id as string
  const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: auth })
  expect(s.status(), await s.text()).toBe(202)

  const alice = await personPage(browser)
  await login(alice, 'alice')
  await alice.goto(`/projects/${id}`)
  const withdraw = alice.getByTestId('withdraw')
  await expect(async () => {
    await alice.reload()
    await expect(withdraw).toBeVisible({ timeout: 1000 })
  }).toPass({ timeout: 20_000 })
  await withdraw.click()
  const dialog = alice.getByRole('dialog', { name: '撤回项目' })
  await expect(dialog).toBeVisible()
  await dialog.getByPlaceholder('撤回理由（可选）').fill('预算需重新测算')
  await accessible(alice, '撤回项目')
  await shot(alice, '40-withdraw-dialog')
  await dialog.getByRole('button', { name: '撤回' }).click()
  await expect(alice.getByText('已撤回，项目回到草稿')).toBeVisible()
  await expect(alice.getByTestId('project-stage')).toHaveText('草稿')
  await expect(withdraw).toBeHidden()
  await expect(alice.getByText('第 2 轮')).toBeVisible()
  await expect(alice.getByTestId('timeline')).toContainText('预算需重新测算')
  await shot(alice, '41-withdrawn')
})
