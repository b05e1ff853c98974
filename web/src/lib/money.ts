// Money crosses the API as integer fen (分); people enter and read 元 (investments in 万元).
// Every conversion here is exact decimal string arithmetic on BigInt: no floating point ever
// touches an amount.

/** The largest amount the API accepts (estimated_investment_fen ≤ 10^12 fen). */
export const MAX_FEN = 1_000_000_000_000n

export type MoneyUnit = 'yuan' | 'wan'

// 1 元 = 100 分 (2 decimals); 1 万元 = 1 000 000 分 (6 decimals).
const decimals: Record<MoneyUnit, number> = { yuan: 2, wan: 6 }
const unitName: Record<MoneyUnit, string> = { yuan: '元', wan: '万元' }

/** The result of reading an amount someone typed. */
export type ParsedAmount = { ok: true; fen: bigint } | { ok: false; error: string }

/**
 * parseAmount reads a decimal amount in yuan or wan (thousands separators "," allowed, full-width
 * digits and the full-width point accepted) and returns it in fen, or a Chinese message saying
 * what is wrong. Exact: "0.29" 元 is 29 fen, never 28.999….
 */
export function parseAmount(input: string, unit: MoneyUnit): ParsedAmount {
  const d = decimals[unit]
  let s = (input ?? '')
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48))
    .replace(/\uFF0E|\u3002/g, '.')
    .replace(/[,，\s]/g, '')
  if (s === '') return { ok: false, error: '请输入金额' }
  if (s.startsWith('+')) s = s.slice(1)
  if (s.startsWith('-')) return { ok: false, error: '金额不能为负数' }
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s)
  if (!m) return { ok: false, error: `金额须为数字（单位：${unitName[unit]}）` }
  const frac = m[2] ?? ''
  if (frac.length > d) return { ok: false, error: `金额最多 ${d} 位小数（单位：${unitName[unit]}）` }
  // The last decimal place is one fen in both units: 0.01 元, 0.000001 万元.
  const fen = BigInt(m[1]) * 10n ** BigInt(d) + BigInt((frac + '0'.repeat(d)).slice(0, d))
  if (fen <= 0n) return { ok: false, error: '金额须大于 0' }
  if (fen > MAX_FEN) return { ok: false, error: `金额过大（不超过 ${formatFen(MAX_FEN, unit)} ${unitName[unit]}）` }
  return { ok: true, fen }
}

/** fenToNumber returns fen as a number for the API (exact: the API's amounts are ≤ 10^12). */
export function fenToNumber(fen: bigint): number {
  if (fen > BigInt(Number.MAX_SAFE_INTEGER) || fen < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError('amount out of range')
  }
  return Number(fen)
}

/**
 * formatFen shows fen in yuan (2 decimals) or wan (2 to 6 decimals, trailing zeros past the
 * second dropped), with thousands separators: 123456789 → "1,234,567.89" 元 or "123.456789" 万元.
 */
export function formatFen(fen: bigint | number | null | undefined, unit: MoneyUnit = 'yuan', group = true): string {
  if (fen === null || fen === undefined) return '—'
  let v = typeof fen === 'bigint' ? fen : BigInt(fen)
  const neg = v < 0n
  if (neg) v = -v
  const d = decimals[unit]
  const base = 10n ** BigInt(d)
  const int = (v / base).toString()
  let frac = (v % base).toString().padStart(d, '0')
  if (unit === 'wan') frac = frac.replace(/0+$/, '').padEnd(2, '0')
  const grouped = group ? int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : int
  return (neg ? '-' : '') + grouped + '.' + frac
}

/** formatFenInput is formatFen without separators, for putting an amount back into a field. */
export function formatFenInput(fen: bigint | number | null | undefined, unit: MoneyUnit): string {
  if (fen === null || fen === undefined) return ''
  return formatFen(fen, unit, false)
}

/** yuanLabel is "1,234.56 元". */
export const yuanLabel = (fen: number | null | undefined) => (fen === null || fen === undefined ? '—' : formatFen(fen, 'yuan') + ' 元')
/** wanLabel is "950.00 万元". */
export const wanLabel = (fen: number | null | undefined) => (fen === null || fen === undefined ? '—' : formatFen(fen, 'wan') + ' 万元')
