/**
 * `{ drizzle: './drizzle.config.ts' }` or `{ drizzle: './drizzle' }`: the SQL migrations drizzle-kit
 * generated, applied by drizzle-orm's own migrator — what `drizzle-kit migrate` does, in-process, with the
 * same ledger (`drizzle.__drizzle_migrations`). With a config file, its `out` folder and `migrations`
 * table/schema are used, relative to the config file.
 */
import { readFile, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { loadDriver } from '../catalog/postgres/db.js'
import { WorkerDbError } from '../errors.js'
import { quoteIdent } from '../catalog/names.js'
import { hashFiles } from './files.js'
import { importFromProject, importUserFile, migrationFailed } from './project.js'
import type { Migrator } from './types.js'
import { plural } from '../log.js'

export interface DrizzleMigrateOptions {
  /** drizzle.config.ts, or the migrations folder itself (the one holding meta/_journal.json). */
  drizzle: string
  /** More files that shape the schema (hashed), relative to the config. */
  inputs?: string[]
}

interface DrizzleSettings {
  folder: string
  table: string
  schema: string
  configFile: string | undefined
}

/** Pure: a drizzle-kit config's export → where its migrations are and which ledger records them. */
export function drizzleSettings(exported: unknown, configFile: string): DrizzleSettings {
  const c = (exported ?? {}) as { out?: string; migrations?: { table?: string; schema?: string } }
  return {
    folder: resolve(dirname(configFile), c.out ?? './drizzle'),
    table: c.migrations?.table ?? '__drizzle_migrations',
    schema: c.migrations?.schema ?? 'drizzle',
    configFile,
  }
}

export function drizzleMigrator(path: string, baseDir: string, inputs: string[] = []): Migrator {
  let loaded: Promise<DrizzleSettings> | undefined
  const settings = () => (loaded ??= (async () => {
    if (!(await stat(path).catch(() => null))?.isFile()) return { folder: path, table: '__drizzle_migrations', schema: 'drizzle', configFile: undefined }
    const exported = await importUserFile<{ default?: unknown }>(path, 'migrate.drizzle')
    return drizzleSettings(exported.default ?? exported, path)
  })())
  return {
    describe: `drizzle ${relative(baseDir, path) || '.'}`,
    async ledgerTables() {
      const s = await settings()
      return [`${s.schema}.${s.table}`]
    },
    async hashInputs() {
      const s = await settings()
      // The config file also names the schema source and credentials: only the folder drizzle-kit wrote shapes the template.
      return [['tool', 'drizzle'], ['ledger', `${s.schema}.${s.table}`], ...(await hashFiles([s.folder, ...inputs], baseDir, 'migrate.drizzle'))]
    },
    async migrate(url, { log, secrets }) {
      const s = await settings()
      const journalFile = join(s.folder, 'meta', '_journal.json')
      const journal = await readFile(journalFile, 'utf8').then((t) => JSON.parse(t) as { entries?: Array<{ tag: string }> }, () => null)
      if (!journal?.entries?.length) {
        throw new WorkerDbError('E_CONFIG', `migrate.drizzle: ${journalFile} is missing or lists no migrations`,
          'Generate migrations first (npx drizzle-kit generate), and point `migrate: { drizzle }` at drizzle.config.ts or its `out` folder.')
      }
      const [{ drizzle }, { migrate }] = await Promise.all([
        importFromProject<{ drizzle: (client: unknown) => unknown }>('drizzle-orm/node-postgres', baseDir, 'migrate.drizzle'),
        importFromProject<{ migrate: (db: unknown, config: unknown) => Promise<void> }>('drizzle-orm/node-postgres/migrator', baseDir, 'migrate.drizzle'),
      ])
      const client = new (await loadDriver()).Client({ connectionString: url })
      client.on('error', () => {})
      await client.connect()
      try {
        log.progress(`migrating with drizzle: ${plural(journal.entries.length, 'migration')}`)
        const ledger = `${quoteIdent(s.schema)}.${quoteIdent(s.table)}`
        // drizzle's migrate() reports nothing: the ledger's growth is the number of migrations applied.
        const applied = async () => Number((await client.query(`select count(*) from ${ledger}`).catch(() => ({ rows: [{ count: 0 }] }))).rows[0].count)
        const before = await applied()
        await migrate(drizzle(client), { migrationsFolder: s.folder, migrationsTable: s.table, migrationsSchema: s.schema })
        return (await applied()) - before
      } catch (err) {
        throw migrationFailed('drizzle', undefined, err, secrets)
      } finally {
        await client.end().catch(() => {})
      }
    },
  }
}
