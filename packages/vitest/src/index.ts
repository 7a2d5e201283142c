/**
 * @workerdb/vitest — `plugins: [workerDb()]`: every Vitest worker gets its own PostgreSQL database,
 * cloned from one migrated template, exported as DATABASE_URL before any test module loads.
 */
import type {} from 'vitest'
import type { WorkerDbOptions } from '@workerdb/core'
import { loadDriver, manifestPathFor, newRunId, MANIFEST_ENV } from '@workerdb/core/runner'
import { externalPattern, filePattern, GLOBAL_SETUP_FILE, OWN_DIST_DIRS, SETUP_FILE } from './runner/paths.js'
import { SpecReporter } from './runner/spec-reporter.js'
import { runs, type ProjectLike, type VitestLike } from './runner/state.js'

export { defineConfig, getWorkerDatabase, WorkerDbError, useTransaction, testTransaction } from '@workerdb/core'
export type { WorkerDbOptions, WorkerDatabase, TestTransaction, TransactionHooks, TransactionTarget } from '@workerdb/core'


/** The Vite plugin shape we use; typed structurally so that any Vitest 3–5 config accepts it. */
export interface WorkerDbPlugin {
  name: string
  config(): { test: { globalSetup: string[]; server: { deps: { external: RegExp[]; inline: RegExp[] } } } }
  configureVitest(ctx: { vitest: unknown; project: unknown }): void
}

/**
 * Options given here override `workerdb.config.*` (found from Vitest's root upward) key by key.
 */
export function workerDb(options: WorkerDbOptions = {}): WorkerDbPlugin {
  return {
    name: 'workerdb',
    config() {
      // The root's globalSetup runs even when the root project has no test files of its own. The setup file
      // itself runs through Vitest's module runner (inline), not natively: with isolate: false one process
      // runs file after file, and Vitest re-evaluates a setup file before each only when it loaded it —
      // a native module runs once per process, so every file after the first got no reset and no hooks.
      return { test: { globalSetup: [GLOBAL_SETUP_FILE], server: { deps: { external: OWN_DIST_DIRS.map(externalPattern), inline: [filePattern(SETUP_FILE)] } } } }
    },
    configureVitest(ctx) {
      const vitest = ctx.vitest as VitestLike
      const project = ctx.project as ProjectLike
      let state = runs().get(vitest)
      if (!state) {
        const runId = newRunId()
        state = { runId, manifestPath: manifestPathFor(runId), options, root: vitest.config.root, vitest, refs: 0 }
        runs().set(vitest, state)
        // Before the pool exists: Vitest 3 snapshots process.env for its workers when the pool is created.
        process.env[MANIFEST_ENV] = state.manifestPath
        ;(vitest.config.reporters as unknown[]).push(new SpecReporter(state))
        // Now, while Vitest starts up, not when provisioning needs it: by then the pool's workers are booting
        // and would share the cores with it. A missing pg is reported by provisioning.
        loadDriver().catch(() => {})
      }
      // First, so the env is set before any user setup file runs.
      if (!project.config.setupFiles.includes(SETUP_FILE)) project.config.setupFiles.unshift(SETUP_FILE)
    },
  }
}

export default workerDb

/** What the plugin provides to tests: `inject('workerdb')`. URLs stay out (they may hold a password). */
export interface WorkerDbProvided {
  runId: string
  plan: { count: number; reason: string }
  /** `roles`: each clone's per-worker role names by key (config `roles`), when it has any. */
  clones: Array<{ slot: number; database: string; roles?: Record<string, string> }>
}

declare module 'vitest' {
  export interface ProvidedContext {
    workerdb: WorkerDbProvided
  }
}
