// EGOVPM_BENCH_GREP=@profile make ui-bench: where a cold 待办 spends its time — each API request's
// start and end, and the main thread's long tasks (docs/PERFORMANCE.md §8), on the bench's 50 tasks.
import { test, type Page } from '@playwright/test'
import { apiLogin } from './helpers'

async function interactive(page: Page) {
  await page.waitForFunction(() => {
    const b = document.querySelectorAll<HTMLButtonElement>('button[aria-label^="审批："]')
    return b.length === 50 && !b[49].disabled
  }, null, { polling: 'raf', timeout: 20_000 })
}

test('待办: request timeline and long tasks, three cold loads @profile', async ({ browser, request }) => {
  const token = await apiLogin(request, 'drb1')
  for (let i = 0; i < 3; i++) {
    const ctx = await browser.newContext()
    await ctx.addInitScript(([t]) => {
      sessionStorage.setItem('egovpm.session', JSON.stringify({ token: t, expiresAt: Date.now() + 600000, issuedAt: Date.now() }))
      ;(window as any).__long = []
      new PerformanceObserver((l) => { for (const e of l.getEntries()) (window as any).__long.push([Math.round(e.startTime), Math.round(e.duration)]) }).observe({ type: 'longtask', buffered: true })
    }, [token] as const)
    const page = await ctx.newPage()
    const t0 = Date.now()
    await page.goto('/tasks', { waitUntil: 'commit' })
    await interactive(page)
    const total = Date.now() - t0
    const r = await page.evaluate(() => ({
      res: performance.getEntriesByType('resource').map((e) => { const x = e as PerformanceResourceTiming; return `${x.name.replace(location.origin, '').slice(0, 40)} ${Math.round(x.startTime)}→${Math.round(x.responseEnd)}` }),
      nav: Math.round((performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd),
      long: (window as any).__long,
      now: Math.round(performance.now()),
    }))
    console.log(`round ${i}: total ${total} ms; now ${r.now}; nav ${r.nav}\n  long tasks ${JSON.stringify(r.long)}\n  ${r.res.filter((x: string) => /api|index|Inbox|AppShell/.test(x)).join('\n  ')}`)
    await ctx.close()
  }
})
