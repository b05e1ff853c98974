import { expect, test, type Page } from '@playwright/test'
import { accessible, login, personPage, pick, shot, totp, fixtureProjects } from './helpers'

// The list screens' filters and keyset paging, and the 登录 page's TOTP and lockout paths
// (issue 17 screens 1, 3 and 5). Set up in SQL by server/e2e_browser_test.go (listsFixture):
// 55 expert reviews of one plan year held by exp5, on 55 projects of a unit no demo user
// belongs to, and a user with TOTP; the delivery fixture's late draft is alice's only project
// of its (past) plan year.
test.describe.configure({ mode: 'serial' })

const fx = fixtureProjects
const pagingYear = process.env.EGOVPM_E2E_PAGING_YEAR ?? ''

async function year(page: Page, y: string) {
  const box = page.getByLabel('计划年度')
  await box.fill(y)
  await box.press('Enter')
}

const rows = (page: Page) => page.locator('.el-table__body tr.el-table__row')

test('我的项目: alice filters by plan year and type', async ({ browser }) => {
  const alice = await personPage(browser)
  await login(alice, 'alice')
  await alice.getByRole('menuitem', { name: '我的项目' }).click()
  await expect(alice.getByRole('heading', { name: '我的项目' })).toBeVisible()
  await year(alice, fx.late.year!)
  await alice.getByRole('button', { name: '查询' }).click()
  await expect(rows(alice)).toHaveCount(1)
  await expect(rows(alice).first()).toContainText(fx.late.name)
  await pick(alice, '项目类型', '续建')
  await alice.getByRole('button', { name: '查询' }).click()
  await expect(alice.getByText('没有符合条件的项目')).toBeVisible()
  await pick(alice, '项目类型', '新建')
  await alice.getByRole('button', { name: '查询' }).click()
  await expect(rows(alice)).toHaveCount(1)
  await expect(rows(alice).first()).toContainText(fx.late.name)
  // 部署方式 (基础共用): the late draft has not said where it runs.
  await pick(alice, '部署方式', '市政务云平台')
  await alice.getByRole('button', { name: '查询' }).click()
  await expect(alice.getByText('没有符合条件的项目')).toBeVisible()
  await pick(alice, '部署方式', '未填写')
  await alice.getByRole('button', { name: '查询' }).click()
  await expect(rows(alice)).toHaveCount(1)
  await expect(rows(alice).first()).toContainText(fx.late.name)
  await accessible(alice, '我的项目（筛选）')
  await shot(alice, '60-projects-filtered')
  await alice.context().close()
})

test('项目列表: DRB pages a plan year through 下一页 and back (keyset)', async ({ browser }) => {
  const drb1 = await personPage(browser)
  await login(drb1, 'drb1')
  await drb1.goto('/projects')
  await year(drb1, pagingYear)
  await drb1.getByRole('button', { name: '查询' }).click()
  const pager = drb1.getByRole('navigation', { name: '翻页' })
  await expect(pager).toContainText('第 1 页')
  await expect(rows(drb1)).toHaveCount(20)
  const firstName = async () => (await rows(drb1).first().innerText()).split('\n')[0]
  await expect(rows(drb1).first()).toContainText('翻页测试') // the year's rows, not the unfiltered list's
  const first = await firstName()
  await pager.getByRole('button', { name: '下一页' }).click()
  await expect(pager).toContainText('第 2 页')
  // The page number turns before its rows arrive (page 1 has 20 rows too): wait for them.
  await expect.poll(firstName).not.toBe(first)
  await expect(rows(drb1)).toHaveCount(20)
  const second = await firstName()
  await pager.getByRole('button', { name: '下一页' }).click()
  await expect(pager).toContainText('第 3 页')
  await expect(rows(drb1)).toHaveCount(15) // 55 = 20 + 20 + 15
  await expect(pager.getByRole('button', { name: '下一页' })).toBeDisabled()
  await pager.getByRole('button', { name: '上一页' }).click()
  await expect(pager).toContainText('第 2 页')
  await expect(rows(drb1).first()).toContainText(second)
  await drb1.context().close()
})

test('待办: exp5 filters by kind and plan year and turns to 下一页', async ({ browser }) => {
  const exp5 = await personPage(browser)
  await login(exp5, 'exp5')
  await exp5.getByRole('menuitem', { name: '待办' }).click()
  await expect(exp5).toHaveURL(/\/tasks$/)
  await pick(exp5, '事项类型', '专家评审')
  await year(exp5, pagingYear)
  await exp5.getByRole('button', { name: '查询' }).click()
  const tasks = exp5.getByTestId('tasks')
  const pager = exp5.getByRole('navigation', { name: '翻页' })
  await expect(pager).toContainText('第 1 页')
  await expect(rows(exp5)).toHaveCount(50)
  // Due first: the page ends with the 50th due, the next page holds the last five.
  await expect(tasks.getByRole('row').filter({ hasText: '翻页测试：交通数据项目 50' })).toHaveCount(1)
  await accessible(exp5, '待办（筛选）')
  await shot(exp5, '61-inbox-filtered')
  await pager.getByRole('button', { name: '下一页' }).click()
  await expect(pager).toContainText('第 2 页')
  await expect(rows(exp5)).toHaveCount(5)
  await expect(rows(exp5).first()).toContainText('翻页测试：交通数据项目 51')
  await expect(pager.getByRole('button', { name: '下一页' })).toBeDisabled()
  await pager.getByRole('button', { name: '上一页' }).click()
  await expect(rows(exp5)).toHaveCount(50)
  await pick(exp5, '事项类型', '初审')
  await exp5.getByRole('button', { name: '查询' }).click()
  await expect(exp5.getByText('暂无待办事项')).toBeVisible()
  await exp5.context().close()
})

test('登录: a TOTP user gives the code; repeated wrong passwords lock the account, said in Chinese', async ({ page }) => {
  const user = process.env.EGOVPM_E2E_TOTP_USER!
  const secret = process.env.EGOVPM_E2E_TOTP_SECRET!
  await page.goto('/login')
  await page.getByLabel('用户名').fill(user)
  await page.getByLabel('密码', { exact: true }).fill(process.env.EGOVPM_E2E_TOTP_PASSWORD!)
  await page.getByRole('button', { name: '登录' }).click()
  // The password is right; the server asks for the one-time code and the form shows its field.
  const otp = page.getByLabel('动态口令')
  await expect(otp).toBeVisible()
  await expect(page.getByText('该账号已启用动态口令，请输入身份验证器中的 6 位动态口令').first()).toBeVisible()
  await accessible(page, '登录（动态口令）')
  await shot(page, '62-login-totp')
  await otp.fill(totp(secret))
  await page.getByRole('button', { name: '登录' }).click()
  await expect(page.getByTestId('user-name')).toHaveText('秦动态')
  await page.getByTestId('logout').click()
  await expect(page).toHaveURL(/\/login/)

  // Five wrong passwords (MaxFailures) lock the name: the fifth answer says until when.
  const locked = 'locked-' + Date.now().toString(36)
  await page.getByLabel('用户名').fill(locked)
  for (let i = 0; i < 5; i++) {
    await page.getByLabel('密码', { exact: true }).fill('wrong-password-' + i)
    await page.getByRole('button', { name: '登录' }).click()
    await expect(page.getByTestId('login-error')).toBeVisible()
  }
  await expect(page.getByTestId('login-error')).toContainText(/登录失败次数过多，账号已锁定至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}（北京时间）/)
  await shot(page, '63-login-locked')
})
