import { expect, test, type Page } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { accessible, apiLogin, login, pdf, personPage, pick, planYear, shot, fixtureProjects } from './helpers'

// Part 1's scenario (issue 17), every step through the screens: alice creates a project through
// the form, uploads a document and submits; drb1 finds the new task in the bell, claims it and
// returns it with an opinion; alice sees the return in the bell and on the detail page, edits
// and resubmits; drb1 approves; the lifecycle picture shows the new stage; an expert scores it
// (the session is convened over the API as setup: its screen is part 2).
test.describe.configure({ mode: 'serial' })

const name = `智慧教育云平台（浏览器测试 ${Date.now().toString(36)}）`
// Projects set up by server/e2e_browser_test.go (projectFixtures).
const fx = fixtureProjects
let projectUrl = ''
let alice: Page
let drb1: Page

async function openTask(page: Page) {
  await page.goto('/tasks')
  const row = page.getByRole('row').filter({ hasText: name })
  await expect(row).toBeVisible()
  return row
}

async function decide(page: Page, decision: string, comment: string) {
  const row = await openTask(page)
  const claim = row.getByRole('button', { name: /^签收/ })
  if (await claim.count()) {
    await claim.click()
    await expect(row).toContainText('已签收（本人）')
  }
  await row.getByRole('button', { name: /^审批/ }).click()
  const dlg = page.getByRole('dialog')
  await expect(dlg.getByLabel('意见')).toBeVisible()
  await dlg.getByText(decision, { exact: true }).click()
  await expect(dlg.getByRole('radio', { name: decision, exact: true })).toBeChecked()
  await dlg.getByLabel('意见').fill(comment)
  return dlg
}

test('登录: wrong password is refused in Chinese; the page is accessible', async ({ page }) => {
  await page.goto('/tasks')
  await expect(page).toHaveURL(/\/login\?redirect=(%2F|\/)tasks/)
  await expect(page.getByRole('button', { name: '登录' })).toBeVisible()
  await accessible(page, '登录')
  await shot(page, '01-login')
  await page.getByLabel('用户名').fill('bob')
  await page.getByLabel('密码', { exact: true }).fill('wrong-password')
  await page.getByRole('button', { name: '登录' }).click()
  await expect(page.getByTestId('login-error')).toContainText('用户名或密码错误')
  await shot(page, '02-login-error')
})

