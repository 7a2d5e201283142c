/**
 * A Jest reporter (built on @jest/reporters' BaseReporter) that prints the provisioning summary once the
 * clones exist. Jest constructs reporters after globalSetup, in the same process, and only then decides
 * whether to run in band — onRunStart's `showStatus` is false exactly when it did — so this is the one
 * place that can say how the clones were really used.
 */
import type { JestGlobalConfigLike } from './facts.js'
import { jestModules } from './jest-modules.js'
import { currentRun } from './state.js'
import { summaryLine } from './summary.js'
import { COMPOSE_HINT, FOREIGN_GLOBAL_SETUP_ENV, globalSetupReplaced } from '../worker/global-setup-replaced.js'

interface BaseReporterLike {
  log(message: string): void
  onRunStart(results: unknown, options: unknown): void
}
type BaseReporterClass = new (...args: unknown[]) => BaseReporterLike

const { BaseReporter } = jestModules().load<{ BaseReporter: BaseReporterClass }>('@jest/reporters')

export default class WorkerDbReporter extends BaseReporter {
  private readonly maxWorkers: number

  constructor(globalConfig: JestGlobalConfigLike & { globalSetup?: string | null }, ...rest: unknown[]) {
    super(globalConfig, ...rest)
    this.maxWorkers = globalConfig.maxWorkers
    // After globalSetup, before any worker is forked: the workers inherit what is set here.
    if (!currentRun()) process.env[FOREIGN_GLOBAL_SETUP_ENV] = globalConfig.globalSetup ?? ''
    else delete process.env[FOREIGN_GLOBAL_SETUP_ENV]
  }

  onRunStart(results: unknown, options?: { showStatus?: boolean }): void {
    super.onRunStart(results, options)
    const run = currentRun()
    if (!run) {
      if (!silent()) this.log(`workerdb · ${globalSetupReplaced(process.env[FOREIGN_GLOBAL_SETUP_ENV] ?? '')}.\n  → ${COMPOSE_HINT}`)
      return
    }
    // Not awaited: Jest forks its workers only after onRunStart returns, and they boot while the clones are made.
    const inBand = options?.showStatus === false
    run.provisioned.then((provisioned) => {
      if (!run.silent && !silent()) this.log(summaryLine(run, provisioned, inBand, this.maxWorkers))
    }, () => undefined)
  }
}

/** WORKERDB_SILENT=1, as for every other workerdb line. */
function silent(): boolean {
  return process.env.WORKERDB_SILENT === '1'
}
