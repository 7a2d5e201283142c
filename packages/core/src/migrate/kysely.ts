/**
 * `{ kysely: './migrations' }`: Kysely's own Migrator, from the user's kysely, over the migration files of
 * one folder (TypeScript included) — the same ledger (`kysely_migration`) and order `migrateToLatest()`
 * would give, so an app that migrates itself at startup finds the template up to date.
 */
import { readdir } from 'node:fs/promises'
import { basename, extname, join, relative } from 'node:path'
import { loadDriver } from '../catalog/postgres/db.js'
import { WorkerDbError } from '../errors.js'
import { connectionParts } from '../url.js'
import { DIALECT_LABELS } from '../catalog/dialect.js'
import { BETTER_SQLITE3, MYSQL2, kindOf, ledgerName, mysqlConnection, requireDriver } from './drivers.js'
import { hashFiles } from './files.js'
import { exportsOf, importFromProject, importUserFile, migrationFailed, migrationScripts } from './project.js'
import type { Migrator } from './types.js'
import { plural } from '../log.js'

export interface KyselyMigrateOptions {
  /** The folder `FileMigrationProvider` would read. */
  kysely: string
  /** More files that shape the schema (hashed), relative to the config. */
  inputs?: string[]
}

interface KyselyModule {
  Kysely: new (config: unknown) => { destroy(): Promise<void> }
  Migrator: new (config: unknown) => { migrateToLatest(): Promise<{ error?: unknown; results?: Array<{ migrationName: string; status: string }> }> }
  PostgresDialect: new (config: unknown) => unknown
  MysqlDialect: new (config: unknown) => unknown
  SqliteDialect: new (config: unknown) => unknown
}

export function kyselyMigrator(dir: string, baseDir: string, inputs: string[] = []): Migrator {
  // FileMigrationProvider's extensions.
  const files = async () => (await readdir(dir).catch(() => [])).filter(migrationScripts(['.js', '.ts', '.mjs', '.mts'])).sort()
  return {
    describe: `kysely ${relative(baseDir, dir) || '.'}`,
    async ledgerTables(kind) {
      return [ledgerName(kind, undefined, 'kysely_migration'), ledgerName(kind, undefined, 'kysely_migration_lock')]
    },
    async hashInputs() {
      return [['tool', 'kysely'], ...(await hashFiles([dir, ...inputs], baseDir, 'migrate.kysely'))]
    },
    async migrate(url, { log, secrets }) {
      const names = await files()
      if (!names.length) {
        throw new WorkerDbError('E_CONFIG', `migrate.kysely: no migration files in ${dir}`, 'Point `migrate: { kysely }` at the folder your Kysely migrations live in (relative to the config file).')
      }
      const kysely = await importFromProject<KyselyModule>('kysely', baseDir, 'migrate.kysely')
      const { Kysely, Migrator: KyselyMigrator } = kysely
      const db = new Kysely({ dialect: await kyselyDialect(kysely, url, baseDir) })
      try {
        const provider = {
          // Kysely names a migration by its file name without the extension, as FileMigrationProvider does.
          async getMigrations() {
            const out: Record<string, unknown> = {}
            for (const name of names) {
              log.progress(`loading kysely migration ${name}`)
              out[basename(name, extname(name))] = exportsOf(await importUserFile<object>(join(dir, name), 'migrate.kysely'))
            }
            return out
          },
        }
        log.progress(`migrating with kysely: ${plural(names.length, 'migration')}`)
        const { error, results = [] } = await new KyselyMigrator({ db, provider }).migrateToLatest()
        if (error) throw migrationFailed('kysely', results.find((r) => r.status === 'Error')?.migrationName, error, secrets)
        return results.filter((r) => r.status === 'Success').length
      } finally {
        await db.destroy().catch(() => {})
      }
    },
  }
}

/** Kysely's dialect for the run's kind, on the project's driver (mysql2, better-sqlite3) or workerdb's pg. */
async function kyselyDialect(kysely: KyselyModule, url: string, baseDir: string): Promise<unknown> {
  const kind = kindOf(url)
  if (kind === 'mysql') {
    requireDriver([MYSQL2], baseDir, 'migrate.kysely', `kysely on ${DIALECT_LABELS.mysql}`)
    const mysql = await importFromProject<{ createPool(options: object): unknown; default?: { createPool(options: object): unknown } }>(MYSQL2, baseDir, 'migrate.kysely')
    const createPool = mysql.createPool ?? mysql.default!.createPool
    return new kysely.MysqlDialect({ pool: createPool({ ...mysqlConnection(url), connectionLimit: 1 }) })
  }
  if (kind === 'sqlite') {
    requireDriver([BETTER_SQLITE3], baseDir, 'migrate.kysely', `kysely on ${DIALECT_LABELS.sqlite}`)
    const mod = await importFromProject<{ default?: new (path: string) => unknown }>(BETTER_SQLITE3, baseDir, 'migrate.kysely')
    const Database = (typeof mod === 'function' ? mod : mod.default) as new (path: string) => unknown
    return new kysely.SqliteDialect({ database: new Database(connectionParts(url).database) })
  }
  return new kysely.PostgresDialect({ pool: new (await loadDriver()).Pool({ connectionString: url, max: 1 }) })
}
