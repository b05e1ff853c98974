import { expect, test } from '@playwright/test'
import { accessible, login, personPage, shot } from './helpers'

// A new version deployed while a page is open: the next screen's chunk is gone (the gateway
// answers 404 for an asset its build does not have). The app loads itself anew at the address
// the person clicked, once; when the chunk stays missing it says so instead of doing nothing
// (web/src/lib/chunks.ts).
test('a screen whose code is gone after a deploy: the app reloads to it, and says so when that fails too', async ({ browser }) => {
  const page = await personPage(browser)
  await login(page, 'drb1')
  // 已办's chunk is gone for its first request only, as after a deploy: the reload gets it.
  let asked = 0
  await page.route(/\/assets\/DoneTasksView-[^/]+\.js$/, async (route) => {
    asked++
    if (asked === 1) await route.fulfill({ status: 404, body: '' })
    else await route.continue()
  })
  await page.getByRole('menuitem', { name: '已办' }).click()
  await expect(page).toHaveURL(/\/done$/)
  await expect(page.getByRole('heading', { name: '已办', exact: true })).toBeVisible()
  expect(asked, 'refused once, then fetched by the reloaded app').toBeGreaterThanOrEqual(2)

  // 代理人设置's dialog, fetched when opened: the person is told, the page stays as it was.
  await page.route(/\/assets\/AbsenceDialog-[^/]+\.(js|css)$/, (route) => route.fulfill({ status: 404, body: '' }))
  await page.getByTestId('absence-open').click()
  await expect(page.getByText('页面未能加载：系统可能已更新或网络中断，请刷新页面后重试')).toBeVisible()
  await expect(page.getByRole('dialog', { name: '代理人设置' })).toHaveCount(0)
  await expect(page.getByRole('heading', { name: '已办', exact: true })).toBeVisible()

  // Missing for good (another tab, its own session): one reload, then the message; no loop.
  const other = await personPage(browser)
  await login(other, 'drb1')
  let loads = 0
  other.on('load', () => { loads++ })
  await other.route(/\/assets\/ProjectsView-[^/]+\.js$/, (route) => route.fulfill({ status: 404, body: '' }))
  await other.getByRole('menuitem', { name: '项目列表' }).click()
  const alert = other.getByTestId('chunk-failed')
  await expect(alert).toContainText('页面未能加载：系统可能已更新或网络中断，请刷新页面后重试')
  await expect(alert.getByRole('button', { name: '刷新页面' })).toBeVisible()
  await expect(other).toHaveURL(/\/projects$/)
  await other.waitForTimeout(1500) // a loop would have reloaded by now
  expect(loads, 'the app reloaded itself once').toBe(1)
  await accessible(other, '页面未能加载')
  await shot(other, '91-chunk-missing')
})
