import { defineConfig } from 'tsup'

export default defineConfig([
  {
    // Runner side (main process): the plugin, and the globalSetup Vitest loads by path.
    entry: { index: 'src/index.ts', 'global-setup': 'src/runner/global-setup.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts' } },
    // No clean: a rebuild must not pull files from under a test run that is using them (see bootstrap).
    clean: false,
    target: 'node20',
    shims: true,
    external: ['vitest', 'vitest/node', '@workerdb/core'],
  },
  {
    // Worker side: a setup file that stays tiny (no driver, no framework).
    entry: { setup: 'src/worker/setup.ts' },
    format: ['esm'],
    target: 'node20',
    external: ['@workerdb/core', '@workerdb/core/worker'],
  },
])
