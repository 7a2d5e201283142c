/**
 * The ORM adapters on MariaDB and SQLite, through provision() as the framework packages call it: each tool's
 * own migrations (written in its format for that kind) build the template, and a clone holds the tables, the
 * seed row and the tool's own ledger, so the tool, run again on the clone, finds nothing pending.
 * MariaDB at WORKERDB_TEST_MYSQL_URL (default the machine's 127.0.0.1:3306); SQLite in a temp directory.
 * The projects live under test/fixtures/.tmp-* so the tools and drivers resolve from packages/core.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDb } from '../src/catalog/sqlite/driver.js'
import { sqlitePath } from '../src/catalog/sqlite/url.js'
import { resolveConfig } from '../src/config/resolve.js'
import { provision, type Provisioned } from '../src/engine/provision.js'
import { createLogger } from '../src/log.js'
import { resolveMigrator, type MigrateOption } from '../src/migrate/registry.js'
import { dropKindPrefix, uniquePrefix } from './helpers.js'

const require = createRequire(import.meta.url)
const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'workerdb-migrate-dialects-'))
const scratch: string[] = [root]
const saved = { url: process.env.WORKERDB_URL, summary: process.env.WORKERDB_SUMMARY_FILE }
const ctx = { log: createLogger({ silent: true }), env: {}, secrets: [] }

type KindName = 'mysql' | 'sqlite'

interface Kind {
  name: KindName
  url: string
  /** The first row `sql` returns on database `url`. */
  row(url: string, sql: string): Promise<Record<string, unknown>>
  /** The tables of database `url`, sorted. */
  tables(url: string): Promise<string[]>
  quote(name: string): string
}

const mysqlUrl = process.env.WORKERDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'

async function mysqlQuery(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise')
  const u = new URL(url)
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: decodeURIComponent(u.pathname.slice(1)) || undefined })
  try {
    const [rows] = await conn.query(sql)
    return rows as Array<Record<string, unknown>>
  } finally {
    await conn.end()
  }
}

function sqliteRow(url: string, sql: string): Record<string, unknown> {
  const db = openDb(sqlitePath(url), { mustExist: true })
  try {
    return { ...db.get(sql) }
  } finally {
    db.close()
  }
}

const KINDS: Kind[] = [
  {
    name: 'mysql', url: mysqlUrl, quote: (name) => `\`${name}\``,
    row: async (url, sql) => (await mysqlQuery(url, sql))[0]!,
    tables: async (url) => (await mysqlQuery(url, 'select table_name as t from information_schema.tables where table_schema = database()')).map((r) => String(r.t)).sort(),
  },
  {
    name: 'sqlite', url: pathToFileURL(join(root, 'sqlite-server')).href, quote: (name) => `"${name}"`,
    row: async (url, sql) => sqliteRow(url, sql),
    tables: async (url) => String(sqliteRow(url, "select group_concat(name, ',') as t from sqlite_master where type = 'table' and name not like 'sqlite_%'").t ?? '').split(',').filter(Boolean).sort(),
  },
]

/** One tool's project for one kind: its files, the option naming it, the ledger table that gets one row per migration. */
interface Tool {
  tool: string
  kinds: KindName[]
  files(kind: KindName): Record<string, string>
  option(dir: string): MigrateOption
  ledger: string
}

