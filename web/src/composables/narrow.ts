import { readonly, ref } from 'vue'

/** The width at or below which the screens take their phone layout (a phone held upright, or a
 *  small tablet): the menu in a drawer, 待办 as cards, dialogs the screen's width. */
export const narrowQuery = '(max-width: 768px)'

const narrow = ref(false)
let watching = false

/**
 * useNarrow tells whether the window is phone-sized, and follows it as the window turns or is
 * resized. One media-query listener serves every component.
 */
export function useNarrow() {
  if (!watching && typeof window !== 'undefined' && window.matchMedia) {
    watching = true
    const mq = window.matchMedia(narrowQuery)
    narrow.value = mq.matches
    mq.addEventListener('change', (e) => { narrow.value = e.matches })
  }
  return readonly(narrow)
}
