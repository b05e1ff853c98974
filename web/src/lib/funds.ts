// The funds report's series, from GET /api/v1/funds/summary: every figure is the server's
// sum; this only lays them out for the chart (in 万元, for reading) and names them.
import type { Schemas } from '../api/client'

export const fundsSeries = [
  { key: 'approved_fen', name: '批复金额' },
  { key: 'contracted_fen', name: '合同金额' },
  { key: 'recorded_fen', name: '已登记付款' },
  { key: 'confirmed_fen', name: '已确认拨付' },
] as const

type Figures = Schemas['FundsFigures']

/** wan is fen in 万元 for a chart axis (display only; tables and exports show exact 元). */
export const wan = (fen: number) => Math.round(fen / 100) / 10_000

/** chartOption lays rows (per year or per unit) out as grouped bars of the four figures. */
export function chartOption(title: string, categories: string[], rows: Figures[]) {
  return {
    aria: { enabled: true, decal: { show: true } },
    title: { text: title, left: 0, top: 0, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${v.toLocaleString('zh-CN')} 万元` },
    legend: { top: 26 },
    grid: { left: 70, right: 16, top: 84, bottom: 30 },
    xAxis: { type: 'category', data: categories },
    yAxis: { type: 'value', name: '万元' },
    series: fundsSeries.map((s) => ({ name: s.name, type: 'bar', data: rows.map((r) => wan(r[s.key])) })),
  }
}

/** summaryText describes a chart in words (its accessible name), from the server's total. */
export function summaryText(t: Figures): string {
  return fundsSeries.map((s) => `${s.name} ${wan(t[s.key]).toLocaleString('zh-CN')} 万元`).join('，')
}