const TOOLS: Tool[] = [
  {
    tool: 'knex', kinds: ['mysql', 'sqlite'], ledger: 'knex_ledger',
    // Through a knexfile naming its own ledger table, as the knex CLI would use it.
    option: (dir) => ({ knex: join(dir, 'knexfile.cjs') }),
    files: () => ({
      'knexfile.cjs': "module.exports = { test: { client: 'pg', connection: 'postgresql://nowhere/x', migrations: { directory: './migrations', tableName: 'knex_ledger' } } }\n",
      'migrations/20240101000000_authors.cjs': "exports.up = (knex) => knex.schema.createTable('authors', (t) => { t.increments('id'); t.string('name', 100).notNullable().unique() })\nexports.down = (knex) => knex.schema.dropTable('authors')\n",
      'migrations/20240102000000_books.ts': `import type { Knex } from 'knex'
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('books', (t) => {
    t.increments('id')
    t.integer('author_id').unsigned().notNullable().references('authors.id')
    t.string('title', 100).notNullable()
  })
  await knex('authors').insert({ name: 'Ursula' })
}
export async function down(knex: Knex): Promise<void> { await knex.schema.dropTable('books') }
`,
    }),
  },
  {
    tool: 'kysely', kinds: ['mysql', 'sqlite'], ledger: 'kysely_migration',
    option: (dir) => ({ kysely: join(dir, 'migrations') }),
    files: () => ({
      'migrations/0001_authors.ts': `import type { Kysely } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('authors')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
    .execute()
}
`,
      'migrations/0002_books.ts': `import type { Kysely } from 'kysely'
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('books')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('author_id', 'integer', (c) => c.notNull().references('authors.id'))
    .addColumn('title', 'varchar(100)', (c) => c.notNull())
    .execute()
  await db.insertInto('authors').values({ name: 'Ursula' }).execute()
}
`,
    }),
  },
  {
    // On SQLite through Sequelize's sqlite dialect, on the project's sqlite3 (a native module of its own, not better-sqlite3).
    tool: 'sequelize', kinds: ['mysql', 'sqlite'], ledger: 'SequelizeMeta',
    option: (dir) => ({ sequelize: join(dir, 'migrations') }),
    files: () => ({
      'migrations/20240101000000-authors.cjs': `module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('authors', {
      id: { type: Sequelize.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: Sequelize.STRING(100), allowNull: false, unique: true },
    })
  },
}
`,
      'migrations/20240102000000-books.ts': `import type { QueryInterface } from 'sequelize'
export async function up(queryInterface: QueryInterface, Sequelize: typeof import('sequelize')): Promise<void> {
  await queryInterface.createTable('books', {
    id: { type: Sequelize.INTEGER, autoIncrement: true, primaryKey: true },
    author_id: { type: Sequelize.INTEGER, allowNull: false, references: { model: 'authors', key: 'id' } },
    title: { type: Sequelize.STRING(100), allowNull: false },
  })
  await queryInterface.bulkInsert('authors', [{ name: 'Ursula' }])
}
`,
    }),
  },
  {
    // Through a drizzle-kit config naming its dialect, its `out` folder and its own ledger table.
    tool: 'drizzle', kinds: ['mysql', 'sqlite'], ledger: 'drizzle_ledger',
    option: (dir) => ({ drizzle: join(dir, 'drizzle.config.ts') }),
    files: (kind) => ({
      'drizzle.config.ts': `export default { dialect: '${kind}', schema: './src/schema.ts', out: './drizzle', migrations: { table: 'drizzle_ledger' } }\n`,
      'drizzle/meta/_journal.json': JSON.stringify({
        version: '7', dialect: kind,
        entries: [
          { idx: 0, version: kind === 'mysql' ? '5' : '6', when: 1732000000000, tag: '0000_authors', breakpoints: true },
          { idx: 1, version: kind === 'mysql' ? '5' : '6', when: 1732000100000, tag: '0001_books', breakpoints: true },
        ],
      }),
      ...(kind === 'mysql' ? {
        'drizzle/0000_authors.sql': 'CREATE TABLE `authors` (\n\t`id` int AUTO_INCREMENT NOT NULL,\n\t`name` varchar(100) NOT NULL,\n\tCONSTRAINT `authors_id` PRIMARY KEY(`id`),\n\tCONSTRAINT `authors_name_unique` UNIQUE(`name`)\n);\n',
        'drizzle/0001_books.sql': 'CREATE TABLE `books` (\n\t`id` int AUTO_INCREMENT NOT NULL,\n\t`author_id` int NOT NULL,\n\t`title` varchar(100) NOT NULL,\n\tCONSTRAINT `books_id` PRIMARY KEY(`id`)\n);\n--> statement-breakpoint\n'
          + 'ALTER TABLE `books` ADD CONSTRAINT `books_author_id_authors_id_fk` FOREIGN KEY (`author_id`) REFERENCES `authors`(`id`) ON DELETE no action ON UPDATE no action;\n--> statement-breakpoint\n'
          + "INSERT INTO `authors` (`name`) VALUES ('Ursula');\n",
      } : {
        'drizzle/0000_authors.sql': 'CREATE TABLE `authors` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`name` text NOT NULL\n);\n--> statement-breakpoint\nCREATE UNIQUE INDEX `authors_name_unique` ON `authors` (`name`);\n',
        'drizzle/0001_books.sql': 'CREATE TABLE `books` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`author_id` integer NOT NULL,\n\t`title` text NOT NULL,\n\tFOREIGN KEY (`author_id`) REFERENCES `authors`(`id`) ON UPDATE no action ON DELETE no action\n);\n--> statement-breakpoint\n'
          + "INSERT INTO `authors` (`name`) VALUES ('Ursula');\n",
      }),
    }),
  },
  {
    // A data source file as `typeorm migration:run -d` takes it: migrations by glob, its own ledger name.
    tool: 'typeorm', kinds: ['mysql', 'sqlite'], ledger: 'typeorm_ledger',
    option: (dir) => ({ typeorm: join(dir, 'src', 'data-source.ts') }),
    files: (kind) => ({
      'package.json': '{ "name": "typeorm-dialect-fixture", "private": true }\n',
      'src/data-source.ts': `import { DataSource } from 'typeorm'
export default new DataSource({ type: '${kind === 'mysql' ? 'mariadb' : 'better-sqlite3'}', ${kind === 'mysql' ? "url: 'mysql://nobody@nowhere:3306/app'" : "database: 'app.db'"}, migrations: ['src/migrations/*.ts'], migrationsTableName: 'typeorm_ledger' })
`,
      'src/migrations/1704067200000-Authors.ts': `import type { MigrationInterface, QueryRunner } from 'typeorm'
export class Authors1704067200000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE authors (id integer PRIMARY KEY ${kind === 'mysql' ? 'AUTO_INCREMENT' : 'AUTOINCREMENT'}, name varchar(100) NOT NULL UNIQUE)')
  }
  async down(queryRunner: QueryRunner): Promise<void> { await queryRunner.query('DROP TABLE authors') }
}
`,
      'src/migrations/1704153600000-Books.ts': `import type { MigrationInterface, QueryRunner } from 'typeorm'
export class Books1704153600000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE books (id integer PRIMARY KEY ${kind === 'mysql' ? 'AUTO_INCREMENT' : 'AUTOINCREMENT'}, title varchar(100) NOT NULL, author_id integer NOT NULL REFERENCES authors (id))')
    await queryRunner.query("INSERT INTO authors (name) VALUES ('Ursula')")
  }
  async down(queryRunner: QueryRunner): Promise<void> { await queryRunner.query('DROP TABLE books') }
}
`,
    }),
  },
  {
    // SQLite through @mikro-orm/better-sqlite (its better-sqlite3 the project's: a pnpm override, no second native build).
    tool: 'mikro-orm', kinds: ['mysql', 'sqlite'], ledger: 'mikro_ledger',
    option: (dir) => ({ mikroOrm: join(dir, 'mikro-orm.config.ts') }),
    files: (kind) => {
      const q = (name: string) => kind === 'mysql' ? '`' + name + '`' : `"${name}"`
      const id = kind === 'mysql' ? `${q('id')} int unsigned not null auto_increment primary key` : `${q('id')} integer not null primary key autoincrement`
      return {
        'package.json': '{ "name": "mikro-orm-dialect-fixture", "private": true }\n',
        'mikro-orm.config.ts': `import { defineConfig } from '@mikro-orm/${kind === 'mysql' ? 'mysql' : 'better-sqlite'}'
export default defineConfig({ ${kind === 'mysql' ? 'clientUrl: process.env.DATABASE_URL' : "dbName: 'app.db'"}, entities: [], migrations: { path: './dist/migrations', pathTs: './migrations', tableName: 'mikro_ledger' } })
`,
        'migrations/Migration20240101000000_authors.ts': `import { Migration } from '@mikro-orm/migrations'
export class Migration20240101000000_authors extends Migration {
  override async up(): Promise<void> {
    this.addSql(${JSON.stringify(`create table ${q('authors')} (${id}, ${q('name')} varchar(100) not null unique);`)})
  }
}
`,
        'migrations/Migration20240102000000_books.ts': `import { Migration } from '@mikro-orm/migrations'
export class Migration20240102000000_books extends Migration {
  override async up(): Promise<void> {
    this.addSql(${JSON.stringify(`create table ${q('books')} (${id}, ${q('title')} varchar(100) not null, ${q('author_id')} int unsigned not null references ${q('authors')} (${q('id')}));`)})
    this.addSql(${JSON.stringify(`insert into ${q('authors')} (${q('name')}) values ('Ursula');`)})
  }
}
`,
      }
    },
  },
]

