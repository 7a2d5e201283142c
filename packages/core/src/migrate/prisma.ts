/**
 * `{ prisma: './prisma' }`: Prisma Migrate's migrations (`migrations/<timestamp>_<name>/migration.sql`),
 * applied the way `prisma migrate deploy` applies them, without Prisma's native schema engine (which no npm
 * package ships): in folder order, each script as it is, each recorded in `_prisma_migrations` exactly as
 * Prisma records it (the table's columns and types on that kind of database, the SHA-256 of the script as
 * its checksum, a finished step), so that Prisma's own `migrate status` / `migrate deploy` find nothing to
 * do on a clone. PostgreSQL, MariaDB and SQLite, the kinds Prisma Migrate's SQL migrations are written for.
 */
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { DialectName } from '../catalog/dialect.js'
import { dialectFor } from '../catalog/dialects.js'
import { loadDriver } from '../catalog/postgres/db.js'
import { WorkerDbError } from '../errors.js'
import { kindOf, ledgerName } from './drivers.js'
import { byteOrder, hashFiles } from './files.js'
import { scriptFailed } from './sql.js'
import type { Migrator } from './types.js'

export interface PrismaMigrateOptions {
  /** The folder holding `migrations/` (usually `./prisma`), or the migrations folder itself. */
  prisma: string
  /** More files that shape the schema (seeds it reads…), hashed. */
  inputs?: string[]
}

/** Prisma's ledger, as its schema engine creates it on each kind of database. */
export const PRISMA_LEDGER_DDL: Record<DialectName, string> = {
  postgres: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
  mysql: `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
}

/**
 * Pure: the ledger's two writes for one migration on MariaDB or SQLite, as Prisma makes them — the row
 * started with no step applied, then finished with one — with the values written into the statements
 * (a migration script runner takes no parameters).
 */
export function prismaLedgerRows(kind: 'mysql' | 'sqlite', row: LedgerRow): { started: string; finished: string } {
  // Standard quoting; MariaDB also reads a backslash as an escape.
  const lit = (v: string) => `'${(kind === 'mysql' ? v.replace(/\\/g, '\\\\') : v).replace(/'/g, "''")}'`
  const now = kind === 'mysql' ? 'CURRENT_TIMESTAMP(3)' : 'current_timestamp'
  return {
    started: `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES (${lit(row.id)}, ${lit(row.checksum)}, ${lit(row.name)}, ${now}, 0)`,
    finished: `UPDATE _prisma_migrations SET finished_at = ${now}, applied_steps_count = applied_steps_count + 1 WHERE id = ${lit(row.id)}`,
  }
}

/** Prisma's checksum of a migration: the SHA-256 of the script's bytes, in hex. */
export function prismaChecksum(script: Buffer | string): string {
  return createHash('sha256').update(script).digest('hex')
}

/** The migrations folder: `<path>/migrations` when it exists, else `path` itself. */
export function prismaMigrationsDir(path: string): string {
  const inner = join(path, 'migrations')
  return existsSync(inner) && statSync(inner).isDirectory() ? inner : path
}

/** The migration folders, in the order Prisma applies them: every subfolder holding a migration.sql. */
export async function prismaMigrations(dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `migrate.prisma: ${dir} cannot be read: ${(err as Error).message}`,
      'Point `migrate: { prisma }` at the folder holding `migrations/` (usually ./prisma), relative to the config file.', { cause: err })
  }
  const names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(dir, e.name, 'migration.sql'))).map((e) => e.name)
  if (names.length === 0 && entries.some((e) => e.isFile() && e.name.endsWith('.sql'))) {
    throw new WorkerDbError('E_CONFIG', `migrate.prisma: ${dir} holds .sql files but no <name>/migration.sql folder: it is not a Prisma migrations folder`,
      'For plain .sql files, use `migrate: { sql }`; for Prisma, point `migrate: { prisma }` at the folder holding `migrations/`.')
  }
  // Byte order, as Prisma sorts them (their names start with a timestamp).
  return names.sort(byteOrder)
}

export function prismaMigrator(path: string, baseDir: string, inputs: string[] = []): Migrator {
  const dir = prismaMigrationsDir(path)
  const script = (name: string) => readFile(join(dir, name, 'migration.sql'))
  return {
    describe: `prisma ${relative(baseDir, dir) || '.'}`,
    async ledgerTables(kind) {
      return [ledgerName(kind, undefined, '_prisma_migrations')]
    },
    async hashInputs() {
      const scripts = await Promise.all((await prismaMigrations(dir)).map(async (n) => [`prisma/${n}`, await script(n)] as [string, Buffer]))
      return [...scripts, ...(await hashFiles(inputs, baseDir, 'migrate.inputs'))]
    },
    async migrate(url, { log, secrets }) {
      const names = await prismaMigrations(dir)
      if (names.length === 0) log.warn(`migrate.prisma ${relative(process.cwd(), dir) || '.'} holds no migration: the template is empty. Create one (npx prisma migrate dev), or remove \`migrate\` if an empty database is what the tests want.`)
      const ledger = await openLedger(url)
      try {
        await ledger.run(PRISMA_LEDGER_DDL[ledger.kind])
        for (const [i, name] of names.entries()) {
          log.progress(`migrating ${i + 1}/${names.length}: ${name}`)
          const bytes = await script(name)
          const row = { id: randomUUID(), checksum: prismaChecksum(bytes), name }
          // As Prisma does: the row first (started, no step applied), the script as it is, then the row finished.
          await ledger.started(row)
          try {
            await ledger.run(bytes.toString('utf8'))
          } catch (err) {
            throw scriptFailed(`prisma migration ${name}`, join(dir, name, 'migration.sql'), err, secrets)
          }
          await ledger.finished(row)
        }
        return names.length
      } finally {
        await ledger.close()
      }
    },
  }
}

type LedgerRow = { id: string; checksum: string; name: string }

/** One connection to the database being migrated: its statements in order, and Prisma's two ledger writes. */
interface LedgerSession {
  kind: DialectName
  run(sql: string): Promise<void>
  started(row: LedgerRow): Promise<void>
  finished(row: LedgerRow): Promise<void>
  close(): Promise<void>
}

async function openLedger(url: string): Promise<LedgerSession> {
  const kind = kindOf(url)
  if (kind === 'postgres') {
    const client = new (await loadDriver()).Client({ connectionString: url })
    client.on('error', () => {})
    await client.connect()
    return {
      kind,
      async run(sql) { await client.query(sql) },
      async started(row) {
        await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
          [row.id, row.checksum, row.name])
      },
      async finished(row) {
        await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1', [row.id])
      },
      close: () => client.end().catch(() => {}),
    }
  }
  // The kind's own script runner, as for `migrate: { sql }`: each script as written (SQLite's table rebuilds
  // with PRAGMA foreign_keys outside a transaction), the ledger rows as statements of their own.
  const scripts = await dialectFor(url).openScripts(url)
  return {
    kind,
    run: (sql) => scripts.run(sql),
    started: (row) => scripts.run(prismaLedgerRows(kind, row).started),
    finished: (row) => scripts.run(prismaLedgerRows(kind, row).finished),
    close: () => scripts.close(),
  }
}
