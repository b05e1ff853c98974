import { expect, test, type Browser, type Page } from '@playwright/test'
import { accessible, apiLogin, fixtureProjects, heldByDisabled, password, planYear, reassignIn, shot, submitProject } from './helpers'

// 手机上办理: a reviewer decides on a phone and the unit reads the outcome on one. At a phone's
// width (390 × 844, touch) the menu is in a drawer opened from the header, 待办 and 已办 are lists of
// cards, the decision dialog and the notice drawer fit the screen, a form's labels sit above
// their fields and no page is wider than the screen. Creating and submitting the project is API
// setup; the rest is the screens, with the accessibility check on each.

async function phone(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
  return ctx.newPage()
}

async function phoneLogin(page: Page, user: string) {
  await page.goto('/login')
  await expect(page.getByTestId('login-help')).toBeVisible()
  await fits(page, '登录')
  await page.getByLabel('用户名').fill(user)
  await page.getByLabel('密码', { exact: true }).fill(password)
  await page.getByRole('button', { name: '登录' }).click()
  await expect(page.getByRole('button', { name: '打开菜单' })).toBeVisible()
}

/** fits fails when the page scrolls sideways: everything must fit the phone's width. */
async function fits(page: Page, what: string) {
  await page.waitForLoadState('networkidle')
  const [wide, screen] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])
  expect(wide, `${what}: the page is ${wide}px wide on a ${screen}px screen`).toBeLessThanOrEqual(screen)
}

