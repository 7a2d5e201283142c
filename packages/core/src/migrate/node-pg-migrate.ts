/**
 * `{ nodePgMigrate: './migrations' }`: node-pg-migrate's own runner (what `node-pg-migrate up` does), from
 * the user's node-pg-migrate, with its default ledger `public.pgmigrations` unless `table` says otherwise.
 */
import { relative } from 'node:path'
import { hashFiles } from './files.js'
import { importFromProject, migrationFailed } from './project.js'
import type { Migrator } from './types.js'

export interface NodePgMigrateOptions {
  /** The migrations folder (`-m` / `dir`). */
  nodePgMigrate: string
  /** The ledger table (`--migrations-table`). Default pgmigrations. */
  table?: string
  /** More files that shape the schema (hashed), relative to the config. */
  inputs?: string[]
}

type Runner = (options: Record<string, unknown>) => Promise<Array<{ name: string }>>

export function nodePgMigrateMigrator(dir: string, baseDir: string, opts: { table?: string; inputs?: string[] } = {}): Migrator {
  const table = opts.table ?? 'pgmigrations'
  return {
    describe: `node-pg-migrate ${relative(baseDir, dir) || '.'}`,
    async ledgerTables() {
      return [`public.${table}`]
    },
    async hashInputs() {
      return [['tool', 'node-pg-migrate'], ['table', table], ...(await hashFiles([dir, ...(opts.inputs ?? [])], baseDir, 'migrate.nodePgMigrate'))]
    },
    async migrate(url, { log, secrets }) {
      const mod = await importFromProject<{ runner?: Runner; default?: Runner | { runner?: Runner } }>('node-pg-migrate', baseDir, 'migrate.nodePgMigrate')
      const runner = mod.runner ?? (typeof mod.default === 'function' ? mod.default : mod.default?.runner)
      if (!runner) throw migrationFailed('node-pg-migrate', undefined, new Error('this node-pg-migrate exports no runner (need v6 or later)'), secrets)
      log.progress('migrating with node-pg-migrate')
      try {
        const ran = await runner({
          databaseUrl: url, dir, direction: 'up', migrationsTable: table, count: Infinity, checkOrder: true,
          // Its own log goes to stdout line by line; workerdb shows progress and a summary instead.
          logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
        })
        return ran.length
      } catch (err) {
        throw migrationFailed('node-pg-migrate', undefined, err, secrets)
      }
    },
  }
}
