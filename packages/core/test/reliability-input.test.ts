/**
 * Bad input, end to end through provision() and the CLI: a wrong password (against an embedded server
 * that really checks passwords — the machine's server trusts 127.0.0.1 and would accept any), too few
 * connections for the workers (warned before anything fails, then shown to fail exactly as warned),
 * hostile paths, prefixes and keys, and the rule over all of it: the password appears in no error
 * message, hint, stack, cause, or log line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import type { WorkerDbOptions } from '../src/config/options.js'
import { resolveConfig } from '../src/config/resolve.js'
import { WorkerDbError } from '../src/errors.js'
import type { Logger } from '../src/log.js'
import { MANIFEST_ENV } from '../src/runfile/manifest.js'
import { connectionWarning, provision, type Provisioned } from '../src/engine/provision.js'
import { startEmbedded } from '../src/server/embedded.js'
import type { ServerHandle } from '../src/server/types.js'
import { dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'

const PASSWORD = 'Corr3ct-h0rse:b@ttery/st"aple'
const WRONG = 'wr0ng-Pa55w0rd'
const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), WRONG]

const root = mkdtempSync(join(tmpdir(), 'workerdb-input-'))
const saved = { url: process.env.WORKERDB_URL, manifest: process.env[MANIFEST_ENV], summary: process.env.WORKERDB_SUMMARY_FILE }
const runs: Provisioned[] = []
const prefixes = new Set<string>()
/** Everything any test here saw come out of workerdb: checked for passwords at the end. */
const seen: string[] = []

function logger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const push = (kind: string) => (l: string) => { lines.push(`${kind} ${l}`); seen.push(l) }
  return { lines, info: push('info'), warn: push('warn'), progress: push('progress') }
}

/** The whole printable surface of an error: message, hint, stack, and what a runner prints of its cause. */
function surface(err: unknown): string {
  const e = err as WorkerDbError
  return [e.message, e.hint, e.stack, inspect(err, { depth: 5 })].join('\n')
}

async function failure(p: Promise<unknown>): Promise<WorkerDbError> {
  try {
    await p
  } catch (err) {
    seen.push(surface(err))
    expect(err).toBeInstanceOf(WorkerDbError)
    return err as WorkerDbError
  }
  throw new Error('expected a WorkerDbError, got success')
}

async function run(options: WorkerDbOptions, count: number, cwd = root, log = logger()): Promise<Provisioned> {
  const prefix = options.prefix ?? uniquePrefix('inp')
  prefixes.add(prefix)
  const config = await resolveConfig({ silent: false, keepTemplates: 100, ...options, prefix }, cwd)
  const r = await provision({ config, plan: { count, reason: `test plan of ${count}` }, framework: 'test', workerIdVar: 'TEST_WORKER', log })
  runs.push(r)
  return r
}

function urlWith(base: string, password: string | undefined, database = 'postgres'): string {
  const u = new URL(base)
  u.password = password === undefined ? '' : encodeURIComponent(password)
  u.pathname = `/${database}`
  return u.toString()
}

beforeAll(() => {
  delete process.env.WORKERDB_URL
  delete process.env.WORKERDB_SUMMARY_FILE
})

