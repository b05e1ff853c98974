import { defineStore } from 'pinia'
import { api, call, type Schemas } from '../api/client'
import { mapError } from '../api/errors'

// The list pages' state per domain: filters, keyset pages and rows. Kept in Pinia so that going
// back to a list finds it as it was left (filters, page).

interface Keyset<T> {
  rows: T[]
  cursors: string[] // cursors[i] opens page i ('' the first)
  page: number
  next: string
  loading: boolean
  error: string
}

const keyset = <T>(): Keyset<T> => ({ rows: [], cursors: [''], page: 0, next: '', loading: false, error: '' })

/** turn moves a keyset list one page forward (delta 1) or back (-1). */
function turn<T>(s: Keyset<T>, delta: number) {
  if (delta > 0 && s.next) {
    s.cursors[s.page + 1] = s.next
    s.page++
  } else if (delta < 0 && s.page > 0) s.page--
}

/** Projects: 我的项目 / 项目列表 (GET /projects) and the unit's own to-do. */
export const useProjects = defineStore('projects', {
  state: () => ({
    filters: { year: '', stage: '' as '' | Schemas['Stage'], type: '' as '' | Schemas['ProjectType'] },
    list: keyset<Schemas['Project']>(),
    todo: [] as Schemas['Project'][],
    /** T4: the unit's O&M filings due (GET /om-filings?status=due). */
    omDue: [] as Schemas['OMFiling'][],
    todoError: '',
  }),
  actions: {
    async load() {
      const l = this.list
      l.loading = true
      l.error = ''
      try {
        const f = this.filters
        const r = await call(api.GET('/api/v1/projects', {
          params: { query: {
            limit: 20,
            ...(l.cursors[l.page] ? { cursor: l.cursors[l.page] } : {}),
            ...(f.year ? { plan_year: Number(f.year) } : {}),
            ...(f.stage ? { stage: f.stage } : {}),
            ...(f.type ? { type: f.type } : {}),
          } },
        }))
        l.rows = r.items
        l.next = r.next_cursor
      } catch (e) {
        l.error = mapError(e).toast
      } finally {
        l.loading = false
      }
    },
    search() {
      this.list.cursors = ['']
      this.list.page = 0
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
      const l = this.list
      l.loading = true
      l.error = ''
      try {
        const f = this.filters
        const r = await call(api.GET('/api/v1/tasks', {
          params: { query: {
            limit: 50,
            ...(l.cursors[l.page] ? { cursor: l.cursors[l.page] } : {}),
            ...(f.kind ? { kind: f.kind } : {}),
            ...(f.year ? { plan_year: Number(f.year) } : {}),
            ...(f.overdue ? { overdue: true } : {}),
          } },
        }))
        l.rows = r.items
        l.next = r.next_cursor
        this.loadedAt = Date.now()
      } catch (e) {
        l.error = mapError(e).toast
      } finally {
        l.loading = false
      }
    },
    search() {
      this.list.cursors = ['']
      this.list.page = 0
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
