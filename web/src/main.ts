import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import { ElMessage } from 'element-plus'
import App from './App.vue'
import { router } from './router'
import { installSession, useAuth } from './stores/auth'
import { chunkFailed, isChunkLoadError, reloadFor } from './lib/chunks'
import './style.css'

const app = createApp(App)
app.use(createPinia())
app.use(router)

// A 401 on any request: the session is over; 登录 brings the person back to this page (and
// the half-filled form, saved as a draft).
installSession((e) => {
  const auth = useAuth()
  if (!auth.signedIn) return
  auth.end(e.message || '登录已失效，请重新登录')
  const here = router.currentRoute.value
  if (here.name !== 'login') {
    ElMessage.warning({ message: auth.endedBecause, grouping: true })
    void router.push({ name: 'login', query: { redirect: here.fullPath } })
  }
})

// A screen whose code is gone (a new version deployed since this page loaded) is loaded anew
// at the address wanted; a second failure is said, not swallowed (lib/chunks.ts).
router.onError((err, to) => {
  if (!isChunkLoadError(err)) return
  if (!reloadFor(to.fullPath)) chunkFailed.value = true
})

app.mount('#app')
