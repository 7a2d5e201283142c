/**
 * The migration-tool adapters against a real server, each with the tool version a user would install:
 * the template gets the tool's schema and the tool's own ledger (so the tool, run again, finds nothing
 * to do), the files the tool reads shape the hash, and failures name the migration or the missing package.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveMigrator, type MigrateOption } from '../src/migrate/registry.js'
import { WorkerDbError } from '../src/errors.js'
import { templateHash } from '../src/catalog/hash.js'
import { createLogger } from '../src/log.js'
import type { Migrator } from '../src/migrate/types.js'
import { dbUrl, dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/migrate', import.meta.url))
const prefix = uniquePrefix('mt')
const scratch: string[] = []
afterAll(async () => {
  await dropPrefix(prefix)
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

let n = 0
async function freshDatabase(): Promise<string> {
  const name = `${prefix}_${++n}`
  await withClient(testUrl(), (c) => c.query(`create database "${name}"`))
  return dbUrl(name)
}

const ctx = { log: createLogger({ silent: true }), env: {}, secrets: [] }

/** A copy of one fixture folder next to the fixtures, so the tools still resolve from packages/core. */
function copyFixture(tool: string, into = join(FIXTURES, '..')): string {
  const dir = mkdtempSync(join(into, `.tmp-${tool}-`))
  scratch.push(dir)
  cpSync(join(FIXTURES, tool), dir, { recursive: true })
  return dir
}

/** A scratch folder in the temp dir holding these files (removed after the file's tests). */
function scratchTree(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  scratch.push(dir)
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  return dir
}

async function tables(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query(
    "select table_schema || '.' || table_name as t from information_schema.tables where table_schema not in ('pg_catalog','information_schema') order by 1")).rows.map((r) => r.t))
}

/** Rows in `schema.table` or `table` (names as the catalog has them: SequelizeMeta keeps its capitals). */
async function count(url: string, table: string): Promise<number> {
  const name = table.split('.').map((part) => `"${part}"`).join('.')
  return withClient(url, async (c) => Number((await c.query(`select count(*) from ${name}`)).rows[0].count))
}

async function hashOf(m: Migrator): Promise<string> {
  return templateHash({ migrator: await m.hashInputs(), serverMajor: 15, key: '' })
}

const TOOLS: Array<{ tool: string; option: (dir: string) => MigrateOption; ledger: string[] }> = [
  { tool: 'kysely', option: (dir) => ({ kysely: dir }), ledger: ['public.kysely_migration', 'public.kysely_migration_lock'] },
  // Through the knexfile: its directory and its own ledger name (knex_ledger), as the knex CLI would use them.
  { tool: 'knex', option: (dir) => ({ knex: join(dir, 'knexfile.cjs') }), ledger: ['public.knex_ledger', 'public.knex_ledger_lock'] },
  { tool: 'drizzle', option: (dir) => ({ drizzle: dir }), ledger: ['drizzle.__drizzle_migrations'] },
  { tool: 'node-pg-migrate', option: (dir) => ({ nodePgMigrate: dir }), ledger: ['public.pgmigrations'] },
  { tool: 'sequelize', option: (dir) => ({ sequelize: join(dir, 'migrations') }), ledger: ['public.SequelizeMeta'] },
  // Its data source file: migrations by glob, its own ledger name (typeorm_ledger), decorated entities.
  { tool: 'typeorm', option: (dir) => ({ typeorm: join(dir, 'src', 'data-source.ts') }), ledger: ['public.typeorm_ledger', 'public.typeorm_metadata'] },
  // Its config file: migrations in pathTs, its own ledger name (mikro_ledger).
  { tool: 'mikro-orm', option: (dir) => ({ mikroOrm: join(dir, 'mikro-orm.config.ts') }), ledger: ['public.mikro_ledger'] },
]

