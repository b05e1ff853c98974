// One Idempotency-Key per opened form: a resend of the same body (a double click, a retry
// after a lost answer) reuses it, so the server applies it once; a changed body is a new
// request and gets a new key (the server refuses a key reused with another body). A key the
// server refused (any 4xx: nothing was applied) is spent: the server would answer its resend
// with the same refusal, so the next send of the form — after the user fixed what was refused,
// e.g. uploaded a missing document, with the very same body — gets a new key.

const spent = new Set<string>()

/** spend marks key refused; the API client calls it on every 4xx answer to a keyed request. */
export function spend(key: string) {
  spent.add(key)
}

export function newKey(): string {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  return 'ui-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** IdempotencyKeys hands out the key for a request body. */
export class IdempotencyKeys {
  private key = newKey()
  private body: string | null = null

  /** keyFor returns the key to send with body: the same as last time if body is unchanged. */
  keyFor(body: unknown): string {
    const s = JSON.stringify(body ?? null)
    if ((this.body !== null && this.body !== s) || spent.has(this.key)) this.key = newKey()
    this.body = s
    return this.key
  }

  /** reset starts over (the form was closed or its request succeeded and a new one begins). */
  reset() {
    this.key = newKey()
    this.body = null
  }
}
