import react from '@vitejs/plugin-react'
import { configDefaults, defineConfig } from 'vitest/config'

// The Go server (`open-sspm serve`) listens on :8080; in development Vite serves the app and forwards the
// server's routes to it.
const backend = 'http://localhost:8080'

export default defineConfig({
  plugins: [react()],
  resolve: { tsconfigPaths: true },
  server: {
    proxy: {
      '/api': backend,
      '/healthz': backend,
      '/hooks': backend,
      '/auth': backend,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  test: {
    environment: 'happy-dom',
    // The end-to-end suite (e2e/, `npm run test:e2e`) drives a browser against a running server; not here.
    exclude: [...configDefaults.exclude, 'e2e/**'],
    setupFiles: ['./src/testing/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
})
