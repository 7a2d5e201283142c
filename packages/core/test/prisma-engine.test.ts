/**
 * `migrate: { prisma }` checked by Prisma's own schema engine (its Wasm build, driven through @prisma/adapter-pg).
 *
 * Verified: on a database our adapter built, the engine reads our `_prisma_migrations` and finds it up to date
 * (`diagnoseMigrationHistory`: no history diagnostic, nothing edited or failed; `applyMigrations`: applies
 * nothing), and it sees the tampering we do to that ledger: an edited checksum, an unfinished row, a missing row.
 *
 * Not verified here: drift (the schema diff `migrate dev` does), since adapter-pg cannot decode the "char"
 * columns (OID 18) the engine's introspection reads; and `prisma migrate status` itself, since the Prisma 7
 * CLI only runs its native engine, which cannot be downloaded here. npm has no schema-engine-wasm build for
 * Prisma 7.10.1's engines (d1b3f377…): this is the nearest one, 8.1.0-2.59be4fda….
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg'
import type { DiagnoseMigrationHistoryOutput, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveMigrator } from '../src/migrate/registry.js'
import { createLogger } from '../src/log.js'
import { dbUrl, dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'
import { diagnoseHistory, migrationsList, NO_FILTERS, schemaEngineWasm } from './prisma-wasm.js'

const INIT = '20240101000000_init'
const ADD_EMAIL = '20240102000000_add_email'
const FILES: Record<string, string> = {
  'schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
  [`migrations/${INIT}/migration.sql`]: '-- CreateTable\nCREATE TABLE "User" (\n    "id" SERIAL NOT NULL,\n    "name" TEXT NOT NULL,\n\n    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n',
  [`migrations/${ADD_EMAIL}/migration.sql`]: '-- AlterTable\nALTER TABLE "User" ADD COLUMN "email" TEXT;\n',
  'migrations/migration_lock.toml': 'provider = "postgresql"\n',
}

const prefix = uniquePrefix('pe')
const project = mkdtempSync(join(tmpdir(), 'workerdb-prisma-engine-'))
const prismaDir = join(project, 'prisma')
const pools: pg.Pool[] = []
const engines: SchemaEngine[] = []

beforeAll(async () => {
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(prismaDir, rel)), { recursive: true })
    writeFileSync(join(prismaDir, rel), text)
  }
  await schemaEngineWasm()
})

afterAll(async () => {
  for (const engine of engines) engine.free()
  await Promise.all(pools.map((p) => p.end().catch(() => {})))
  await dropPrefix(prefix)
  rmSync(project, { recursive: true, force: true })
})

let n = 0
/** A fresh database built by our adapter, and Prisma's schema engine connected to it. */
async function adapterBuilt(): Promise<{ url: string; engine: SchemaEngine }> {
  const name = `${prefix}_${++n}`
  await withClient(testUrl(), (c) => c.query(`create database "${name}"`))
  const url = dbUrl(name)
  const ctx = { log: createLogger({ silent: true }), env: {}, secrets: [] }
  expect(await resolveMigrator({ prisma: './prisma' }, project)!.migrate(url, ctx)).toBe(2)
  const pool = new pg.Pool({ connectionString: url })
  pools.push(pool)
  const schema = join(prismaDir, 'schema.prisma')
  const engine = await wasmBindings.SchemaEngine.new({ datamodels: [[schema, readFileSync(schema, 'utf8')]] }, () => {},
    bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool)))
  engines.push(engine)
  return { url, engine }
}

const migrations = () => migrationsList(prismaDir, [INIT, ADD_EMAIL])
const diagnose = (engine: SchemaEngine) => diagnoseHistory(engine, migrations())
const tamper = (url: string, sql: string, name: string) => withClient(url, async (c) => {
  expect((await c.query(sql, [name])).rowCount).toBe(1)
})

describe('migrate: prisma, read by Prisma\'s schema engine', () => {
  it('finds the adapter-built database up to date: no history diagnostic, nothing edited or failed, nothing to apply', async () => {
    const { engine } = await adapterBuilt()
    expect(await diagnose(engine)).toEqual({ history: null, editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true } satisfies DiagnoseMigrationHistoryOutput)
    expect(await engine.applyMigrations({ migrationsList: migrations(), filters: NO_FILTERS })).toEqual({ appliedMigrationNames: [] })
  })

  it('names a migration whose recorded checksum differs from its script as edited', async () => {
    const { url, engine } = await adapterBuilt()
    await tamper(url, `update _prisma_migrations set checksum = repeat('0', 64) where migration_name = $1`, INIT)
    expect(await diagnose(engine)).toEqual({ history: null, editedMigrationNames: [INIT], failedMigrationNames: [], hasMigrationsTable: true })
  })

  it('names a migration whose row never finished as failed', async () => {
    const { url, engine } = await adapterBuilt()
    await tamper(url, 'update _prisma_migrations set finished_at = null where migration_name = $1', ADD_EMAIL)
    expect(await diagnose(engine)).toEqual({ history: null, editedMigrationNames: [], failedMigrationNames: [ADD_EMAIL], hasMigrationsTable: true })
  })

  it('names a migration with no row as unapplied: the database is behind', async () => {
    const { url, engine } = await adapterBuilt()
    await tamper(url, 'delete from _prisma_migrations where migration_name = $1', ADD_EMAIL)
    expect(await diagnose(engine)).toEqual({
      history: { diagnostic: 'databaseIsBehind', unappliedMigrationNames: [ADD_EMAIL] },
      editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true,
    })
  })
})
