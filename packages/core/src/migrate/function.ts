/** `migrate: async (url) => { … }`: the user's own code, run once into the template. */
import { WorkerDbError } from '../errors.js'
import { redactedCause, redactText } from '../url.js'
import type { Migrator } from './types.js'

export type MigrateFunction = (url: string) => unknown | Promise<unknown>

export function functionMigrator(fn: MigrateFunction, inputs: Array<[string, string | Buffer]> = []): Migrator {
  return {
    describe: `function ${fn.name || '(anonymous)'}`,
    async hashInputs() {
      // The source is the best signal available; what the function reads belongs in `hashInputs` too.
      return [['function', fn.toString()], ...inputs]
    },
    async migrate(url, { secrets }) {
      try {
        await fn(url)
      } catch (err) {
        throw new WorkerDbError('E_MIGRATION', `the migrate function threw: ${redactText((err as Error)?.stack ?? String(err), secrets)}`,
          'Fix the migration; the template was not kept, so the next run rebuilds it.', { cause: redactedCause(err, secrets) })
      }
      return undefined
    },
  }
}
