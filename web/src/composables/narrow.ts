import { readonly, ref } from 'vue'

/** The screens at or below which the pages take their phone layout (a phone held upright, or a
 *  small tablet): the menu in a drawer, 待办 as cards, dialogs the screen's width. A screen's
 *  only: a printed page (an A4 sheet is narrower) keeps the desk's layout. */
export const narrowQuery = 'screen and (max-width: 768px)'

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
