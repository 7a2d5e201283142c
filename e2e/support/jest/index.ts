/** The Jest scenarios, without Vitest: what jest-harness.ts adds hooks to, and what `pnpm stress` runs. */
export * from './fixture.js'
export * from './run.js'
export * from './watch.js'
export * from './checks.js'
