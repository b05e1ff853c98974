import { defineStore } from 'pinia'
import { api, call, type Schemas } from '../api/client'

/** The bell: the unread count (GET /notifications/unread-count) and the list, newest first. */
export const useNotifications = defineStore('notifications', {
  state: () => ({
    unread: 0,
    items: [] as Schemas['Notification'][],
    next: '',
    loading: false,
    error: '',
  }),
  actions: {
    async count() {
      try {
        this.unread = (await call(api.GET('/api/v1/notifications/unread-count'))).unread
      } catch {
        /* the bell keeps its number; the page shows the real errors */
      }
    },
    async load(more = false) {
      this.loading = true
      this.error = ''
      try {
        const r = await call(api.GET('/api/v1/notifications', {
          params: { query: { limit: 20, ...(more && this.next ? { cursor: this.next } : {}) } },
        }))
        this.items = more ? [...this.items, ...r.items] : r.items
        this.next = r.next_cursor
      } catch (e) {
        this.error = (e as Error).message
      } finally {
        this.loading = false
      }
      await this.count()
    },
    async read(id: string) {
      await call(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } }))
      const n = this.items.find((x) => x.id === id)
      if (n && !n.read_at) n.read_at = new Date().toISOString()
      await this.count()
    },
    async readAll() {
      await call(api.POST('/api/v1/notifications/read-all'))
      const now = new Date().toISOString()
      for (const n of this.items) n.read_at ??= now
      await this.count()
    },
  },
})
