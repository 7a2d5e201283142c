import { defineConfig, type Options } from 'tsup'

const shared: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  // No clean: a rebuild must not pull files from under a test run that is using them (see bootstrap).
  clean: false,
  target: 'node20',
  // shims make import.meta.url work in the CommonJS build (Jest loads that one)
  shims: true,
}

export default defineConfig([
  { ...shared, entry: ['src/index.ts', 'src/runner.ts', 'src/cli.ts'] },
  {
    // The worker side is loaded afresh by every test file's process: one file, not a graph of shared
    // chunks, because each extra ESM module costs ~2 ms there (bench: overhead). Its code is also in
    // index.js; nothing relies on module identity (errors are told apart by name, state lives in env).
    ...shared,
    entry: ['src/worker.ts'],
    splitting: false,
  },
  // The detached process teardown hands its drops to (background-drop.ts): run by path, never imported.
  { ...shared, entry: { dropper: 'src/cleanup/dropper.ts' }, format: ['esm'], dts: false },
])
