import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

// GET /me/counts answered by hand: each call waits until the test answers it.
const answers: ((v: unknown) => void)[] = []
vi.mock('../../src/api/client', () => ({
  api: { GET: vi.fn(() => new Promise((resolve) => answers.push(resolve))) },
  call: (p: Promise<unknown>) => p,
}))

const { useMenuCounts } = await import('../../src/stores/menuCounts')
const { useNotifications } = await import('../../src/stores/notifications')
const { api } = await import('../../src/api/client')

const figures = (open: number, unread: number) => ({ unread, tasks: { open, overdue: 0 } })

describe('the menu’s figures (GET /me/counts)', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    answers.length = 0
    vi.mocked(api.GET).mockClear()
  })

  it('sets the bell’s unread count and the task figures from one request', async () => {
    const done = useMenuCounts().refresh()
    answers.shift()!(figures(3, 7))
    await done
    expect(useMenuCounts().tasks?.open).toBe(3)
    expect(useNotifications().unread).toBe(7)
  })

  it('asks again after a request in flight when called meanwhile: a decision just made is counted', async () => {
    const counts = useMenuCounts()
    void counts.refresh() // a poll, asked before the decision
    let answered = false
    const second = counts.refresh().then(() => { answered = true }) // 待办's load after it
    expect(api.GET).toHaveBeenCalledTimes(1) // shared, not asked twice at once
    answers.shift()!(figures(6, 0)) // the poll's answer, from before the decision
    await vi.waitFor(() => expect(api.GET).toHaveBeenCalledTimes(2))
    expect(answered, 'the load waits for the answer asked after it').toBe(false)
    answers.shift()!(figures(5, 0))
    await second
    expect(counts.tasks?.open).toBe(5)
    expect(counts.pending).toBeNull()
    expect(api.GET).toHaveBeenCalledTimes(2)
  })
})
