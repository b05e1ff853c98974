import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/api/errors'
import { useKeyset } from '../../src/lib/keyset'

// A server of five rows, two a page; the cursor is the next row's index.
function server() {
  const asked: string[] = []
  let failNext = false
  const fetch = async (cursor: string) => {
    asked.push(cursor)
    if (failNext) {
      failNext = false
      throw new ApiError(503, 'temporal_unavailable', '流程引擎暂不可用，请稍后重试')
    }
    const from = cursor ? Number(cursor) : 0
    const items = [1, 2, 3, 4, 5].slice(from, from + 2)
    return { items, next_cursor: from + 2 < 5 ? String(from + 2) : '' }
  }
  return { fetch, asked, fail: () => { failNext = true } }
}

describe('翻页: a keyset-paged list', () => {
  it('is loading before its first page, then shows it', async () => {
    const s = server()
    const k = useKeyset(s.fetch)
    expect(k.list.loading).toBe(true)
    await k.load()
    expect(k.list).toMatchObject({ rows: [1, 2], page: 0, next: '2', loading: false, error: '' })
  })
  it('goes forward with each page’s cursor, stops at the last, and back without asking anew for a cursor', async () => {
    const s = server()
    const k = useKeyset(s.fetch)
    await k.load()
    await k.turn(1)
    await k.turn(1)
    expect(k.list).toMatchObject({ rows: [5], page: 2, next: '' })
    await k.turn(1) // no next page: stays
    expect(k.list.page).toBe(2)
    await k.turn(-1)
    expect(k.list).toMatchObject({ rows: [3, 4], page: 1 })
    await k.turn(-1)
    await k.turn(-1) // the first page: stays
    expect(k.list).toMatchObject({ rows: [1, 2], page: 0 })
    expect(s.asked).toEqual(['', '2', '4', '4', '2', '', ''])
  })
  it('starts a search from the first page', async () => {
    const s = server()
    const k = useKeyset(s.fetch)
    await k.load()
    await k.turn(1)
    await k.search()
    expect(k.list).toMatchObject({ rows: [1, 2], page: 0, cursors: [''] })
  })
  it('keeps the rows it had and says why a load failed, until a load succeeds', async () => {
    const s = server()
    const k = useKeyset(s.fetch)
    await k.load()
    s.fail()
    await k.load()
    expect(k.list).toMatchObject({ rows: [1, 2], error: '流程引擎暂不可用，请稍后重试', loading: false })
    await k.load()
    expect(k.list.error).toBe('')
  })
})
