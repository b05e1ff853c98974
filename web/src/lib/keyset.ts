import { reactive } from 'vue'
import { mapError } from '../api/errors'

// Keyset-paged lists (the API's limit/cursor/next_cursor): the page shown and the cursor of
// every page visited, so that 上一页 goes back without the server keeping an offset.

/** A keyset-paged list's state. */
export interface Keyset<T> {
  rows: T[]
  cursors: string[] // cursors[i] opens page i ('' the first)
  page: number
  next: string // the next page's cursor, '' on the last page
  loading: boolean
  error: string // the toast of the last failed load, '' after a good one
}

/** A page as the API answers it. */
export interface Page<T> {
  items: T[]
  next_cursor: string
}

export const keyset = <T>(): Keyset<T> => ({ rows: [], cursors: [''], page: 0, next: '', loading: false, error: '' })

/** turn moves a keyset list one page forward (delta 1) or back (-1); it stays at either end. */
export function turn<T>(s: Keyset<T>, delta: number) {
  if (delta > 0 && s.next) {
    s.cursors[s.page + 1] = s.next
    s.page++
  } else if (delta < 0 && s.page > 0) s.page--
}

/** restart goes back to the first page, for a new search. */
export function restart<T>(s: Keyset<T>) {
  s.cursors = ['']
  s.page = 0
}

/** loadPage reads the page s shows with fetch (given its cursor, '' the first); a failure is kept as s.error. */
export async function loadPage<T>(s: Keyset<T>, fetch: (cursor: string) => Promise<Page<T>>) {
  s.loading = true
  s.error = ''
  try {
    const r = await fetch(s.cursors[s.page] ?? '')
    s.rows = r.items
    s.next = r.next_cursor
  } catch (e) {
    s.error = mapError(e).toast
  } finally {
    s.loading = false
  }
}

/** useKeyset is a page's own keyset list, read with fetch: load (again), search (from page 1), turn. */
export function useKeyset<T>(fetch: (cursor: string) => Promise<Page<T>>) {
  const list = reactive(keyset<T>()) as Keyset<T>
  list.loading = true
  const load = () => loadPage(list, fetch)
  return {
    list,
    load,
    search: () => {
      restart(list)
      return load()
    },
    turn: (delta: number) => {
      turn(list, delta)
      return load()
    },
  }
}
