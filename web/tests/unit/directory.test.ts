import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useDirectory } from '../../src/stores/directory'

describe('names of people on the screens', () => {
  beforeEach(() => setActivePinia(createPinia()))
  it('names a person by name, the platform’s own steps 系统, an unknown id as it is', () => {
    const dir = useDirectory()
    dir.users.set('u-1', { id: 'u-1', name: '李审' } as never)
    expect(dir.userName('u-1')).toBe('李审')
    expect(dir.userName('system')).toBe('系统')
    expect(dir.userName('u-gone')).toBe('u-gone')
    expect(dir.userName('')).toBe('—')
  })
})
