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
import { DIALECT_LABELS, type DialectName } from '../catalog/dialect.js'
import { connectionParts } from '../url.js'
import { BETTER_SQLITE3, MYSQL2, kindOf, ledgerName, mysqlConnection, requireDriver } from './drivers.js'
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
  /** The config's `dialect` ('postgresql', 'mysql', 'sqlite', …), if it names one. */
  dialect?: string
}

/** drizzle-kit's `dialect` (and a journal's, and the older `driver: 'pg'`) for each kind workerdb drives it on. */
const DRIZZLE_DIALECTS: Record<DialectName, readonly string[]> = { postgres: ['postgresql', 'pg'], mysql: ['mysql'], sqlite: ['sqlite'] }

/** Pure: a drizzle-kit config's export → where its migrations are and which ledger records them. */
export function drizzleSettings(exported: unknown, configFile: string): DrizzleSettings {
  const c = (exported ?? {}) as { out?: string; dialect?: string; migrations?: { table?: string; schema?: string } }
  return {
    ...(typeof c.dialect === 'string' ? { dialect: c.dialect } : {}),
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
    async ledgerTables(kind) {
      const s = await settings()
      // drizzle's MySQL and SQLite migrators keep the ledger in the database itself, with no schema.
      return [(kind ?? 'postgres') === 'postgres' ? `${s.schema}.${s.table}` : ledgerName(kind, undefined, s.table)]
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
      const kind = kindOf(url)
      // Migrations drizzle-kit generated for another kind would fail half-way, on SQL this server does not speak.
      for (const [what, dialect] of [[s.configFile ? `${relative(baseDir, s.configFile)}'s dialect` : '', s.dialect], [`${relative(baseDir, journalFile)}'s dialect`, (journal as { dialect?: unknown }).dialect]] as const) {
        if (what && typeof dialect === 'string' && !DRIZZLE_DIALECTS[kind].includes(dialect)) {
          throw new WorkerDbError('E_CONFIG', `migrate.drizzle: ${what} is ${JSON.stringify(dialect)}, and this run's server is ${DIALECT_LABELS[kind]}`,
            `Point \`migrate: { drizzle }\` at the drizzle config (and migrations) for ${DIALECT_LABELS[kind]}: dialect "${DRIZZLE_DIALECTS[kind][0]}".`)
        }
      }
      const count = journal.entries.length
      log.progress(`migrating with drizzle: ${plural(count, 'migration')}`)
      const config = { migrationsFolder: s.folder, migrationsTable: s.table, migrationsSchema: s.schema }
      try {
        if (kind === 'mysql') return await migrateMysql(url, baseDir, config)
        if (kind === 'sqlite') return await migrateSqlite(url, baseDir, config)
        return await migratePostgres(url, baseDir, s, config)
      } catch (err) {
        if (err instanceof WorkerDbError) throw err
        throw migrationFailed('drizzle', undefined, err, secrets)
      }
    },
  }
}

interface MigrateConfig { migrationsFolder: string; migrationsTable: string; migrationsSchema: string }
type Migrate = (db: unknown, config: MigrateConfig) => Promise<void> | void

/** drizzle's migrate() reports nothing: the ledger's growth is the number of migrations applied. */
async function migratePostgres(url: string, baseDir: string, s: DrizzleSettings, config: MigrateConfig): Promise<number> {
  const [{ drizzle }, { migrate }] = await Promise.all([
    importFromProject<{ drizzle: (client: unknown) => unknown }>('drizzle-orm/node-postgres', baseDir, 'migrate.drizzle'),
    importFromProject<{ migrate: Migrate }>('drizzle-orm/node-postgres/migrator', baseDir, 'migrate.drizzle'),
  ])
  const client = new (await loadDriver()).Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    const ledger = `${quoteIdent(s.schema)}.${quoteIdent(s.table)}`
    const applied = async () => Number((await client.query(`select count(*) from ${ledger}`).catch(() => ({ rows: [{ count: 0 }] }))).rows[0].count)
    const before = await applied()
    await migrate(drizzle(client), config)
    return (await applied()) - before
  } finally {
    await client.end().catch(() => {})
  }
}

/** drizzle-orm/mysql2 on the project's mysql2. */
async function migrateMysql(url: string, baseDir: string, config: MigrateConfig): Promise<number> {
  requireDriver([MYSQL2], baseDir, 'migrate.drizzle', `drizzle on ${DIALECT_LABELS.mysql}`)
  const [{ drizzle }, { migrate }, mysql] = await Promise.all([
    importFromProject<{ drizzle: (client: unknown) => unknown }>('drizzle-orm/mysql2', baseDir, 'migrate.drizzle'),
    importFromProject<{ migrate: Migrate }>('drizzle-orm/mysql2/migrator', baseDir, 'migrate.drizzle'),
    importFromProject<{ createConnection(options: object): Promise<MysqlConnection>; default?: { createConnection(options: object): Promise<MysqlConnection> } }>(`${MYSQL2}/promise`, baseDir, 'migrate.drizzle'),
  ])
  const connection = await (mysql.createConnection ?? mysql.default!.createConnection)(mysqlConnection(url))
  try {
    const ledger = '`' + config.migrationsTable.replace(/`/g, '``') + '`'
    const applied = async () => Number((await connection.query(`select count(*) as n from ${ledger}`).then(([rows]) => rows[0]?.n, () => 0)) ?? 0)
    const before = await applied()
    await migrate(drizzle(connection), config)
    return (await applied()) - before
  } finally {
    await connection.end().catch(() => {})
  }
}

interface MysqlConnection {
  query(sql: string): Promise<[Array<{ n?: unknown }>, unknown]>
  end(): Promise<void>
}

/** drizzle-orm/better-sqlite3 on the project's better-sqlite3 (drizzle's SQLite migrator is synchronous). */
async function migrateSqlite(url: string, baseDir: string, config: MigrateConfig): Promise<number> {
  requireDriver([BETTER_SQLITE3], baseDir, 'migrate.drizzle', `drizzle on ${DIALECT_LABELS.sqlite}`)
  const [{ drizzle }, { migrate }, mod] = await Promise.all([
    importFromProject<{ drizzle: (client: unknown) => unknown }>('drizzle-orm/better-sqlite3', baseDir, 'migrate.drizzle'),
    importFromProject<{ migrate: Migrate }>('drizzle-orm/better-sqlite3/migrator', baseDir, 'migrate.drizzle'),
    importFromProject<{ default?: unknown }>(BETTER_SQLITE3, baseDir, 'migrate.drizzle'),
  ])
  type Database = { prepare(sql: string): { get(): { n?: unknown } | undefined }; close(): void }
  const Database = (typeof mod === 'function' ? mod : mod.default) as new (path: string) => Database
  const db = new Database(connectionParts(url).database)
  try {
    const ledger = `"${config.migrationsTable.replace(/"/g, '""')}"`
    const applied = () => { try { return Number(db.prepare(`select count(*) as n from ${ledger}`).get()?.n ?? 0) } catch { return 0 } }
    const before = applied()
    await migrate(drizzle(db), config)
    return applied() - before
  } finally {
    db.close()
  }
}
