/**
 * Jest globalTeardown: drops this run's clones (the template stays). Jest calls it once per distinct file,
 * and Jest 30 also calls it from --bail, possibly twice (once per failure that reaches the threshold) and
 * while other files still run, then exits as soon as its own call returns: every call waits for the one
 * teardown, so the exit never cuts the drops short. Jest 29 skips globalTeardown after --bail and on
 * Ctrl-C: those clones carry a marker naming this (then dead) process, and the next run sweeps them.
 */
import { PROJECT_GLOBAL_TEARDOWN_ENV } from '../add-workerdb.js'
import { runProjectHook } from './project-hooks.js'
import { currentRun } from './state.js'

export default async function globalTeardown(globalConfig?: { rootDir: string }, projectConfig?: unknown): Promise<void> {
  // addWorkerDb: the project's own globalTeardown first, while the clones still exist.
  if (globalConfig) await runProjectHook(PROJECT_GLOBAL_TEARDOWN_ENV, globalConfig, projectConfig)
  const run = currentRun()
  if (!run) return
  run.tornDown ??= (async () => {
    // A failed provisioning already undid itself, and globalSetup reported it.
    const provisioned = await run.provisioned.catch(() => undefined)
    await provisioned?.teardown()
  })()
  await run.tornDown
}