/** A project folder next to the fixtures (so the tools resolve from packages/core), holding these files. */
function project(tool: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(FIXTURES, `.tmp-dialects-${tool}-`))
  scratch.push(dir)
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  return dir
}

beforeAll(() => {
  // These runs choose their server; and they must not write a summary the outer run may be recording.
  delete process.env.WORKERDB_URL
  delete process.env.WORKERDB_SUMMARY_FILE
})

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
  if (saved.url !== undefined) process.env.WORKERDB_URL = saved.url
  if (saved.summary !== undefined) process.env.WORKERDB_SUMMARY_FILE = saved.summary
})

describe.each(KINDS)('$name', (kind) => {
  const prefix = uniquePrefix(`md${kind.name.slice(0, 2)}`)
  const runs: Provisioned[] = []

  afterAll(async () => {
    for (const r of runs) await r.teardown().catch(() => {})
    // Everything with this prefix is this file's: every template and any clone left behind.
    await dropKindPrefix(kind.url, prefix)
  })

  it.each(TOOLS.filter((t) => t.kinds.includes(kind.name)))('$tool: the clone has the tables, the seed row and the tool\'s own ledger, with nothing pending', async ({ tool, files, option, ledger }) => {
    const dir = project(tool, files(kind.name))
    const config = await resolveConfig({ server: { url: kind.url }, migrate: option(dir), prefix, silent: true }, dir)
    const r = await provision({ config, plan: { count: 1, reason: 'test' }, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID' })
    runs.push(r)
    expect(r.summary.template).toMatchObject({ reused: false, migrationsRun: 2 })
    const clone = r.manifest.clones[0]!.url
    expect(await config.migrator!.ledgerTables!(kind.name)).toContain(ledger)
    expect(await kind.tables(clone)).toEqual(expect.arrayContaining(['authors', 'books', ledger]))
    expect(await kind.row(clone, 'select count(*) as n, max(name) as name from authors')).toEqual({ n: 1, name: 'Ursula' })
    expect(await kind.row(clone, `select count(*) as n from ${kind.quote(ledger)}`)).toEqual({ n: 2 })
    // The tool's own migrator, on the clone, finds every step applied.
    expect(await resolveMigrator(option(dir), dir)!.migrate(clone, ctx)).toBe(0)
    expect(await kind.row(clone, `select count(*) as n from ${kind.quote(ledger)}`)).toEqual({ n: 2 })
    await r.teardown()
  })
})

describe('a driver the project lacks', () => {
  it('knex on MariaDB without mysql2 (knex itself installed): E_CONFIG naming npm install -D mysql2, and nothing runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-nodriver-'))
    scratch.push(dir)
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(dirname(require.resolve('knex/package.json')), join(dir, 'node_modules', 'knex'), 'dir')
    mkdirSync(join(dir, 'migrations'))
    writeFileSync(join(dir, 'migrations', '20240101000000_x.cjs'), 'exports.up = () => { throw new Error("ran") }\n')
    const err = await resolveMigrator({ knex: join(dir, 'migrations') }, dir)!.migrate(`${mysqlUrl}/workerdb_never`, ctx).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('mysql2'), hint: expect.stringContaining('npm install -D mysql2') })
  })

  it('sequelize on SQLite without sqlite3 (better-sqlite3 is no substitute to it): E_CONFIG naming npm install -D sqlite3, and nothing runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-nodriver-'))
    scratch.push(dir)
    mkdirSync(join(dir, 'node_modules'))
    for (const pkg of ['sequelize', 'better-sqlite3']) symlinkSync(dirname(require.resolve(`${pkg}/package.json`)), join(dir, 'node_modules', pkg), 'dir')
    mkdirSync(join(dir, 'migrations'))
    writeFileSync(join(dir, 'migrations', '20240101000000-x.cjs'), 'module.exports = { up() { throw new Error("ran") } }\n')
    const err = await resolveMigrator({ sequelize: join(dir, 'migrations') }, dir)!.migrate(pathToFileURL(join(dir, 'never.db')).href, ctx).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('sqlite3'), hint: expect.stringContaining('npm install -D sqlite3') })
    expect(existsSync(join(dir, 'never.db'))).toBe(false)
  })
})

