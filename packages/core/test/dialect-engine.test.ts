/**
 * The engine on each kind beyond PostgreSQL, through provision() as the framework packages call it: the
 * template built once and reused, one clone per slot holding the template's rows, concurrent runs, the
 * sweep (a dead run's clones go, a look-alike stays), a killed run cleaned up by the next, status.
 * MariaDB at WORKERDB_TEST_MYSQL_URL (default the machine's 127.0.0.1:3306); MySQL from
 * test-support/mysql-server.ts (skipped, saying why, when there is none and WORKERDB_TEST_CONTAINERS is not
 * 'required'); SQLite in a temp directory.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AdminSession } from '../src/catalog/dialect.js'
import { connectAdmin } from '../src/catalog/dialects.js'
import { makeMarker, parseMarker } from '../src/catalog/marker.js'
import { resolveConfig } from '../src/config/resolve.js'
import type { WorkerDbOptions } from '../src/config/options.js'
import { provision, type Provisioned } from '../src/engine/provision.js'
import { sweep } from '../src/cleanup/sweep.js'
import { main } from '../src/cli.js'
import { sqlitePath } from '../src/catalog/sqlite/url.js'
import { mysqlDatabaseUrl } from '../src/catalog/mysql/index.js'
import { openDb } from '../src/catalog/sqlite/driver.js'
import { openResetSession } from '../src/isolation/reset-run.js'
import { alive, dropKindPrefix, eventually, uniquePrefix } from './helpers.js'
import { oracleMysqlUrl, skipOracleMysql } from '../../../test-support/mysql-server.js'

const require = createRequire(import.meta.url)
const root = mkdtempSync(join(tmpdir(), 'workerdb-dialects-'))
const saved = { url: process.env.WORKERDB_URL, summary: process.env.WORKERDB_SUMMARY_FILE }

/** A kind under test: its server URL and a way to read rows from one of its databases. */
interface Kind {
  name: 'mariadb' | 'mysql' | 'sqlite'
  dialect: 'mysql' | 'sqlite'
  url: string
  /** Waits for a server that may still be starting. */
  ready?: () => Promise<unknown>
  rows(url: string, sql: string): Promise<Array<Record<string, unknown>>>
  /** Makes a database with our prefix that workerdb did not make (no marker). */
  lookalike(name: string): Promise<void>
}

const mysqlUrl = process.env.WORKERDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'

async function mysqlQuery(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise')
  const u = new URL(url)
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) || undefined,
    // A user MySQL has not seen log in yet (a per-worker one) needs its key over plain TCP.
    allowPublicKeyRetrieval: true })
  try {
    const [rows] = await conn.query(sql)
    return rows as Array<Record<string, unknown>>
  } finally {
    await conn.end()
  }
}

/** Through workerdb's own driver (better-sqlite3, or node:sqlite where that does not load): one row's worth. */
function sqliteQuery(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const db = openDb(sqlitePath(url), { mustExist: true })
  try {
    const row = db.get(sql)
    return Promise.resolve(row ? [{ ...row }] : [])
  } finally {
    db.close()
  }
}

const mysqlKind = (name: 'mariadb' | 'mysql', url: string, ready?: () => Promise<unknown>): Kind => ({
  name, dialect: 'mysql', url, rows: mysqlQuery, ready,
  lookalike: async (db) => { await mysqlQuery(url, `create database \`${db}\``) },
})

const sqliteDir = join(root, 'sqlite-server')
const KINDS: Kind[] = [
  mysqlKind('mariadb', mysqlUrl),
  ...(skipOracleMysql(import.meta.url) ? [] : [mysqlKind('mysql', process.env.WORKERDB_TEST_ORACLE_MYSQL_URL ?? 'mysql://root@127.0.0.1:1/', () => oracleMysqlUrl())]),
  {
    name: 'sqlite', dialect: 'sqlite', url: pathToFileURL(sqliteDir).href, rows: sqliteQuery,
    lookalike: async (name) => {
      mkdirSync(sqliteDir, { recursive: true })
      openDb(join(sqliteDir, `${name}.db`)).close()
    },
  },
]