afterAll(async () => {
  try {
    for (const r of runs) await r.teardown().catch(() => {})
    for (const p of prefixes) await dropPrefix(p)
  } finally {
    rmSync(root, { recursive: true, force: true })
    for (const [k, v] of [['WORKERDB_URL', saved.url], [MANIFEST_ENV, saved.manifest], ['WORKERDB_SUMMARY_FILE', saved.summary]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
})

// ---------------------------------------------------------------------------------------------------

describe('a server that checks passwords, with few connections (embedded: scram-sha-256, max_connections 20)', () => {
  let server: ServerHandle
  beforeAll(async () => {
    server = await startEmbedded({ password: PASSWORD, settings: { max_connections: '20' } }, logger())
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  }, 60_000)

  it('the right password works (the server really is password-protected: no password fails)', async () => {
    await withClient(server.adminUrl, async (c) => expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]))
    // (Ended even though it failed: a client left half way through authentication holds a backend that
    // makes every DROP DATABASE wait for it, until authentication_timeout.)
    const bare = new pg.Client({ connectionString: urlWith(server.adminUrl, undefined) })
    bare.on('error', () => {})
    await expect(bare.connect()).rejects.toThrow(/password/)
    await bare.end().catch(() => {})
  })

  it('a wrong password: E_AUTH, where it looked and what to check, no password anywhere', async () => {
    const e = await failure(run({ server: { url: urlWith(server.adminUrl, WRONG) } }, 1))
    expect(e.code).toBe('E_AUTH')
    expect(e.message).toContain(`127.0.0.1:${new URL(server.adminUrl).port}`)
    expect(e.message).toMatch(/password authentication failed/)
    expect(e.hint).toMatch(/password/)
    for (const s of SECRETS) expect(surface(e)).not.toContain(s)
  })

  it('a wrong password from WORKERDB_URL: the CLI says so, without the password, in text and JSON', async () => {
    process.env.WORKERDB_URL = urlWith(server.adminUrl, WRONG)
    try {
      for (const args of [['status'], ['status', '--json'], ['sweep'], ['doctor'], ['doctor', '--json']]) {
        const { code, text } = await main(args, root)
        seen.push(text)
        expect(code, text).toBe(1)
        expect(text).toMatch(/refused the credentials|password authentication failed/)
        for (const s of SECRETS) expect(text).not.toContain(s)
      }
    } finally {
      delete process.env.WORKERDB_URL
    }
  })

  it('too few connections for workers × pool: warned before cloning, naming the numbers and the fix — and it really fails as warned', async () => {
    const log = logger()
    const r = await run({ server: { url: server.adminUrl } }, 12, root, log)
    const warning = log.lines.find((l) => l.startsWith('warn') && l.includes('connections'))
    expect(warning, log.lines.join('\n')).toBeDefined()
    expect(warning).toMatch(/allows 20 connections/)
    expect(warning).toMatch(/12 workers/)
    expect(warning).toMatch(/max_connections|maxWorkers/)
    // Printed before the clones were made (the warning precedes "N clones ready").
    expect(log.lines.findIndex((l) => l === warning)).toBeLessThan(log.lines.findIndex((l) => /clones? ready/.test(l)))
    // What it warned about: two connections per worker do not fit.
    const clients: pg.Client[] = []
    let refused: Error | undefined
    try {
      for (const clone of r.manifest.clones) {
        for (let i = 0; i < 2; i++) {
          const c = new pg.Client({ connectionString: clone.url })
          c.on('error', () => {})
          try {
            await c.connect()
            clients.push(c)
          } catch (err) {
            refused = err as Error
            break
          }
        }
        if (refused) break
      }
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})))
    }
    expect(refused?.message).toMatch(/too many clients/)
    await r.teardown()
  })

  it('a run that fits gets no such warning', async () => {
    const log = logger()
    const r = await run({ server: { url: server.adminUrl } }, 3, root, log)
    expect(log.lines.filter((l) => l.includes('connections'))).toEqual([])
    await r.teardown()
  })

  it('a failing SQL migration that echoes the password: E_MIGRATION without it, cause included', async () => {
    const dir = join(root, 'echo-migrations')
    mkdirSync(dir, { recursive: true })
    // A migration error whose text carries the password (as a connection string and raw).
    writeFileSync(join(dir, '001_echo.sql'), `select ${pgLiteral(PASSWORD)}::int;`)
    const e = await failure(run({ server: { url: server.adminUrl }, migrate: { sql: dir } }, 1))
    expect(e.code).toBe('E_MIGRATION')
    expect(e.message).toMatch(/001_echo\.sql/)
    expect(e.message).toMatch(/invalid input syntax/)
    for (const s of SECRETS) expect(surface(e)).not.toContain(s)
  })

  it('a migrate function that throws with the URL and the password: E_MIGRATION without either', async () => {
    const e = await failure(run({
      server: { url: server.adminUrl },
      migrate: async (url: string) => { throw new Error(`cannot migrate ${url} (password ${decodeURIComponent(new URL(url).password)})`) },
    }, 1))
    expect(e.code).toBe('E_MIGRATION')
    expect(e.message).toMatch(/cannot migrate postgresql:\/\/postgres:\*\*\*@/)
    for (const s of SECRETS) expect(surface(e)).not.toContain(s)
  })

  it('the success path prints no password either', async () => {
    const log = logger()
    const r = await run({ server: { url: server.adminUrl } }, 2, root, log)
    await r.teardown()
    expect(log.lines.join('\n')).toMatch(/server postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1/)
    for (const s of SECRETS) expect(log.lines.join('\n')).not.toContain(s)
  })
})

function pgLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