describe('a tool configured for another kind is refused before it touches the database', () => {
  const sqliteUrl = pathToFileURL(join(root, 'never', 'x.db')).href

  it('drizzle: migrations generated for PostgreSQL, on SQLite: E_CONFIG naming both', async () => {
    const dir = project('drizzle-pg', {
      'drizzle.config.ts': "export default { dialect: 'postgresql', out: './drizzle' }\n",
      'drizzle/meta/_journal.json': JSON.stringify({ version: '7', dialect: 'postgresql', entries: [{ idx: 0, version: '7', when: 1, tag: '0000_x', breakpoints: true }] }),
      'drizzle/0000_x.sql': 'CREATE TABLE "x" ("id" serial PRIMARY KEY);\n',
    })
    const err = await resolveMigrator({ drizzle: join(dir, 'drizzle.config.ts') }, dir)!.migrate(sqliteUrl, ctx).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/"postgresql".*SQLite/), hint: expect.stringContaining('"sqlite"') })
  })

  it('mikro-orm: a PostgreSQL config on MariaDB: E_CONFIG naming both drivers', async () => {
    const dir = project('mikro-orm-pg', {
      'package.json': '{ "name": "mikro-orm-pg-fixture", "private": true }\n',
      'mikro-orm.config.ts': "import { defineConfig } from '@mikro-orm/postgresql'\nexport default defineConfig({ entities: [], migrations: { pathTs: './migrations' } })\n",
      'migrations/Migration20240101000000_x.ts': "import { Migration } from '@mikro-orm/migrations'\nexport class Migration20240101000000_x extends Migration { override async up() { this.addSql('select 1') } }\n",
    })
    const err = await resolveMigrator({ mikroOrm: join(dir, 'mikro-orm.config.ts') }, dir)!.migrate(`${mysqlUrl}/workerdb_never`, ctx).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/PostgreSqlDriver \(PostgreSQL\).*MariaDB/), hint: expect.stringContaining('@mikro-orm/mysql') })
  })

  it('typeorm: a postgres DataSource on MariaDB: E_CONFIG naming both types', async () => {
    const dir = project('typeorm-pg', {
      'package.json': '{ "name": "typeorm-pg-fixture", "private": true }\n',
      'src/data-source.ts': "import { DataSource } from 'typeorm'\nexport default new DataSource({ type: 'postgres', migrations: [] })\n",
    })
    const err = await resolveMigrator({ typeorm: join(dir, 'src', 'data-source.ts') }, dir)!.migrate(`${mysqlUrl}/workerdb_never`, ctx).then(() => null, (e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/"postgres".*MariaDB/), hint: expect.stringMatching(/"mysql".*"mariadb"/) })
  })
})
