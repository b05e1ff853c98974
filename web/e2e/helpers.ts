import { expect, type APIRequestContext, type Browser, type Locator, type Page } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { createHmac } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const password = process.env.EGOVPM_DEMO_PASSWORD ?? 'demo-Passw0rd'
export const planYear = Number(process.env.EGOVPM_PLAN_YEAR ?? new Date().getFullYear() + 20)
export const screens = 'test-results/screens'

// A project the Go test set up over the API for a spec to start from (projectFixtures in
// server/e2e_browser_test.go), by its key there.
export interface FixtureProject {
  id: string
  name: string
  year?: string
}

// fixtureProjects are those projects, passed in EGOVPM_E2E_PROJECTS as JSON.
export const fixtureProjects: Record<string, FixtureProject> = JSON.parse(process.env.EGOVPM_E2E_PROJECTS || '{}')
mkdirSync(screens, { recursive: true })

/** page opens a fresh browser context (its own session) for one person. */
export async function personPage(browser: Browser, timezoneId?: string): Promise<Page> {
  const ctx = await browser.newContext(timezoneId ? { timezoneId } : {})
  return ctx.newPage()
}

/** login signs in through the 登录 page and waits for the shell. */
export async function login(page: Page, user: string, pw = password) {
  await page.goto('/login')
  await page.getByLabel('用户名').fill(user)
  await page.getByLabel('密码', { exact: true }).fill(pw)
  await page.getByRole('button', { name: '登录' }).click()
  await expect(page.getByTestId('user-name')).toBeVisible()
}

/** shot writes a 1366×768 screenshot (or the whole page's length) to test-results/screens/<name>.png. */
export async function shot(page: Page, name: string, fullPage = false) {
  await page.waitForLoadState('networkidle')
  // Toasts fade out by themselves; a still picture should show the page under them.
  await page.evaluate(() => document.querySelectorAll('.el-message').forEach((e) => e.remove()))
  await page.waitForTimeout(350) // Element Plus's enter transitions (300 ms)
  await page.screenshot({ path: `${screens}/${name}.png`, animations: 'disabled', fullPage })
}