test('手机: drb1 returns a project from 待办 on a phone, alice reads why on hers', async ({ browser, request }) => {
  const name = `手机审批测试：城市运行管理服务平台 ${Date.now().toString(36)}`
  const id = await submitProject(request, { name, fen: 380_000_000, mlps: 3, crypto: true, description: `${name}：汇聚热线、城管、应急数据` })

  // drb1: the header holds the menu button, the title and the bell; no sidebar.
  const drb = await phone(browser)
  await phoneLogin(drb, 'drb1')
  await expect(drb.getByRole('navigation', { name: '主菜单' })).toBeHidden()
  // One column, what waits for the person first: 待办事项 above the application window.
  const tasksCard = await drb.getByTestId('card-tasks').boundingBox()
  const windowCard = await drb.getByTestId('card-window').boundingBox()
  expect(tasksCard!.y, '待办事项 comes first on a phone').toBeLessThan(windowCard!.y)
  await fits(drb, '首页')
  await accessible(drb, '首页（手机）')
  await shot(drb, '80-phone-home')

  // The menu: the person, every item, 代理人设置 and 退出, in a drawer.
  await drb.getByRole('button', { name: '打开菜单' }).click()
  const menu = drb.getByRole('navigation', { name: '主菜单' })
  await expect(menu).toBeVisible()
  await expect(drb.getByTestId('menu-drawer')).toContainText('李审')
  await expect(drb.getByTestId('menu-drawer').getByRole('button', { name: '退出' })).toBeVisible()
  await accessible(drb, '菜单（手机）')
  await shot(drb, '81-phone-menu')
  await menu.getByRole('menuitem', { name: '待办' }).click()
  await expect(menu).toBeHidden() // going somewhere closes the drawer
  await expect(drb).toHaveURL(/\/tasks$/)

  // 待办 as cards: the project's prelim review, with its actions.
  const card = drb.getByTestId('task-card').filter({ hasText: name })
  await expect(async () => {
    await drb.getByRole('button', { name: '刷新' }).click()
    await expect(card).toBeVisible({ timeout: 1000 })
  }).toPass({ timeout: 20_000 })
  await expect(drb.getByTestId('tasks')).toHaveCount(0) // not the desk's table
  await expect(card).toContainText('初审')
  await expect(card).toContainText('截止')
  await fits(drb, '待办')
  await accessible(drb, '待办（手机）')
  await shot(drb, '82-phone-tasks')

  // The decision dialog fits the screen, its labels above its fields.
  await card.getByRole('button', { name: `审批：${name}` }).click()
  const dialog = drb.getByRole('dialog', { name: '审批' })
  await expect(dialog).toBeVisible()
  const box = (await dialog.locator('.el-dialog').first().boundingBox()) ?? (await dialog.boundingBox())
  expect(box, 'the dialog has a box').not.toBeNull()
  expect(box!.x).toBeGreaterThanOrEqual(0)
  expect(box!.x + box!.width).toBeLessThanOrEqual(390)
  const label = await dialog.getByText('意见', { exact: true }).boundingBox()
  const field = await dialog.getByPlaceholder('退回、不通过时须写明意见').boundingBox()
  expect(label!.y + label!.height, 'the label 意见 sits above its field').toBeLessThanOrEqual(field!.y)
  await dialog.getByText('退回修改', { exact: true }).click()
  await dialog.getByLabel('意见').fill('请补充数据共享清单和等保测评方案')
  await accessible(drb, '审批（手机）')
  await shot(drb, '83-phone-decide')
  await dialog.getByTestId('decision-submit').click()
  await expect(drb.getByText('已提交：退回修改')).toBeVisible()
  await expect(card).toBeHidden()

  // 已办 as cards too: what drb1 decided, with his opinion, when; the project one tap away.
  await drb.getByRole('button', { name: '打开菜单' }).click()
  await drb.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '已办' }).click()
  await expect(drb).toHaveURL(/\/done$/)
  const done = drb.getByTestId('done-card').filter({ hasText: name })
  await expect(done).toContainText('初审')
  await expect(done).toContainText('退回修改')
  await expect(done).toContainText('请补充数据共享清单和等保测评方案')
  await expect(done).toContainText(`${planYear} 年度`)
  await expect(drb.getByTestId('done-tasks')).toHaveCount(0) // not the desk's table
  await expect(done.getByRole('link', { name })).toHaveAttribute('href', `/projects/${id}`)
  await fits(drb, '已办')
  await accessible(drb, '已办（手机）')
  await shot(drb, '83b-phone-done')

  // alice: the bell says so; its drawer takes the screen; the notice opens the project.
  const alice = await phone(browser)
  await phoneLogin(alice, 'alice')
  const notice = alice.getByTestId('notification').filter({ hasText: name })
  await expect(async () => {
    await alice.getByTestId('bell').click()
    await expect(notice.first()).toBeVisible({ timeout: 1500 })
  }).toPass({ timeout: 20_000 })
  const drawer = alice.getByRole('dialog', { name: '通知' })
  // Once it has slid in: from the left edge to the right, the phone's whole width.
  await expect.poll(async () => {
    const b = await drawer.boundingBox()
    return b && [Math.round(b.x), Math.round(b.width)]
  }, { message: 'the notice drawer takes the phone\'s width' }).toEqual([0, 390])
  await expect(notice.first()).toContainText('请补充数据共享清单和等保测评方案')
  await accessible(alice, '通知（手机）')
  await shot(alice, '84-phone-notice')
  await notice.first().getByRole('button', { name: /^项目被退回修改/ }).click()
  await expect(alice).toHaveURL(new RegExp(`/projects/${id}$`))
  await expect(alice.getByTestId('returned-alert')).toBeVisible()
  // The lifecycle runs down the screen, the current stage marked.
  await expect(alice.getByTestId('lifecycle').locator('[aria-current="step"]')).toContainText('退回修改')
  await expect(alice.getByTestId('lifecycle').locator('.el-steps--vertical')).toBeVisible()
  await expect(alice.getByTestId('timeline')).toContainText('请补充数据共享清单和等保测评方案')
  await fits(alice, '项目详情')
  await accessible(alice, '项目详情（手机）')
  await shot(alice, '85-phone-project')

  // She revises it on the phone: the form fits, and asks what a project made over the API left
  // out (基础共用: 部署方式, 未填写 until now).
  await expect(alice.getByText('未填写').first()).toBeVisible()
  await alice.getByRole('button', { name: '修改', exact: true }).click()
  await expect(alice.getByRole('heading', { name: '修改项目' })).toBeVisible()
  await alice.getByRole('button', { name: '保存修改' }).click()
  await expect(alice.getByText('请选择部署方式')).toBeVisible()
  await alice.getByRole('radiogroup', { name: '部署方式' }).getByText('市政务云平台', { exact: true }).click()
  await alice.getByText('一体化在线政务服务平台（皖事通办）', { exact: true }).click()
  await fits(alice, '修改项目')
  await accessible(alice, '修改项目（手机）')
  await shot(alice, '85b-phone-edit')
  await alice.getByRole('button', { name: '保存修改' }).click()
  await expect(alice).toHaveURL(new RegExp(`/projects/${id}$`))
  await expect(alice.getByText('一体化在线政务服务平台（皖事通办）', { exact: true })).toBeVisible()

  // 我的项目 from the menu: cards, the project's stage on its card.
  await alice.getByRole('button', { name: '打开菜单' }).click()
  await alice.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '我的项目' }).click()
  const own = alice.getByTestId('project-card').filter({ hasText: name })
  await expect(own).toContainText('退回修改')
  await expect(own).toContainText(`${planYear} 年度 · 新建 · 估算 380.00 万元`)
  await fits(alice, '我的项目')
  await accessible(alice, '我的项目（手机）')
  await shot(alice, '86-phone-projects')

  // A phone turned sideways is wider than the phone layout: the desk's sidebar is back.
  await alice.setViewportSize({ width: 1024, height: 768 })
  await expect(alice.getByRole('navigation', { name: '主菜单' })).toBeVisible()
  await expect(alice.getByRole('button', { name: '打开菜单' })).toBeHidden()
})

