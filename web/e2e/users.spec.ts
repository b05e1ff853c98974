import { expect, test, type APIRequestContext } from '@playwright/test'
import { accessible, login, personPage, pick, shot } from './helpers'

// 用户管理 (administrators): the admin creates an org and a user in it, changes the user's roles (a conflicting
// set is refused with the server's reason), unlocks the account after failed logins, gives it
// a new initial password and disables it — each through the screen, each shown in the list, and
// each seen to work by signing in over the API. The admin's own row offers no 停用/重置密码.

const tag = Date.now().toString(36)
const username = `clerk${tag}`
const name = `测试经办人${tag.slice(-4)}`

async function signIn(request: APIRequestContext, password: string) {
  const r = await request.post('/api/v1/auth/login', { data: { username, password } })
  return { status: r.status(), body: await r.json() }
}

test('用户管理: admin creates a user, changes roles, unlocks, resets the password and disables the account', async ({ browser, request }) => {
  const admin = await personPage(browser)
  await login(admin, 'admin')
  await admin.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '用户管理' }).click()
  await expect(admin).toHaveURL(/\/users$/)
  const table = admin.getByTestId('users')
  const own = table.getByRole('row').filter({ hasText: '系统管理员' }).filter({ hasText: 'admin' }).first()
  await expect(own).toBeVisible()
  await expect(own.getByRole('button', { name: /^停用/ })).toHaveCount(0) // not one's own
  await expect(own.getByRole('button', { name: /^重置密码/ })).toHaveCount(0)

  // 新建机构: a bureau joining the platform, before its people.
  const orgName = `市数据测试中心${tag.slice(-4)}`
  await admin.getByTestId('org-create').click()
  const newOrg = admin.getByRole('dialog', { name: '新建机构' })
  await newOrg.getByLabel('机构编号').fill(`unit-${tag}`)
  await newOrg.getByLabel('机构名称').fill(orgName)
  await accessible(admin, '新建机构')
  await newOrg.getByTestId('org-save').click()
  await expect(admin.getByText(`已创建机构 ${orgName}`)).toBeVisible()

  // 新建用户
  await admin.getByTestId('user-create').click()
  const create = admin.getByRole('dialog', { name: '新建用户' })
  await create.getByLabel('用户名').fill(username)
  await create.getByLabel('姓名').fill(name)
  await pick(admin, '所属机构', orgName)
  await create.getByText('申报单位经办人', { exact: true }).click()
  await create.getByLabel('初始密码').fill('Initial-Passw0rd1')
  await create.getByLabel('邮箱').fill(`${username}@luan.gov.cn`)
  await accessible(admin, '新建用户')
  await create.getByTestId('create-save').click()
  await expect(admin.getByText(`已创建 ${name}`)).toBeVisible()
  const row = table.getByRole('row').filter({ hasText: username })
  await expect(row).toContainText('申报单位经办人')
  await expect(admin.getByTestId(`state-${username}`)).toContainText('待改初始密码')
  expect((await signIn(request, 'Initial-Passw0rd1')).status).toBe(200)

  // 邮箱: where the new user's notices are mailed; a bad one is refused under its field.
  await expect(admin.getByTestId(`email-${username}`)).toHaveText(`${username}@luan.gov.cn`)
  await row.getByRole('button', { name: `修改邮箱：${name}` }).click()
  const mail = admin.getByRole('dialog', { name: '修改邮箱' })
  await mail.getByRole('textbox', { name: '邮箱' }).fill('zhangsan@luan')
  await mail.getByTestId('mail-save').click()
  await expect(mail.locator('.el-form-item__error')).toHaveText('邮箱格式不正确，例如 zhangsan@luan.gov.cn')
  await accessible(admin, '修改邮箱（有误）')
  await mail.getByRole('textbox', { name: '邮箱' }).fill(`${username}.office@luan.gov.cn`)
  await expect(mail.locator('.el-form-item__error')).toHaveCount(0)
  await mail.getByTestId('mail-save').click()
  await expect(mail).toBeHidden()
  await expect(admin.getByTestId(`email-${username}`)).toHaveText(`${username}.office@luan.gov.cn`)

  // 修改角色: a conflicting set is refused with the reason; then the new job.
  await row.getByRole('button', { name: `修改角色：${name}` }).click()
  const roles = admin.getByRole('dialog', { name: '修改角色' })
  await roles.getByText('数管局审核人员', { exact: true }).click()
  await roles.getByTestId('roles-save').click()
  await expect(roles).toContainText('申报单位经办人')
  await expect(roles.locator('.el-form-item__error')).toBeVisible()
  await accessible(admin, '修改角色')
  await shot(admin, '90-user-roles-refused')
  await roles.getByText('申报单位经办人', { exact: true }).click()
  await roles.getByText('数管局审核人员', { exact: true }).click()
  await roles.getByText('评审专家', { exact: true }).click()
  await roles.getByTestId('roles-save').click()
  await expect(roles).toBeHidden()
  await expect(row).toContainText('评审专家')
  await expect(row).not.toContainText('申报单位经办人')

  // 解锁: failed logins lock the account (five by default); the list says so; 解锁 lifts it.
  for (let i = 0; i < 5; i++) await signIn(request, 'Wrong-Passw0rd1')
  expect((await signIn(request, 'Initial-Passw0rd1')).body.error.code).toBe('account_locked')
  await admin.getByRole('button', { name: '查询' }).click()
  await expect(admin.getByTestId(`state-${username}`)).toContainText('已锁定')
  // A locked user's four buttons sit on one line of the desk's table.
  const tops = await row.getByRole('button', { name: new RegExp(`^(修改角色|解锁|重置密码|停用|启用)：${name}$`) }).evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().top))
  expect(tops.length).toBe(4)
  expect(new Set(tops).size, 'one line').toBe(1)
  await accessible(admin, '用户管理')
  await shot(admin, '91-users')
  await row.getByRole('button', { name: `解锁：${name}` }).click()
  await expect(admin.getByText(`已解锁 ${name}`)).toBeVisible()
  await expect(admin.getByTestId(`state-${username}`)).not.toContainText('已锁定')
  const signedIn = await signIn(request, 'Initial-Passw0rd1')
  expect(signedIn.status).toBe(200)

  // The user gives a home address in 邮件通知 (over the API: their password changed first); until
  // they enter its code the list shows it as awaiting them, and 修改邮箱 says a new address here
  // would drop it.
  const pw = await request.post('/api/v1/auth/password', {
    headers: { Authorization: `Bearer ${signedIn.body.token}` },
    data: { current_password: 'Initial-Passw0rd1', new_password: 'Own-Passw0rd-31' },
  })
  expect(pw.status()).toBe(200)
  const home = `${username}.home@luan.gov.cn`
  const put = await request.put('/api/v1/me/mail-settings', {
    headers: { Authorization: `Bearer ${(await pw.json()).token}` },
    data: { email: home },
  })
  expect(put.status()).toBe(200)
  expect((await put.json()).pending_email).toBe(home)
  await admin.getByRole('button', { name: '查询' }).click()
  await expect(admin.getByTestId(`pending-${username}`)).toHaveText(`待本人验证：${home}`)
  await expect(admin.getByTestId(`email-${username}`)).toHaveText(`${username}.office@luan.gov.cn`)
  await row.getByRole('button', { name: `修改邮箱：${name}` }).click()
  await expect(mail.getByTestId('mail-pending-note')).toContainText(home)
  await accessible(admin, '修改邮箱（有待验证的邮箱）')
  await shot(admin, '91b-user-mail-pending')
  await mail.getByRole('button', { name: '取消' }).click()
  await expect(mail).toBeHidden()

  // 重置密码: the two entries must agree; the new one is an initial password.
  await row.getByRole('button', { name: `重置密码：${name}` }).click()
  const reset = admin.getByRole('dialog', { name: '重置密码' })
  await reset.getByLabel('新初始密码').fill('Reset-Passw0rd-22')
  await reset.getByLabel('确认密码').fill('Reset-Passw0rd-23')
  await reset.getByTestId('reset-save').click()
  await expect(reset).toContainText('两次输入的密码不一致')
  await reset.getByLabel('确认密码').fill('Reset-Passw0rd-22')
  await accessible(admin, '重置密码')
  await reset.getByTestId('reset-save').click()
  await expect(admin.getByText(`已重置 ${name} 的密码`)).toBeVisible()
  const after = await signIn(request, 'Reset-Passw0rd-22')
  expect(after.status).toBe(200)
  expect(after.body.must_change_password).toBe(true)

  // 停用: confirmed; signing in is refused; the list says so.
  await row.getByRole('button', { name: `停用：${name}` }).click()
  await admin.getByRole('dialog', { name: '停用账号' }).getByRole('button', { name: '停用', exact: true }).click()
  await expect(admin.getByText(`已停用 ${name}`)).toBeVisible()
  await expect(admin.getByTestId(`state-${username}`)).toContainText('已停用')
  await expect(row.getByRole('button', { name: `启用：${name}` })).toBeVisible()
  expect((await signIn(request, 'Reset-Passw0rd-22')).body.error.code).toBe('account_disabled')
  await shot(admin, '92-user-disabled')
})