describe.each(TOOLS)('migrate: $tool', ({ tool, option, ledger }) => {
  it('builds the schema with the tool\'s own migrator and ledger; a second run applies nothing', async () => {
    const migrator = resolveMigrator(option(join(FIXTURES, tool)), FIXTURES)!
    expect(await migrator.ledgerTables?.()).toEqual(ledger)
    const url = await freshDatabase()
    expect(await migrator.migrate(url, ctx)).toBe(2)
    const have = await tables(url)
    // TypeORM makes typeorm_metadata only for schemas that need it (views, generated columns).
    expect(have).toEqual(expect.arrayContaining(['public.authors', 'public.books', ...ledger.filter((t) => t !== 'public.typeorm_metadata')]))
    expect(await count(url, 'authors')).toBe(1)
    expect(await count(url, ledger[0]!)).toBe(2)
    // The ledger is the tool's: run again on the migrated database, it finds every step applied.
    expect(await migrator.migrate(url, ctx)).toBe(0)
    expect(await count(url, ledger[0]!)).toBe(2)
  })

  it('hashes the files the tool reads: an edited migration is a new template, a copy elsewhere is not', async () => {
    const a = copyFixture(tool)
    const b = copyFixture(tool)
    const [ma, mb] = [resolveMigrator(option(a), a)!, resolveMigrator(option(b), b)!]
    expect(await hashOf(ma)).toBe(await hashOf(mb))
    const files = (await ma.hashInputs()).map(([name]) => name).filter((f) => f.startsWith('file/'))
    expect(files.length).toBeGreaterThanOrEqual(2)
    const edited = join(b, files[files.length - 1]!.slice('file/'.length))
    writeFileSync(edited, `${(await import('node:fs')).readFileSync(edited, 'utf8')}\n-- edited\n`)
    expect(await hashOf(resolveMigrator(option(b), b)!)).not.toBe(await hashOf(ma))
  })

  it('names the missing package and how to install it when the project does not have it', async () => {
    const dir = copyFixture(tool, mkdtempSync(join(tmpdir(), 'workerdb-notool-')))
    scratch.push(join(dir, '..'))
    const err = await resolveMigrator(option(dir), dir)!.migrate(await freshDatabase(), ctx).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(WorkerDbError)
    expect((err as WorkerDbError).code).toBe('E_CONFIG')
    expect((err as WorkerDbError).hint).toContain(`npm i -D ${{ drizzle: 'drizzle-orm', 'mikro-orm': '@mikro-orm/core' }[tool] ?? tool}`)
  })
})

describe('migrate: sql', () => {
  it('hashes its inputs too: an edited seed file is a new template', async () => {
    const dir = copyFixture('drizzle')
    writeFileSync(join(dir, 'seed.csv'), 'id,name\n1,Ursula\n')
    const hash = () => hashOf(resolveMigrator({ sql: dir, inputs: ['./seed.csv'] }, dir)!)
    const before = await hash()
    writeFileSync(join(dir, 'seed.csv'), 'id,name\n1,Ursula\n2,Octavia\n')
    expect(await hash()).not.toBe(before)
  })
})

/** A Prisma project as `prisma migrate dev` leaves it: its schema, and one folder per migration. */
const prismaProject = () => scratchTree('workerdb-prisma-', {
  'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
  'prisma/migrations/20240102000000_add_email/migration.sql': '-- AlterTable\nALTER TABLE "User" ADD COLUMN "email" TEXT;\n',
  'prisma/migrations/20240101000000_init/migration.sql': '-- CreateTable\nCREATE TABLE "User" (\n    "id" SERIAL NOT NULL,\n    "name" TEXT NOT NULL,\n\n    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n',
  'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
})

describe('migrate: sql, one folder per migration (Prisma\'s prisma/migrations)', () => {

  it('applies each folder\'s migration.sql in folder order, and hashes them', async () => {
    const dir = prismaProject()
    const migrator = resolveMigrator({ sql: './prisma/migrations' }, dir)!
    expect((await migrator.hashInputs()).map(([name]) => name)).toEqual(['sql/20240101000000_init/migration.sql', 'sql/20240102000000_add_email/migration.sql'])
    const url = await freshDatabase()
    expect(await migrator.migrate(url, ctx)).toBe(2)
    const columns = await withClient(url, async (c) => (await c.query(`select column_name from information_schema.columns where table_name = 'User' order by ordinal_position`)).rows.map((r) => r.column_name))
    expect(columns).toEqual(['id', 'name', 'email'])
  })

  it('refuses a folder whose .sql files are all deeper than one folder down (it would build an empty template)', async () => {
    const dir = prismaProject()
    const e = await resolveMigrator({ sql: '.' }, dir)!.hashInputs().then(() => null, (err: unknown) => err as WorkerDbError)
    expect(e?.code).toBe('E_CONFIG')
    expect(e?.message).toContain('deeper')
    expect(e?.hint).toContain('prisma/migrations')
  })

  it('a folder with no .sql file at all builds an empty template, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-empty-sql-'))
    scratch.push(dir)
    const warnings: string[] = []
    const log = { info() {}, progress() {}, warn: (line: string) => { warnings.push(line) } }
    expect(await resolveMigrator({ sql: dir }, dir)!.migrate(await freshDatabase(), { ...ctx, log })).toBe(0)
    expect(warnings.join('\n')).toMatch(/holds no \.sql file: the template is empty/)
  })
})