test('alice creates a project through the form, uploads a document and submits', async ({ browser }) => {
  alice = await personPage(browser)
  await login(alice, 'alice')
  await alice.getByRole('menuitem', { name: '我的项目' }).click()
  await expect(alice).toHaveURL(/\/projects$/)
  await expect(alice.getByRole('heading', { name: '我的项目' })).toBeVisible()
  await accessible(alice, '我的项目')
  await shot(alice, '03-my-projects')

  await alice.getByRole('button', { name: '新建项目' }).click()
  await expect(alice.getByRole('heading', { name: '新建项目' })).toBeVisible()
  // Field errors: the form's own shape check, then the API's refusal on the amount.
  await alice.getByRole('button', { name: '保存草稿' }).click()
  await expect(alice.getByText('请填写项目名称')).toBeVisible()
  await expect(alice.getByText('请选择部署方式')).toBeVisible()
  await alice.getByLabel('项目名称').fill(name)
  await alice.getByRole('radiogroup', { name: '部署方式' }).getByText('市政务云平台', { exact: true }).click()
  await expect(alice.getByRole('radio', { name: '市政务云平台' })).toBeChecked()
  const year = alice.getByLabel('计划年度')
  await year.fill(String(planYear))
  await year.press('Enter')
  await alice.getByLabel('估算总投资（万元）').fill('100000000.01')
  await alice.getByLabel('建设内容说明').fill('建设全市统一的教育资源与数据服务平台。')
  await alice.getByRole('button', { name: '保存草稿' }).click()
  await expect(alice.getByText('金额过大')).toBeVisible()
  await alice.getByLabel('估算总投资（万元）').fill('950.5')
  await expect(alice.getByText('金额过大')).toHaveCount(0)
  // The API's field error lands on its field: a third-party project needs a parent (R1).
  await pick(alice, '项目类型', '设计（第三方服务）')
  await alice.getByRole('button', { name: '保存草稿' }).click()
  await expect(alice.getByText('第三方服务项目（设计/监理/测评/安全）须关联主项目')).toBeVisible()
  await pick(alice, '项目类型', '新建')
  // 基础共用: a deployment outside the 市政务云平台 says why (the form asks; so would the API).
  await alice.getByRole('radiogroup', { name: '部署方式' }).getByText('自建机房或独立部署', { exact: true }).click()
  await expect(alice.getByRole('radio', { name: '自建机房或独立部署' })).toBeChecked()
  await alice.getByRole('button', { name: '保存草稿' }).click()
  await expect(alice.getByText('请说明不使用市政务云平台的理由')).toBeVisible()
  await alice.getByLabel('不使用市政务云的理由').fill('教育专网内的涉密考务数据，须部署于教育局专用机房。')
  await alice.getByText('江淮大数据中心六安市子平台', { exact: true }).click()
  await expect(alice.getByRole('checkbox', { name: '江淮大数据中心六安市子平台' })).toBeChecked()
  await accessible(alice, '新建项目')
  await shot(alice, '04-new-project')
  await alice.getByRole('button', { name: '保存草稿' }).click()

  await expect(alice.getByTestId('project-name')).toHaveText(name)
  projectUrl = new URL(alice.url()).pathname
  await expect(alice.getByText('950.50 万元')).toBeVisible()
  // The reviewers read it among the basic facts.
  await expect(alice.getByText('自建机房或独立部署（理由：教育专网内的涉密考务数据，须部署于教育局专用机房。）')).toBeVisible()
  await expect(alice.getByRole('cell', { name: '江淮大数据中心六安市子平台', exact: true })).toBeVisible()
  await expect(alice.getByTestId('deadline')).toContainText('剩余')

  // Upload: a refused type shows the API's message; a PDF goes in with progress.
  const input = alice.getByTestId('upload').locator('input[type=file]')
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just text') })
  await expect(alice.getByTestId('upload-error')).toContainText('notes.txt')
  await input.setInputFiles({ name: '项目意见书.pdf', mimeType: 'application/pdf', buffer: pdf })
  await expect(alice.getByRole('cell', { name: '项目意见书.pdf', exact: true })).toBeVisible()
  // 下载: the file arrives with its name and its bytes.
  const arrived = alice.waitForEvent('download')
  await alice.getByRole('button', { name: '下载 项目意见书.pdf' }).click()
  const file = await arrived
  expect(file.suggestedFilename()).toBe('项目意见书.pdf')
  expect(readFileSync(await file.path())).toEqual(pdf)

  await alice.getByTestId('submit').click()
  await alice.getByRole('dialog').getByRole('button', { name: '提交' }).click()
  await expect(alice.getByTestId('project-stage')).toHaveText('初审')
  await expect(alice.getByTestId('lifecycle').locator('[aria-current="step"]')).toContainText('初审')
  await accessible(alice, '项目详情')
  await shot(alice, '05-project-detail-submitted')
})

test('drb1 claims it in 待办 and returns it with an opinion', async ({ browser, request }) => {
  drb1 = await personPage(browser)
  await login(drb1, 'drb1')
  // The new task is in drb1's bell (issue 19 item 1: each DRB reviewer is told), and opens the project.
  const bell = drb1.getByTestId('bell')
  await expect(bell).toHaveAccessibleName(/条未读/, { timeout: 40_000 })
  await bell.click()
  const note = drb1.getByTestId('notification').filter({ hasText: `新待办：初审——${name}` })
  await expect(note).toBeVisible()
  await expect(note).toContainText(/请于 \d{4}年\d{1,2}月\d{1,2}日 前办理。/)
  await shot(drb1, '05b-task-notification')
  await note.getByRole('button', { name: `新待办：初审——${name}`, exact: true }).click()
  await expect(drb1).toHaveURL(projectUrl)
  await drb1.getByRole('menuitem', { name: '待办' }).click()
  await expect(drb1).toHaveURL(/\/tasks$/)
  // The menu's figure beside 待办 is the list's (GET /me/counts), and follows a decision at once.
  const auth = { Authorization: `Bearer ${await apiLogin(request, 'drb1')}` }
  const inMenu = async () => {
    const r = await request.get('/api/v1/tasks?limit=100', { headers: auth })
    const n = ((await r.json()).items as unknown[]).length
    const badge = drb1.getByTestId('menu-count-tasks')
    if (n === 0) await expect(badge).toHaveCount(0, { timeout: 1000 })
    else await expect(badge).toHaveText(n > 99 ? '99+' : String(n), { timeout: 1000 })
    return n
  }
  let open = 0
  await expect(async () => { open = await inMenu() }).toPass({ timeout: 10_000 })
  expect(open).toBeGreaterThan(0)
  await expect(drb1.getByRole('menuitem', { name: new RegExp(`^待办\\s*（${open} 件`) })).toBeVisible()
  await accessible(drb1, '待办')
  await shot(drb1, '06-inbox')
  const dlg = await decide(drb1, '退回修改', '')
  // 意见 is required for a return: the server says so, on the field.
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg.getByText('退回修改须填写修改意见')).toBeVisible()
  await dlg.getByLabel('意见').fill('请补充与现有教育平台的数据共享方案。')
  await shot(drb1, '07-decision-return')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()
  await expect(drb1.getByRole('row').filter({ hasText: name })).toHaveCount(0)
  let after = 0
  await expect(async () => { after = await inMenu() }).toPass({ timeout: 10_000 })
  expect(after).toBeLessThan(open)
})

