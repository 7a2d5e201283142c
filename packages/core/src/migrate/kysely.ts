/**
 * `{ kysely: './migrations' }`: Kysely's own Migrator, from the user's kysely, over the migration files of
 * one folder (TypeScript included) — the same ledger (`kysely_migration`) and order `migrateToLatest()`
 * would give, so an app that migrates itself at startup finds the template up to date.
 */
import { readdir } from 'node:fs/promises'
import { basename, extname, join, relative } from 'node:path'
import { loadDriver } from '../catalog/postgres/db.js'
import { WorkerDbError } from '../errors.js'
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
}

export function kyselyMigrator(dir: string, baseDir: string, inputs: string[] = []): Migrator {
  // FileMigrationProvider's extensions.
  const files = async () => (await readdir(dir).catch(() => [])).filter(migrationScripts(['.js', '.ts', '.mjs', '.mts'])).sort()
  return {
    describe: `kysely ${relative(baseDir, dir) || '.'}`,
    async ledgerTables() {
      return ['public.kysely_migration', 'public.kysely_migration_lock']
    },
    async hashInputs() {
      return [['tool', 'kysely'], ...(await hashFiles([dir, ...inputs], baseDir, 'migrate.kysely'))]
    },
    async migrate(url, { log, secrets }) {
      const names = await files()
      if (!names.length) {
        throw new WorkerDbError('E_CONFIG', `migrate.kysely: no migration files in ${dir}`, 'Point `migrate: { kysely }` at the folder your Kysely migrations live in (relative to the config file).')
      }
      const { Kysely, Migrator: KyselyMigrator, PostgresDialect } = await importFromProject<KyselyModule>('kysely', baseDir, 'migrate.kysely')
      const db = new Kysely({ dialect: new PostgresDialect({ pool: new (await loadDriver()).Pool({ connectionString: url, max: 1 }) }) })
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
