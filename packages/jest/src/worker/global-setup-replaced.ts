/**
 * A globalSetup of the project's own replaces the preset's (Jest takes one), and then nothing provisions:
 * every test file would fail with a generic E_NO_MANIFEST. The preset's reporter, which Jest constructs
 * after globalSetup and before it forks a worker, notices that workerdb's globalSetup never ran and names
 * the one that did in this variable, which the workers inherit; the setup file then says exactly that.
 */
import { WorkerDbError } from '@workerdb/core/worker'

export const FOREIGN_GLOBAL_SETUP_ENV = 'WORKERDB_JEST_FOREIGN_GLOBAL_SETUP'

export const COMPOSE_HINT = 'Call workerdb\'s from yours, first — CommonJS: `const workerdb = require(\'@workerdb/jest/global-setup\'); ' +
  'module.exports = async (globalConfig, projectConfig) => { await workerdb(globalConfig, projectConfig); /* yours */ }`; ' +
  'ESM: `import workerdb from \'@workerdb/jest/global-setup\'; export default async (globalConfig, projectConfig) => { await workerdb(globalConfig, projectConfig); /* yours */ }`. ' +
  'Do the same with \'@workerdb/jest/global-teardown\' in your globalTeardown, if you have one.'

/** What went wrong, for the reporter's line and the workers' error. */
export function globalSetupReplaced(path: string): string {
  return `workerdb's globalSetup did not run: ${path ? `the globalSetup ${path}` : 'a globalSetup of your own'} replaced the preset's (Jest takes one globalSetup, and yours wins), so no database was provisioned for this run`
}

/** The error a worker throws instead of E_NO_MANIFEST when the reporter saw why there is no manifest. */
export function globalSetupReplacedError(env: NodeJS.ProcessEnv): WorkerDbError | undefined {
  const path = env[FOREIGN_GLOBAL_SETUP_ENV]
  if (path === undefined) return undefined
  return new WorkerDbError('E_NO_MANIFEST', globalSetupReplaced(path), COMPOSE_HINT)
}