test('alice sees the return in the bell and on the detail page, edits and resubmits', async () => {
  await alice.goto('/projects')
  const bell = alice.getByTestId('bell')
  await expect(bell).toHaveAccessibleName(/条未读/, { timeout: 40_000 }) // the bell polls; a reload also counts
  await bell.click()
  const note = alice.getByTestId('notification').filter({ hasText: `项目被退回修改：${name}` })
  await expect(note).toBeVisible()
  await expect(note).toContainText('请补充与现有教育平台的数据共享方案。')
  await shot(alice, '08-notifications')
  await note.getByRole('button', { name: `项目被退回修改：${name}`, exact: true }).click()
  await expect(alice).toHaveURL(projectUrl)
  await expect(alice.getByTestId('returned-alert')).toBeVisible()
  await expect(alice.getByTestId('timeline')).toContainText('请补充与现有教育平台的数据共享方案。')
  await expect(alice.getByTestId('lifecycle').locator('[aria-current="step"]')).toContainText('退回修改')
  await shot(alice, '09-project-returned')
  await shot(alice, '09b-project-returned-whole-page', true)
  // 全部标为已读: the bell's badge goes, every notification reads 已读.
  await bell.click()
  await alice.getByRole('button', { name: '全部标为已读' }).click()
  await expect(bell).toHaveAccessibleName('通知，没有未读')
  await expect(alice.getByTestId('unread-text')).toHaveText('未读 0 条')
  await expect(alice.locator('.el-badge__content')).toBeHidden()
  await expect(alice.getByTestId('notification').filter({ hasText: '未读' })).toHaveCount(0)
  await alice.keyboard.press('Escape')
  await expect(alice.getByRole('dialog', { name: '通知' })).toBeHidden()

  await alice.getByRole('button', { name: '修改' }).click()
  await alice.getByLabel('建设内容说明').fill('建设全市统一的教育资源与数据服务平台，与省教育平台共享学籍数据。')
  await alice.getByRole('button', { name: '保存修改' }).click()
  await expect(alice.getByTestId('project-name')).toHaveText(name)
  await alice.getByTestId('submit').click()
  await alice.getByRole('dialog').getByRole('button', { name: '重新提交' }).click()
  await expect(alice.getByTestId('project-stage')).toHaveText('初审')
})

test('drb1 approves; the lifecycle picture shows the new stage; a stale form explains itself', async ({ browser }) => {
  // drb1 has the task open in a second window too.
  const other = await personPage(browser)
  await login(other, 'drb1')
  const late = await decide(other, '不予通过', '重复建设。')

  const dlg = await decide(drb1, '通过', '材料齐全，同意进入专家评审。')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()

  // The second window's decision comes too late: the form says why instead of failing blankly.
  await late.getByRole('button', { name: '提交审批' }).click()
  await expect(late.getByTestId('stale')).toContainText(/已处理.*已失效[\s\S]*请刷新待办列表/)
  await expect(late.getByRole('button', { name: '提交审批' })).toBeDisabled()
  await shot(other, '10a-stale-task')
  await other.context().close()
  await drb1.goto(projectUrl)
  await expect(drb1.getByTestId('project-stage')).toHaveText('专家评审')
  await expect(drb1.getByTestId('lifecycle').locator('[aria-current="step"]')).toContainText('专家评审')
  await shot(drb1, '10-project-expert-review')
  // R16: DRB sees on a project's page the projects it may duplicate, best first, with why
  // (the delivery fixture's projects, submitted one after the other, share most of their names
  // and descriptions: the change project, submitted after it, finds the one in construction).
  await drb1.goto(`/projects/${fx.change.id}`)
  const alike = drb1.getByTestId('similar').getByRole('row').filter({ hasText: fx.built.name })
  await alike.scrollIntoViewIfNeeded()
  await expect(alike).toContainText(/\d+%/)
  await expect(alike).toContainText('名称相近；建设内容相近')
  await accessible(drb1, '项目详情（疑似重复建设）')
  await shot(drb1, '10b-similar-projects')
})

