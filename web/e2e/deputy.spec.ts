import { expect, test } from '@playwright/test'
import { accessible, apiLogin, login, personPage, pick, planYear, shot } from './helpers'

// 代理人 (issue 19 item 6) through the screens: drb1 holds a preliminary review (set up through
// the API); in 代理人设置 (the header) he records an absence of two hours with drbsup as his
// deputy; drbsup finds the task in 待办 as 办理人请假，可代理, takes it over (代理) and can then
// decide it; drb1 ends the absence in the same dialog.
test('代理人: drb1 sets drbsup as deputy, drbsup takes over his task from 待办', async ({ browser, request }) => {
  const alice = { Authorization: `Bearer ${await apiLogin(request, 'alice')}` }
  const name = `代理测试：公共资源交易平台 ${Date.now().toString(36)}`
  const r = await request.post('/api/v1/projects', { headers: alice, data: { name, type: 'new', plan_year: planYear,
    estimated_investment_fen: 120_000_000, description: `${name}：建设内容说明`, mlps_level: 2, uses_crypto: false } })
  expect(r.status(), await r.text()).toBe(201)
  const id = (await r.json()).id as string
  const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: alice })
  expect(s.status(), await s.text()).toBe(202)
  const drb1 = { Authorization: `Bearer ${await apiLogin(request, 'drb1')}` }
  let task = ''
  await expect(async () => {
    const l = await request.get(`/api/v1/tasks?project_id=${id}`, { headers: drb1 })
    task = ((await l.json()).items as { id: string }[])[0]?.id ?? ''
    expect(task).not.toBe('')
  }).toPass({ timeout: 20_000 })
  const c = await request.post(`/api/v1/tasks/${task}/claim`, { headers: drb1 })
  expect(c.status(), await c.text()).toBe(200)

  const me = await personPage(browser)
  // The dialog's code (a date picker, a table, a form) comes when it is first opened, not
  // with every page (PERFORMANCE §8).
  const fetched: string[] = []
  me.on('response', (res) => fetched.push(new URL(res.url()).pathname))
  const dialogCode = (p: string) => /\/assets\/AbsenceDialog-[^/]+\.js$/.test(p)
  await login(me, 'drb1')
  await me.waitForLoadState('networkidle')
  expect(fetched.filter(dialogCode)).toEqual([])
  await me.getByTestId('absence-open').click()
  const dialog = me.getByRole('dialog', { name: '代理人设置' })
  await expect(dialog).toBeVisible()
  expect(fetched.filter(dialogCode)).toHaveLength(1)
  await dialog.getByTestId('absence-save').click()
  await expect(dialog.getByTestId('absence-error')).toContainText('请选择代理人')
  await pick(me, '代理人', /赵督/, dialog)
  // Beijing time (playwright.config.ts), no daylight saving: UTC+8.
  const pad = (n: number) => String(n).padStart(2, '0')
  const bj = (d: Date) => {
    const b = new Date(d.getTime() + 8 * 3600 * 1000)
    return `${b.getUTCFullYear()}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())} ${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}:${pad(b.getUTCSeconds())}`
  }
  const start = dialog.getByPlaceholder('开始时间')
  await start.click()
  await start.fill(bj(new Date(Date.now() - 60_000)))
  const end = dialog.getByPlaceholder('结束时间')
  await end.fill(bj(new Date(Date.now() + 2 * 3600_000)))
  await end.press('Enter')
  await dialog.getByTestId('absence-reason').fill('参加省里培训')
  await dialog.getByRole('heading', { name: '新增请假' }).click() // close the picker's panel
  await accessible(me, '代理人设置')
  await shot(me, '77-deputy-settings')
  await dialog.getByTestId('absence-save').click()
  await expect(me.getByText('代理人已设置')).toBeVisible()
  await expect(dialog.getByTestId('absences')).toContainText('赵督（市数管局）')
  await expect(dialog.getByTestId('absences')).toContainText('参加省里培训')

  const dep = await personPage(browser)
  await login(dep, 'drbsup')
  await dep.goto('/tasks')
  const row = dep.getByRole('row').filter({ hasText: name })
  await expect(row).toContainText('办理人请假，可代理')
  await accessible(dep, '待办（代理）')
  await shot(dep, '78-deputy-inbox')
  await row.getByRole('button', { name: /^代理/ }).click()
  const confirm = dep.getByRole('dialog', { name: '确认代理' })
  await confirm.getByRole('button', { name: '确定代理' }).click()
  await expect(dep.getByText('已代理，可以审批')).toBeVisible()
  await expect(row).toContainText('已签收（本人）')
  await expect(row.getByRole('button', { name: /^审批/ })).toBeVisible()

  await dialog.getByRole('button', { name: /^结束请假/ }).click()
  await expect(me.getByText('请假已结束')).toBeVisible()
  await expect(dialog.getByTestId('absences')).not.toContainText('参加省里培训')
})
