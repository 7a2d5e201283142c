import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No clean: a rebuild must not pull files from under a test run that is using them (see bootstrap).
  clean: false,
  target: 'node20',
  // shims make import.meta.url work in the CommonJS build (Jest loads that one)
  shims: true,
})
