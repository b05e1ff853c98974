// Small helpers of the ops, audit and oversight screens.

/** workflowLink fills the Temporal Web UI's page template of a workflow (GET /ops/config). */
export function workflowLink(template: string, workflowId: string): string {
  return template ? template.replace('{workflow_id}', encodeURIComponent(workflowId)) : ''
}

/**
 * dayBounds turns two calendar days (YYYY-MM-DD, Beijing time) into the audit log's time range:
 * from the first day's 00:00 (inclusive) to the day after the last (exclusive), RFC 3339.
 */
export function dayBounds(from: string, to: string): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {}
  if (from) out.from = `${from}T00:00:00+08:00`
  if (to) {
    const [y, m, d] = to.split('-').map(Number)
    const next = new Date(Date.UTC(y, m - 1, d + 1))
    out.to = `${next.toISOString().slice(0, 10)}T00:00:00+08:00`
  }
  return out
}
