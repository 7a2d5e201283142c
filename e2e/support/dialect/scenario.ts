/**
 * The seed scenario on the kinds beyond PostgreSQL: the same Vitest and Jest projects as the PostgreSQL
 * scenarios (vitest/fixture.ts, jest/fixture.ts), with only WORKERDB_URL changed, a migration all kinds
 * read, and test files that talk to the kind with its own driver (probe-body.cjs).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { fileName } from '../scenario.js'

const require = createRequire(import.meta.url)
const PROBE_BODY = fileURLToPath(new URL('./probe-body.cjs', import.meta.url))

/** Read by every kind: no serial, no clock function, nothing one kind lacks. */
export const PORTABLE_SEED_SQL = `create table e2e_seed (id integer primary key, built_at varchar(40) not null, txid bigint not null);
insert into e2e_seed values (1, 'template', 0);
`

export const vitestProbe = (holdMs: number) => `import { appendFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { getWorkerDatabase } from '@workerdb/vitest'

const { probe } = createRequire(import.meta.url)(${JSON.stringify(PROBE_BODY)})
const FILE = basename(fileURLToPath(import.meta.url)).replace(/\\.test\\.mjs$/, '')

test(FILE, async () => {
  const line = await probe({ file: FILE, idVar: 'VITEST_POOL_ID', holdMs: ${holdMs}, wdb: getWorkerDatabase() })
  appendFileSync(process.env.E2E_RESULTS, JSON.stringify(line) + '\\n')
  expect(line.database).toBe(line.assigned)
  expect(line.locked).toBe(true)
})
`

/** What a dialect scenario writes over a generated project: the portable seed, and the probe as every test file. */
export function dialectFiles(ext: 'mjs' | 'js', holdMs: number, files = 2): Record<string, string> {
  const probe = ext === 'mjs' ? vitestProbe(holdMs) : jestProbe(holdMs)
  const out: Record<string, string> = { 'migrations/0001_seed.sql': PORTABLE_SEED_SQL }
  for (let i = 1; i <= files; i++) out[`test/${fileName(i)}.test.${ext}`] = probe
  return out
}

export const jestProbe = (holdMs: number) => `const { appendFileSync } = require('node:fs')
const { basename } = require('node:path')
const { getWorkerDatabase } = require('@workerdb/jest')
const { probe } = require(${JSON.stringify(PROBE_BODY)})

const FILE = basename(__filename).replace(/\\.test\\.js$/, '')

test(FILE, async () => {
  const line = await probe({ file: FILE, idVar: 'JEST_WORKER_ID', holdMs: ${holdMs}, wdb: getWorkerDatabase() })
  appendFileSync(process.env.E2E_RESULTS, JSON.stringify(line) + '\\n')
  expect(line.database).toBe(line.assigned)
  expect(line.locked).toBe(true)
})
`

/** A kind's server for one e2e file: its URL, what is on it with a prefix, and how to clear a prefix. */
export interface KindServer {
  name: 'mariadb' | 'mysql' | 'sqlite'
  /** For people and matrix rows: 'MariaDB', 'MySQL', 'SQLite'. */
  label: string
  url: string
  /** Waits for a server that may still be starting (test-support/mysql-server.ts). */
  ready?(): Promise<unknown>
  /** Databases named `prefix_…`. */
  databases(prefix: string): Promise<string[]>
  /** Databases named `prefix_…` other than templates: what a finished run must not leave behind. */
  leftoverClones(prefix: string): Promise<string[]>
  /** Drops one database (SQLite: its file and what workerdb keeps beside it). */
  drop(name: string): Promise<void>
  /** Drops every database named `prefix_…` (templates too), and on MariaDB/MySQL the per-worker users of the prefix. */
  dropPrefix(prefix: string): Promise<void>
  /** MariaDB/MySQL: the per-worker users of the prefix. */
  users?(prefix: string): Promise<string[]>
  /** The server for a record, never its credentials: `MariaDB 10.11.6 at 127.0.0.1:3306`, `SQLite 3.50.4 in a temporary directory`. */
  describe(): Promise<string>
  /** Removes what the server itself is (SQLite's directory). */
  close(): void
}

const withoutTemplates = (prefix: string, names: string[]) => names.filter((n) => !n.startsWith(`${prefix}_tpl_`))

export const MYSQL_URL = process.env.WORKERDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'

