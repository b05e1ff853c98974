import { ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'

/**
 * usePlanYear is the plan year a plan page shows: `?year=` in the address, else next year (the
 * year units are submitting for); changing it updates the address.
 */
export function usePlanYear() {
  const route = useRoute()
  const router = useRouter()
  const q = Number(route.query.year)
  const year = ref(String(Number.isInteger(q) && q >= 2000 && q <= 2200 ? q : new Date().getFullYear() + 1))
  watch(year, (y) => {
    if (y) void router.replace({ query: { ...route.query, year: y } })
  })
  return year
}