test('手机: drbsup 转办s a disabled reviewer\'s task from 逾期督办 on a phone', async ({ browser, request }) => {
  const tag = `${Date.now().toString(36)}p`
  const project = `手机转办测试项目（${tag}）`
  const { name } = await heldByDisabled(request, tag, project)

  const sup = await phone(browser)
  await phoneLogin(sup, 'drbsup')
  await sup.getByTestId('held-by-disabled').click()
  await expect(sup).toHaveURL(/\/overdue\?view=disabled$/)
  // A card a task, as in 待办: who holds it (已停用), not yet due, 转办.
  const card = sup.getByTestId('overdue-card').filter({ hasText: project })
  await expect(card).toContainText(name)
  await expect(card).toContainText('已停用')
  await expect(card).toContainText('未到期')
  await expect(sup.getByTestId('overdue')).toHaveCount(0) // not the desk's table
  await fits(sup, '逾期督办')
  await accessible(sup, '逾期督办（手机）')
  await shot(sup, '87-phone-overdue')
  await reassignIn(sup, card, '李审（市数管局）（市数据资源管理局）', '原办理人已离岗，转其他审核人员办理。', async (dlg) => {
    const box = await dlg.locator('.el-dialog').first().boundingBox()
    expect(box, 'the dialog has a box').not.toBeNull()
    expect(box!.x).toBeGreaterThanOrEqual(0)
    expect(box!.x + box!.width, 'the 转办 dialog fits the phone').toBeLessThanOrEqual(390)
    await accessible(sup, '转办（手机）')
  })
  await expect(card).toHaveCount(0)
})

test('手机: fin1 confirms a payment from 付款确认 on a phone', async ({ browser, request }) => {
  // alice records the payment over the API (setup); fin1 confirms it on a phone, from a card.
  const fx = fixtureProjects.paying
  const tag = Date.now().toString(36)
  const milestone = `合同首付款（手机）${tag}`
  const token = await apiLogin(request, 'alice')
  const r = await request.post(`/api/v1/projects/${fx.id}/payments`, {
    headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': `phone-pay-${tag}` },
    data: { milestone, amount_fen: 12_345_600, paid_on: new Date().toISOString().slice(0, 10) },
  })
  expect(r.status(), await r.text()).toBe(201)

  const fin = await phone(browser)
  await phoneLogin(fin, 'fin1')
  await fin.goto('/payments')
  const card = fin.getByTestId('payment-card').filter({ hasText: milestone })
  await expect(card).toBeVisible()
  await expect(fin.getByTestId('payments-list')).toHaveCount(0) // not the desk's table
  await expect(card).toContainText(fx.name)
  await expect(card).toContainText('123,456.00')
  await expect(card).toContainText('待确认')
  await fits(fin, '付款确认')
  await accessible(fin, '付款确认（手机）')
  await shot(fin, '88-phone-payments')

  await card.getByRole('button', { name: '确认' }).click()
  const box = fin.getByRole('dialog', { name: '确认付款' })
  await expect(box).toContainText(milestone)
  await box.getByRole('button', { name: '确认' }).click()
  await expect(fin.getByText('已确认付款')).toBeVisible()
  // The list shows 待确认 by default: the confirmed payment leaves it.
  await expect(card).toHaveCount(0)
})

test('手机: admin disables a departed colleague\'s account from 用户管理 on a phone', async ({ browser, request }) => {
  // The account is created over the API (setup); the admin finds it in a card and disables it.
  const tag = Date.now().toString(36)
  const username = `leaver${tag}`
  const name = `离岗人员${tag.slice(-4)}`
  const r = await request.post('/api/v1/users', { headers: { Authorization: `Bearer ${await apiLogin(request, 'admin')}` },
    data: { username, name, org_id: 'unit-a', roles: ['submitter'], password: 'Initial-Passw0rd1', email: `${username}@luan.gov.cn` } })
  expect(r.status(), await r.text()).toBe(201)

  const admin = await phone(browser)
  await phoneLogin(admin, 'admin')
  await admin.getByRole('button', { name: '打开菜单' }).click()
  await admin.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '用户管理' }).click()
  await expect(admin).toHaveURL(/\/users$/)
  const card = admin.getByTestId('user-card').filter({ hasText: username })
  await expect(card).toContainText(name)
  await expect(card).toContainText('申报单位经办人')
  await expect(card).toContainText(`${username}@luan.gov.cn`)
  await expect(admin.getByTestId(`state-${username}`)).toContainText('待改初始密码')
  await expect(admin.getByTestId('users')).toHaveCount(0) // not the desk's table
  await fits(admin, '用户管理')
  await accessible(admin, '用户管理（手机）')
  await shot(admin, '89-phone-users')

  await card.getByRole('button', { name: `停用：${name}` }).click()
  const confirm = admin.getByRole('dialog', { name: '停用账号' })
  await expect(confirm).toContainText('已登录的会话立即失效')
  await confirm.getByRole('button', { name: '停用', exact: true }).click()
  await expect(admin.getByText(`已停用 ${name}`)).toBeVisible()
  await expect(admin.getByTestId(`state-${username}`)).toContainText('已停用')
  await expect(card.getByRole('button', { name: `启用：${name}` })).toBeVisible()
  const login = await request.post('/api/v1/auth/login', { data: { username, password: 'Initial-Passw0rd1' } })
  expect((await login.json()).error?.code).toBe('account_disabled')
})

