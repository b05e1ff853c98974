import { describe, expect, it } from 'vitest'
import { isChunkLoadError, reloadEvery, reloadFor } from '../../src/lib/chunks'

describe('isChunkLoadError', () => {
  it('knows the browsers\' messages for a chunk that did not load', () => {
    expect(isChunkLoadError(new TypeError('Failed to fetch dynamically imported module: http://x/assets/DoneTasksView-1.js'))).toBe(true)
    expect(isChunkLoadError(new TypeError('error loading dynamically imported module: http://x/assets/a.js'))).toBe(true)
    expect(isChunkLoadError(new TypeError('Importing a module script failed.'))).toBe(true)
    expect(isChunkLoadError(new Error('Unable to preload CSS for /assets/a.css'))).toBe(true)
  })
  it('leaves other errors alone', () => {
    expect(isChunkLoadError(new Error('请求失败'))).toBe(false)
    expect(isChunkLoadError(undefined)).toBe(false)
  })
})

describe('reloadFor', () => {
  const store = () => {
    const m = new Map<string, string>()
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) }
  }
  it('reloads at the wanted address once, then not again within a minute', () => {
    const s = store()
    const went: string[] = []
    const go = (u: string) => void went.push(u)
    expect(reloadFor('/done', s, 1_000_000, go)).toBe(true)
    expect(reloadFor('/done', s, 1_000_000 + reloadEvery - 1, go)).toBe(false)
    expect(went).toEqual(['/done'])
    expect(reloadFor('/tasks', s, 1_000_000 + reloadEvery, go)).toBe(true)
    expect(went).toEqual(['/done', '/tasks'])
  })
})
