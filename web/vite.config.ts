import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The gateway embeds dist/ui (web/web.go); dist/placeholder.html is committed and outside the
// directory Vite empties. `npm run dev` proxies /api to the gateway (GATEWAY, default :8080).
export default defineConfig({
  plugins: [
    vue(),
    // Element Plus components and their styles are imported where used: the first page loads
    // only what it shows.
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  build: {
    outDir: 'dist/ui',
    emptyOutDir: true,
    target: 'chrome109',
    // One file per route chunk; no inline scripts (the CSP forbids them).
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 5173,
    proxy: { '/api': process.env.GATEWAY ?? 'http://127.0.0.1:8080' },
  },
})
