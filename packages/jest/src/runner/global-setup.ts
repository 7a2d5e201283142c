/**
 * Jest globalSetup (the preset's, or `globalSetup: '@workerdb/jest/global-setup'`). Runs in the main process
 * after the sequencer counted this run's files and before any worker is forked: plans once per run (Jest
 * calls each distinct globalSetup file once, and a multi-project config may list ours under more than one
 * path), sets WORKERDB_MANIFEST, which every worker inherits, and returns while the clones are still being
 * made: Jest forks and boots its workers meanwhile, and each worker's setup file waits until its clone
 * exists (the manifest says `pending` until then). Config and plan errors still end the run here, before
 * any worker starts; a provisioning failure is written to the manifest, so every test file fails with the
 * run's own error, and globalTeardown reports it in full.
 */
import {
  createLogger, manifestPathFor, MANIFEST_ENV, newRunId, planJest, provision, resolveConfig, WorkerDbError, writeFailedManifest, writePendingManifest,
  type RunIdentity,
} from '@workerdb/core/runner'
import { collectFacts, type JestGlobalConfigLike } from './facts.js'
import { jestModules } from './jest-modules.js'
import { hasAfterEnvFile } from './mixin.js'
import { PROJECT_GLOBAL_SETUP_ENV } from '../add-workerdb.js'
import { hasProjectHook, runProjectHook } from './project-hooks.js'
import { currentRun, firstTime, setRun, takeRecord, type JestRun, type SequencerRecord } from './state.js'

const WORKER_ID_VAR = 'JEST_WORKER_ID'

function startRun(globalConfig: JestGlobalConfigLike, projectConfig: unknown): JestRun {
  // Taken now, synchronously: the record belongs to the sort() that ran just before this globalSetup.
  const record = takeRecord()
  const version = jestModules().version
  const run = { jestVersion: version ?? 'unknown', startedAt: performance.now(), silent: false } as JestRun
  const planned = planRun(run, globalConfig, version, record, projectConfig)
  run.planned = planned.then(() => undefined)
  run.provisioned = planned.then((identity) => provisionRun(run, identity))
  // Awaited by the reporter and globalTeardown; until then a failure must not count as unhandled.
  run.provisioned.catch(() => undefined)
  return run
}

async function planRun(run: JestRun, globalConfig: JestGlobalConfigLike, version: string | undefined, record: SequencerRecord | undefined, projectConfig: unknown) {
  const config = await resolveConfig({}, globalConfig.rootDir)
  if (config.reset?.per === 'test') checkTestResetHook(record, projectConfig)
  run.configMs = performance.now() - run.startedAt
  run.silent = config.silent
  const log = createLogger({ silent: config.silent })
  const plan = planJest(collectFacts(globalConfig, version, record))
  if (!record && firstTime('no-sequencer')) {
    log.info(`this run's test files were not counted (the testSequencer is not workerdb's), so the plan covers every worker Jest may fork (${plan.count}). ` +
      "To size runs to their files, use `testSequencer: '@workerdb/jest/sequencer'`, or export `withWorkerDb(YourSequencer)` from '@workerdb/jest'.")
  }
  if (record?.unmapped.length && firstTime(`unmapped:${record.unmapped.join(',')}`)) {
    log.warn(`the test files of ${record.unmapped.map((n) => `project "${n}"`).join(', ')} run without workerdb's setup file, so they get no database of their own. ` +
      "A root preset's setupFiles do not reach inline projects: add `setupFiles: [require.resolve('@workerdb/jest/setup')]` to each (ignore this if your own setup file requires it).")
  }
  const identity: RunIdentity = { runId: newRunId(), framework: `jest ${run.jestVersion}`, plan, env: config.env, workerIdVar: WORKER_ID_VAR }
  const manifestPath = manifestPathFor(identity.runId)
  writePendingManifest(manifestPath, identity)
  // Set before Jest forks its workers, so that every one inherits it.
  process.env[MANIFEST_ENV] = manifestPath
  return { identity, config, log, manifestPath }
}

/**
 * A reset per test registers its beforeEach from workerdb's setupFilesAfterEnv entry (beforeEach does not
 * exist yet in setupFiles). Without it the tests would silently share rows: refuse the run instead. The
 * sequencer's record covers every project; without it (a sequencer of the project's own), the project
 * config Jest hands this globalSetup.
 */
function checkTestResetHook(record: SequencerRecord | undefined, projectConfig: unknown): void {
  const project = projectConfig as { setupFilesAfterEnv?: string[]; displayName?: { name: string } | string } | undefined
  const missing = record ? record.noAfterEnv ?? []
    : project && !hasAfterEnvFile(project.setupFilesAfterEnv) ? [typeof project.displayName === 'string' ? project.displayName : project.displayName?.name ?? '.'] : []
  if (!missing.length) return
  throw new WorkerDbError('E_CONFIG',
    `reset per test empties the tables before each test from workerdb's setupFilesAfterEnv entry, which ${missing.map((n) => `project "${n}"`).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not list, so its tests would share rows`,
    "Use preset: '@workerdb/jest' or addWorkerDb(config), which add it; in a config put together by hand (or in inline projects, where a root preset's lists do not reach), add setupFilesAfterEnv: [require.resolve('@workerdb/jest/setup-after-env')] before your own entries. Or reset per file: reset: 'truncate'.")
}

async function provisionRun(run: JestRun, planned: Awaited<ReturnType<typeof planRun>>) {
  const { identity, config, log, manifestPath } = planned
  try {
    // dropInBackground: `jest` exits without waiting for the server to drop the clones.
    const provisioned = await provision({
      config, plan: identity.plan, log, runId: identity.runId, workerIdVar: WORKER_ID_VAR, framework: identity.framework, dropInBackground: true,
    })
    run.readyMs = performance.now() - run.startedAt
    return provisioned
  } catch (err) {
    writeFailedManifest(manifestPath, identity, err)
    // provision() unset it while undoing itself; a file run in band, in this process, reads it after this.
    process.env[MANIFEST_ENV] = manifestPath
    throw err
  }
}

export default async function globalSetup(globalConfig: JestGlobalConfigLike, projectConfig?: unknown): Promise<void> {
  let run = currentRun()
  // A run already torn down is the previous watch-mode run: this one provisions afresh.
  if (!run || run.tornDown) {
    run = startRun(globalConfig, projectConfig)
    setRun(run)
  }
  try {
    await run.planned
    // addWorkerDb: the project's own globalSetup, after the clones exist (it may use DATABASE_URL's template).
    if (hasProjectHook(PROJECT_GLOBAL_SETUP_ENV)) await run.provisioned
  } catch (err) {
    // A watch-mode rerun must try again rather than inherit this failure.
    if (currentRun() === run) setRun(undefined)
    throw err
  }
  await runProjectHook(PROJECT_GLOBAL_SETUP_ENV, globalConfig, projectConfig)
}
