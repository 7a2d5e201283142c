/**
 * `{ sql: './migrations' }`: the folder's *.sql files, and the *.sql files of its subfolders — the
 * one-folder-per-migration layout of Prisma (`<timestamp>_<name>/migration.sql`) and others — applied
 * in path order (0001_…, 0002_…, 20240101_init/migration.sql), each in a transaction of its own, so a
 * failure points at one file and leaves no half-applied file (where the kind has transactional DDL; the
 * template is dropped after a failed build either way). The files are the run's kind's SQL. A folder whose .sql files are all deeper
 * than that is refused: building an empty template from it would fail every test far from the cause.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { dialectFor } from '../catalog/dialects.js'
import { WorkerDbError } from '../errors.js'
import { redactedCause, redactText } from '../url.js'
import { byteOrder, hashFiles, listFiles } from './files.js'
import type { Migrator } from './types.js'

/** The migration files under `dir`, relative to it ('/'-separated): top level, and one folder down. */
export async function sqlFiles(dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `migrate.sql directory ${dir} cannot be read: ${(err as Error).message}`,
      'Point `migrate: { sql }` at the folder of your .sql migrations (relative paths resolve against the config file).', { cause: err })
  }
  const found: string[] = []
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue
    if (e.isFile() && e.name.endsWith('.sql')) found.push(e.name)
    else if (e.isDirectory()) {
      for (const inner of await readdir(join(dir, e.name), { withFileTypes: true })) {
        if (inner.isFile() && inner.name.endsWith('.sql')) found.push(`${e.name}/${inner.name}`)
      }
    }
  }
  if (found.length === 0) {
    const deeper = (await listFiles(dir, 'migrate.sql')).filter((f) => f.endsWith('.sql'))
    if (deeper.length) {
      throw new WorkerDbError('E_CONFIG', `migrate.sql ${dir} has no .sql file at its top level or one folder down, but ${deeper.length} deeper (e.g. ${relative(dir, deeper[0]!)}): workerdb would build an empty template from it`,
        'Point `migrate: { sql }` at the folder that holds the migrations (or their one-folder-per-migration subfolders, as Prisma\'s prisma/migrations does).')
    }
  }
  return found.sort(byteOrder)
}

export function sqlMigrator(dir: string, baseDir: string, inputs: string[] = []): Migrator {
  const files = () => sqlFiles(dir)
  return {
    describe: `sql ${relative(baseDir, dir) || '.'}`,
    async hashInputs() {
      const sql = await Promise.all((await files()).map(async (n) => [`sql/${n}`, await readFile(join(dir, n))] as [string, Buffer]))
      return [...sql, ...(await hashFiles(inputs, baseDir, 'migrate.inputs'))]
    },
    async migrate(url, { log, secrets }) {
      const names = await files()
      if (names.length === 0) log.warn(`migrate.sql ${relative(process.cwd(), dir) || '.'} holds no .sql file: the template is empty. Add migrations there, or remove \`migrate\` if an empty database is what the tests want.`)
      const scripts = await dialectFor(url).openScripts(url)
      try {
        for (const [i, name] of names.entries()) {
          log.progress(`migrating ${i + 1}/${names.length}: ${name}`)
          const text = await readFile(join(dir, name), 'utf8')
          try {
            await scripts.run(text)
          } catch (err) {
            throw scriptFailed(`migration ${name}`, join(dir, name), err, secrets)
          }
        }
        return names.length
      } finally {
        await scripts.close()
      }
    },
  }
}

/** E_MIGRATION for a SQL script the server refused: where in the script, and which file to fix. */
export function scriptFailed(what: string, file: string, err: unknown, secrets: string[]): WorkerDbError {
  const e = err as { message?: string; position?: string }
  const where = e.position ? ` (at character ${e.position})` : ''
  return new WorkerDbError('E_MIGRATION', `${what} failed${where}: ${redactText(e.message ?? String(err), secrets)}`,
    `Fix ${relative(process.cwd(), file)}; the template was not kept, so the next run rebuilds it.`, { cause: redactedCause(err, secrets) })
}