describe('connectionWarning (pure)', () => {
  const base = { maxConnections: 100, reserved: 3, inUse: 5, perWorker: 2 }
  it('is silent while workers × per-worker fit in what is free', () => {
    expect(connectionWarning({ ...base, workers: 46 })).toBeUndefined() // 92 ≤ 100 − 3 − 5
  })
  it('warns one worker beyond, with the numbers that explain it', () => {
    const w = connectionWarning({ ...base, workers: 47 })!
    expect(w).toContain('allows 100 connections (3 reserved for superusers, 5 in use now, so 92 free)')
    expect(w).toContain('47 workers needing about 2 each')
    expect(w).toMatch(/Raise max_connections, lower maxWorkers/)
  })
  it('counts connections already in use, and a server with none free', () => {
    expect(connectionWarning({ ...base, inUse: 96, workers: 2 })).toMatch(/so 1 free/)
    expect(connectionWarning({ ...base, reserved: 0, inUse: 0, workers: 50 })).toBeUndefined()
  })
})

// ---------------------------------------------------------------------------------------------------

describe('hostile names and paths', () => {
  const hostile = join(root, `it's a "quoted" dir — ünïcødé 🐘 $HOME \`x\` ; rm -rf`)
  const SQL = `create table hostile_ok (id int primary key, note text);\ninsert into hostile_ok values (1, 'from ' || current_database());\n`

  beforeAll(() => {
    mkdirSync(join(hostile, 'migrations dir'), { recursive: true })
    writeFileSync(join(hostile, 'migrations dir', "001 it's.sql"), SQL)
    writeFileSync(join(hostile, 'migrate.cjs'), `const pg = require(${JSON.stringify(createRequire(import.meta.url).resolve('pg'))})
const c = new pg.Client({ connectionString: process.env.DATABASE_URL })
c.connect().then(() => c.query(${JSON.stringify(SQL)})).then(() => c.end()).catch((e) => { console.error(e); process.exit(1) })
`)
  })

  const tables = (url: string) => withClient(url, async (c) => (await c.query('select id from hostile_ok')).rows)

  it('an SQL migrations dir with spaces, quotes, unicode and shell characters in its path', async () => {
    const r = await run({ server: { url: testUrl() }, migrate: { sql: join(hostile, 'migrations dir') } }, 2)
    expect(r.summary.template).toMatchObject({ reused: false, migrationsRun: 1 })
    for (const c of r.manifest.clones) expect(await tables(c.url)).toEqual([{ id: 1 }])
  })

  it('a config file found upward from inside that dir, with a command migrator running there', async () => {
    const prefix = uniquePrefix('inh')
    writeFileSync(join(hostile, 'workerdb.config.json'), JSON.stringify({
      prefix, server: { url: testUrl() }, migrate: { command: `${JSON.stringify(process.execPath)} migrate.cjs`, inputs: ['migrate.cjs'] },
    }))
    const nested = join(hostile, 'packages', 'ä b')
    mkdirSync(nested, { recursive: true })
    const r = await run({ prefix }, 1, nested)
    expect(r.summary.template?.reused).toBe(false)
    expect(await tables(r.manifest.clones[0].url)).toEqual([{ id: 1 }])
  })

  it('a key with quotes and SQL in it is only ever hashed: it builds its own template', async () => {
    const sql = { sql: join(hostile, 'migrations dir') }
    const a = await run({ server: { url: testUrl() }, migrate: sql, key: `it's "quoted"; drop database postgres; --` }, 1)
    const b = await run({ server: { url: testUrl() }, migrate: sql, key: `it's "quoted"; drop database postgres; -- ` }, 1)
    expect(a.summary.template!.hash).not.toBe(b.summary.template!.hash)
    expect(await tables(a.manifest.clones[0].url)).toEqual([{ id: 1 }])
    expect(await withClient(testUrl(), async (c) => (await c.query(`select count(*)::int as n from pg_database where datname = 'postgres'`)).rows[0].n)).toBe(1)
  })

  it.each([
    ['upper case', 'Wdb'], ['a dash', 'my-app'], ['a quote', `wdb"x`], ['SQL', `a; drop database postgres`], ['unicode', 'ünï'],
    ['too long (would push names past 63 bytes)', 'abcdefghijklm'], ['empty', ''], ['a leading digit', '1wdb'],
  ])('a prefix with %s is rejected before anything touches the server: E_CONFIG naming it and the rule', async (_what, prefix) => {
    const e = await failure(resolveConfig({ server: { url: testUrl() }, prefix }, root))
    expect(e.code).toBe('E_CONFIG')
    expect(e.message).toContain(JSON.stringify(prefix))
    expect(e.hint).toMatch(/lowercase letters and digits/)
  })
})

describe('over everything above', () => {
  it('no password appeared in any error, hint, stack, cause, CLI output or log line', () => {
    expect(seen.length).toBeGreaterThan(10)
    const all = seen.join('\n')
    for (const s of SECRETS) expect(all).not.toContain(s)
  })
})
