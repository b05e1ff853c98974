import { defineStore } from 'pinia'
import { api, call, type Schemas } from '../api/client'
import { useNotifications } from './notifications'

/** The figures the shell polls (GET /me/counts, one request): the bell's unread count, and
 *  beside the menu 待办's open tasks and, for the DRB supervisor and audit, the tasks of
 *  逾期督办's two views. Refreshed every 30 s, on each page change and with each load of 待办
 *  and 逾期督办 (so a decision or a 转办 shows at once). A call while one is asked shares it,
 *  and that one asks again once it is answered: its answer may predate what the caller has
 *  just changed. */
export const useMenuCounts = defineStore('menuCounts', {
  state: () => ({ tasks: null as Schemas['DashboardTasks'] | null, pending: null as Promise<void> | null, again: false }),
  actions: {
    refresh(): Promise<void> {
      if (this.pending) {
        this.again = true
        return this.pending
      }
      this.pending = (async () => {
        try {
          do {
            this.again = false
            try {
              const r = await call(api.GET('/api/v1/me/counts'))
              this.tasks = r.tasks ?? null
              useNotifications().unread = r.unread
            } catch {
              /* the bell and the menu keep their figures; the page shows the real errors */
            }
          } while (this.again)
        } finally {
          this.pending = null
        }
      })()
      return this.pending
    },
  },
})
