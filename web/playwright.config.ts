import { defineConfig } from '@playwright/test'

// Browser tests against the real stack: the Go test (server/a_browser_test.go) starts the
// devserver, worker, gateway (serving the embedded UI) and PostgreSQL with the demo seed, then
// runs `npx playwright test` with EGOVPM_BASE_URL. The browser is Debian's chromium (Playwright's
// own download cannot work here); these flags keep it off the network.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'e2e',
  testMatch: /.*\.spec\.ts$/,
  // The UI benchmark (make ui-bench) runs alone; make test runs everything else.
  testIgnore: process.env.EGOVPM_UI_BENCH ? [] : ['**/bench.spec.ts', '**/profile.spec.ts'],
  grep: process.env.EGOVPM_UI_BENCH ? new RegExp(process.env.EGOVPM_BENCH_GREP ?? '@bench') : undefined,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  outputDir: 'test-results/pw',
  use: {
    baseURL: process.env.EGOVPM_BASE_URL,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    trace: 'off',
    actionTimeout: 15_000,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
})
