import { defineStore } from 'pinia'
import { api, call, type Schemas } from '../api/client'

/** The figures beside the menu (GET /me/counts): 待办's open tasks, and for the DRB supervisor
 *  and audit the overdue ones of 逾期督办. Refreshed with the bell, on each page change and
 *  with each load of 待办 (so a decision shows at once); calls while one is asked share it. */
export const useMenuCounts = defineStore('menuCounts', {
  state: () => ({ tasks: null as Schemas['DashboardTasks'] | null, pending: null as Promise<void> | null }),
  actions: {
    refresh(): Promise<void> {
      this.pending ??= (async () => {
        try {
          this.tasks = (await call(api.GET('/api/v1/me/counts'))).tasks ?? null
        } catch {
          /* the menu keeps its figures; the page shows the real errors */
        } finally {
          this.pending = null
        }
      })()
      return this.pending
    },
  },
})