test('an expert scores it', async ({ browser, request }) => {
  // Setup (part 2's screen): DRB convenes the panel over the API.
  const token = await apiLogin(request, 'drb1')
  const id = projectUrl.split('/').pop()
  const r = await request.post(`/api/v1/plans/${planYear}/expert-sessions`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { expert_ids: ['u-exp2', 'u-exp3', 'u-exp4'], project_ids: [id], pick_reason: '测试指定专家' },
  })
  expect(r.status(), await r.text()).toBe(201)

  const exp2 = await personPage(browser)
  await login(exp2, 'exp2')
  const dlg = await decide(exp2, '通过', '方案可行，建议加强数据安全。')
  await dlg.getByLabel('评分（0–100）').fill('86')
  await accessible(exp2, '专家评审表')
  await shot(exp2, '11-expert-review')
  await dlg.getByRole('button', { name: '提交审批' }).click()
  await expect(dlg).toBeHidden()
  await expect(exp2.getByRole('row').filter({ hasText: name })).toHaveCount(0)
})

test('a 401 goes to 登录 and back to the half-filled form', async ({ request }) => {
  await alice.goto('/projects/new')
  await alice.getByLabel('项目名称').fill('未完成的草稿：会话过期测试')
  await alice.getByLabel('估算总投资（万元）').fill('12.5')
  await alice.getByRole('radiogroup', { name: '部署方式' }).getByText('不涉及部署', { exact: true }).click()
  await expect(alice.getByRole('radio', { name: '不涉及部署' })).toBeChecked()
  // Setup: the session ends elsewhere (the token is revoked over the API).
  const token = await alice.evaluate(() => JSON.parse(sessionStorage.getItem('egovpm.session') ?? '{}').token)
  const out = await request.post('/api/v1/auth/logout', { headers: { Authorization: `Bearer ${token}` } })
  expect(out.status()).toBe(204)
  await alice.getByRole('button', { name: '保存草稿' }).click()
  await expect(alice).toHaveURL(/\/login\?redirect=(%2F|\/)projects(%2F|\/)new/)
  await expect(alice.getByTestId('login-error')).toContainText('登录凭证已注销')
  await alice.getByLabel('用户名').fill('alice')
  await alice.getByLabel('密码', { exact: true }).fill(process.env.EGOVPM_DEMO_PASSWORD ?? 'demo-Passw0rd')
  await alice.getByRole('button', { name: '登录' }).click()
  await expect(alice).toHaveURL(/\/projects\/new$/)
  await expect(alice.getByLabel('项目名称')).toHaveValue('未完成的草稿：会话过期测试')
  await expect(alice.getByLabel('估算总投资（万元）')).toHaveValue('12.5')
  await expect(alice.getByRole('radio', { name: '不涉及部署' })).toBeChecked()
})

test('an initial password must be changed first', async ({ browser, request }) => {
  const admin = await apiLogin(request, 'admin')
  const username = 'carol' + Date.now().toString(36)
  const r = await request.post('/api/v1/users', {
    headers: { Authorization: `Bearer ${admin}` },
    data: { username, name: '陈卡罗', org_id: 'unit-b', roles: ['submitter'], password: 'Initial-Passw0rd1' },
  })
  expect(r.status(), await r.text()).toBe(201)
  const page = await personPage(browser)
  await login(page, username, 'Initial-Passw0rd1')
  await expect(page).toHaveURL(/\/password/)
  await expect(page.getByText('您正在使用管理员设置的初始密码')).toBeVisible()
  await accessible(page, '修改密码')
  await page.getByLabel('当前密码').fill('Initial-Passw0rd1')
  await page.getByLabel('新密码', { exact: true }).fill('short')
  await page.getByLabel('确认新密码').fill('short')
  await page.getByRole('button', { name: '修改密码' }).click()
  await expect(page.locator('.el-form-item__error')).toContainText('密码')
  await shot(page, '12-password')
  await page.getByLabel('新密码', { exact: true }).fill('Chosen-Passw0rd1')
  await page.getByLabel('确认新密码').fill('Chosen-Passw0rd1')
  await page.getByRole('button', { name: '修改密码' }).click()
  await expect(page.getByRole('heading', { name: '首页' })).toBeVisible()
  // 退出 ends the session: back to 登录, and a page that needs one asks again.
  await page.getByTestId('logout').click()
  await expect(page).toHaveURL(/\/login/)
  await expect(page.getByRole('button', { name: '登录' })).toBeVisible()
  await page.goto('/projects')
  await expect(page).toHaveURL(/\/login\?redirect=(%2F|\/)projects/)
})
