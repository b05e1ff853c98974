import { onMounted, ref } from 'vue'
import { useRoute } from 'vue-router'
import { api, call, type Schemas } from '../api/client'
import { mapError } from '../api/errors'

/**
 * usePlanSheet reads the plan of the route's year (GET /plans/{year}) for a printed sheet
 * (年度计划, 打捆项目建议书). refuse names what the page cannot show of a plan it read (a bundle
 * not in it), or '' when it can; a year out of range is refused before asking the server.
 */
export function usePlanSheet(refuse: (p: Schemas['Plan']) => string = () => '') {
  const route = useRoute()
  const year = Number(route.params.year)
  const plan = ref<Schemas['Plan'] | null>(null)
  const loading = ref(true)
  const error = ref('')
  async function load() {
    error.value = ''
    loading.value = true
    try {
      if (!Number.isInteger(year) || year < 2000 || year > 2200) {
        error.value = '计划年度无效'
        return
      }
      const p = await call(api.GET('/api/v1/plans/{year}', { params: { path: { year } } }))
      error.value = refuse(p)
      plan.value = error.value ? null : p
    } catch (e) {
      error.value = mapError(e).toast
    } finally {
      loading.value = false
    }
  }
  onMounted(load)
  return { year, plan, loading, error, load }
}
