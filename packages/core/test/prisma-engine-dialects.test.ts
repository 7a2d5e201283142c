/**
 * `migrate: { prisma }` on MariaDB and SQLite. On both: the tables, and a `_prisma_migrations` row per
 * migration as Prisma writes it (the script's SHA-256, finished, one step). On SQLite also checked by Prisma's
 * own schema engine (its Wasm build, driven through @prisma/adapter-better-sqlite3), as prisma-engine.test.ts
 * checks PostgreSQL: the engine reads our ledger and finds it up to date (no history diagnostic, nothing
 * edited or failed, nothing to apply), and sees a checksum we edit and a row we unfinish. Not on MariaDB: that
 * Wasm build panics with "Unsupported adapter provider: Mysql", and Prisma's native engine cannot be
 * downloaded here. MariaDB at WORKERDB_TEST_MYSQL_URL (default the machine's 127.0.0.1:3306); SQLite files
 * in a temp directory.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import Database from 'better-sqlite3'
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg'
import { afterAll, describe, expect, it } from 'vitest'
import { openDb } from '../src/catalog/sqlite/driver.js'
import { sqlitePath } from '../src/catalog/sqlite/url.js'
import { mysqlDatabaseUrl } from '../src/catalog/mysql/index.js'
import { prismaChecksum, prismaLedgerRows } from '../src/migrate/prisma.js'
import { resolveMigrator } from '../src/migrate/registry.js'
import { createLogger } from '../src/log.js'
import { dropKindPrefix, uniquePrefix } from './helpers.js'
import { diagnoseHistory, migrationsList, NO_FILTERS, schemaEngineWasm } from './prisma-wasm.js'

const INIT = '20240101000000_init'
const ADD_EMAIL = '20240102000000_add_email'
const MYSQL_URL = process.env.WORKERDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const prefix = uniquePrefix('pk')
const root = mkdtempSync(join(tmpdir(), 'workerdb-prisma-dialects-'))
const ctx = { log: createLogger({ silent: true }), env: {}, secrets: [] }
const engines: SchemaEngine[] = []

interface Kind {
  name: 'mysql' | 'sqlite'
  provider: string
  migrations: Record<string, string>
  /** An empty database of this kind, and its URL. */
  create(n: number): Promise<string>
  /** Prisma's driver adapter on that database, where its Wasm schema engine can use one. */
  adapter?(url: string): SqlMigrationAwareDriverAdapterFactory
  /** Runs one statement on that database; its rows. */
  query(url: string, sql: string): Promise<Array<Record<string, unknown>>>
}

async function mysqlQuery(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const mysql = (await import('mysql2/promise')).default
  const conn = await mysql.createConnection(url)
  try {
    const [rows] = await conn.query(sql)
    return rows as Array<Record<string, unknown>>
  } finally {
    await conn.end()
  }
}

const KINDS: Kind[] = [
  {
    name: 'mysql', provider: 'mysql',
    migrations: {
      [INIT]: '-- CreateTable\nCREATE TABLE `User` (\n    `id` INTEGER NOT NULL AUTO_INCREMENT,\n    `name` VARCHAR(191) NOT NULL,\n\n    PRIMARY KEY (`id`)\n) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n',
      [ADD_EMAIL]: '-- AlterTable\nALTER TABLE `User` ADD COLUMN `email` VARCHAR(191) NULL;\n',
    },
    async create(n) {
      const name = `${prefix}_${n}`
      await mysqlQuery(MYSQL_URL, `CREATE DATABASE \`${name}\``)
      return mysqlDatabaseUrl(MYSQL_URL, name)
    },
    query: mysqlQuery,
  },
  {
    name: 'sqlite', provider: 'sqlite',
    migrations: {
      [INIT]: '-- CreateTable\nCREATE TABLE "User" (\n    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n    "name" TEXT NOT NULL\n);\n',
      [ADD_EMAIL]: '-- AlterTable\nALTER TABLE "User" ADD COLUMN "email" TEXT;\n',
    },
    async create(n) {
      const file = join(root, `${prefix}_${n}.db`)
      openDb(file).close()
      return pathToFileURL(file).href
    },
    adapter: (url) => new PrismaBetterSqlite3({ url: `file:${sqlitePath(url)}` }),
    async query(url, sql) {
      const db = new Database(sqlitePath(url), { fileMustExist: true })
      try {
        const statement = db.prepare(sql)
        return statement.reader ? statement.all() as Array<Record<string, unknown>> : (statement.run(), [])
      } finally {
        db.close()
      }
    },
  },
]

