// ECharts, only the parts the charts use, in a chunk of its own: a page imports this module
// dynamically, so the first page's JavaScript never carries it. The chart's container names
// its figures for screen readers (role="img", aria-label), and each bar is labelled, so
// neither the tooltip nor the aria component is loaded.
import * as echarts from 'echarts/core'
import { BarChart } from 'echarts/charts'
import { GridComponent } from 'echarts/components'
import { SVGRenderer } from 'echarts/renderers'

echarts.use([BarChart, GridComponent, SVGRenderer])

export const { init } = echarts
