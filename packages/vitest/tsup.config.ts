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
    // Each one module, with the part of @workerdb/core/worker it uses bundled in: every test file's process
    // loads setup.js afresh, so it holds only the common case; setup-wait.js, the rest (see setup.ts).
    entry: { setup: 'src/worker/setup.ts', 'setup-wait': 'src/worker/setup-wait.ts' },
    format: ['esm'],
    dts: true,
    target: 'node20',
    splitting: false,
    external: ['@workerdb/core', './setup-wait.js'],
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