async function mysql<T>(fn: (conn: import('mysql2/promise').Connection) => Promise<T>, url = MYSQL_URL): Promise<T> {
  const conn = await (require('mysql2/promise') as typeof import('mysql2/promise')).createConnection(url)
  try {
    return await fn(conn)
  } finally {
    await conn.end()
  }
}

/** Databases with this run id in their name (`<prefix>_<run>_<slot>`) on MariaDB (or MySQL at `url`): what a finished run must not leave. */
export function mysqlRunLeftovers(runId: string, url = MYSQL_URL): Promise<string[]> {
  return mysql(async (conn) => {
    const [rows] = await conn.query("select schema_name as name from information_schema.schemata where schema_name like concat('%\\_', ?, '\\_%') order by 1", [runId])
    return (rows as Array<{ name: string }>).map((r) => r.name)
  }, url)
}

/** Drops one database on MariaDB (or MySQL at `url`), if it is there. */
export function mysqlDropDatabase(name: string, url = MYSQL_URL): Promise<void> {
  return mysql(async (conn) => { await conn.query(`drop database if exists \`${name.replace(/`/g, '``')}\``) }, url)
}

/** MariaDB at `url` (the machine's, by default), or MySQL (`name` 'mysql': test-support/mysql-server.ts's, with its `ready`). */
export function mysqlServer(url = MYSQL_URL, name: 'mariadb' | 'mysql' = 'mariadb', ready?: () => Promise<unknown>): KindServer {
  const databases = (prefix: string) => mysql(async (conn) => {
    const [rows] = await conn.query('select schema_name as name from information_schema.schemata where left(schema_name, ?) = ? order by 1', [prefix.length + 1, `${prefix}_`])
    return (rows as Array<{ name: string }>).map((r) => r.name)
  }, url)
  const drop = (names: string[]) => mysql(async (conn) => { for (const n of names) await conn.query(`drop database if exists \`${n.replace(/`/g, '``')}\``) }, url)
  /** Per-worker users of this prefix (`<prefix>_<run>_<slot>_role_<key>`). */
  const users = (prefix: string) => mysql(async (conn) => {
    const [rows] = await conn.query("select user as name from mysql.user where left(user, ?) = ? and locate('_role_', user) > 0 order by 1", [prefix.length + 1, `${prefix}_`])
    return (rows as Array<{ name: string }>).map((r) => r.name)
  }, url)
  return {
    name, label: name === 'mysql' ? 'MySQL' : 'MariaDB', url, ready, databases, leftoverClones: async (prefix) => withoutTemplates(prefix, await databases(prefix)),
    drop: (n) => drop([n]),
    describe: () => mysql(async (conn) => {
      const [[{ v }]] = await conn.query('select version() as v') as unknown as [[{ v: string }]]
      const u = new URL(url)
      return `${/mariadb/i.test(v) ? 'MariaDB' : 'MySQL'} ${v.split('-')[0]} at ${u.hostname}:${u.port || 3306}`
    }, url),
    users,
    async dropPrefix(prefix) {
      await drop(await databases(prefix))
      await mysql(async (conn) => { for (const u of await users(prefix)) await conn.query('drop user if exists ?@?', [u, '%']) }, url)
    },
    close() {},
  }
}

export function sqliteServer(): KindServer {
  const dir = mkdtempSync(join(tmpdir(), 'workerdb-e2e-sqlite-'))
  const databases = async (prefix: string) =>
    readdirSync(dir).filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.db')).map((f) => f.slice(0, -3)).sort()
  return {
    name: 'sqlite', label: 'SQLite', url: pathToFileURL(dir).href, databases, leftoverClones: async (prefix) => withoutTemplates(prefix, await databases(prefix)),
    async drop(name) {
      for (const f of readdirSync(dir)) if (f === `${name}.db` || f.startsWith(`${name}.db.`) || f.startsWith(`${name}.db-`)) rmSync(join(dir, f), { force: true })
    },
    async describe() {
      type Db = { prepare(sql: string): { get(): { v: string } }; close(): void }
      const Database = require('better-sqlite3') as new (file: string) => Db
      const db = new Database(':memory:')
      try {
        return `SQLite ${db.prepare('select sqlite_version() as v').get().v} in a temporary directory`
      } finally {
        db.close()
      }
    },
    async dropPrefix(prefix) {
      for (const f of readdirSync(dir)) if (f.startsWith(`${prefix}_`)) rmSync(join(dir, f), { force: true })
    },
    close() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
