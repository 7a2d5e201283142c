/** `migrate: async (url) => { … }`: the user's own code, run once into the template. */
import { WorkerDbError } from '../errors.js'
import { redactText } from '../url.js'
import type { Migrator } from './types.js'

export type MigrateFunction = (url: string) => unknown | Promise<unknown>

export function functionMigrator(fn: MigrateFunction, inputs: Array<[string, string | Buffer]> = []): Migrator {
  return {
    describe: `function ${fn.name || '(anonymous)'}`,
    async hashInputs() {
      // The source is the best signal available; what the function reads belongs in `hashInputs` too.
      return [['function', fn.toString()], ...inputs]
    },
    async migrate(url) {
      try {
        await fn(url)
      } catch (err) {
        throw new WorkerDbError('E_MIGRATION', `the migrate function threw: ${redactText((err as Error)?.stack ?? String(err))}`,
          'Fix the migration; the template was not kept, so the next run rebuilds it.', { cause: err })
      }
      return undefined
    },
  }
}
