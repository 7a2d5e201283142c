/**
 * The engine against a real server: provision() end to end — template built once and reused, clones,
 * manifest, teardown, concurrency, migrators, and the errors that name the fix. Every database made here
 * carries this file's unique prefix and is dropped at the end.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClones, dropClones } from '../src/engine/clones.js'
import type { MigrateOption, ResolvedConfig, WorkerDbOptions } from '../src/config/options.js'
import { resolveConfig } from '../src/config/resolve.js'
import { connect } from '../src/catalog/postgres/db.js'
import { PostgresSession } from '../src/catalog/postgres/index.js'
import { WorkerDbError } from '../src/errors.js'
import { templateHash } from '../src/catalog/hash.js'
import { MANIFEST_ENV } from '../src/runfile/manifest.js'
import { parseMarker } from '../src/catalog/marker.js'
import { quoteIdent, quoteLiteral, templateName } from '../src/catalog/names.js'
import type { Plan } from '../src/plan/plan.js'
import { planVitest } from '../src/plan/vitest.js'
import { provision, type Provisioned } from '../src/engine/provision.js'
import { setupWorker } from '../src/worker.js'
import { databasesWithPrefix, dbUrl, rejectionError as rejection, testUrl, uniquePrefix, withClient, type DbRow } from './helpers.js'
import { lacks } from '../../../test-support/skips.mjs'

const PREFIX = uniquePrefix('eng')
const root = mkdtempSync(join(tmpdir(), 'workerdb-engine-test-'))
const pgPath = createRequire(import.meta.url).resolve('pg')
const runs: Provisioned[] = []
/** Every template a successful run ended up with: exactly what may remain before the final cleanup. */
const templates = new Set<string>()
const saved = { url: process.env.WORKERDB_URL, manifest: process.env[MANIFEST_ENV], summary: process.env.WORKERDB_SUMMARY_FILE }

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

beforeAll(() => {
  // WORKERDB_URL overrides server.url: these tests choose their server explicitly. And these runs must not
  // overwrite a summary file the outer test run may be recording.
  delete process.env.WORKERDB_URL
  delete process.env.WORKERDB_SUMMARY_FILE
})

afterAll(async () => {
  try {
    for (const r of runs) await r.teardown().catch(() => {})
    // Safety net for a failed test: everything with this file's prefix is ours.
    await withClient(testUrl(), async (c) => {
      for (const { name } of await databasesWithPrefix(PREFIX)) {
        await c.query(`alter database ${quoteIdent(name)} with is_template false`).catch(() => {})
        await c.query(`drop database if exists ${quoteIdent(name)} with (force)`)
      }
    })
  } finally {
    rmSync(root, { recursive: true, force: true })
    restore('WORKERDB_URL', saved.url)
    restore(MANIFEST_ENV, saved.manifest)
    restore('WORKERDB_SUMMARY_FILE', saved.summary)
  }
})

let dirs = 0
/** A fresh directory under the test root with these files. */
function dir(files: Record<string, string>): string {
  const d = join(root, `d${++dirs}`)
  mkdirSync(d, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text)
  return d
}

/** A config as a user's would resolve; `cwd` is a temp dir so no workerdb.config.* above the repo is found. */
function config(migrate: MigrateOption | undefined, extra: WorkerDbOptions = {}, cwd = root): Promise<ResolvedConfig> {
  // Every test here builds its own hash under one prefix, and the assertions count templates: keep them all
  // (the sweep keeps only the newest 3 hashes per prefix by default; reliability-sweep.test.ts covers that).
  return resolveConfig({ server: { url: testUrl() }, migrate, prefix: PREFIX, silent: true, keepTemplates: 1000, ...extra }, cwd)
}