describe('migrate: prisma', () => {

  it('applies the migrations in folder order and writes _prisma_migrations as Prisma does: its columns, checksums, finished steps', async () => {
    const dir = prismaProject()
    const migrator = resolveMigrator({ prisma: './prisma' }, dir)!
    expect(migrator.describe).toBe('prisma prisma/migrations')
    expect(await migrator.ledgerTables!()).toEqual(['public._prisma_migrations'])
    const url = await freshDatabase()
    expect(await migrator.migrate(url, ctx)).toBe(2)
    await withClient(url, async (c) => {
      const columns = (await c.query(`select column_name from information_schema.columns where table_name = 'User' order by ordinal_position`)).rows.map((r) => r.column_name)
      expect(columns).toEqual(['id', 'name', 'email'])
      // The ledger's shape, as Prisma's schema engine creates it on PostgreSQL.
      const ledger = (await c.query(`select column_name, data_type, character_maximum_length as len, is_nullable, column_default
        from information_schema.columns where table_schema = 'public' and table_name = '_prisma_migrations' order by ordinal_position`)).rows
      expect(ledger.map((r) => [r.column_name, r.data_type, r.len, r.is_nullable])).toEqual([
        ['id', 'character varying', 36, 'NO'], ['checksum', 'character varying', 64, 'NO'], ['finished_at', 'timestamp with time zone', null, 'YES'],
        ['migration_name', 'character varying', 255, 'NO'], ['logs', 'text', null, 'YES'], ['rolled_back_at', 'timestamp with time zone', null, 'YES'],
        ['started_at', 'timestamp with time zone', null, 'NO'], ['applied_steps_count', 'integer', null, 'NO'],
      ])
      const rows = (await c.query('select * from _prisma_migrations order by started_at, migration_name')).rows
      expect(rows.map((r) => r.migration_name)).toEqual(['20240101000000_init', '20240102000000_add_email'])
      for (const r of rows) {
        const script = readFileSync(join(dir, 'prisma', 'migrations', r.migration_name, 'migration.sql'))
        expect(r.checksum).toBe(createHash('sha256').update(script).digest('hex'))
        expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        expect(r.applied_steps_count).toBe(1)
        expect(r.finished_at).toBeInstanceOf(Date)
        expect([r.logs, r.rolled_back_at]).toEqual([null, null])
      }
    })
  })

  it('hashes the migration scripts (and inputs), not the Prisma schema: an edited migration is a new template', async () => {
    const dir = prismaProject()
    const hash = () => hashOf(resolveMigrator({ prisma: join(dir, 'prisma') }, dir)!)
    const before = await hash()
    writeFileSync(join(dir, 'prisma', 'schema.prisma'), 'datasource db {\n  provider = "postgresql"\n}\n// edited\n')
    expect(await hash()).toBe(before)
    writeFileSync(join(dir, 'prisma', 'migrations', '20240102000000_add_email', 'migration.sql'), 'ALTER TABLE "User" ADD COLUMN "mail" TEXT;\n')
    expect(await hash()).not.toBe(before)
    // The migrations folder itself names the same migrations.
    expect(await hashOf(resolveMigrator({ prisma: join(dir, 'prisma', 'migrations') }, dir)!)).toBe(await hash())
  })

  it('a failing migration: E_MIGRATION naming its folder, with the server\'s error', async () => {
    const dir = prismaProject()
    mkdirSync(join(dir, 'prisma', 'migrations', '20240103000000_broken'))
    writeFileSync(join(dir, 'prisma', 'migrations', '20240103000000_broken', 'migration.sql'), 'ALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n')
    const err = await resolveMigrator({ prisma: './prisma' }, dir)!.migrate(await freshDatabase(), ctx).then(() => null, (e: unknown) => e as WorkerDbError)
    expect(err?.code).toBe('E_MIGRATION')
    expect(err?.message).toMatch(/prisma migration 20240103000000_broken failed.*NoSuchTable/)
    expect(err?.hint).toContain(join('20240103000000_broken', 'migration.sql'))
  })

  it('a folder of plain .sql files is not Prisma\'s: E_CONFIG pointing at migrate: { sql }', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-prisma-flat-'))
    scratch.push(dir)
    writeFileSync(join(dir, '0001_init.sql'), 'create table t (id int);')
    const e = await resolveMigrator({ prisma: dir }, dir)!.hashInputs().then(() => null, (err: unknown) => err as WorkerDbError)
    expect(e?.code).toBe('E_CONFIG')
    expect(e?.hint).toContain('migrate: { sql }')
  })
})

