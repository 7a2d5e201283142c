/**
 * `{ knex: './knexfile.js' }` or `{ knex: './migrations' }`: Knex's own migrator (`migrate.latest()`), from
 * the user's knex. With a knexfile, its `migrations` settings (directory, tableName, schemaName) are used
 * as the knex CLI would — relative to the knexfile, environment NODE_ENV (else test, else development) —
 * and only its connection is replaced by the template's. Files load through jiti, so TypeScript works.
 */
import { readdir, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { WorkerDbError } from '../errors.js'
import { connectionParts } from '../url.js'
import { DIALECT_LABELS } from '../catalog/dialect.js'
import { BETTER_SQLITE3, MYSQL2, kindOf, ledgerName, mysqlConnection, requireDriver } from './drivers.js'
import { hashFiles } from './files.js'
import { exportsOf, importFromProject, importUserFile, migrationFailed, migrationScripts } from './project.js'
import type { Migrator } from './types.js'
import { plural } from '../log.js'

export interface KnexMigrateOptions {
  /** A knexfile, or the migrations folder itself. */
  knex: string
  /** More files that shape the schema (hashed), relative to the config. */
  inputs?: string[]
}

interface KnexMigrationsConfig {
  directory?: string | string[]
  tableName?: string
  schemaName?: string
}

interface KnexInstance {
  migrate: { latest(config: unknown): Promise<[number, string[]]> }
  destroy(): Promise<void>
}

type KnexFactory = (config: unknown) => KnexInstance

/** knex 3's default `loadExtensions` (its CoffeeScript ones aside). */
const KNEX_SCRIPTS = migrationScripts(['.js', '.cjs', '.ts'])

interface KnexSettings {
  dirs: string[]
  tableName: string
  schemaName: string | undefined
  knexfile: string | undefined
}

/** Pure: a knexfile's export (one config, or one per environment) → its migrations settings. */
export function knexMigrationsConfig(exported: unknown, env: string | undefined): KnexMigrationsConfig {
  const all = (exported ?? {}) as Record<string, unknown>
  const single = 'client' in all || 'migrations' in all || 'connection' in all
  // Test runners set NODE_ENV=test themselves, and few knexfiles have a `test` entry: falling back to
  // `development` (the knex CLI's default) beats failing, since only `migrations` is taken from it.
  const chosen = (single ? all : all[env ?? 'test'] ?? all.test ?? all.development) as { migrations?: KnexMigrationsConfig } | undefined
  if (!chosen || typeof chosen !== 'object') {
    throw new WorkerDbError('E_CONFIG', `migrate.knex: the knexfile has no config for NODE_ENV=${env ?? '(unset)'} (it has ${Object.keys(all).join(', ') || 'nothing'})`,
      'Add a `test` (or `development`) entry to the knexfile, or point `migrate: { knex }` at the migrations folder instead.')
  }
  return chosen.migrations ?? {}
}

export function knexMigrator(path: string, baseDir: string, inputs: string[] = []): Migrator {
  let loaded: Promise<KnexSettings> | undefined
  const settings = () => (loaded ??= (async () => {
    const isFile = (await stat(path).catch(() => null))?.isFile() ?? false
    if (!isFile) return { dirs: [path], tableName: 'knex_migrations', schemaName: undefined, knexfile: undefined } satisfies KnexSettings
    const exported = await importUserFile<{ default?: unknown }>(path, 'migrate.knex')
    const m = knexMigrationsConfig(exported.default ?? exported, process.env.NODE_ENV)
    const dirs = [m.directory ?? './migrations'].flat().map((d) => resolve(dirname(path), d))
    return { dirs, tableName: m.tableName ?? 'knex_migrations', schemaName: m.schemaName, knexfile: path }
  })())
  return {
    describe: `knex ${relative(baseDir, path) || '.'}`,
    async ledgerTables(kind) {
      const s = await settings()
      return [ledgerName(kind, s.schemaName, s.tableName), ledgerName(kind, s.schemaName, `${s.tableName}_lock`)]
    },
    async hashInputs() {
      const s = await settings()
      return [['tool', 'knex'], ['table', `${s.schemaName ?? ''}.${s.tableName}`], ...(await hashFiles([...(s.knexfile ? [s.knexfile] : []), ...s.dirs, ...inputs], baseDir, 'migrate.knex'))]
    },
    async migrate(url, { log, secrets }) {
      const s = await settings()
      // Knex sorts all folders' files together by name, and records each by its file name (extension included).
      const files = new Map<string, string>()
      for (const dir of s.dirs) {
        for (const name of (await readdir(dir).catch(() => [])).filter(KNEX_SCRIPTS)) files.set(name, join(dir, name))
      }
      const names = [...files.keys()].sort()
      if (!names.length) {
        throw new WorkerDbError('E_CONFIG', `migrate.knex: no migration files in ${s.dirs.join(', ')}`, 'Point `migrate: { knex }` at your knexfile or migrations folder (relative to the config file).')
      }
      // knex is CommonJS: `module.exports = knex`, seen from ESM as the default export (and as `knex`).
      const mod = await importFromProject<{ default?: KnexFactory; knex?: KnexFactory }>('knex', baseDir, 'migrate.knex')
      const knex = (typeof mod === 'function' ? mod : mod.knex ?? mod.default) as KnexFactory
      const quiet = () => {}
      // Knex prints failures itself; workerdb's E_MIGRATION carries them (redacted) instead.
      const db = knex({ ...knexConnection(url, baseDir), pool: { min: 0, max: 1 }, log: { warn: quiet, error: quiet, deprecate: quiet, debug: quiet } })
      let current: string | undefined
      try {
        log.progress(`migrating with knex: ${plural(names.length, 'migration')}`)
        const migrationSource = {
          getMigrations: async () => names,
          getMigrationName: (name: string) => name,
          getMigration: async (name: string) => {
            current = name
            log.progress(`knex migration ${name}`)
            return exportsOf(await importUserFile<object>(files.get(name)!, 'migrate.knex'))
          },
        }
        const [, ran] = await db.migrate.latest({ migrationSource, tableName: s.tableName, schemaName: s.schemaName })
        return ran.length
      } catch (err) {
        if (err instanceof WorkerDbError) throw err
        throw migrationFailed('knex', current, err, secrets)
      } finally {
        await db.destroy().catch(() => {})
      }
    },
  }
}

/** knex's `client` and `connection` for the run's kind; the driver (knex loads it itself) must be the project's. */
function knexConnection(url: string, baseDir: string): Record<string, unknown> {
  const kind = kindOf(url)
  if (kind === 'mysql') {
    const client = requireDriver([MYSQL2, 'mysql'], baseDir, 'migrate.knex', `knex on ${DIALECT_LABELS.mysql}`)
    return { client, connection: mysqlConnection(url) }
  }
  if (kind === 'sqlite') {
    requireDriver([BETTER_SQLITE3], baseDir, 'migrate.knex', `knex on ${DIALECT_LABELS.sqlite}`)
    return { client: BETTER_SQLITE3, connection: { filename: connectionParts(url).database }, useNullAsDefault: true }
  }
  return { client: 'pg', connection: url }
}
