// A page open since before a new version of the UI was deployed asks, for the next screen it
// shows, for chunks of its own build, which the gateway no longer has (a 404: it serves the
// embedded build only). Without this the click would do nothing. The app loads itself anew at
// the address the person wanted, once a minute at most; when that does not help either (the
// network is down, or the chunk is missing in the new build too) it says so instead of looping.

import { ref } from 'vue'

/** chunkFailedMessage is what the person reads when a screen's code could not be loaded. */
export const chunkFailedMessage = '页面未能加载：系统可能已更新或网络中断，请刷新页面后重试'

/**
 * chunkFailed is set when a screen's code could not be loaded even after a reload: App.vue then
 * shows chunkFailedMessage with 刷新页面 above whatever is left on the screen (nothing, when it
 * was the page's first screen), until the person reloads.
 */
export const chunkFailed = ref(false)

const reloadedAt = 'egovpm.chunkReloadAt'

/** reloadEvery is the least time between two reloads of the app for a missing chunk. */
export const reloadEvery = 60_000

/**
 * isChunkLoadError tells a failed load of a route's or component's code (a dynamic import, or
 * Vite's preload of its styles) from other errors, by the messages browsers give.
 */
export function isChunkLoadError(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e)
  return /Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed|Unable to preload CSS/i.test(m)
}

/**
 * reloadFor loads the app anew at url, unless it did so less than reloadEvery ago (kept in the
 * tab's sessionStorage, so a reload that fails again does not loop); it returns whether it did.
 */
export function reloadFor(url: string, storage: Pick<Storage, 'getItem' | 'setItem'> = sessionStorage, now = Date.now(),
  go: (url: string) => void = (u) => window.location.assign(u)): boolean {
  const last = Number(storage.getItem(reloadedAt) ?? 0)
  if (now - last < reloadEvery) return false
  storage.setItem(reloadedAt, String(now))
  go(url)
  return true
}