afterAll(async () => {
  for (const engine of engines) engine.free()
  await dropKindPrefix(MYSQL_URL, prefix)
  rmSync(root, { recursive: true, force: true })
})

describe('the ledger rows', () => {
  it('quote what they write: a quote doubled, and on MariaDB a backslash too', () => {
    const row = { id: "a'b", checksum: 'c\\d', name: 'n' }
    expect(prismaLedgerRows('sqlite', row).started).toContain("VALUES ('a''b', 'c\\d', 'n', current_timestamp, 0)")
    expect(prismaLedgerRows('mysql', row).started).toContain("VALUES ('a''b', 'c\\\\d', 'n', CURRENT_TIMESTAMP(3), 0)")
    expect(prismaLedgerRows('mysql', row).finished).toBe("UPDATE _prisma_migrations SET finished_at = CURRENT_TIMESTAMP(3), applied_steps_count = applied_steps_count + 1 WHERE id = 'a''b'")
  })
})

describe.each(KINDS)('migrate: prisma on $name', (kind) => {
  const project = join(root, kind.name)
  const prismaDir = join(project, 'prisma')
  const files: Record<string, string> = {
    'schema.prisma': `datasource db {\n  provider = "${kind.provider}"\n}\n`,
    'migrations/migration_lock.toml': `provider = "${kind.provider}"\n`,
    ...Object.fromEntries(Object.entries(kind.migrations).map(([name, sql]) => [`migrations/${name}/migration.sql`, sql])),
  }
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(prismaDir, rel)), { recursive: true })
    writeFileSync(join(prismaDir, rel), text)
  }

  let n = 0
  /** A fresh database built by our adapter. */
  async function built(): Promise<string> {
    const url = await kind.create(++n)
    expect(await resolveMigrator({ prisma: './prisma' }, project)!.migrate(url, ctx)).toBe(2)
    return url
  }
  /** …and Prisma's schema engine on it. */
  async function adapterBuilt(): Promise<{ url: string; engine: SchemaEngine }> {
    const url = await built()
    const wasm = await schemaEngineWasm()
    const schema = join(prismaDir, 'schema.prisma')
    const engine = await wasm.SchemaEngine.new({ datamodels: [[schema, readFileSync(schema, 'utf8')]] }, () => {}, bindMigrationAwareSqlAdapterFactory(kind.adapter!(url)))
    engines.push(engine)
    return { url, engine }
  }

  it('makes the tables, and records each migration as Prisma does: its checksum, finished, one step', async () => {
    const url = await built()
    expect(await kind.query(url, 'SELECT COUNT(*) AS n FROM `User` WHERE email IS NULL'.replace(/`/g, kind.name === 'mysql' ? '`' : '"'))).toEqual([{ n: 0 }])
    const rows = await kind.query(url, 'SELECT migration_name AS name, checksum, applied_steps_count AS steps, finished_at IS NOT NULL AS finished, rolled_back_at IS NULL AS live, logs FROM _prisma_migrations ORDER BY started_at, migration_name')
    expect(rows.map((r) => ({ ...r, finished: Number(r.finished), live: Number(r.live), steps: Number(r.steps) }))).toEqual([INIT, ADD_EMAIL].map((name) => ({
      name, checksum: prismaChecksum(kind.migrations[name]!), steps: 1, finished: 1, live: 1, logs: null,
    })))
  })

  const migrations = () => migrationsList(prismaDir, [INIT, ADD_EMAIL])
  const diagnose = (engine: SchemaEngine) => diagnoseHistory(engine, migrations())

  if (!kind.adapter) return

  it('finds the adapter-built database up to date: no history diagnostic, nothing edited or failed, nothing to apply', async () => {
    const { engine } = await adapterBuilt()
    expect(await diagnose(engine)).toEqual({ history: null, editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true })
    expect(await engine.applyMigrations({ migrationsList: migrations(), filters: NO_FILTERS })).toEqual({ appliedMigrationNames: [] })
  })

  it('names a migration whose recorded checksum differs from its script as edited, and one never finished as failed', async () => {
    const { url, engine } = await adapterBuilt()
    await kind.query(url, `UPDATE _prisma_migrations SET checksum = '${'0'.repeat(64)}' WHERE migration_name = '${INIT}'`)
    await kind.query(url, `UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = '${ADD_EMAIL}'`)
    expect(await diagnose(engine)).toEqual({ history: null, editedMigrationNames: [INIT], failedMigrationNames: [ADD_EMAIL], hasMigrationsTable: true })
  })
})
