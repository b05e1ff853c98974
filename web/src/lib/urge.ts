// 催办 on a project's 待办事项: who is offered the button. Whether an urge goes through (the
// task overdue, once a day per person and task) is the server's, which says why not in Chinese.

/** urgerRoles read projects and may urge their overdue tasks (routes.go: urgers; Audit only reads). */
export const urgerRoles = ['submitter', 'drb_reviewer', 'drb_supervisor', 'expert', 'ndrc_approver', 'citygov_approver',
  'prta_witness', 'finance', 'crypto']

/** mayUrge: an open task past its due date (now, in ms), held by someone else, for a caller with an urger role. */
export function mayUrge(t: { due_at: string; assignee_id?: string | null; status?: string }, roles: readonly string[], userId: string, now: number): boolean {
  if (t.status && t.status !== 'open') return false
  if (!(Date.parse(t.due_at) < now)) return false
  if (t.assignee_id && t.assignee_id === userId) return false
  return roles.some((r) => urgerRoles.includes(r))
}
