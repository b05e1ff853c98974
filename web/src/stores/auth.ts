import { defineStore } from 'pinia'
import { api, call, session, type Schemas } from '../api/client'
import type { ApiError } from '../api/errors'

const KEY = 'egovpm.session'

export interface Saved {
  token: string
  expiresAt: number
  issuedAt: number
}

/**
 * renewalDue: a session is renewed once half its lifetime is gone, and only if the person did
 * something in the last five minutes (an idle session is left to expire).
 */
export function renewalDue(s: Saved | null, now: number, lastActivity: number): boolean {
  if (!s) return false
  const half = (s.expiresAt - s.issuedAt) / 2
  return now - s.issuedAt >= half && now - lastActivity <= 5 * 60_000 && now < s.expiresAt
}

function load(): Saved | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Saved | null
    return s && s.token && s.expiresAt > Date.now() ? s : null
  } catch {
    return null
  }
}

/** The signed-in person: token, who they are (GET /me), and the session's renewal. */
export const useAuth = defineStore('auth', {
  state: () => ({
    saved: load() as Saved | null,
    me: null as Schemas['Me'] | null,
    lastActivity: Date.now(),
    refreshing: null as Promise<void> | null,
    /** Why the last session ended (shown on 登录), e.g. 登录已过期. */
    endedBecause: '',
  }),
  getters: {
    token: (s) => s.saved?.token ?? '',
    signedIn: (s) => !!s.saved,
    roles: (s): string[] => (s.me?.roles as string[] | undefined) ?? [],
    mustChangePassword: (s) => !!s.me?.user.must_change_password,
    userId: (s) => s.me?.user.id ?? '',
  },
  actions: {
    has(...roles: string[]) {
      return roles.some((r) => this.roles.includes(r))
    },
    store(token: string, expiresAt: string) {
      this.saved = { token, expiresAt: Date.parse(expiresAt), issuedAt: Date.now() }
      sessionStorage.setItem(KEY, JSON.stringify(this.saved))
      this.endedBecause = ''
    },
    async login(username: string, password: string, otp?: string) {
      const r = await call(api.POST('/api/v1/auth/login', { body: { username, password, ...(otp ? { otp } : {}) } }))
      this.store(r.token, r.expires_at)
      await this.loadMe()
    },
    async loadMe() {
      this.me = await call(api.GET('/api/v1/me'))
    },
    /** end forgets the session locally (after logout, or when the API says it is over). */
    end(reason = '') {
      this.saved = null
      this.me = null
      this.endedBecause = reason
      sessionStorage.removeItem(KEY)
    },
    async logout() {
      try {
        await call(api.POST('/api/v1/auth/logout'))
      } catch {
        /* the token may be dead already: signed out either way */
      }
      clearDrafts()
      this.end()
    },
    async changePassword(current: string, next: string) {
      // Every session of the user ends with the old password, this one too: it goes on with
      // the token of the reply.
      const r = await call(api.POST('/api/v1/auth/password', { body: { current_password: current, new_password: next } }))
      this.store(r.token, r.expires_at)
      await this.loadMe()
    },
    /** renewIfDue refreshes the token once half its life is gone, if the person was active lately. */
    async renewIfDue() {
      if (this.refreshing || !renewalDue(this.saved, Date.now(), this.lastActivity)) return
      this.refreshing = (async () => {
        try {
          const r = await call(api.POST('/api/v1/auth/refresh'))
          this.store(r.token, r.expires_at)
        } catch {
          /* a failed renewal leaves the session to expire; the next 401 leads to 登录 */
        } finally {
          this.refreshing = null
        }
      })()
      await this.refreshing
    },
  },
})

/** installSession connects the API client to the auth store and tracks activity. */
export function installSession(onUnauthorized: (e: ApiError) => void) {
  const auth = useAuth()
  session.token = () => auth.token
  session.onActivity = () => {
    auth.lastActivity = Date.now()
  }
  session.onUnauthorized = onUnauthorized
  for (const ev of ['pointerdown', 'keydown']) {
    window.addEventListener(ev, () => (auth.lastActivity = Date.now()), { passive: true })
  }
  setInterval(() => void auth.renewIfDue(), 30_000)
}

const DRAFT = 'egovpm.draft.'

/** saveDraft keeps a half-filled form across a re-login (sessionStorage, this tab only). */
export function saveDraft(key: string, value: unknown) {
  sessionStorage.setItem(DRAFT + key, JSON.stringify(value))
}

export function loadDraft<T>(key: string): T | null {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFT + key) ?? 'null') as T | null
  } catch {
    return null
  }
}

export function dropDraft(key: string) {
  sessionStorage.removeItem(DRAFT + key)
}

function clearDrafts() {
  for (const k of Object.keys(sessionStorage)) if (k.startsWith(DRAFT)) sessionStorage.removeItem(k)
}
