// ECharts, only the parts the charts use, in a chunk of its own: a page imports this module
// dynamically, so the first page's JavaScript never carries it. The 首页's bars name their
// figures in the container (role="img", aria-label) and label each bar; the 资金报表 (issue 18)
// also uses a title, a legend, a tooltip and the aria component's decal patterns (colour is
// never the only signal). One module for every chart, so the pages share one chunk.
import * as echarts from 'echarts/core'
import { BarChart } from 'echarts/charts'
import { AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components'
import { SVGRenderer } from 'echarts/renderers'

echarts.use([BarChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, AriaComponent, SVGRenderer])

export const { init } = echarts
