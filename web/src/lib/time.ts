// Every instant the screens show is Beijing time, in one form: 2026-12-07 08:48:50, a day
// 2026-12-07. The platform's deadlines, trial-run ends and O&M years are Beijing time (the
// server's messages say so), so a browser set to another zone (a laptop on UTC, a terminal
// server abroad) must not shift some times and not others; and one form reads the same on every
// screen, as the payment and contract dates (plain YYYY-MM-DD from the API) already do.

// One formatter for all (building one per call, as toLocaleString does, costs in long lists).
const parts = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

function fields(s: string | Date | null | undefined): Record<string, string> | null {
  if (s === null || s === undefined || s === '') return null
  const d = s instanceof Date ? s : new Date(s)
  if (Number.isNaN(d.getTime())) return null
  const f: Record<string, string> = {}
  for (const p of parts.formatToParts(d)) f[p.type] = p.value
  return f
}

/** beijing shows an instant as a Beijing date and time, 2026-12-07 08:48:50; '—' for none. */
export function beijing(s: string | Date | null | undefined): string {
  const f = fields(s)
  return f ? `${f.year}-${f.month}-${f.day} ${f.hour}:${f.minute}:${f.second}` : '—'
}

/** beijingDay shows an instant's Beijing date, 2026-12-07; '—' for none. */
export function beijingDay(s: string | Date | null | undefined): string {
  const f = fields(s)
  return f ? `${f.year}-${f.month}-${f.day}` : '—'
}

/** pickerFormat is the value-format of a date-time picker: the wall-clock time typed or picked,
 *  with no zone, read as Beijing time by fromBeijing (the picker's own Z would be the browser's
 *  zone, so a UTC browser would send 10:00 meant in Beijing as 18:00 Beijing time). */
export const pickerFormat = 'YYYY-MM-DD HH:mm:ss'

/** fromBeijing turns a picker's Beijing wall-clock time (pickerFormat) into the RFC 3339 instant
 *  the API takes. */
export function fromBeijing(wall: string): string {
  return `${wall.trim().replace(' ', 'T')}+08:00`
}