/** The marker of a process that is gone: this host, a pid above Linux's pid_max. */
const deadMarker = (fields: Parameters<typeof makeMarker>[0]) => ({ ...makeMarker(fields), host: hostname(), pid: 2 ** 22 + 1, startTicks: undefined })

/** A clone of `template` that the run `run`, whose process is gone, made. */
async function copyDead(admin: AdminSession, template: string, name: string, run: string): Promise<void> {
  await admin.copy(template, name, await admin.copyPlan(template), deadMarker({ kind: 'clone', run }))
}

const MIGRATION = `create table items (id integer primary key, name varchar(50) not null);
insert into items (id, name) values (1, 'seed'), (2, 'two');
`

beforeAll(() => {
  // These runs choose their server; and they must not write a summary the outer run may be recording.
  delete process.env.WORKERDB_URL
  delete process.env.WORKERDB_SUMMARY_FILE
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
  if (saved.url !== undefined) process.env.WORKERDB_URL = saved.url
  if (saved.summary !== undefined) process.env.WORKERDB_SUMMARY_FILE = saved.summary
})

describe.each(KINDS)('$name', (kind) => {
  const prefix = uniquePrefix(`dk${kind.name.slice(0, 2)}`)
  const runs: Provisioned[] = []
  const migrations = join(root, `${kind.name}-migrations`)
  mkdirSync(migrations, { recursive: true })
  writeFileSync(join(migrations, '001_items.sql'), MIGRATION)
  if (kind.ready) beforeAll(kind.ready, 120_000)

  const config = (extra: WorkerDbOptions = {}) =>
    resolveConfig({ server: { url: kind.url }, migrate: { sql: migrations }, prefix, silent: true, ...extra }, root)
  const run = async (count: number, extra: WorkerDbOptions = {}) => {
    const r = await provision({ config: await config(extra), plan: { count, reason: `test plan of ${count}` }, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID' })
    runs.push(r)
    return r
  }
  const ours = async () => {
    const admin = await connectAdmin(kind.url)
    try {
      return await admin.list(prefix)
    } finally {
      await admin.close()
    }
  }

  afterAll(async () => {
    for (const r of runs) await r.teardown().catch(() => {})
    // Everything with this prefix is this file's, marked or not.
    await dropKindPrefix(kind.url, prefix)
  })

  it('builds the template once, gives each slot its own clone holding the template\'s rows, and teardown drops only the clones', async () => {
    const cold = await run(3)
    expect(cold.summary.template).toMatchObject({ reused: false, migrationsRun: 1 })
    expect(cold.manifest.clones.map((c) => c.slot)).toEqual([1, 2, 3])
    for (const clone of cold.manifest.clones) {
      expect(clone.database).toBe(`${prefix}_${cold.runId}_${clone.slot}`)
      expect(await kind.rows(clone.url, 'select count(*) as n, min(name) as first, max(name) as last from items')).toEqual([{ n: 2, first: 'seed', last: 'two' }])
    }
    const rows = await ours()
    const marked = rows.map((r) => ({ name: r.name, kind: parseMarker(r.comment)?.kind }))
    expect(marked.filter((m) => m.kind === 'clone').map((m) => m.name).sort()).toEqual(cold.manifest.clones.map((c) => c.database).sort())
    expect(marked.filter((m) => m.kind === 'template')).toHaveLength(1)

    const warm = await run(2)
    expect(warm.summary.template).toMatchObject({ reused: true, name: cold.summary.template!.name })
    await cold.teardown()
    await warm.teardown()
    const left = await ours()
    expect(left.map((r) => parseMarker(r.comment)?.kind)).toEqual(['template'])
  })

  it('a clone is its own: a write in one is not in another, nor in the template', async () => {
    const r = await run(2)
    const [a, b] = r.manifest.clones
    if (kind.dialect === 'mysql') await mysqlQuery(a!.url, "insert into items values (3, 'only in a')")
    else {
      const db = openDb(sqlitePath(a!.url), { mustExist: true })
      db.exec("insert into items values (3, 'only in a')")
      db.close()
    }
    expect(await kind.rows(a!.url, 'select count(*) as n from items')).toEqual([{ n: 3 }])
    expect(await kind.rows(b!.url, 'select count(*) as n from items')).toEqual([{ n: 2 }])
    await r.teardown()
    const again = await run(1)
    expect(await kind.rows(again.manifest.clones[0]!.url, 'select count(*) as n from items')).toEqual([{ n: 2 }])
    await again.teardown()
  })

  it('two runs at once with a template to build: built once, each run gets its own clones', async () => {
    const key = `concurrent-${randomBytes(3).toString('hex')}`
    const [a, b] = await Promise.all([run(2, { key }), run(2, { key })])
    expect([a.summary.template!.reused, b.summary.template!.reused].sort()).toEqual([false, true])
    expect(a.summary.template!.name).toBe(b.summary.template!.name)
    const names = [...a.manifest.clones, ...b.manifest.clones].map((c) => c.database)
    expect(new Set(names).size).toBe(4)
    for (const c of [...a.manifest.clones, ...b.manifest.clones]) expect(await kind.rows(c.url, 'select count(*) as n from items')).toEqual([{ n: 2 }])
    await Promise.all([a.teardown(), b.teardown()])
  })

  it('the sweep drops a dead run\'s clones and never a look-alike without a marker', async () => {
    const r = await run(1)
    const admin = await connectAdmin(kind.url)
    const dead = `${prefix}_deadrun1_1`
    const lookalike = `${prefix}_lookalik_1`
    try {
      await copyDead(admin, r.manifest.template!.name, dead, 'deadrun1')
      await kind.lookalike(lookalike)
      const warned: string[] = []
      const swept = await sweep(kind.url, { prefix, project: (await config()).project, keepRuns: [r.runId], warn: (l) => warned.push(l) })
      expect(swept.map((c) => c.name)).toEqual([dead])
      const left = (await admin.list(prefix)).map((row) => row.name)
      expect(left).toContain(lookalike)
      expect(left).not.toContain(dead)
      expect(warned.join('\n')).toContain(lookalike)
    } finally {
      await admin.drop(lookalike).catch(() => {})
      await admin.close()
      await r.teardown()
    }
  })

  it('a run killed with SIGKILL leaves its clones, and the next run sweeps them', async () => {
    const script = join(root, `${kind.name}-killed.mjs`)
    const src = (file: string) => JSON.stringify(fileURLToPath(new URL(`../src/${file}`, import.meta.url)))
    writeFileSync(script, `
      import { createRequire } from 'node:module'
      const { createJiti } = createRequire(import.meta.url)(${JSON.stringify(require.resolve('jiti'))})
      const jiti = createJiti(import.meta.url)
      const { provision } = await jiti.import(${src('engine/provision.ts')})
      const { resolveConfig } = await jiti.import(${src('config/resolve.ts')})
      const config = await resolveConfig(${JSON.stringify({ server: { url: kind.url }, migrate: { sql: migrations }, prefix, silent: true })}, ${JSON.stringify(root)})
      const r = await provision({ config, plan: { count: 2, reason: 'killed' }, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID' })
      console.log(JSON.stringify(r.manifest.clones.map((c) => c.database)))
      setInterval(() => {}, 1000)
    `)
    const child = spawn(process.execPath, [script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WORKERDB_URL: '' } })
    try {
      const clones = await new Promise<string[]>((resolve, reject) => {
        let out = ''
        let err = ''
        child.stdout!.on('data', (d) => { out += d; const line = out.split('\n').find((l) => l.startsWith('[')); if (line) resolve(JSON.parse(line)) })
        child.stderr!.on('data', (d) => { err += d })
        child.on('exit', (code) => reject(new Error(`the run exited (${code}) before printing its clones: ${err}`)))
        setTimeout(() => reject(new Error(`no clones after 60 s: ${err}`)), 60_000)
      })
      process.kill(-child.pid!, 'SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      const before = (await ours()).map((r) => r.name)
      for (const c of clones) expect(before).toContain(c)
      // The next run sweeps in the background once its workers would have booted; its teardown waits for that.
      await (await run(1)).teardown()
      const after = (await ours()).map((r) => r.name)
      for (const c of clones) expect(after).not.toContain(c)
    } finally {
      try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ }
    }
  })

  it('`workerdb status` lists the template and a live run\'s clones with their kind\'s server line', async () => {
    const r = await run(2)
    const cwd = join(root, `${kind.name}-status`)
    mkdirSync(cwd, { recursive: true })
    writeFileSync(join(cwd, 'workerdb.config.json'), JSON.stringify({ server: { url: kind.url }, prefix }))
    try {
      const { code, text } = await main(['status'], cwd)
      expect(code).toBe(0)
      expect(text).toMatch({ mariadb: /MariaDB \d+\.\d+/, mysql: /MySQL \d+\.\d+/, sqlite: /SQLite 3\.\d+/ }[kind.name])
      for (const c of r.manifest.clones) expect(text).toContain(c.database)
      expect(text).toMatch(/templates \(\d+\)/)
      expect(text).toContain(r.manifest.template!.hash.slice(0, 10))
    } finally {
      await r.teardown()
    }
  })

  it('a migration the server refuses: E_MIGRATION naming the file, and no template left behind', async () => {
    const bad = join(root, `${kind.name}-bad`)
    mkdirSync(bad, { recursive: true })
    writeFileSync(join(bad, '001_bad.sql'), 'create table broken (id integer primary key;\n')
    const before = (await ours()).map((r) => r.name)
    const err = await run(1, { migrate: { sql: bad } }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_MIGRATION', hint: expect.stringContaining('001_bad.sql') })
    expect((await ours()).map((r) => r.name)).toEqual(before)
  })

  it(`refuses what ${kind.name} cannot do before building anything: ${kind.dialect === 'sqlite' ? 'per-worker roles, and ' : ''}an adapter written for node-postgres`, async () => {
    const before = (await ours()).map((r) => r.name)
    if (kind.dialect === 'sqlite') await expect(run(1, { roles: ['app'] })).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('needs a server with users') })
    await expect(run(1, { migrate: { nodePgMigrate: join(root, 'migrations') } })).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('postgres only so far') })
    expect((await ours()).map((r) => r.name)).toEqual(before)
    expect(existsSync(root)).toBe(true)
  })

  if (kind.dialect === 'mysql') describe('per-worker roles', () => {
    const base = `${prefix}_base`
    const shared = `${prefix}_shared`
    /** Per-worker users of this prefix (the project's role, made below, is no user of ours). */
    const users = async () => (await mysqlQuery(kind.url, `SELECT User AS u FROM mysql.user WHERE LEFT(User, ${prefix.length + 1}) = '${prefix}_' AND LOCATE('_role_', User) > 0 ORDER BY User`)).map((r) => r.u)
    /** A query as a per-worker user: its rows, or the server's error number. */
    const as = (url: string, sql: string) => mysqlQuery(url, sql).catch((err: { errno?: number }) => err.errno)

    beforeAll(async () => {
      // The project's own role, made once per server: it may read one shared table.
      await mysqlQuery(kind.url, `CREATE DATABASE \`${shared}\``)
      await mysqlQuery(kind.url, `CREATE TABLE \`${shared}\`.lookup (id INT)`)
      await mysqlQuery(kind.url, `INSERT INTO \`${shared}\`.lookup VALUES (7)`)
      await mysqlQuery(kind.url, `CREATE ROLE ${kind.name === 'mariadb' ? `\`${base}\`` : `'${base}'`}`)
      await mysqlQuery(kind.url, `GRANT SELECT ON \`${shared}\`.* TO ${kind.name === 'mariadb' ? `\`${base}\`` : `'${base}'`}`)
    })

    afterAll(async () => {
      await mysqlQuery(kind.url, `DROP DATABASE IF EXISTS \`${shared}\``)
      await mysqlQuery(kind.url, `DROP ROLE IF EXISTS ${kind.name === 'mariadb' ? `\`${base}\`` : `'${base}'`}`)
      for (const u of await users()) await mysqlQuery(kind.url, `DROP USER IF EXISTS '${u}'@'%'`)
    })

    it('each clone gets a user of its own: everything in its clone, its memberOf role\'s grants, nothing in the other clone; teardown drops them', async () => {
      const r = await run(2, { roles: { app: { memberOf: [base] } }, env: { DATABASE_URL: 'url', APP_URL: 'roleUrl:app', APP_USER: 'role:app' } })
      const [a, b] = r.manifest.clones
      expect(a!.roles!.app!.name).toBe(`${a!.database}_role_app`)
      expect(await users()).toEqual([a!.roles!.app!.name, b!.roles!.app!.name].sort())
      const appUrl = a!.roles!.app!.url
      expect(decodeURIComponent(new URL(appUrl).username)).toBe(a!.roles!.app!.name)
      expect(await as(appUrl, 'create table mine (id int)')).toBeDefined()
      // A view it defines (MySQL then refuses DROP USER to a user without SET_ANY_DEFINER: the clone goes first).
      expect(await as(appUrl, 'create view mine_v as select id from mine')).toBeDefined()
      expect(await as(appUrl, "insert into items values (9, 'mine')")).toBeDefined()
      expect(await as(appUrl, 'select count(*) as n from items')).toEqual([{ n: 3 }])
      // Its memberOf role's grants, active without a SET ROLE.
      expect(await as(appUrl, `select id from \`${shared}\`.lookup`)).toEqual([{ id: 7 }])
      // Nothing in the other clone (1044/1142: access denied), nor in the template.
      expect([1044, 1142]).toContain(await as(mysqlDatabaseUrl(appUrl, b!.database), 'select count(*) as n from items'))
      expect([1044, 1142]).toContain(await as(mysqlDatabaseUrl(appUrl, r.manifest.template!.name), 'select 1'))
      // The clone's marker names its users: what drops the clone drops them.
      expect(parseMarker((await ours()).find((row) => row.name === a!.database)?.comment)?.roles).toEqual([a!.roles!.app!.name])
      // `workerdb status` lists them with their clone and run.
      const dir = mkdtempSync(join(root, `${kind.name}-status-`))
      writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ prefix, server: { url: kind.url } }))
      const { text } = await main(['status'], dir)
      expect(text).toContain('roles (2)')
      for (const c of [a!, b!]) expect(text).toMatch(new RegExp(`${c.roles!.app!.name}\\s+${c.database}\\s+${r.runId}\\s+\\S+ alive`))
      await r.teardown()
      expect(await users()).toEqual([])
    })

    it('a dead run\'s users go with its clones in the next sweep; a user its clone\'s marker does not name stays', async () => {
      const r = await run(1)
      const admin = await connectAdmin(kind.url)
      const dead = `${prefix}_deadrun3_1`
      const stranger = `${dead}_role_other`
      try {
        await copyDead(admin, r.manifest.template!.name, dead, 'deadrun3')
        const made = await admin.roles!.create([{ database: dead, url: mysqlDatabaseUrl(kind.url, dead) }], [{ key: 'app', memberOf: [] }], { runId: 'deadrun3', concurrency: 1 })
        await mysqlQuery(kind.url, `CREATE USER '${stranger}'@'%'`)
        expect(await users()).toEqual([made.get(dead)!.app!.name, stranger].sort())
        const swept = await sweep(kind.url, { prefix, project: (await config()).project, keepRuns: [r.runId] })
        expect(swept.map((c) => c.name)).toEqual([dead])
        expect(await users()).toEqual([stranger])
      } finally {
        await mysqlQuery(kind.url, `DROP USER IF EXISTS '${stranger}'@'%'`)
        await admin.close()
        await r.teardown()
      }
    })

    // MySQL refuses to drop a user that is the DEFINER of an object, unless the dropping user has
    // SET_ANY_DEFINER (root does): an admin user without it, as a CI service's often is.
    if (kind.name === 'mysql') it('an admin user without SET_ANY_DEFINER: a user that defined a view in its clone still goes, after its clone', async () => {
      const adm = `${prefix}_adm`
      const grantPrefix = `${prefix.replace(/_/g, '\\_')}\\_%`
      await mysqlQuery(kind.url, `CREATE USER '${adm}'@'%' IDENTIFIED BY 'Adm-pass1'`)
      try {
        await mysqlQuery(kind.url, `GRANT ALL PRIVILEGES ON \`${grantPrefix}\`.* TO '${adm}'@'%' WITH GRANT OPTION`)
        await mysqlQuery(kind.url, `GRANT CREATE USER, PROCESS, CONNECTION_ADMIN ON *.* TO '${adm}'@'%'`)
        const url = new URL(kind.url)
        url.username = adm
        url.password = 'Adm-pass1'
        url.searchParams.set('allowPublicKeyRetrieval', 'true')
        const r = await run(1, { server: { url: url.toString() }, roles: ['app'] })
        const appUrl = r.manifest.clones[0]!.roles!.app!.url
        expect(await as(appUrl, 'create view mine_v as select 1 as one')).toBeDefined()
        // Root could drop it anyway; this admin cannot, before the view goes with the clone.
        await expect(mysqlQuery(url.toString(), `DROP USER '${r.manifest.clones[0]!.roles!.app!.name}'@'%'`)).rejects.toMatchObject({ errno: 4006 })
        await r.teardown()
        expect(await users()).toEqual([])
        expect((await ours()).filter((row) => row.name.includes(`_${r.runId}_`))).toEqual([])
      } finally {
        await mysqlQuery(kind.url, `DROP USER IF EXISTS '${adm}'@'%'`)
      }
    })

    it('`workerdb doctor` checks the roles as a run would: ✓ with an existing memberOf role, ✗ naming a missing one', async () => {
      const dir = mkdtempSync(join(root, `${kind.name}-doctor-`))
      const doctor = async (memberOf: string) => {
        writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ prefix, server: { url: kind.url }, roles: { app: { memberOf: [memberOf] } } }))
        const r = await main(['doctor', '--json'], dir)
        return JSON.parse(r.text).checks.find((c: { check: string }) => c.check === 'roles')
      }
      expect(await doctor(base)).toMatchObject({ ok: true })
      expect(await doctor(`${prefix}_nosuch`)).toMatchObject({ ok: false, detail: expect.stringContaining(`${prefix}_nosuch`), fix: expect.stringContaining('CREATE ROLE') })
    })

    it('refuses before building anything: a memberOf role the server lacks (E_ROLE)' + (kind.name === 'mariadb' ? ', two memberOf roles (E_CONFIG: MariaDB activates one)' : ', a user name longer than MySQL keeps (E_CONFIG)'), async () => {
      const before = (await ours()).map((row) => row.name)
      await expect(run(1, { roles: { app: { memberOf: [`${prefix}_nosuch`] } } })).rejects.toMatchObject({ code: 'E_ROLE', message: expect.stringContaining(`${prefix}_nosuch`) })
      if (kind.name === 'mariadb') await expect(run(1, { roles: { app: { memberOf: [base, `${prefix}_b2`] } } })).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('one role') })
      // MySQL keeps 32 characters of a user name: <prefix>_<run>_<slot>_role_<key> with a long key is more.
      if (kind.name === 'mysql') await expect(run(1, { roles: ['a_rather_long_key'] })).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('MySQL keeps at most 32') })
      expect((await ours()).map((row) => row.name)).toEqual(before)
      expect(await users()).toEqual([])
    })
  })

  it(kind.dialect === 'mysql'
    ? 'spares: a run makes them while it runs, the next takes them as its clones (the template\'s rows, its own marker), the rest copied'
    : 'spares: none on SQLite, said once; every clone is copied', async () => {
    // A key of its own: a template (and spares) no other test of this file takes.
    const key = `spares-${randomBytes(3).toString('hex')}`
    const spares = async () => (await ours()).filter((r) => parseMarker(r.comment)?.kind === 'spare').map((r) => r.name)
    const warned: string[] = []
    const log = { info: () => {}, warn: (line: string) => warned.push(line), progress: () => {} }
    const first = await provision({ config: await config({ key, spares: 2 }), plan: { count: 2, reason: 'test plan of 2' }, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID', log })
    runs.push(first)
    await first.teardown()
    if (kind.dialect !== 'mysql') {
      expect(warned).toEqual([expect.stringMatching(/^spares: workerdb has none on SQLite 3[.\d]+; every clone is copied$/)])
      expect(first.summary.sparesMade).toBeUndefined()
      expect(await spares()).toEqual([])
      return
    }
    // (The sweep may warn about an earlier test's look-alike.)
    expect(warned.filter((l) => l.includes('spare'))).toEqual([])
    expect(first.summary.sparesMade).toBe(2)
    const made = await spares()
    expect(made).toHaveLength(2)

    // As Vitest and Jest end a run on a server given by URL: the drops, and the spares not made yet, handed
    // to a background process (cleanup/dropper.ts), which must make them on this kind too.
    const second = await provision({ config: await config({ key, spares: 2 }), plan: { count: 3, reason: 'test plan of 3' }, framework: 'jest 30.5.2', workerIdVar: 'JEST_WORKER_ID', dropInBackground: true })
    runs.push(second)
    expect(second.summary.fromSpares).toBe(2)
    for (const clone of second.manifest.clones) {
      expect(await kind.rows(clone.url, 'select count(*) as n, min(name) as first from items')).toEqual([{ n: 2, first: 'seed' }])
      expect(parseMarker((await ours()).find((r) => r.name === clone.database)?.comment)).toMatchObject({ kind: 'clone', run: second.runId })
    }
    // The spares it took are gone (their tables are its clones' now); it made new ones for the next run.
    await second.teardown()
    expect(second.summary.dropperPid).toBeGreaterThan(0)
    expect(await eventually(() => !alive(second.summary.dropperPid!))).toBe(true)
    expect((await ours()).filter((r) => r.name.includes(`_${second.runId}_`))).toEqual([])
    const left = await spares()
    expect(left).toHaveLength(2)
    expect(left.filter((n) => made.includes(n))).toEqual([])
    // A spare whose maker died half way (still 'building') goes with the next sweep; a whole one stays.
    const admin = await connectAdmin(kind.url)
    const half = `${prefix}_sp_${'ef'.repeat(5)}_deadmakr`
    try {
      const hash = parseMarker((await ours()).find((r) => r.name === left[0])!.comment)!.hash!
      await admin.create(half, deadMarker({ kind: 'spare', run: 'deadrun2', hash, state: 'building' }))
      const swept = await sweep(kind.url, { prefix, project: (await config()).project })
      expect(swept.map((c) => c.name)).toEqual([half])
      expect((await spares()).sort()).toEqual([...left].sort())
    } finally {
      await admin.close()
    }
    // Two runs at once, 2 spares, 2 clones each: the claim lock serialises them, so no spare is taken twice.
    const [x, y] = await Promise.all([run(2, { key, spares: 2 }), run(2, { key, spares: 2 })])
    expect(x.summary.fromSpares! + y.summary.fromSpares!).toBe(2)
    const clones = [...x.manifest.clones, ...y.manifest.clones]
    expect(new Set(clones.map((c) => c.database)).size).toBe(4)
    for (const c of clones) expect(await kind.rows(c.url, 'select count(*) as n from items')).toEqual([{ n: 2 }])
    await Promise.all([x.teardown(), y.teardown()])
  })

  describe("reset: 'truncate'", () => {
    const counter = kind.dialect === 'mysql' ? 'auto_increment' : 'autoincrement'
    const resetMigrations = join(root, `${kind.name}-reset-migrations`)
    mkdirSync(resetMigrations, { recursive: true })
    writeFileSync(join(resetMigrations, '001_app.sql'), `
create table tenants (id integer primary key ${counter}, name varchar(50) not null);
create table orders (id integer primary key ${counter}, tenant_id integer not null references tenants (id), total integer not null);
create table notes (body varchar(50));
create table countries (code varchar(2) primary key);
insert into countries (code) values ('de'), ('fr');
create table knex_migrations (id integer primary key, name varchar(50));
insert into knex_migrations (id, name) values (1, '0001_app.js');
insert into tenants (name) values ('seeded');
`)
    const reset = async (opts: { keep?: string[]; per?: 'file' | 'test' } = {}) => {
      const r = await run(1, { migrate: { sql: resetMigrations }, reset: { truncate: true, keep: ['countries'], ...opts } })
      return { r, url: r.manifest.clones[0]!.url, plan: r.manifest.reset! }
    }
    /** Statements on the clone, one connection, in order (better-sqlite3 and mysql2 alike). */
    const exec = async (url: string, statements: string[]) => {
      if (kind.dialect === 'mysql') {
        for (const sql of statements) await mysqlQuery(url, sql)
        return
      }
      const db = openDb(sqlitePath(url), { mustExist: true })
      try {
        for (const sql of statements) db.exec(sql)
      } finally {
        db.close()
      }
    }
    const counts = async (url: string) => (await kind.rows(url, `select (select count(*) from tenants) as tenants, (select count(*) from orders) as orders,
      (select count(*) from notes) as notes, (select count(*) from countries) as countries, (select count(*) from knex_migrations) as ledger`))
      .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])))[0]

    it('plans from the first clone: every user table but kept ones and ledgers, with the foreign keys among them', async () => {
      const { plan } = await reset()
      expect(plan.kind).toBe(kind.dialect)
      expect(plan.refs.map((t) => t.name)).toEqual(['notes', 'orders', 'tenants'])
      // orders references tenants: emptying tenants empties orders too.
      expect(plan.referencedBy).toEqual([[], [], [1]])
    })

    it('empties what was written (seeded rows too), keeps kept tables and ledgers, and puts identities back at 1; a clean clone costs only the check', async () => {
      const { url, plan } = await reset()
      const session = await openResetSession(url, plan, 'the clone')
      try {
        // The migrations seeded a tenant, so the first reset has work to do.
        expect(await session.run('file')).toBe(2)
        expect(await counts(url)).toEqual({ tenants: 0, orders: 0, notes: 0, countries: 2, ledger: 1 })
        expect(await session.run('test')).toBe(0)
        await exec(url, ["insert into tenants (name) values ('a'), ('b')", 'insert into orders (tenant_id, total) values (2, 10)', "insert into notes (body) values ('n')"])
        expect(await session.run('test')).toBe(3)
        expect(await counts(url)).toEqual({ tenants: 0, orders: 0, notes: 0, countries: 2, ledger: 1 })
        await exec(url, ["insert into tenants (name) values ('first again')"])
        expect(await kind.rows(url, 'select max(id) as id from tenants')).toEqual([{ id: 1 }])
        // Only notes written: only notes emptied (nothing references it).
        await session.run('test')
        await exec(url, ["insert into notes (body) values ('only')"])
        expect(await session.run('test')).toBe(1)
        // Rows gone but the counter moved on: dirty all the same, and put back.
        await exec(url, ["insert into tenants (name) values ('x')", 'delete from tenants'])
        expect(await session.run('test')).toBe(2)
        await exec(url, ["insert into tenants (name) values ('y')"])
        expect(await kind.rows(url, 'select max(id) as id from tenants')).toEqual([{ id: 1 }])
      } finally {
        await session.close()
      }
    })

    it('a lock held by an open transaction fails the reset after the timeout, with E_RESET naming the cause', async () => {
      const { url, plan } = await reset()
      let release: () => Promise<void>
      if (kind.dialect === 'mysql') {
        const mysql = require('mysql2/promise') as typeof import('mysql2/promise')
        const u = new URL(url)
        const holder = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) })
        await holder.query('begin')
        // A row in a table the reset empties (the seeded tenant makes it dirty): TRUNCATE waits for its lock.
        await holder.query("insert into tenants (name) values ('held')")
        release = async () => { await holder.query('rollback'); await holder.end() }
      } else {
        const holder = openDb(sqlitePath(url), { mustExist: true })
        holder.exec("begin immediate; insert into notes (body) values ('held')")
        release = async () => { holder.rollback(); holder.close() }
      }
      try {
        const started = performance.now()
        const session = await openResetSession(url, plan, 'the clone', { lockTimeoutMs: 1_000 })
        try {
          const err = await session.run('file').catch((e: unknown) => e)
          expect(err).toMatchObject({ code: 'E_RESET', hint: expect.stringContaining('inside a transaction') })
          expect(performance.now() - started).toBeGreaterThanOrEqual(900)
        } finally {
          await session.close()
        }
      } finally {
        await release()
      }
    })
  })
})
