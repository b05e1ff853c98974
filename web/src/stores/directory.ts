import { defineStore } from 'pinia'
import { api, call, type Schemas } from '../api/client'

// Names of people and orgs for the screens that show ids (GET /users for DRB, admin and
// Audit; GET /orgs for everyone), loaded once per session.
export const useDirectory = defineStore('directory', {
  state: () => ({
    users: new Map<string, Schemas['User']>(),
    orgs: new Map<string, Schemas['Org']>(),
    usersLoaded: false,
    orgsLoaded: false,
  }),
  actions: {
    async loadOrgs() {
      if (this.orgsLoaded) return
      const r = await call(api.GET('/api/v1/orgs'))
      for (const o of r.items) this.orgs.set(o.id, o)
      this.orgsLoaded = true
    },
    /** loadUsers reads every user (a few pages at most in a city's deployment). */
    async loadUsers() {
      if (this.usersLoaded) return
      let cursor = ''
      for (let i = 0; i < 50; i++) {
        const r = await call(api.GET('/api/v1/users', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }))
        for (const u of r.items) this.users.set(u.id, u)
        if (!r.next_cursor) break
        cursor = r.next_cursor
      }
      this.usersLoaded = true
    },
    userName(id: string | null | undefined) {
      if (!id) return '—'
      if (id === 'system') return '系统' // the platform's own steps (timers, fan-outs)
      return this.users.get(id)?.name ?? id
    },
    orgName(id: string | null | undefined) {
      if (!id) return '—'
      return this.orgs.get(id)?.name ?? id
    },
  },
})