/** accessible fails on any serious or critical axe-core violation of the page (GB/T 37668). */
export async function accessible(page: Page, what: string) {
  // Colours are checked as shown, not halfway through a fade (a toast, a tag or the bell's
  // unread badge entering): wait for the page's requests (the badge enters when the unread
  // count arrives), then for the running CSS transitions and animations to finish.
  await page.waitForLoadState('networkidle')
  await page.evaluate(() => Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity) // not a spinner
    .map((a) => a.finished.catch(() => undefined))))
  // A toast that began to fade after the wait above is half transparent: its colours are not
  // what anyone reads (a shown toast is still checked).
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .exclude('.el-message-fade-leave-active').exclude('.el-message-fade-enter-active').analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`),
    `${what}: serious or critical accessibility violations`).toEqual([])
}

/** apiLogin signs in over the API (setup the test is not about) and returns a bearer token. */
export async function apiLogin(request: APIRequestContext, user: string, pw = password): Promise<string> {
  const r = await request.post('/api/v1/auth/login', { data: { username: user, password: pw } })
  expect(r.status(), await r.text()).toBe(200)
  return (await r.json()).token
}

export const pdf = Buffer.from('%PDF-1.7\n% egovpm browser test document\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')

/** totp is the RFC 6238 code (SHA-1, 6 digits, 30-second steps) of a base32 secret at time t,
 *  as an authenticator app shows it. */
export function totp(secret: string, t = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30_000)))
  const h = createHmac('sha1', key).update(counter).digest()
  const o = h[h.length - 1] & 0xf
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** pick chooses an option of an Element Plus select (in within, a dialog, when given), in the
 *  listbox that select controls: the option named exactly, or the first a RegExp matches. */
export async function pick(page: Page, combobox: string, option: string | RegExp, within?: Locator) {
  const box = (within ?? page).getByRole('combobox', { name: combobox })
  await box.click({ force: true })
  const listbox = page.locator(`[id="${await box.getAttribute('aria-controls')}"]`)
  const choice = typeof option === 'string' ? listbox.getByRole('option', { name: option, exact: true })
    : listbox.getByRole('option', { name: option }).first()
  // A click while the dropdown is still moving into place can miss (seen on a loaded machine):
  // the list then stays open with nothing chosen; choose again.
  await expect(async () => {
    if (!(await listbox.isVisible())) await box.click({ force: true })
    await choice.click({ timeout: 5_000 })
    await expect(listbox).toBeHidden({ timeout: 3_000 })
  }).toPass({ timeout: 30_000 })
}

/** toggle flips options of an Element Plus multi-select (in within, when given): each one
 *  chosen if it was not, unchosen if it was, in order, checking by the option's aria-selected
 *  that each click took (one that missed while the list moved is made again, one that took never
 *  twice); then it closes the list. */
export async function toggle(page: Page, combobox: string, options: (string | RegExp)[], within?: Locator) {
  const box = (within ?? page).getByRole('combobox', { name: combobox })
  const listbox = page.locator(`[id="${await box.getAttribute('aria-controls')}"]`)
  for (const option of options) {
    const choice = typeof option === 'string' ? listbox.getByRole('option', { name: option, exact: true })
      : listbox.getByRole('option', { name: option }).first()
    if (!(await listbox.isVisible())) await box.click({ force: true })
    const was = (await choice.getAttribute('aria-selected')) ?? 'false'
    await expect(async () => {
      if (!(await listbox.isVisible())) await box.click({ force: true })
      if (((await choice.getAttribute('aria-selected')) ?? 'false') === was) await choice.click({ timeout: 5_000 })
      await expect(choice).not.toHaveAttribute('aria-selected', was, { timeout: 3_000 })
    }).toPass({ timeout: 30_000 })
  }
  await page.keyboard.press('Escape')
  await expect(listbox).toBeHidden()
}

/** submitProject creates a project of user's unit (alice's by default) over the API and submits
 *  it: setup a spec is not about. It returns the project's id. */
export async function submitProject(request: APIRequestContext, p: { name: string; fen?: number; mlps?: number; crypto?: boolean;
  description?: string; user?: string }): Promise<string> {
  const auth = { Authorization: `Bearer ${await apiLogin(request, p.user ?? 'alice')}` }
  const r = await request.post('/api/v1/projects', { headers: auth, data: { name: p.name, type: 'new', plan_year: planYear,
    estimated_investment_fen: p.fen ?? 120_000_000, description: p.description ?? `${p.name}：建设内容说明`, mlps_level: p.mlps ?? 2,
    uses_crypto: p.crypto ?? false } })
  expect(r.status(), await r.text()).toBe(201)
  const id = (await r.json()).id as string
  const s = await request.post(`/api/v1/projects/${id}/submit`, { headers: auth })
  expect(s.status(), await s.text()).toBe(202)
  return id
}

/** prelimTaskOf waits until the project's preliminary review is in the 待办 of the holder of
 *  headers (a DRB reviewer) and returns its id. */
export async function prelimTaskOf(request: APIRequestContext, headers: Record<string, string>, projectId: string): Promise<string> {
  let task = ''
  await expect(async () => {
    const l = await request.get(`/api/v1/tasks?kind=prelim_review&project_id=${projectId}`, { headers })
    const items = (await l.json()).items as { id: string }[]
    expect(items).toHaveLength(1)
    task = items[0].id
  }).toPass({ timeout: 20_000 })
  return task
}

/** returnOverAPI has drb1 return the project's preliminary review with comment (API setup),
 *  once the review is in his 待办; it returns the task's id. */
export async function returnOverAPI(request: APIRequestContext, projectId: string, comment: string): Promise<string> {
  const drb = { Authorization: `Bearer ${await apiLogin(request, 'drb1')}` }
  const task = await prelimTaskOf(request, drb, projectId)
  const d = await request.post(`/api/v1/tasks/${encodeURIComponent(task)}/decision`, { headers: drb, data: { decision: 'return', comment } })
  expect(d.status(), await d.text()).toBe(200)
  return task
}

/** reassignIn 转办s the task of row (逾期督办's list or card) to the first person the option matches, with a reason, and waits for the dialog to close; opened, if given, looks at the dialog first. */
export async function reassignIn(page: Page, row: Locator, to: string | RegExp, reason: string, opened?: (dialog: Locator) => Promise<void>) {
  await row.getByRole('button', { name: /^转办/ }).click()
  const dlg = page.getByRole('dialog', { name: '转办' })
  await expect(dlg).toBeVisible()
  await opened?.(dlg)
  // pick, not a bare click: a click on an option still moving into place can miss (seen in CI
  // on a loaded machine: the dialog then refused with 请选择转办对象).
  await pick(page, '转办给', to, dlg)
  await dlg.getByLabel('转办理由').fill(reason)
  await dlg.getByTestId('reassign-submit').click()
  await expect(dlg).toBeHidden()
}

/**
 * heldByDisabled sets up, through the API, tasks in the hands of a disabled user: a new DRB
 * reviewer (username rev<tag>, name 离岗审核员…) chooses a password, claims the prelim review of
 * a new project for each name in projects, and the administrator disables the account (停用).
 */
export async function heldByDisabled(request: APIRequestContext, tag: string, ...projects: string[]) {
  const username = `rev${tag}`
  const name = `离岗审核员${tag.slice(-4)}`
  const admin = { Authorization: `Bearer ${await apiLogin(request, 'admin')}` }
  let r = await request.post('/api/v1/users', { headers: admin, data: { username, name, org_id: 'drb', roles: ['drb_reviewer'], password: 'Initial-Passw0rd1' } })
  expect(r.status(), await r.text()).toBe(201)
  const userId = (await r.json()).id as string
  const first = { Authorization: `Bearer ${await apiLogin(request, username, 'Initial-Passw0rd1')}` }
  r = await request.post('/api/v1/auth/password', { headers: first, data: { current_password: 'Initial-Passw0rd1', new_password: 'Chosen-Passw0rd1' } })
  expect(r.status(), await r.text()).toBe(200)
  const rev = { Authorization: `Bearer ${(await r.json()).token}` }
  const projectIds: string[] = []
  const tasks: string[] = []
  for (const project of projects) {
    const projectId = await submitProject(request, { name: project })
    const task = await prelimTaskOf(request, rev, projectId)
    r = await request.post(`/api/v1/tasks/${encodeURIComponent(task)}/claim`, { headers: rev })
    expect(r.ok(), await r.text()).toBe(true)
    projectIds.push(projectId)
    tasks.push(task)
  }
  r = await request.patch(`/api/v1/users/${userId}`, { headers: admin, data: { disabled: true } })
  expect(r.status(), await r.text()).toBe(200)
  return { name, projectId: projectIds[0], task: tasks[0], projectIds, tasks }
}

/**
 * mailedCode is the confirmation code in the latest mail to `to` in the gateway's outbox
 * (EGOVPM_E2E_MAIL_DIR: one RFC 5322 file a message, the body quoted-printable), as the person
 * reads it in their mailbox; '' when none has come.
 */
export function mailedCode(to: string): string {
  const dir = process.env.EGOVPM_E2E_MAIL_DIR
  expect(dir, 'the harness names the gateway\'s outbox').toBeTruthy()
  const files = readdirSync(dir!).map((f) => join(dir!, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  for (const f of files) {
    const raw = readFileSync(f, 'latin1')
    const [head, ...rest] = raw.split('\r\n\r\n')
    if (!new RegExp(`^To: ${to.replace(/[.]/g, '\\.')}\r?$`, 'm').test(head)) continue
    const qp = rest.join('\r\n\r\n').replace(/=\r?\n/g, '')
    const bytes = Buffer.from(qp.replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')
    const m = /验证码：(\d{6})/.exec(bytes.toString('utf8'))
    if (m) return m[1]
  }
  return ''
}
