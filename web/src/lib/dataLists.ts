// The data three lists (数据三清单, R9) as the 合同备案 form edits them, and their shaping into the
// API's request. The browser checks only shape (a list is either items or "none" with a
// reason, an amount is a number); every rule is the server's, whose field errors (keyed by path,
// e.g. "data_lists.demand.items[0].sharing") land on the same cells of the editor.
import { isBlank } from './labels'
import { fenToNumber, parseAmount } from './money'

export const listNames = ['demand', 'responsibility', 'negative'] as const
export type ListName = (typeof listNames)[number]

export const listLabels: Record<ListName, string> = { demand: '需求清单', responsibility: '责任清单', negative: '负面清单' }

/** The item fields of R9 (the server's default field set), in the order the editor shows them. */
export const itemFields = [
  { name: 'resource', label: '数据资源', width: 150 },
  { name: 'department', label: '提供/使用部门', width: 140 },
  { name: 'sharing', label: '共享条件', width: 130 },
  { name: 'legal_basis', label: '法律依据', width: 170 },
  { name: 'frequency', label: '更新频率', width: 100 },
  { name: 'interface', label: '江淮大数据中心六安市子平台接口', width: 170 },
] as const

export const sharingLabels: Record<string, string> = { unconditional: '无条件共享', conditional: '有条件共享', not_shared: '不予共享' }

export type Item = Record<string, string>

export interface ListState {
  /** items: the list has items; none: the unit states there is none, with a reason. */
  mode: 'items' | 'none'
  items: Item[]
  noneReason: string
}

export interface ContractFormState {
  vendor: string
  amountYuan: string
  signedOn: string
  procurementRef: string
  lists: Record<ListName, ListState>
}

export const emptyItem = (): Item => Object.fromEntries(itemFields.map((f) => [f.name, ''])) as Item

export const emptyContractForm = (): ContractFormState => ({
  vendor: '', amountYuan: '', signedOn: '', procurementRef: '',
  lists: {
    demand: { mode: 'items', items: [emptyItem()], noneReason: '' },
    responsibility: { mode: 'items', items: [emptyItem()], noneReason: '' },
    negative: { mode: 'items', items: [emptyItem()], noneReason: '' },
  },
})

export type DataListRequest = { items: Item[] } | { none_reason: string }

export interface ContractRequest {
  vendor: string
  amount_fen: number
  signed_on: string
  procurement_ref: string
  data_lists: Record<ListName, DataListRequest>
}

/** The API's field names of the form outside the lists. */
export const contractFields = ['vendor', 'amount_fen', 'signed_on', 'procurement_ref'] as const

/**
 * shapeList is one list as the API takes it: the items as typed (values trimmed; rows left
 * wholly empty dropped) or the reason for "none". Only one of the two is ever sent.
 */
export function shapeList(l: ListState): DataListRequest {
  if (l.mode === 'none') return { none_reason: l.noneReason.trim() }
  const items = l.items
    .map((it) => Object.fromEntries(itemFields.map((f) => [f.name, (it[f.name] ?? '').trim()])) as Item)
    .filter((it) => Object.values(it).some((v) => v !== ''))
  return { items }
}

/** validateContractForm returns field errors (API paths → 中文) and, when none, the request. */
export function validateContractForm(f: ContractFormState): { errors: Record<string, string>; request?: ContractRequest } {
  const errors: Record<string, string> = {}
  if (isBlank(f.vendor)) errors.vendor = '请填写供应商'
  if (isBlank(f.procurementRef)) errors.procurement_ref = '请填写采购编号'
  if (!/^\d{4}-\d{2}-\d{2}$/.test(f.signedOn)) errors.signed_on = '请选择签订日期'
  const amount = parseAmount(f.amountYuan, 'yuan')
  if (!amount.ok) errors.amount_fen = amount.error
  const lists = {} as Record<ListName, DataListRequest>
  // Whether each list is acceptable (an item or a reason, every field filled, the sharing
  // condition one of the policy's) is the API's to say: its field errors come back by path.
  for (const n of listNames) lists[n] = shapeList(f.lists[n])
  if (Object.keys(errors).length || !amount.ok) return { errors }
  return {
    errors,
    request: { vendor: f.vendor.trim(), amount_fen: fenToNumber(amount.fen), signed_on: f.signedOn,
      procurement_ref: f.procurementRef.trim(), data_lists: lists },
  }
}

/** The path of an item's cell as the API names it in `fields`. */
export const cellPath = (list: ListName, row: number, field: string) => `data_lists.${list}.items[${row}].${field}`

/**
 * itemRows maps the rows the API saw (empty rows dropped by shapeList) back to the editor's
 * rows, so an error on items[i] lands on the row the person typed it in.
 */
export function itemRows(l: ListState): number[] {
  const out: number[] = []
  l.items.forEach((it, i) => {
    if (itemFields.some((f) => (it[f.name] ?? '').trim() !== '')) out.push(i)
  })
  return out
}

/**
 * placeListErrors rewrites the API's list field paths onto the editor's rows (items[i] of the
 * request → items[row] of the form). Other paths are kept as they are.
 */
export function placeListErrors(fields: Record<string, string>, f: ContractFormState): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fields)) {
    const m = /^data_lists\.(demand|responsibility|negative)\.items\[(\d+)\]\.(.+)$/.exec(k)
    if (m) {
      const rows = itemRows(f.lists[m[1] as ListName])
      const row = rows[Number(m[2])] ?? Number(m[2])
      out[cellPath(m[1] as ListName, row, m[3])] = v
    } else out[k] = v
  }
  return out
}

/** allFieldPaths lists every field path the editor can show an error on. */
export function allFieldPaths(f: ContractFormState): string[] {
  const out: string[] = [...contractFields]
  for (const n of listNames) {
    out.push(`data_lists.${n}`, `data_lists.${n}.none_reason`, `data_lists.${n}.items`)
    f.lists[n].items.forEach((_, i) => itemFields.forEach((fd) => out.push(cellPath(n, i, fd.name))))
  }
  return out
}
