import { defineConfig } from 'vitest/config'

// The end-to-end suite (`npm run test:e2e`, run by `make test-e2e`): headless Chromium (playwright-core) drives the
// built SPA served by `open-sspm dev --demo on`, which e2e/global-setup.ts starts. One worker, in file order.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['./e2e/global-setup.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000,
  },
})
