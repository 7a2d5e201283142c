/**
 * Jest globalTeardown: drops this run's clones (the template stays). Jest calls it once per distinct file,
 * and Jest 30 also calls it from --bail, possibly twice (once per failure that reaches the threshold) and
 * while other files still run, then exits as soon as its own call returns: every call waits for the one
 * teardown, so the exit never cuts the drops short. Jest 29 skips globalTeardown after --bail and on
 * Ctrl-C: those clones carry a marker naming this (then dead) process, and the next run sweeps them.
 */
import { isWorkerDbError, redactText, type Provisioned } from '@workerdb/core/runner'
import { PROJECT_GLOBAL_TEARDOWN_ENV } from '../add-workerdb.js'
import { runProjectHook } from './project-hooks.js'
import { currentRun } from './state.js'

export default async function globalTeardown(globalConfig?: { rootDir: string }, projectConfig?: unknown): Promise<void> {
  // addWorkerDb: the project's own globalTeardown first, while the clones still exist.
  if (globalConfig) await runProjectHook(PROJECT_GLOBAL_TEARDOWN_ENV, globalConfig, projectConfig)
  const run = currentRun()
  if (!run) return
  run.tornDown ??= (async () => {
    let provisioned: Provisioned
    try {
      provisioned = await run.provisioned
    } catch (err) {
      // A failed provisioning already undid itself, and every test file failed with its code and hint.
      // The whole error once, and a failed run, without throwing: Jest writes its reports after this.
      process.stderr.write(`workerdb · provisioning failed, so no test file got a database: ${redactText(String((err as Error)?.message ?? err))}` +
        `${isWorkerDbError(err) ? `\n  → ${err.hint}` : ''}\n`)
      process.exitCode = 1
      return
    }
    await provisioned.teardown()
  })()
  await run.tornDown
}
