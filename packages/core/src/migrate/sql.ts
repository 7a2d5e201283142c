/**
 * `{ sql: './migrations' }`: every *.sql file in the directory, applied in name order (0001_…, 0002_…),
 * each in a transaction of its own, so a failure points at one file and leaves no half-applied file.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { loadDriver } from '../db.js'
import { WorkerDbError } from '../errors.js'
import { redactedCause, redactText } from '../url.js'
import { hashFiles } from './files.js'
import type { Migrator } from './types.js'

export function sqlMigrator(dir: string, baseDir: string, inputs: string[] = []): Migrator {
  const files = async () => {
    let names: string[]
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.sql'))
    } catch (err) {
      throw new WorkerDbError('E_CONFIG', `migrate.sql directory ${dir} cannot be read: ${(err as Error).message}`,
        'Point `migrate: { sql }` at the folder of your .sql migrations (relative paths resolve against the config file).', { cause: err })
    }
    // Byte order, not locale order: the same sequence on every machine.
    return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  }
  return {
    describe: `sql ${relative(baseDir, dir) || '.'}`,
    async hashInputs() {
      const sql = await Promise.all((await files()).map(async (n) => [`sql/${n}`, await readFile(join(dir, n))] as [string, Buffer]))
      return [...sql, ...(await hashFiles(inputs, baseDir, 'migrate.inputs'))]
    },
    async migrate(url, { log, secrets }) {
      const names = await files()
      const client = new (await loadDriver()).Client({ connectionString: url })
      client.on('error', () => {})
      await client.connect()
      try {
        for (const [i, name] of names.entries()) {
          log.progress(`migrating ${i + 1}/${names.length}: ${name}`)
          const text = await readFile(join(dir, name), 'utf8')
          try {
            await client.query('begin')
            await client.query(text)
            await client.query('commit')
          } catch (err) {
            await client.query('rollback').catch(() => {})
            const e = err as { message?: string; position?: string }
            const where = e.position ? ` (at character ${e.position})` : ''
            throw new WorkerDbError('E_MIGRATION', `migration ${name} failed${where}: ${redactText(e.message ?? String(err), secrets)}`,
              `Fix ${join(relative(process.cwd(), dir), name)}; the template was not kept, so the next run rebuilds it.`, { cause: redactedCause(err, secrets) })
          }
        }
        return names.length
      } finally {
        await client.end().catch(() => {})
      }
    },
  }
}
