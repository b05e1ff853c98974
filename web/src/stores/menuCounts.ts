import { defineStore } from 'pinia'
import { api, call, type Schemas } from '../api/client'
import { useNotifications } from './notifications'

/** The figures the shell polls (GET /me/counts, one request): the bell's unread count, and
 *  beside the menu 待办's open tasks and, for the DRB supervisor and audit, the tasks of
 *  逾期督办's two views. Refreshed every 30 s, on each page change and with each load of 待办
 *  and 逾期督办 (so a decision or a 转办 shows at once); calls while one is asked share it. */
export const useMenuCounts = defineStore('menuCounts', {
  state: () => ({ tasks: null as Schemas['DashboardTasks'] | null, pending: null as Promise<void> | null }),
  actions: {
    refresh(): Promise<void> {
      this.pending ??= (async () => {
        try {
          const r = await call(api.GET('/api/v1/me/counts'))
          this.tasks = r.tasks ?? null
          useNotifications().unread = r.unread
        } catch {
          /* the bell and the menu keep their figures; the page shows the real errors */
        } finally {
          this.pending = null
        }
      })()
      return this.pending
    },
  },
})
