import { expect, test } from '@playwright/test'
import { accessible, login, personPage, pick, returnOverAPI, shot, submitProject } from './helpers'

// 已办: drb1 looks back at a review he decided — at the head of the list, the latest decided
// first; its kind, project, decision, opinion and when, in Beijing time — filters by kind and opens the project from it; there the keyboard
// skips to the content. Creating, submitting
// and deciding the review are API setup.
test('已办: drb1 finds the review he returned, with his opinion and when, and opens its project', async ({ browser, request }) => {
  const name = `已办测试：智慧停车平台 ${Date.now().toString(36)}`
  const id = await submitProject(request, { name, fen: 150_000_000 })
  await returnOverAPI(request, id, '请补充停车泊位数据来源')

  const page = await personPage(browser)
  await login(page, 'drb1')
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '已办' }).click()
  await expect(page).toHaveURL(/\/done$/)
  const row = page.getByTestId('done-tasks').getByRole('row').filter({ hasText: name })
  await pick(page, '事项类型', '初审')
  await page.getByRole('button', { name: '查询' }).click()
  await expect(row).toContainText('初审')
  // The latest decided first: this return heads the list.
  await expect(page.getByTestId('done-tasks').locator('.el-table__body tr').first()).toContainText(name)
  await expect(row).toContainText('退回修改')
  await expect(row).toContainText('请补充停车泊位数据来源')
  await expect(row).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/)
  await accessible(page, '已办')
  await shot(page, '48-done')
  await row.getByRole('link', { name }).click()
  await expect(page).toHaveURL(new RegExp(`/projects/${id}$`))
  await expect(page.getByTestId('project-stage')).toHaveText('退回修改')

  // The keyboard's first stop on any page is 跳到主要内容, which moves the focus to the
  // page's content past the header and the menu (GB/T 37668, WCAG 2.4.1).
  await page.reload()
  await expect(page.getByTestId('project-stage')).toBeVisible()
  await page.keyboard.press('Tab')
  const skip = page.getByRole('link', { name: '跳到主要内容' })
  await expect(skip).toBeFocused()
  await expect(skip).toBeInViewport()
  await page.keyboard.press('Enter')
  await expect(page.locator('#main-content')).toBeFocused()
})
