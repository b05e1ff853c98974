// One Idempotency-Key per opened form: a resend of the same body (a double click, a retry
// after a lost answer) reuses it, so the server applies it once; a changed body is a new
// request and gets a new key (the server refuses a key reused with another body).

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
    if (this.body !== null && this.body !== s) this.key = newKey()
    this.body = s
    return this.key
  }

  /** reset starts over (the form was closed or its request succeeded and a new one begins). */
  reset() {
    this.key = newKey()
    this.body = null
  }
}
