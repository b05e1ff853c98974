import { defineStore } from 'pinia'
import { api, call, type Schemas } from '../api/client'
import type { components } from '../api/schema'
import { mapError } from '../api/errors'
import { keyset, loadPage, restart, turn } from '../lib/keyset'
import { useMenuCounts } from './menuCounts'

// The list pages' state per domain: filters, keyset pages and rows. Kept in Pinia so that going
// back to a list finds it as it was left (filters, page).

/** The 部署方式 filter of 项目列表 (基础共用): one deployment, or unset (未填写). */
export type DeploymentFilter = components['parameters']['DeploymentFilter']

/** Projects: 我的项目 / 项目列表 (GET /projects) and the unit's own to-do. */
export const useProjects = defineStore('projects', {
  state: () => ({
    filters: { year: '', stage: '' as '' | Schemas['Stage'], type: '' as '' | Schemas['ProjectType'], deployment: '' as '' | DeploymentFilter },
    list: keyset<Schemas['Project']>(),
    todo: [] as Schemas['Project'][],
    /** T4: the unit's O&M filings due (GET /om-filings?status=due). */
    omDue: [] as Schemas['OMFiling'][],
    todoError: '',
  }),
  actions: {
    async load() {
      const f = this.filters
      await loadPage(this.list, (cursor) => call(api.GET('/api/v1/projects', {
        params: { query: {
          limit: 20,
          ...(cursor ? { cursor } : {}),
          ...(f.year ? { plan_year: Number(f.year) } : {}),
          ...(f.stage ? { stage: f.stage } : {}),
          ...(f.type ? { type: f.type } : {}),
          ...(f.deployment ? { deployment: f.deployment } : {}),
        } },
      })))
    },
    search() {
      restart(this.list)
      return this.load()
    },
    turn(delta: number) {
      turn(this.list, delta)
      return this.load()
    },
    /** loadTodo: the unit's projects in a stage that waits on the unit, and its O&M filings due (T4). */
    async loadTodo() {
      this.todoError = ''
      try {
        const [pages, om] = await Promise.all([
          Promise.all((['revision', 'rectification', 'procurement'] as Schemas['Stage'][]).map((stage) =>
            call(api.GET('/api/v1/projects', { params: { query: { stage, limit: 20 } } })))),
          call(api.GET('/api/v1/om-filings', { params: { query: { status: 'due', limit: 20 } } })),
        ])
        this.todo = pages.flatMap((p) => p.items)
        this.omDue = om.items
      } catch (e) {
        this.todoError = mapError(e).toast
      }
    },
  },
})

/** Tasks: 待办 (GET /tasks), due first as the server orders it. */
export const useTasks = defineStore('tasks', {
  state: () => ({
    filters: { kind: '' as '' | Schemas['TaskKind'], year: '', overdue: false },
    list: keyset<Schemas['Task']>(),
    loadedAt: Date.now(),
    /** The request in flight and the query it asks (load reuses it rather than asking twice). */
    pending: null as Promise<void> | null,
    pendingQuery: '',
  }),
  actions: {
    /**
     * load reads the current page. A load of the same query already in flight (the router
     * starts 待办's request while /me is asked, before the page mounts) is awaited, not repeated.
     */
    load(): Promise<void> {
      const q = JSON.stringify([this.filters, this.list.cursors[this.list.page]])
      if (this.pending && this.pendingQuery === q) return this.pending
      this.pendingQuery = q
      this.pending = this.fetch().finally(() => {
        if (this.pendingQuery === q) this.pending = null
      })
      return this.pending
    },
    async fetch() {
      const f = this.filters
      await loadPage(this.list, async (cursor) => {
        const r = await call(api.GET('/api/v1/tasks', {
          params: { query: {
            limit: 50,
            ...(cursor ? { cursor } : {}),
            ...(f.kind ? { kind: f.kind } : {}),
            ...(f.year ? { plan_year: Number(f.year) } : {}),
            ...(f.overdue ? { overdue: true } : {}),
          } },
        }))
        this.loadedAt = Date.now()
        return r
      })
      void useMenuCounts().refresh() // 待办's figure in the menu, as the list now stands
    },
    search() {
      restart(this.list)
      return this.load()
    },
    turn(delta: number) {
      turn(this.list, delta)
      return this.load()
    },
    async claim(id: string) {
      const r = await call(api.POST('/api/v1/tasks/{id}/claim', { params: { path: { id } } }))
      const t = this.list.rows.find((x) => x.id === id)
      if (t) Object.assign(t, r)
    },
  },
})
