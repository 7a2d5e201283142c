import { defineConfig } from 'tsup'

export default defineConfig([
  {
    // Runner side (main process): the plugin, and the globalSetup Vitest loads by path.
    entry: { index: 'src/index.ts', 'global-setup': 'src/runner/global-setup.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts', 'global-setup': 'src/runner/global-setup.ts' } },
    // No clean: a rebuild must not pull files from under a test run that is using them (see bootstrap).
    clean: false,
    target: 'node20',
    shims: true,
    external: ['vitest', 'vitest/node', '@workerdb/core'],
  },
  {
    // Worker side: a setup file that stays tiny (no driver, no framework). The plugin adds this ESM one by
    // path; it awaits `reset: 'truncate'` at its top level, which CommonJS cannot, hence a separate twin.
    // One module, with the part of @workerdb/core/worker it uses bundled in: every test file's process
    // loads it afresh, and one 10 KB module is less to resolve and load there than two of 17 KB.
    entry: { setup: 'src/worker/setup.ts' },
    format: ['esm'],
    dts: true,
    target: 'node20',
    external: ['@workerdb/core'],
    noExternal: ['@workerdb/core/worker'],
  },
  {
    // The CommonJS twin only serves `require.resolve('@workerdb/vitest/setup')`: it maps the worker (the
    // plugin's own ESM setup file, which runs too, does the reset).
    entry: { setup: 'src/worker/setup-cjs.ts' },
    format: ['cjs'],
    dts: true,
    target: 'node20',
    external: ['@workerdb/core', '@workerdb/core/worker'],
  },
])