test('手机: ops1 on call finds a stuck workflow on 运维监控 and replay-checks it on a phone', async ({ browser }) => {
  // The overdue task the harness seeded for 催办 is on the stuck list (O1, 人工任务逾期未办);
  // a replay check (O3) changes nothing, so the other tests' workflows are left as they are.
  const wf = `project:${process.env.EGOVPM_E2E_URGE_ID ?? ''}`
  const ops = await phone(browser)
  await phoneLogin(ops, 'ops1')
  await ops.getByRole('button', { name: '打开菜单' }).click()
  await ops.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '运维监控' }).click()
  const card = ops.getByTestId('stuck-card').filter({ hasText: wf })
  await expect(card).toContainText('人工任务逾期未办', { timeout: 30_000 })
  await expect(ops.getByTestId('stuck')).toHaveCount(0) // not the desk's table
  await fits(ops, '运维监控')
  await accessible(ops, '运维监控（手机）')
  await shot(ops, '90b-phone-ops')

  await card.getByRole('button', { name: `回放校验：${wf}` }).click()
  const dlg = ops.getByRole('dialog', { name: '确认回放校验' })
  const box = await dlg.locator('.el-dialog').first().boundingBox()
  expect(box!.x + box!.width, 'the dialog fits the phone').toBeLessThanOrEqual(390)
  await dlg.getByLabel('操作原因').fill('值班检查：回放校验该流程的历史。')
  await dlg.getByTestId('ops-confirm').click()
  await expect(dlg).toBeHidden()
  await expect(ops.getByTestId('ops-result').first()).toContainText(`回放通过：${wf}`)
  await fits(ops, '运维监控：回放结果')
})

test('手机: audit1 reads 全部任务 on a phone', async ({ browser }) => {
  const name = process.env.EGOVPM_E2E_URGE_NAME ?? ''
  const audit = await phone(browser)
  await phoneLogin(audit, 'audit1')
  await audit.goto('/all-tasks?overdue=1')
  // The task the harness made overdue, held by drb1: who holds it, when it was due (in red).
  const card = audit.getByTestId('all-task-card').filter({ hasText: name })
  await expect(card).toContainText('初审')
  await expect(card).toContainText('办理中')
  await expect(card).toContainText('李审（市数管局）')
  await expect(card.locator('.overdue')).toContainText('到期')
  await expect(audit.getByTestId('all-tasks')).toHaveCount(0) // not the desk's table
  await fits(audit, '全部任务')
  await accessible(audit, '全部任务（手机）')
  await shot(audit, '90c-phone-all-tasks')
})

test('手机: audit1 reads 审计日志 on a phone and checks the chain', async ({ browser }) => {
  const audit = await phone(browser)
  await phoneLogin(audit, 'audit1')
  await audit.goto('/audit')
  // A card a row: what was done (in words), its outcome, who and when, the object, the detail.
  const cards = audit.getByTestId('audit-card')
  await expect(cards.first()).toBeVisible()
  await expect(audit.getByTestId('audit-rows')).toHaveCount(0) // not the desk's table
  const login = cards.filter({ has: audit.locator('[data-action="auth.login"]') }).first()
  await expect(login).toContainText('登录')
  await expect(login).toContainText('许审计')
  await expect(login.getByTestId('audit-detail')).toBeVisible()
  await fits(audit, '审计日志')
  await audit.getByTestId('verify').click()
  await expect(audit.getByTestId('verify-result')).toContainText('校验通过')
  await fits(audit, '审计日志：校验结果')
  await accessible(audit, '审计日志（手机）')
  await shot(audit, '90d-phone-audit')
  // A project's 审计记录 on a phone: the filter's sentence and its two buttons fit the width.
  const stuck = process.env.EGOVPM_E2E_STUCK_ID ?? ''
  await audit.goto(`/projects/${stuck}`)
  await audit.getByTestId('audit-trail').click()
  await expect(audit.getByTestId('audit-project')).toContainText(process.env.EGOVPM_E2E_STUCK_NAME ?? '')
  await expect(cards.first()).toBeVisible()
  await fits(audit, '审计日志：一个项目')
  await shot(audit, '90e-phone-audit-project')
})
