// ECharts, tree-shaken to what the funds report draws (bars, grid, title, tooltip, legend, canvas).
// Imported only with import(): it is a chunk of its own, never part of the first page.
import * as echarts from 'echarts/core'
import { BarChart } from 'echarts/charts'
import { AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, AriaComponent, CanvasRenderer])

export { echarts }