async function run(cfg: ResolvedConfig, plan: Plan | number): Promise<Provisioned> {
  const p = typeof plan === 'number' ? { count: plan, reason: `test plan of ${plan}` } : plan
  const r = await provision({ config: cfg, plan: p, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID' })
  runs.push(r)
  if (r.summary.template) templates.add(r.summary.template.name)
  return r
}

const names = async () => (await databasesWithPrefix(PREFIX)).map((r) => r.name)
const rowsOfRun = async (runId: string) => (await databasesWithPrefix(PREFIX)).filter((r) => parseMarker(r.comment)?.run === runId && parseMarker(r.comment)?.kind === 'clone')
const query = <T = Record<string, unknown>>(url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows as T[])
const tablesOf = async (url: string) => (await query<{ t: string }>(url, `select table_name as t from information_schema.tables where table_schema = 'public' order by 1`)).map((r) => r.t)
const unique = (what: string) => `${what}-${randomBytes(4).toString('hex')}`

const SQL_INIT = `
create table meta (built_txid bigint not null, built_at timestamptz not null);
insert into meta select txid_current(), clock_timestamp();
create table items (id serial primary key, name text not null);
`
const SQL_ORDERS = 'create table orders (id serial primary key, item_id int not null references items(id));'

describe('a cold run, then a warm run', () => {
  const migrations = dir({ '001_init.sql': SQL_INIT, '002_orders.sql': SQL_ORDERS, 'README.md': 'not a migration' })
  // 5 files, maxWorkers 3 on Vitest 4 → 3 clones.
  const plan = planVitest({ major: 4, watch: false, cpus: 2, fileParallelism: true, maxWorkers: 3, projects: [{ name: 'unit', pool: 'forks', specCount: 5 }] })
  let cfg: ResolvedConfig
  let cold: Provisioned
  let warm: Provisioned

  beforeAll(async () => {
    cfg = await config({ sql: migrations }, { key: unique('coldwarm') })
    cold = await run(cfg, plan)
    warm = await run(cfg, plan)
  })

  describe('cold', () => {
    it('builds the template: not reused, both migrations run', () => {
      expect(cold.summary.template?.reused).toBe(false)
      expect(cold.summary.template?.migrationsRun).toBe(2)
    })

    it('creates exactly plan.count clones, for slots 1..count', async () => {
      expect(plan.count).toBe(3)
      expect(cold.manifest.clones.map((c) => c.slot)).toEqual([1, 2, 3])
      expect(cold.summary.clones).toBe(3)
      const rows = await rowsOfRun(cold.runId)
      expect(rows.map((r) => r.name).sort()).toEqual(cold.manifest.clones.map((c) => c.database).sort())
    })

    it('every clone has the migrated tables and a clone marker naming the run', async () => {
      const rows = await databasesWithPrefix(PREFIX)
      for (const clone of cold.manifest.clones) {
        expect(await tablesOf(clone.url)).toEqual(['items', 'meta', 'orders'])
        const marker = parseMarker(rows.find((r) => r.name === clone.database)?.comment)
        expect(marker).toMatchObject({ tool: 'workerdb', kind: 'clone', run: cold.runId, pid: process.pid, host: hostname() })
      }
    })

    it('seals the template (is_template, no connections), marks it ready, and names it by its hash', async () => {
      const t = cold.summary.template!
      expect(t.name).toBe(templateName(PREFIX, t.hash))
      const row = (await databasesWithPrefix(PREFIX)).find((r) => r.name === t.name) as DbRow
      expect(row.isTemplate).toBe(true)
      expect(row.allowConnections).toBe(false)
      expect(parseMarker(row.comment)).toMatchObject({ tool: 'workerdb', kind: 'template', state: 'ready', hash: t.hash, run: cold.runId })
    })

    it('the template refuses connections', async () => {
      await expect(withClient(dbUrl(cold.summary.template!.name), async () => {})).rejects.toThrow(/not currently accepting connections/)
    })

    it('clones are independent databases', async () => {
      const [a, b] = cold.manifest.clones
      await query(a.url, `insert into items (name) values ('only in clone 1')`)
      expect(await query(a.url, 'select name from items')).toEqual([{ name: 'only in clone 1' }])
      expect(await query(b.url, 'select name from items')).toEqual([])
    })

    it('writes the manifest file, readable by a worker that maps its id to a clone', async () => {
      expect(existsSync(cold.manifestPath)).toBe(true)
      expect(JSON.parse(readFileSync(cold.manifestPath, 'utf8'))).toEqual(cold.manifest)
      const env: NodeJS.ProcessEnv = { [MANIFEST_ENV]: cold.manifestPath, VITEST_POOL_ID: '2' }
      const db = setupWorker(env)
      expect(db.runId).toBe(cold.runId)
      expect(await query(env.DATABASE_URL!, 'select current_database() as db')).toEqual([{ db: cold.manifest.clones[1].database }])
    })

    it('a worker beyond the plan gets E_NO_CLONE with the plan\'s reason', () => {
      try {
        setupWorker({ [MANIFEST_ENV]: cold.manifestPath, VITEST_POOL_ID: '4' })
        expect.unreachable()
      } catch (err) {
        expect((err as WorkerDbError).code).toBe('E_NO_CLONE')
        expect((err as WorkerDbError).message).toContain('3 clones')
        expect((err as WorkerDbError).message).toContain(plan.reason)
      }
    })

    it('exports the manifest path into process.env, so the pool inherits it', () => {
      // The latest provision() wins: warm ran last.
      expect(process.env[MANIFEST_ENV]).toBe(warm.manifestPath)
    })
  })

  describe('warm (same inputs)', () => {
    it('reuses the template and runs no migration', () => {
      expect(warm.summary.template?.reused).toBe(true)
      expect(warm.summary.template?.migrationsRun).toBe(0)
      expect(warm.summary.template?.name).toBe(cold.summary.template?.name)
    })

    it('its clones carry the data the cold build wrote (the migration did not run again)', async () => {
      const coldMeta = await query(cold.manifest.clones[0].url, 'select built_txid::text, built_at::text from meta')
      const warmMeta = await query(warm.manifest.clones[2].url, 'select built_txid::text, built_at::text from meta')
      expect(coldMeta).toHaveLength(1)
      expect(warmMeta).toEqual(coldMeta)
    })

    it('makes its own clones, named by its own run id', async () => {
      expect(warm.runId).not.toBe(cold.runId)
      const warmNames = warm.manifest.clones.map((c) => c.database)
      expect(warmNames.every((n) => n.includes(warm.runId))).toBe(true)
      expect((await rowsOfRun(warm.runId)).map((r) => r.name).sort()).toEqual(warmNames.sort())
    })
  })

  describe('teardown', () => {
    it('drops exactly this run\'s clones, keeps the other run\'s clones and the template, removes the manifest', async () => {
      await warm.teardown()
      expect(warm.summary.dropped).toBe(3)
      const left = new Set(await names())
      for (const c of warm.manifest.clones) expect(left.has(c.database)).toBe(false)
      for (const c of cold.manifest.clones) expect(left.has(c.database)).toBe(true)
      expect(left.has(cold.summary.template!.name)).toBe(true)
      expect(existsSync(warm.manifestPath)).toBe(false)
      expect(existsSync(cold.manifestPath)).toBe(true)
    })

    it('is idempotent, and leaves the template sealed for the next run', async () => {
      await cold.teardown()
      await cold.teardown()
      expect(await rowsOfRun(cold.runId)).toEqual([])
      expect(existsSync(cold.manifestPath)).toBe(false)
      const t = (await databasesWithPrefix(PREFIX)).find((r) => r.name === cold.summary.template!.name)
      expect(t).toMatchObject({ isTemplate: true, allowConnections: false })
    })
  })
})

describe('two runs at the same time with the same new hash', () => {
  it('build the template exactly once: one builds, one reuses, neither fails', async () => {
    const cfg = await config({ sql: dir({ '001_init.sql': SQL_INIT, '002_orders.sql': SQL_ORDERS }) }, { key: unique('concurrent') })
    // allSettled: if one side fails, the other must still finish before anything is asserted or cleaned up.
    const settled = await Promise.allSettled([run(cfg, 2), run(cfg, 2)])
    const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    try {
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([])
      const [a, b] = ok
      expect([a.summary.template!.reused, b.summary.template!.reused].sort()).toEqual([false, true])
      expect(a.summary.template!.name).toBe(b.summary.template!.name)
      expect([a.summary.template!.migrationsRun, b.summary.template!.migrationsRun].sort()).toEqual([0, 2])
      // Both runs' clones come from the one build.
      const metaA = await query(a.manifest.clones[0].url, 'select built_txid::text from meta')
      const metaB = await query(b.manifest.clones[1].url, 'select built_txid::text from meta')
      expect(metaB).toEqual(metaA)
      expect((await rowsOfRun(a.runId)).length).toBe(2)
      expect((await rowsOfRun(b.runId)).length).toBe(2)
    } finally {
      await Promise.all(ok.map((r) => r.teardown()))
    }
  })
})

describe('a failing migration', () => {
  const migrations = dir({ '001_init.sql': SQL_INIT, '002_broken.sql': 'create tabel oops (id int);' })
  let cfg: ResolvedConfig

  beforeAll(async () => {
    cfg = await config({ sql: migrations }, { key: unique('failing') })
  })

  it('rejects with E_MIGRATION naming the file, and leaves no template or clone behind', async () => {
    const before = await names()
    const e = await rejection(run(cfg, 2))
    expect(e.code).toBe('E_MIGRATION')
    expect(e.message).toContain('002_broken.sql')
    expect(e.message).toMatch(/syntax error/)
    expect(e.hint.length).toBeGreaterThan(0)
    expect(await names()).toEqual(before)
    const [{ v }] = await query<{ v: number }>(testUrl(), `select current_setting('server_version_num')::int as v`)
    const hash = templateHash({ migrator: await cfg.migrator!.hashInputs(), serverMajor: Math.floor(v / 10000), key: cfg.key })
    expect(await query(testUrl(), `select 1 from pg_database where datname = ${quoteLiteral(templateName(PREFIX, hash))}`)).toEqual([])
  })

  it('a later run with the file fixed builds fine', async () => {
    writeFileSync(join(migrations, '002_broken.sql'), SQL_ORDERS)
    const r = await run(cfg, 1)
    expect(r.summary.template).toMatchObject({ reused: false, migrationsRun: 2 })
    expect(await tablesOf(r.manifest.clones[0].url)).toEqual(['items', 'meta', 'orders'])
    await r.teardown()
  })
})

describe('a command migrator', () => {
  const script = (body: string) => `const pg = require(${JSON.stringify(pgPath)});\n${body}\n`
  const MIGRATE = script(`
const c = new pg.Client({ connectionString: process.env.APP_DB_URL })
c.connect()
  .then(() => c.query("create table cmd_made (db text, named text); insert into cmd_made select current_database(), " + JSON.stringify(process.env.APP_DB_NAME).replace(/"/g, "'")))
  .then(() => c.end())
  .catch((e) => { console.error(e); process.exit(1) })`)
  const FAIL = `console.log('step 1 ok'); console.error('boom: relation "nope" does not exist'); process.exit(3)`
  const node = JSON.stringify(process.execPath)

  it('runs once against the template, with the connection in the configured env vars', async () => {
    const d = dir({ 'migrate.cjs': MIGRATE })
    const cfg = await config({ command: `${node} migrate.cjs`, inputs: ['migrate.cjs'] }, { key: unique('cmd'), env: { APP_DB_URL: 'url', APP_DB_NAME: 'database' } }, d)
    const r = await run(cfg, 2)
    const tpl = r.summary.template!
    expect(tpl.reused).toBe(false)
    expect(tpl.migrationsRun).toBeUndefined()
    for (const clone of r.manifest.clones) {
      expect(await query(clone.url, 'select db, named from cmd_made')).toEqual([{ db: tpl.name, named: tpl.name }])
    }
    await r.teardown()
  })

  it('hashes the files named in inputs: changing one builds a new template', async () => {
    const d = dir({ 'migrate.cjs': MIGRATE })
    const opts = { command: `${node} migrate.cjs`, inputs: ['migrate.cjs'] }
    const extra = { key: unique('cmdhash'), env: { APP_DB_URL: 'url', APP_DB_NAME: 'database' } } as const
    const before = (await (await config(opts, extra, d)).migrator!.hashInputs())
    writeFileSync(join(d, 'migrate.cjs'), MIGRATE + '\n// changed\n')
    const after = (await (await config(opts, extra, d)).migrator!.hashInputs())
    expect(templateHash({ migrator: after, serverMajor: 15 })).not.toBe(templateHash({ migrator: before, serverMajor: 15 }))
  })

  it('a failing command rejects with E_MIGRATION carrying its output, and leaves no template', async () => {
    const d = dir({ 'fail.cjs': FAIL })
    const cfg = await config({ command: `${node} fail.cjs` }, { key: unique('cmdfail') }, d)
    const before = await names()
    const e = await rejection(run(cfg, 1))
    expect(e.code).toBe('E_MIGRATION')
    expect(e.message).toContain('exited with 3')
    expect(e.message).toContain('step 1 ok')
    expect(e.message).toContain('boom: relation "nope" does not exist')
    expect(await names()).toEqual(before)
  })

  it('a failing command\'s output never shows the server password', async (ctx) => {
    const u = new URL(testUrl())
    // The test server's URL has a real password: this check needs one it can invent, on a trust-auth server.
    if (lacks('trust auth', import.meta.url, Boolean(u.password))) ctx.skip()
    u.password = 's3cretpw'
    // Only meaningful where the server ignores the password (trust auth, as on CI and the embedded server).
    const trusted = await withClient(u.toString(), async () => true).catch(() => false)
    if (lacks('trust auth', import.meta.url, !trusted)) ctx.skip()
    const d = dir({ 'leak.cjs': `console.log('url=' + process.env.DATABASE_URL); console.log('pw=' + process.env.PGPASSWORD); process.exit(1)` })
    const cfg = await resolveConfig({
      server: { url: u.toString() }, migrate: { command: `${node} leak.cjs` }, prefix: PREFIX, silent: true, keepTemplates: 1000,
      key: unique('cmdleak'), env: { DATABASE_URL: 'url', PGPASSWORD: 'password' },
    }, d)
    const e = await rejection(run(cfg, 1))
    expect(e.code).toBe('E_MIGRATION')
    expect(e.message).toMatch(/url=postgres(ql)?:\/\//)
    expect(e.message).toContain('pw=')
    expect(`${e.message}\n${e.hint}\n${e.stack}`).not.toContain('s3cretpw')
  })
})

describe('a function migrator', () => {
  it('runs once against the template', async () => {
    const cfg = await config(async function seedWithFunction(url: string) {
      await withClient(url, (c) => c.query(`create table fn_made (db text); insert into fn_made select current_database()`))
    }, { key: unique('fn') })
    const r = await run(cfg, 2)
    expect(r.summary.template?.reused).toBe(false)
    for (const clone of r.manifest.clones) {
      expect(await query(clone.url, 'select db from fn_made')).toEqual([{ db: r.summary.template!.name }])
    }
    await r.teardown()
  })

  it('a throwing function rejects with E_MIGRATION carrying its message, and leaves no template', async () => {
    const cfg = await config(async () => { throw new Error('seed exploded: duplicate key') }, { key: unique('fnfail') })
    const before = await names()
    const e = await rejection(run(cfg, 1))
    expect(e.code).toBe('E_MIGRATION')
    expect(e.message).toContain('seed exploded: duplicate key')
    expect(await names()).toEqual(before)
  })
})

describe('grow()', () => {
  it('adds clones for new slots (a watch rerun that needs more workers), and teardown drops them all', async () => {
    const cfg = await config({ sql: dir({ '001_init.sql': SQL_INIT }) }, { key: unique('grow') })
    const r = await run(cfg, 1)
    expect(r.manifest.clones.map((c) => c.slot)).toEqual([1])

    await r.grow({ count: 3, reason: 'vitest 4, pool forks, maxWorkers 3, 3 test files, watch' })
    expect(r.manifest.clones.map((c) => c.slot)).toEqual([1, 2, 3])
    expect(r.manifest.plan.reason).toContain('watch')
    const onDisk = JSON.parse(readFileSync(r.manifestPath, 'utf8'))
    expect(onDisk.clones.map((c: { slot: number }) => c.slot)).toEqual([1, 2, 3])
    expect((await rowsOfRun(r.runId)).length).toBe(3)
    const env: NodeJS.ProcessEnv = { [MANIFEST_ENV]: r.manifestPath, VITEST_POOL_ID: '3' }
    setupWorker(env)
    expect(await tablesOf(env.DATABASE_URL!)).toEqual(['items', 'meta'])

    await r.grow({ count: 2, reason: 'smaller' })
    expect(r.manifest.clones).toHaveLength(3)
    expect((await rowsOfRun(r.runId)).length).toBe(3)

    await r.teardown()
    expect(await rowsOfRun(r.runId)).toEqual([])
  })
})

describe('dropClones', () => {
  it('never drops a database whose marker names another run, nor one without a marker', async () => {
    const cfg = await config({ sql: dir({ '001_init.sql': SQL_INIT }) }, { key: unique('drop') })
    const r = await run(cfg, 2)
    const cloneNames = r.manifest.clones.map((c) => c.database)
    const lookalike = `${PREFIX}_${r.runId}_9`
    await query(testUrl(), `create database ${quoteIdent(lookalike)}`)
    try {
      expect(await dropClones(testUrl(), cloneNames, 'someotherrun')).toBe(0)
      expect(await dropClones(testUrl(), [lookalike], r.runId)).toBe(0)
      const left = new Set(await names())
      for (const n of [...cloneNames, lookalike]) expect(left.has(n)).toBe(true)

      expect(await dropClones(testUrl(), [...cloneNames, lookalike], r.runId)).toBe(2)
      const after = new Set(await names())
      for (const n of cloneNames) expect(after.has(n)).toBe(false)
      expect(after.has(lookalike)).toBe(true)
    } finally {
      await query(testUrl(), `drop database if exists ${quoteIdent(lookalike)} with (force)`)
      await r.teardown()
    }
  })
})

describe('createClones', () => {
  it('works through an open session given as its first lane, and leaves that session open for its owner', async () => {
    const cfg = await config({ sql: dir({ '001_init.sql': SQL_INIT }) }, { key: unique('lane') })
    const r = await run(cfg, 1)
    const runId = `lane${randomBytes(3).toString('hex')}`
    const made = [1, 2, 3].map((i) => `${PREFIX}_${runId}_${i}`)
    const client = await connect(testUrl())
    const admin = new PostgresSession(client, testUrl())
    const statements: string[] = []
    const query = client.query.bind(client)
    client.query = ((text: string, ...rest: unknown[]) => { statements.push(String(text)); return (query as (...a: unknown[]) => unknown)(text, ...rest) }) as typeof client.query
    try {
      // One lane: every clone goes through the given session, and no session of its own is opened.
      await createClones({ adminUrl: testUrl(), template: r.manifest.template!.name, names: made, runId, plan: {}, concurrency: 1, first: admin })
      expect(statements.filter((t) => t.startsWith('create database')).length).toBe(3)
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }])
      const marked = (await rowsOfRun(runId)).map((row) => row.name).sort()
      expect(marked).toEqual(made)
    } finally {
      await admin.close()
      await dropClones(testUrl(), made, runId)
      await r.teardown()
    }
    expect((await names()).filter((n) => made.includes(n))).toEqual([])
  })
})

