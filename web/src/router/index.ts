import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useAuth } from '../stores/auth'
import { useTasks } from '../stores/lists'

// Roles per page mirror the gateway's route table (server/routes.go): the gateway decides,
// the menu only hides what it would refuse.
export const R = {
  projectReaders: ['submitter', 'drb_reviewer', 'drb_supervisor', 'audit', 'expert', 'ndrc_approver',
    'citygov_approver', 'prta_witness', 'finance', 'crypto'],
  submitters: ['submitter'],
  // The inbox of those who decide (the gateway also lets Audit read every task: its read-only
  // view is part 2's audit screen).
  reviewers: ['drb_reviewer', 'drb_supervisor', 'expert', 'ndrc_approver', 'citygov_approver', 'prta_witness',
    'finance', 'crypto'],
  // Plans: convening expert sessions, compiling, bundling (plan manage).
  drb: ['drb_reviewer', 'drb_supervisor'],
  // Every overdue task (GET /tasks/overdue): the DRB supervisor (转办) and Audit.
  overseers: ['drb_supervisor', 'audit'],
  // The audit log (GET /audit).
  auditors: ['audit', 'drb_supervisor'],
  // Every task, read-only (GET /tasks answers Audit with all of them).
  audit: ['audit'],
  ops: ['ops'],
  // 用户管理 (PATCH /users/{id}, …/reset-password, …/unlock).
  admins: ['admin'],
  // R15: payments (unit, DRB, Audit, Finance); the funds report (Finance, DRB, Audit).
  paymentReaders: ['submitter', 'drb_reviewer', 'drb_supervisor', 'audit', 'finance'],
  fundReaders: ['finance', 'drb_reviewer', 'drb_supervisor', 'audit'],
  // R13: O&M filings across projects (DRB's oversight, Audit).
  omOverseers: ['drb_reviewer', 'drb_supervisor', 'audit'],
  planReaders: ['drb_reviewer', 'drb_supervisor', 'audit', 'ndrc_approver', 'citygov_approver', 'finance'],
}

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: string[]
    title?: string
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true, title: '登录' } },
  // The printed record stands alone: no header, no menu, the sheet's width.
  { path: '/projects/:id/print', name: 'project-print', component: () => import('../views/ProjectPrintView.vue'), meta: { roles: R.projectReaders, title: '打印项目审批记录' } },
  { path: '/plans/:year/print', name: 'plan-print', component: () => import('../views/PlanPrintView.vue'), meta: { roles: R.planReaders, title: '打印年度计划' } },
  { path: '/plans/:year/bundles/:id/print', name: 'bundle-print', component: () => import('../views/BundlePrintView.vue'), meta: { roles: R.planReaders, title: '打印打捆项目建议书' } },
  {
    path: '/',
    component: () => import('../layouts/AppShell.vue'),
    children: [
      { path: '', name: 'home', component: () => import('../views/HomeView.vue'), meta: { title: '首页' } },
      { path: 'password', name: 'password', component: () => import('../views/PasswordView.vue'), meta: { title: '修改密码' } },
      { path: 'projects', name: 'projects', component: () => import('../views/ProjectsView.vue'), meta: { roles: R.projectReaders, title: '我的项目' } },
      { path: 'projects/new', name: 'project-new', component: () => import('../views/ProjectFormView.vue'), meta: { roles: R.submitters, title: '新建项目' } },
      { path: 'projects/:id', name: 'project', component: () => import('../views/ProjectDetailView.vue'), meta: { roles: R.projectReaders, title: '项目详情' } },
      { path: 'projects/:id/edit', name: 'project-edit', component: () => import('../views/ProjectFormView.vue'), meta: { roles: R.submitters, title: '修改项目' } },
      { path: 'projects/:id/contract', name: 'project-contract', component: () => import('../views/ContractFormView.vue'), meta: { roles: R.submitters, title: '合同备案' } },
      { path: 'payments', name: 'payments', component: () => import('../views/PaymentsView.vue'), meta: { roles: R.fundReaders, title: '付款确认' } },
      { path: 'funds', name: 'funds', component: () => import('../views/FundsView.vue'), meta: { roles: R.fundReaders, title: '资金报表' } },
      { path: 'om-filings', name: 'om-filings', component: () => import('../views/OMFilingsView.vue'), meta: { roles: R.omOverseers, title: '运维备案' } },
      { path: 'exports', name: 'exports', component: () => import('../views/ExportsView.vue'), meta: { roles: [...new Set([...R.projectReaders, ...R.planReaders, ...R.paymentReaders, ...R.auditors])], title: '数据导出' } },
      { path: 'done', name: 'done', component: () => import('../views/DoneTasksView.vue'), meta: { roles: R.reviewers, title: '已办' } },
      { path: 'tasks', name: 'tasks', component: () => import('../views/InboxView.vue'), meta: { roles: R.reviewers, title: '待办' } },
      { path: 'sessions', name: 'sessions', component: () => import('../views/ExpertSessionView.vue'), meta: { roles: R.drb, title: '专家评审' } },
      { path: 'plan', name: 'plan', component: () => import('../views/PlanView.vue'), meta: { roles: R.drb, title: '年度计划' } },
      { path: 'bundles', name: 'bundles', component: () => import('../views/BundleView.vue'), meta: { roles: R.drb, title: '打捆' } },
      { path: 'overdue', name: 'overdue', component: () => import('../views/OverdueView.vue'), meta: { roles: R.overseers, title: '逾期督办' } },
      { path: 'all-tasks', name: 'all-tasks', component: () => import('../views/AllTasksView.vue'), meta: { roles: R.audit, title: '全部任务' } },
      { path: 'audit', name: 'audit', component: () => import('../views/AuditView.vue'), meta: { roles: R.auditors, title: '审计日志' } },
      { path: 'users', name: 'users', component: () => import('../views/UsersView.vue'), meta: { roles: R.admins, title: '用户管理' } },
      { path: 'ops', name: 'ops', component: () => import('../views/OpsView.vue'), meta: { roles: R.ops, title: '运维监控' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('../views/MessageView.vue'), props: { kind: 'forbidden' }, meta: { title: '无权访问' } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('../views/MessageView.vue'), props: { kind: 'not-found' }, meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  const auth = useAuth()
  if (to.meta.public) return true
  if (!auth.signedIn) return { name: 'login', query: { redirect: to.fullPath } }
  if (!auth.me) {
    // /me (and 待办's list, which the gateway authorizes and the page shows once it mounts) are
    // asked first, then the page's chunks load meanwhile: no waterfall on the first page, and
    // the API requests do not queue behind a dozen chunk downloads for a connection.
    const me = auth.loadMe()
    if (to.name === 'tasks') void useTasks().load()
    for (const r of to.matched) {
      const c = r.components?.default
      if (typeof c === 'function') void (c as () => Promise<unknown>)()
    }
    try {
      await me
    } catch {
      return auth.signedIn ? true : { name: 'login', query: { redirect: to.fullPath } }
    }
  }
  if (auth.mustChangePassword && to.name !== 'password') return { name: 'password', query: { redirect: to.fullPath } }
  if (to.meta.roles && !auth.has(...to.meta.roles)) return { name: 'forbidden' }
  return true
})

router.afterEach((to) => {
  document.title = (to.meta.title ? to.meta.title + ' - ' : '') + '六安市电子政务项目管理系统'
})
