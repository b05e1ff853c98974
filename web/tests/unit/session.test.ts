import { describe, expect, it } from 'vitest'
import { renewalDue } from '../../src/stores/auth'

describe('session renewal', () => {
  const min = 60_000
  const s = { token: 't', issuedAt: 0, expiresAt: 30 * min }
  it('renews an active session past half its life', () => {
    expect(renewalDue(s, 16 * min, 15 * min)).toBe(true)
  })
  it('leaves a young session alone', () => {
    expect(renewalDue(s, 10 * min, 10 * min)).toBe(false)
  })
  it('lets an idle session expire', () => {
    expect(renewalDue(s, 20 * min, 14 * min)).toBe(false)
    expect(renewalDue(s, 31 * min, 31 * min)).toBe(false)
    expect(renewalDue(null, 20 * min, 20 * min)).toBe(false)
  })
})
