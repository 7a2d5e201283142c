/**
 * Jest globalSetup (the preset's, or `globalSetup: '@workerdb/jest/global-setup'`). Runs in the main process
 * after the sequencer counted this run's files and before any worker is forked: plans, provisions once per
 * run (Jest calls each distinct globalSetup file once, and a multi-project config may list ours under more
 * than one path), and sets WORKERDB_MANIFEST, which every worker inherits.
 */
import { createLogger, planJest, provision, resolveConfig } from '@workerdb/core'
import { collectFacts, type JestGlobalConfigLike } from './facts.js'
import { jestModules } from './jest-modules.js'
import { PROJECT_GLOBAL_SETUP_ENV } from '../add-workerdb.js'
import { runProjectHook } from './project-hooks.js'
import { currentRun, firstTime, setRun, takeRecord, type JestRun, type SequencerRecord } from './state.js'

const WORKER_ID_VAR = 'JEST_WORKER_ID'

function startRun(globalConfig: JestGlobalConfigLike): JestRun {
  // Taken now, synchronously: the record belongs to the sort() that ran just before this globalSetup.
  const record = takeRecord()
  const version = jestModules().version
  const run = { jestVersion: version ?? 'unknown', startedAt: performance.now(), silent: false } as JestRun
  run.provisioned = provisionRun(run, globalConfig, version, record)
  return run
}

async function provisionRun(run: JestRun, globalConfig: JestGlobalConfigLike, version: string | undefined, record: SequencerRecord | undefined) {
  const config = await resolveConfig({}, globalConfig.rootDir)
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
  // dropInBackground: `jest` exits without waiting for the server to drop the clones.
  const provisioned = await provision({ config, plan, log, workerIdVar: WORKER_ID_VAR, framework: `jest ${run.jestVersion}`, dropInBackground: true })
  run.readyMs = performance.now() - run.startedAt
  return provisioned
}

export default async function globalSetup(globalConfig: JestGlobalConfigLike, projectConfig?: unknown): Promise<void> {
  let run = currentRun()
  // A run already torn down is the previous watch-mode run: this one provisions afresh.
  if (!run || run.tornDown) {
    run = startRun(globalConfig)
    setRun(run)
  }
  try {
    await run.provisioned
  } catch (err) {
    // A watch-mode rerun must try again rather than inherit this failure.
    if (currentRun() === run) setRun(undefined)
    throw err
  }
  // addWorkerDb: the project's own globalSetup, after the clones exist (it may use DATABASE_URL's template).
  await runProjectHook(PROJECT_GLOBAL_SETUP_ENV, globalConfig, projectConfig)
}
