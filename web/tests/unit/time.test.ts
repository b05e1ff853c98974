import { describe, expect, it } from 'vitest'

// A browser in another zone than Beijing's: the times shown must not move with it. (Node reads
// TZ anew when it changes; the unit tests have no Node types, hence the cast.)
;(globalThis as unknown as { process: { env: Record<string, string> } }).process.env.TZ = 'America/New_York'
const { beijing, beijingDay, fromBeijing } = await import('../../src/lib/time')

describe('times on the screens', () => {
  it('runs in a zone other than Beijing’s (else the tests below would prove nothing)', () => {
    expect(new Date('2026-12-06T16:48:50Z').getHours()).toBe(11)
  })
  it('shows an instant as Beijing date and time, zero-padded, whatever the browser’s zone', () => {
    expect(beijing('2026-12-06T16:48:50Z')).toBe('2026-12-07 00:48:50')
    expect(beijing('2026-07-01T00:00:00+08:00')).toBe('2026-07-01 00:00:00') // midnight is 00, not 24
    expect(beijing('2027-06-30T23:59:59.999+08:00')).toBe('2027-06-30 23:59:59')
    expect(beijing(new Date(Date.UTC(2026, 0, 5, 1, 2, 3)))).toBe('2026-01-05 09:02:03')
  })
  it('shows the Beijing day of an instant', () => {
    expect(beijingDay('2026-12-06T16:48:50Z')).toBe('2026-12-07')
    expect(beijingDay('2026-12-06T15:59:59Z')).toBe('2026-12-06')
  })
  it('shows a dash for no time, and for one that is no time', () => {
    for (const s of [null, undefined, '', 'soon']) {
      expect(beijing(s)).toBe('—')
      expect(beijingDay(s)).toBe('—')
    }
  })
  it('is the one place that formats a date: no screen formats one in the browser’s zone', () => {
    const sources = import.meta.glob(['../../src/**/*.{vue,ts}', '!../../src/lib/time.ts', '!../../src/**/*.d.ts'],
      { query: '?raw', import: 'default', eager: true }) as Record<string, string>
    const files = Object.keys(sources)
    const own = /toLocaleDateString|toLocaleTimeString|DateTimeFormat|new Date\([^)]*\)\.toLocaleString/
    expect(files.length).toBeGreaterThan(20)
    expect(files.filter((f) => own.test(sources[f]))).toEqual([])
  })
})

describe('times typed in a picker', () => {
  it('are Beijing wall-clock times, sent with Beijing’s offset whatever the browser’s zone', () => {
    expect(fromBeijing('2026-12-07 10:00:00')).toBe('2026-12-07T10:00:00+08:00')
    expect(new Date(fromBeijing('2026-12-07 10:00:00')).toISOString()).toBe('2026-12-07T02:00:00.000Z')
    expect(beijing(fromBeijing('2027-01-01 00:00:00'))).toBe('2027-01-01 00:00:00') // what is typed is what is shown
  })
})
