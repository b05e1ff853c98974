// The one place that turns the API's error body ({"error":{code,message,fields,extra,request_id}})
// into what a person sees: messages on the form fields the API named, and a toast for the rest.

/** ApiError is a non-2xx answer of the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public fields: Record<string, string> = {},
    public extra: Record<string, unknown> = {},
    public requestId = '',
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** fromBody builds an ApiError from a response's status and parsed body (anything JSON). */
export function fromBody(status: number, body: unknown): ApiError {
  const e = (body as { error?: Record<string, unknown> } | null)?.error
  if (e && typeof e === 'object') {
    return new ApiError(
      status,
      String(e.code ?? 'error'),
      String(e.message ?? '请求失败'),
      (e.fields as Record<string, string>) ?? {},
      (e.extra as Record<string, unknown>) ?? {},
      String(e.request_id ?? ''),
    )
  }
  if (status === 0) return new ApiError(0, 'network', '无法连接服务器，请检查网络后重试')
  if (status >= 500) return new ApiError(status, 'internal', '服务器暂时无法处理，请稍后重试')
  return new ApiError(status, 'error', `请求失败（HTTP ${status}）`)
}

/** FormErrors maps form field names to the message shown under the field. */
export type FormErrors = Record<string, string>

/** Mapped is where an error goes: onto fields of the form, and/or into one toast. */
export interface Mapped {
  fields: FormErrors
  toast: string
}

/**
 * mapError places an API error: each `fields` entry the form has (by the API's field name, or
 * an alias: API name → form field) goes under that field; fields the form does not show and
 * errors without fields go to the toast, with the API's message (already Chinese). `fieldOf`
 * lets a form put a field-less error on a field (e.g. a decision refused for lack of 意见).
 */
export function mapError(
  err: unknown,
  formFields: readonly string[] = [],
  aliases: Record<string, string> = {},
  fieldOf: (e: ApiError) => string | undefined = () => undefined,
): Mapped {
  const e = err instanceof ApiError ? err : new ApiError(0, 'client', err instanceof Error ? err.message : String(err))
  const fields: FormErrors = {}
  const rest: string[] = []
  for (const [k, msg] of Object.entries(e.fields)) {
    const f = aliases[k] ?? k
    if (formFields.includes(f)) fields[f] = msg
    else rest.push(`${k}：${msg}`)
  }
  const target = Object.keys(e.fields).length === 0 ? fieldOf(e) : undefined
  if (target && formFields.includes(target)) {
    fields[target] = e.message
    return { fields, toast: '' }
  }
  let toast = ''
  if (Object.keys(fields).length > 0) toast = rest.length ? `请检查标红的内容；另：${rest.join('；')}` : '请检查标红的内容'
  else if (rest.length) toast = `${e.message}：${rest.join('；')}`
  else toast = e.message
  return { fields, toast }
}
