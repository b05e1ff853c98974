import { describe, expect, it } from 'vitest'
import { formatFen, formatFenInput, parseAmount, fenToNumber } from '../../src/lib/money'

describe('元/万元 ↔ 分, exact', () => {
  it('reads 元 to the fen, never through floating point', () => {
    expect(parseAmount('0.29', 'yuan')).toEqual({ ok: true, fen: 29n }) // 0.29 * 100 = 28.999… in floats
    expect(parseAmount('1.005', 'yuan').ok).toBe(false)
    expect(parseAmount('12,345.6', 'yuan')).toEqual({ ok: true, fen: 1234560n })
    expect(parseAmount(' １２３．４５ ', 'yuan')).toEqual({ ok: true, fen: 12345n })
    expect(parseAmount('9999999999.99', 'yuan')).toEqual({ ok: true, fen: 999999999999n })
    expect(parseAmount('10000000000', 'yuan')).toEqual({ ok: true, fen: 1000000000000n })
    expect(parseAmount('10000000000.01', 'yuan').ok).toBe(false)
  })
  it('reads 万元 with six decimals (one fen)', () => {
    expect(parseAmount('950', 'wan')).toEqual({ ok: true, fen: 950000000n })
    expect(parseAmount('0.000001', 'wan')).toEqual({ ok: true, fen: 1n })
    expect(parseAmount('1000.1', 'wan')).toEqual({ ok: true, fen: 1000100000n })
    expect(parseAmount('0.0000001', 'wan').ok).toBe(false)
    expect(parseAmount('1.1', 'wan')).toEqual({ ok: true, fen: 1100000n })
  })
  it('refuses what is no amount, in Chinese', () => {
    for (const s of ['', 'abc', '-5', '1e5', '0', '0.00', '1.2.3', '12元']) {
      const r = parseAmount(s, 'yuan')
      expect(r.ok, s).toBe(false)
      if (!r.ok) expect(r.error).toMatch(/金额/)
    }
  })
  it('shows fen in 元 and 万元 and back without loss', () => {
    expect(formatFen(123456789, 'yuan')).toBe('1,234,567.89')
    expect(formatFen(950000000, 'wan')).toBe('950.00')
    expect(formatFen(123456789, 'wan')).toBe('123.456789')
    expect(formatFen(-5, 'yuan')).toBe('-0.05')
    expect(formatFen(null)).toBe('—')
    for (const fen of [1, 29, 100, 999999999999, 1000000000000, 123456789]) {
      for (const unit of ['yuan', 'wan'] as const) {
        const r = parseAmount(formatFenInput(fen, unit), unit)
        expect(r.ok && fenToNumber(r.fen)).toBe(fen)
      }
    }
  })
})