describe('migrate: sequelize, against sequelize-cli itself', () => {
  const cliDir = dirname(createRequire(import.meta.url).resolve('sequelize-cli/package.json'))
  const cli = (cwd: string, ...args: string[]) => execFileSync(process.execPath, [join(cliDir, 'lib', 'sequelize'), ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const ledgerShape = (url: string) => withClient(url, async (c) => ({
    columns: (await c.query(`select column_name, data_type, character_maximum_length, is_nullable, column_default from information_schema.columns
      where table_schema = 'public' and table_name = 'SequelizeMeta' order by ordinal_position`)).rows,
    indexes: (await c.query(`select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = 'SequelizeMeta' order by 1`)).rows,
  }))

  it('the ledger is the one sequelize-cli makes, and its db:migrate finds nothing to do on the template', async () => {
    const dir = join(FIXTURES, 'sequelize')
    const ours = await freshDatabase()
    expect(await resolveMigrator({ sequelize: './migrations' }, dir)!.migrate(ours, ctx)).toBe(2)
    // sequelize-cli itself on the plain-JavaScript migration (it cannot load TypeScript on this Node).
    const plain = copyFixture('sequelize')
    rmSync(join(plain, 'migrations', '20240102000000-books.ts'))
    const theirs = await freshDatabase()
    cli(plain, 'db:migrate', '--url', theirs, '--migrations-path', './migrations')
    expect(await ledgerShape(ours)).toEqual(await ledgerShape(theirs))
    expect(cli(dir, 'db:migrate', '--url', ours, '--migrations-path', './migrations')).toMatch(/No migrations were executed, database schema was already up to date/)
    expect(cli(dir, 'db:migrate:status', '--url', ours, '--migrations-path', './migrations')).toMatch(/up 20240101000000-authors\.cjs\s+up 20240102000000-books\.ts/)
  })
})

describe('migrate: typeorm, checked by TypeORM itself', () => {
  const typeormOption = (dir: string) => ({ typeorm: join(dir, 'src', 'data-source.ts') })

  /** TypeORM's own DataSource on `url`, with the fixture's migrations and ledger: what its CLI would build. */
  async function theirs(url: string, dir: string) {
    const { DataSource } = await import('typeorm')
    const migrations = await Promise.all(['1704067200000-Authors', '1704153600000-Books'].map(async (name) => Object.values(await import(join(dir, 'src', 'migrations', `${name}.ts`)))[0] as new () => object))
    const ds = new DataSource({ type: 'postgres', url, migrations, migrationsTableName: 'typeorm_ledger', logging: false })
    await ds.initialize()
    return ds
  }

  it('the template\'s ledger is TypeORM\'s: it shows no pending migration and runs none', async () => {
    const dir = join(FIXTURES, 'typeorm')
    const url = await freshDatabase()
    expect(await resolveMigrator(typeormOption(dir), dir)!.migrate(url, ctx)).toBe(2)
    const ds = await theirs(url, dir)
    try {
      expect(await ds.showMigrations()).toBe(false)
      expect(await ds.runMigrations()).toEqual([])
    } finally {
      await ds.destroy()
    }
  })

  it('synchronize: the entities\' schema, made by TypeORM from decorator metadata, with nothing left to sync', async () => {
    const dir = join(FIXTURES, 'typeorm')
    const url = await freshDatabase()
    const migrator = resolveMigrator({ ...typeormOption(dir), synchronize: true }, dir)!
    expect(migrator.describe).toContain('(synchronize)')
    expect(await migrator.migrate(url, ctx)).toBe(2)
    expect(await tables(url)).toEqual(['public.authors', 'public.books'])
    // Column types came from the metadata TypeScript emitted (no type is given in the entities).
    const columns = await withClient(url, async (c) => (await c.query("select column_name, data_type from information_schema.columns where table_name = 'authors' order by 1")).rows)
    expect(columns).toEqual([{ column_name: 'id', data_type: 'integer' }, { column_name: 'name', data_type: 'character varying' }])
  })

  it('a migration file added to the glob is a new template, though the data source file is unchanged (the globs are remembered, not the files)', async () => {
    const dir = copyFixture('typeorm')
    const before = await hashOf(resolveMigrator(typeormOption(dir), dir)!)
    expect(await hashOf(resolveMigrator(typeormOption(dir), dir)!)).toBe(before)
    writeFileSync(join(dir, 'src', 'migrations', '1704240000000-More.ts'), 'export class More1704240000000 { async up() {} async down() {} }\n')
    expect(await hashOf(resolveMigrator(typeormOption(dir), dir)!)).not.toBe(before)
  })
})

describe('migrate: mikro-orm, checked by MikroORM itself', () => {
  it('the template\'s ledger is MikroORM\'s: its migrator, finding the files as its CLI does, has nothing pending', async () => {
    const dir = join(FIXTURES, 'mikro-orm')
    const url = await freshDatabase()
    expect(await resolveMigrator({ mikroOrm: join(dir, 'mikro-orm.config.ts') }, dir)!.migrate(url, ctx)).toBe(2)
    const { MikroORM } = await import('@mikro-orm/postgresql')
    const { Migrator } = await import('@mikro-orm/migrations')
    const theirs = (on: string) => MikroORM.init({
      clientUrl: on, entities: [], discovery: { warnWhenNoEntities: false }, extensions: [Migrator], debug: false,
      migrations: { pathTs: join(dir, 'migrations'), tableName: 'mikro_ledger', silent: true },
    })
    // On an empty database, the same migrator sees both files pending: it does find them.
    const empty = await theirs(await freshDatabase())
    try {
      expect((await empty.migrator.getPendingMigrations()).map((m) => m.name)).toEqual(['Migration20240101000000_authors', 'Migration20240102000000_books'])
    } finally {
      await empty.close(true)
    }
    const orm = await theirs(url)
    try {
      expect((await orm.migrator.getExecutedMigrations()).map((m) => m.name)).toEqual(['Migration20240101000000_authors', 'Migration20240102000000_books'])
      expect(await orm.migrator.getPendingMigrations()).toEqual([])
    } finally {
      await orm.close(true)
    }
  })
})

describe('a failing migration', () => {
  it.each([
    ['kysely', (dir: string) => ({ kysely: dir }), '0003_broken.ts', "import { sql } from 'kysely'\nexport async function up(db: any) { await sql`select * from no_such_table`.execute(db) }\n", /0003_broken/],
    ['knex', (dir: string) => ({ knex: join(dir, 'migrations') }), 'migrations/20240103000000_broken.cjs', "exports.up = (knex) => knex.raw('select * from no_such_table')\nexports.down = () => {}\n", /20240103000000_broken/],
    ['node-pg-migrate', (dir: string) => ({ nodePgMigrate: dir }), '1700000000002_broken.js', "export const up = (pgm) => { pgm.sql('select * from no_such_table') }\n", /no_such_table/],
    ['sequelize', (dir: string) => ({ sequelize: join(dir, 'migrations') }), 'migrations/20240103000000-broken.cjs', "module.exports = { up: (queryInterface) => queryInterface.sequelize.query('select * from no_such_table') }\n", /20240103000000-broken/],
    ['mikro-orm', (dir: string) => ({ mikroOrm: join(dir, 'mikro-orm.config.ts') }), 'migrations/Migration20240103000000_broken.ts', "import { Migration } from '@mikro-orm/migrations'\nexport class Migration20240103000000_broken extends Migration { async up() { this.addSql('select * from no_such_table') } }\n", /Migration20240103000000_broken/],
    ['typeorm', (dir: string) => ({ typeorm: join(dir, 'src', 'data-source.ts') }), 'src/migrations/1704240000000-Broken.ts', "export class Broken1704240000000 { async up(queryRunner: any) { await queryRunner.query('select * from no_such_table') } async down() {} }\n", /Broken1704240000000/],
  ])('%s: E_MIGRATION with the server\'s error and the step that failed', async (tool, option, file, text, step) => {
    const dir = copyFixture(tool)
    writeFileSync(join(dir, file), text)
    const err = await resolveMigrator(option(dir), dir)!.migrate(await freshDatabase(), ctx).then(() => null, (e: unknown) => e)
    expect((err as WorkerDbError).code).toBe('E_MIGRATION')
    expect((err as WorkerDbError).message).toMatch(/no_such_table/)
    expect((err as WorkerDbError).message).toMatch(step)
  })

  it('drizzle without generated migrations: E_CONFIG that says to run drizzle-kit generate', async () => {
    const dir = mkdtempSync(join(FIXTURES, '..', '.tmp-drizzle-empty-'))
    scratch.push(dir)
    const err = await resolveMigrator({ drizzle: dir }, dir)!.migrate(await freshDatabase(), ctx).then(() => null, (e: unknown) => e)
    expect((err as WorkerDbError).code).toBe('E_CONFIG')
    expect((err as WorkerDbError).hint).toContain('drizzle-kit generate')
  })
})
