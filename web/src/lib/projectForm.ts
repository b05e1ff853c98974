// The 新建/修改项目 form: its fields as people fill them (amounts as 万元 text) and their
// conversion to the API's request. Checks here are only of shape (filled in, a number); every
// rule is the server's, whose field errors land on the same fields.
import { isBlank } from './labels'
import { fenToNumber, formatFenInput, parseAmount } from './money'

export interface ProjectFormState {
  name: string
  type: string
  planYear: string
  investmentWan: string
  description: string
  dataResources: string[]
  mlpsLevel: number | null
  usesCrypto: boolean
  parentProjectId: string
  /** 基础共用: '' until chosen (the API keeps it optional for older clients; the form asks). */
  deployment: '' | 'gov_cloud' | 'self_built' | 'none'
  deploymentReason: string
  sharedPlatforms: ('data_platform' | 'service_platform')[]
}

export const emptyProjectForm = (): ProjectFormState => ({
  name: '', type: 'new', planYear: String(new Date().getFullYear() + 1), investmentWan: '', description: '',
  dataResources: [], mlpsLevel: 2, usesCrypto: false, parentProjectId: '',
  deployment: '', deploymentReason: '', sharedPlatforms: [],
})

/** The API's field names, as the form shows them (errors in `fields` land here). */
export const projectFormFields = ['name', 'type', 'plan_year', 'estimated_investment_fen', 'description',
  'data_resources', 'mlps_level', 'uses_crypto', 'parent_project_id', 'deployment', 'deployment_reason', 'shared_platforms'] as const

export interface ProjectRequest {
  name: string
  type: string
  plan_year: number
  estimated_investment_fen: number
  description: string
  data_resources: string[]
  mlps_level: number
  uses_crypto: boolean
  parent_project_id?: string
  deployment: 'gov_cloud' | 'self_built' | 'none'
  deployment_reason?: string
  shared_platforms: ('data_platform' | 'service_platform')[]
}

/** validateProjectForm returns field errors (API field names → 中文) and, when none, the request. */
export function validateProjectForm(f: ProjectFormState): { errors: Record<string, string>; request?: ProjectRequest } {
  const errors: Record<string, string> = {}
  if (isBlank(f.name)) errors.name = '请填写项目名称'
  if (!f.type) errors.type = '请选择项目类型'
  const year = Number(f.planYear)
  if (!/^\d{4}$/.test(f.planYear) || !Number.isInteger(year)) errors.plan_year = '请选择计划年度'
  const amount = parseAmount(f.investmentWan, 'wan')
  if (!amount.ok) errors.estimated_investment_fen = amount.error
  if (f.mlpsLevel === null) errors.mlps_level = '请选择等保级别'
  if (!f.deployment) errors.deployment = '请选择部署方式'
  else if (f.deployment === 'self_built' && isBlank(f.deploymentReason)) errors.deployment_reason = '请说明不使用市政务云平台的理由'
  if (Object.keys(errors).length || !amount.ok || !f.deployment) return { errors }
  const req: ProjectRequest = {
    name: f.name.trim(), type: f.type, plan_year: year, estimated_investment_fen: fenToNumber(amount.fen),
    description: f.description, data_resources: f.dataResources.map((r) => r.trim()).filter((r) => r !== ''),
    mlps_level: f.mlpsLevel as number, uses_crypto: f.usesCrypto,
    deployment: f.deployment, shared_platforms: [...f.sharedPlatforms],
  }
  if (f.parentProjectId) req.parent_project_id = f.parentProjectId
  // The reason belongs to a self-built deployment only; another choice drops it on the server.
  if (f.deployment === 'self_built') req.deployment_reason = f.deploymentReason.trim()
  return { errors, request: req }
}

/** fromProject fills the form from a project the API returned (for 修改). */
export function fromProject(p: {
  name: string; type: string; plan_year: number; estimated_investment_fen: number; description: string
  data_resources: string[]; mlps_level: number; uses_crypto: boolean; parent_project_id?: string | null
  deployment?: ProjectFormState['deployment'] | null; deployment_reason?: string; shared_platforms?: ProjectFormState['sharedPlatforms']
}): ProjectFormState {
  return {
    name: p.name, type: p.type, planYear: String(p.plan_year), investmentWan: formatFenInput(p.estimated_investment_fen, 'wan'),
    description: p.description, dataResources: [...p.data_resources], mlpsLevel: p.mlps_level, usesCrypto: p.uses_crypto,
    parentProjectId: p.parent_project_id ?? '',
    deployment: p.deployment ?? '', deploymentReason: p.deployment_reason ?? '', sharedPlatforms: [...(p.shared_platforms ?? [])],
  }
}