describe('errors that name the fix', () => {
  it('an unreachable server: E_SERVER_UNREACHABLE, where it looked, and no password', async () => {
    const cfg = await config(undefined, { server: { url: 'postgresql://postgres:s3cretpw@127.0.0.1:1/postgres' } })
    const e = await rejection(run(cfg, 1))
    expect(e.code).toBe('E_SERVER_UNREACHABLE')
    expect(e.message).toContain('127.0.0.1:1')
    expect(e.hint.length).toBeGreaterThan(0)
    expect(e.message).not.toContain('s3cretpw')
    expect(e.hint).not.toContain('s3cretpw')
    expect(String(e.stack)).not.toContain('s3cretpw')
  })

  it('WORKERDB_URL overrides server.url, and the error says where the URL came from', async () => {
    process.env.WORKERDB_URL = 'postgresql://postgres:s3cretpw@127.0.0.1:1/postgres'
    try {
      const e = await rejection(run(await config(undefined), 1))
      expect(e.code).toBe('E_SERVER_UNREACHABLE')
      expect(e.message).toContain('WORKERDB_URL')
      expect(e.message).not.toContain('s3cretpw')
    } finally {
      delete process.env.WORKERDB_URL
    }
  })

  it('an admin database that does not exist: E_SERVER_UNREACHABLE saying so', async () => {
    const e = await rejection(run(await config(undefined, { server: { url: dbUrl(`${PREFIX}_no_such_db`) } }), 1))
    expect(e.code).toBe('E_SERVER_UNREACHABLE')
    expect(e.message).toContain('does not exist')
  })

  it('a role without CREATEDB: E_NO_CREATEDB naming the role and the grant', async () => {
    const role = `wdb_nocreatedb_${randomBytes(3).toString('hex')}`
    await query(testUrl(), `create role ${quoteIdent(role)} login nocreatedb nosuperuser`)
    try {
      const u = new URL(testUrl())
      u.username = role
      u.password = ''
      const before = await names()
      const e = await rejection(run(await config(undefined, { server: { url: u.toString() } }), 1))
      expect(e.code).toBe('E_NO_CREATEDB')
      expect(e.message).toContain(role)
      expect(e.hint).toContain(`ALTER ROLE "${role}" CREATEDB`)
      expect(await names()).toEqual(before)
    } finally {
      await query(testUrl(), `drop role if exists ${quoteIdent(role)}`)
    }
  })
})

describe('after all of the above', () => {
  it('no clone with this file\'s prefix remains; only the templates kept for the next run, which we then drop', async () => {
    const rows = await databasesWithPrefix(PREFIX)
    const clones = rows.filter((r) => parseMarker(r.comment)?.kind !== 'template')
    expect(clones).toEqual([])
    expect(rows.map((r) => r.name).sort()).toEqual([...templates].sort())
    for (const r of rows) expect(parseMarker(r.comment)).toMatchObject({ kind: 'template', state: 'ready' })

    await withClient(testUrl(), async (c) => {
      for (const r of rows) {
        await c.query(`alter database ${quoteIdent(r.name)} with is_template false`)
        await c.query(`drop database ${quoteIdent(r.name)}`)
      }
    })
    expect(await databasesWithPrefix(PREFIX)).toEqual([])
  })
})
