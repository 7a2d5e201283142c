/**
 * Per-worker roles (config `roles`): names formatted and parsed, markers, config errors, the env parts,
 * and against the real server: each clone gets its own LOGIN role per key, marked as workerdb's, able to
 * work in its clone and a member of the roles `memberOf` names; teardown, dropClones and `workerdb
 * teardown`'s path drop them after their clone; the sweep drops a dead run's marked role whose clone is
 * gone, and never an unmarked look-alike, a live run's role, or a role whose clone is still there.
 *
 * Every database and role made here carries this file's prefix (or its `base` role) and is removed at the end.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropClones } from '../src/engine/clones.js'
import type { ResolvedConfig, WorkerDbOptions } from '../src/config/options.js'
import { resolveConfig } from '../src/config/resolve.js'
import { validateOptions } from '../src/config/validate.js'
import { envFor, normalizeEnv } from '../src/env.js'
import { makeMarker, parseMarker } from '../src/catalog/marker.js'
import { MANIFEST_ENV } from '../src/runfile/manifest.js'
import { cloneName, MAX_IDENTIFIER_BYTES, parseRoleName, quoteIdent, quoteLiteral, roleName } from '../src/catalog/names.js'
import { provision, type Provisioned } from '../src/engine/provision.js'
import type { RoleRow } from '../src/catalog/postgres/db.js'
import { scramVerifier } from '../src/catalog/postgres/roles.js'
import { sweep } from '../src/cleanup/sweep.js'
import { roleCandidates, type SweepPolicy } from '../src/cleanup/sweep-rules.js'
import { setupWorker } from '../src/worker.js'
import { alive, databasesWithPrefix, dbUrl, dropPrefix, eventually, rejectionError, testUrl, thrownError, uniquePrefix, withClient } from './helpers.js'

const PREFIX = uniquePrefix('rol')
/** A role that exists on the server before the run, as a project's setup would have made it once. */
const BASE = `${PREFIX}_base_readonly`
const root = mkdtempSync(join(tmpdir(), 'workerdb-roles-test-'))
const runs: Provisioned[] = []
const saved = { url: process.env.WORKERDB_URL, manifest: process.env[MANIFEST_ENV], summary: process.env.WORKERDB_SUMMARY_FILE }
const HOUR = 3_600_000

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

async function rolesWithPrefix(prefix = PREFIX): Promise<Array<{ name: string; comment: string | null; login: boolean; superuser: boolean }>> {
  return withClient(testUrl(), async (c) => (await c.query(
    `select rolname as name, shobj_description(oid, 'pg_authid') as comment, rolcanlogin as login, rolsuper as superuser
       from pg_roles where starts_with(rolname, $1) order by rolname`, [`${prefix}_`])).rows)
}

async function dropRolesWithPrefix(prefix = PREFIX): Promise<void> {
  await withClient(testUrl(), async (c) => {
    for (const { name } of await rolesWithPrefix(prefix)) {
      await c.query(`drop owned by ${quoteIdent(name)}`).catch(() => {})
      await c.query(`drop role if exists ${quoteIdent(name)}`)
    }
  })
}

beforeAll(async () => {
  delete process.env.WORKERDB_URL
  delete process.env.WORKERDB_SUMMARY_FILE
  await withClient(testUrl(), (c) => c.query(`create role ${quoteIdent(BASE)} nologin`))
})

afterAll(async () => {
  try {
    for (const r of runs) await r.teardown().catch(() => {})
    await dropPrefix(PREFIX)
    await dropRolesWithPrefix(PREFIX)
  } finally {
    rmSync(root, { recursive: true, force: true })
    restore('WORKERDB_URL', saved.url)
    restore(MANIFEST_ENV, saved.manifest)
    restore('WORKERDB_SUMMARY_FILE', saved.summary)
  }
})

function config(extra: WorkerDbOptions = {}): Promise<ResolvedConfig> {
  return resolveConfig({
    server: { url: testUrl() }, prefix: PREFIX, silent: true, keepTemplates: 1000, unusedClones: 'ignore',
    migrate: { run: async (url: string) => withClient(url, (c) => c.query('create table items (id serial primary key, name text not null)')) },
    ...extra,
  }, root)
}

async function start(extra: WorkerDbOptions, count = 2): Promise<Provisioned> {
  const run = await provision({ config: await config(extra), plan: { count, reason: 'test' }, framework: 'test', workerIdVar: 'TEST_WORKER_ID' })
  runs.push(run)
  return run
}

describe('role names', () => {
  it('are `<clone>_role_<key>` and parse back to their clone and key', () => {
    const clone = cloneName('wdb', 'abcd1234', 3)
    const name = roleName(clone, 'app')
    expect(name).toBe('wdb_abcd1234_3_role_app')
    expect(parseRoleName('wdb', name)).toEqual({ clone, key: 'app' })
    expect(parseRoleName('wdb', roleName(cloneName('wdb', 'abcd1234', 12, 'vmThreads'), 'read_only'))).toEqual({ clone: 'wdb_abcd1234_vmThreads_12', key: 'read_only' })
  })

  it('the longest prefix, pool, slot and key still fit in 63 bytes', () => {
    const name = roleName(cloneName('abcdefghijkl', 'abcd1234', 99999, 'vmThreads'), 'k'.repeat(20))
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES)
  })

  it('parse nothing that is not one of ours: another prefix, no clone part, a person\'s look-alike', () => {
    for (const name of ['wdb_app', 'wdb_role_app', 'wdbx_abcd1234_1_role_app', 'other_abcd1234_1_role_app', 'wdb_abcd1234_role_app', 'wdb_abcd1234_1_role_', 'wdb_abcd1234_1_role_App', 'wdb_abcd1234_x_role_app', 'wdb_tpl_0123456789abcdef']) {
      expect(parseRoleName('wdb', name), name).toBeNull()
    }
  })

  it('refuse a key that is no safe identifier', () => {
    expect(() => roleName('wdb_abcd1234_1', 'App')).toThrow(RangeError)
    expect(() => roleName('wdb_abcd1234_1', 'a-b')).toThrow(RangeError)
  })
})

describe('role markers', () => {
  it('a role marker is read back like a database marker; other JSON is not ours', () => {
    const m = makeMarker({ kind: 'role', run: 'abcd1234', project: 'p' })
    expect(parseMarker(JSON.stringify(m))).toMatchObject({ tool: 'workerdb', kind: 'role', run: 'abcd1234', project: 'p' })
    expect(parseMarker(JSON.stringify({ ...m, kind: 'user' }))).toBeNull()
    expect(parseMarker(JSON.stringify({ ...m, tool: 'other' }))).toBeNull()
  })
})

describe('the roles option', () => {
  it('accepts a list of keys or a map of keys to { memberOf }', () => {
    for (const o of [{ roles: [] }, { roles: ['app'] }, { roles: ['app', 'read_only2'] }, { roles: { app: {} } }, { roles: { app: { memberOf: ['readonly_base', 'Mixed Case'] } } }]) {
      expect(() => validateOptions(o, 'test'), JSON.stringify(o)).not.toThrow()
    }
  })

  it('refuses bad shapes with E_CONFIG and a hint', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['app', /`roles` must be/],
      [['App'], /role key "App"/],
      [['a-b'], /role key "a-b"/],
      [['k'.repeat(21)], /role key/],
      [['app', 'app'], /twice/],
      [[1], /role key 1/],
      [{ app: { memberOf: 'base' } }, /`roles.app.memberOf` must be/],
      [{ app: { memberOf: [''] } }, /`roles.app.memberOf` must be/],
      [{ app: { member: ['base'] } }, /unknown option "roles.app.member"/],
      [{ app: null }, /`roles.app` must be/],
    ]
    for (const [roles, message] of cases) {
      const err = thrownError(() => validateOptions({ roles }, 'test'))
      expect(err.code, JSON.stringify(roles)).toBe('E_CONFIG')
      expect(err.message, JSON.stringify(roles)).toMatch(message)
      expect(err.hint, JSON.stringify(roles)).toMatch(/roles: \[/)
    }
  })

  it('env parts role:<key>, roleUrl:<key> and rolePassword:<key> must name a key of `roles` (in the file or inline)', async () => {
    expect(() => validateOptions({ roles: ['app'], env: { DATABASE_URL: 'url', APP_USER: 'role:app', APP_URL: 'roleUrl:app', APP_PASSWORD: 'rolePassword:app' } }, 'test')).not.toThrow()
    expect(thrownError(() => validateOptions({ env: { APP_USER: 'role:App' } }, 'test')).message).toMatch(/env.APP_USER/)
    const err = await rejectionError(config({ roles: ['app'], env: { APP_USER: 'role:other' } }))
    expect(err.code).toBe('E_CONFIG')
    expect(err.message).toMatch(/env.APP_USER.*role:other.*no key "other"/)
    expect(err.hint).toMatch(/roles: \['app', 'other'\]/)
    expect((await rejectionError(config({ env: { APP_USER: 'roleUrl:app' } }))).message).toMatch(/no key "app"/)
  })

  it('resolves to one spec per key, in order', async () => {
    expect((await config({ roles: ['app', 'audit'] })).roles).toEqual([{ key: 'app', memberOf: [] }, { key: 'audit', memberOf: [] }])
    expect((await config({ roles: { app: { memberOf: [BASE] } } })).roles).toEqual([{ key: 'app', memberOf: [BASE] }])
    expect((await config()).roles).toEqual([])
  })
})

describe('env parts of a role', () => {
  it('role:<key> is the role name, roleUrl:<key> the clone URL as that role, rolePassword:<key> its password', () => {
    const spec = normalizeEnv({ DATABASE_URL: 'url', APP_USER: 'role:app', APP_URL: 'roleUrl:app', APP_PASSWORD: 'rolePassword:app', AUDIT_USER: 'role:audit' })
    const url = 'postgresql://admin:secret@db:5432/wdb_abcd1234_1'
    const roleUrl = 'postgresql://wdb_abcd1234_1_role_app:pw@db:5432/wdb_abcd1234_1'
    expect(envFor(spec, url, { app: { name: 'wdb_abcd1234_1_role_app', url: roleUrl } })).toEqual({
      DATABASE_URL: url, APP_USER: 'wdb_abcd1234_1_role_app', APP_URL: roleUrl, APP_PASSWORD: 'pw',
    })
    // No roles (the template's migration env): role parts are left alone, like a part the URL lacks.
    expect(envFor(spec, url)).toEqual({ DATABASE_URL: url })
  })
})

describe('scramVerifier', () => {
  it('is the SCRAM-SHA-256 verifier PostgreSQL itself stores for the same password, salt and iterations', async () => {
    const name = `${PREFIX}_scram`
    const stored = await withClient(testUrl(), async (c) => {
      await c.query(`set password_encryption = 'scram-sha-256'`)
      await c.query(`create role ${quoteIdent(name)} password 'pencil-42'`)
      try {
        return (await c.query('select rolpassword from pg_authid where rolname = $1', [name])).rows[0].rolpassword as string
      } finally {
        await c.query(`drop role ${quoteIdent(name)}`)
      }
    })
    const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored)!
    expect(await scramVerifier('pencil-42', Buffer.from(salt!, 'base64'), Number(iterations))).toBe(stored)
    expect(await scramVerifier('pencil-43', Buffer.from(salt!, 'base64'), Number(iterations))).not.toBe(stored)
  })
})

describe('roleCandidates (pure)', () => {
  const iso = (agoMs: number) => new Date(Date.now() - agoMs).toISOString()
  const marker = (m: object) => JSON.stringify({ tool: 'workerdb', v: 1, kind: 'role', run: 'deadrun1', host: 'h', pid: 1, createdAt: iso(0), ...m })
  const row = (name: string, comment: string | null, over: Partial<RoleRow> = {}): RoleRow => ({ name, comment, superuser: false, ...over })
  const policy = (over: Partial<SweepPolicy & { clones: ReadonlySet<string> }> = {}): SweepPolicy & { prefix: string; clones: ReadonlySet<string> } => ({
    now: Date.now(), ttlMs: 24 * HOUR, host: 'h', keepRuns: new Set(), busy: new Set(), project: 'app',
    isAlive: (m) => (m.run.startsWith('dead') ? false : m.run.startsWith('live') ? true : 'unknown'), prefix: 'wdb', clones: new Set(), ...over,
  })
  const names = (c: Array<{ name: string }>) => c.map((x) => x.name)

  it('a dead run\'s marked role whose clone is gone is a candidate, saying why', () => {
    const c = roleCandidates([row('wdb_deadrun1_1_role_app', marker({}))], policy())
    expect(names(c)).toEqual(['wdb_deadrun1_1_role_app'])
    expect(c[0]!.kind).toBe('role')
    expect(c[0]!.reason).toMatch(/role of clone wdb_deadrun1_1 .*run deadrun1.*gone/)
  })

  it('never an unmarked look-alike, another tool\'s comment, a role of another prefix, or a superuser', () => {
    const rows = [
      row('wdb_deadrun1_1_role_app', null),
      row('wdb_deadrun1_2_role_app', '{"tool":"other"}'),
      row('wdb_deadrun1_3_role_app', marker({ kind: 'clone' })),
      row('wdb_app', marker({})),
      row('shop_deadrun1_1_role_app', marker({})),
      row('wdb_deadrun1_4_role_app', marker({}), { superuser: true }),
    ]
    expect(roleCandidates(rows, policy())).toEqual([])
  })

  it('never while its clone is still on the server, nor a live run\'s, nor this run\'s', () => {
    expect(roleCandidates([row('wdb_deadrun1_1_role_app', marker({}))], policy({ clones: new Set(['wdb_deadrun1_1']) }))).toEqual([])
    expect(roleCandidates([row('wdb_liverun1_1_role_app', marker({ run: 'liverun1' }))], policy())).toEqual([])
    expect(roleCandidates([row('wdb_deadrun1_1_role_app', marker({}))], policy({ keepRuns: new Set(['deadrun1']) }))).toEqual([])
  })

  it('an owner that cannot be asked: only past the TTL, without sessions, and of this project', () => {
    const old = row('wdb_farrun01_1_role_app', marker({ run: 'farrun01', createdAt: iso(25 * HOUR), project: 'app' }))
    expect(names(roleCandidates([old], policy()))).toEqual(['wdb_farrun01_1_role_app'])
    expect(roleCandidates([{ ...old, comment: marker({ run: 'farrun01', createdAt: iso(HOUR), project: 'app' }) }], policy())).toEqual([])
    expect(roleCandidates([old], policy({ busy: new Set(['wdb_farrun01_1_role_app']) }))).toEqual([])
    expect(roleCandidates([old], policy({ project: 'other' }))).toEqual([])
  })
})

describe('per-worker roles on a real server', () => {
  it('each clone gets its own LOGIN role per key, marked as workerdb\'s, named after its clone, in the manifest', async () => {
    const run = await start({ roles: { app: { memberOf: [BASE] }, audit: {} } })
    const clones = run.manifest.clones
    expect(clones).toHaveLength(2)
    for (const c of clones) {
      expect(Object.keys(c.roles ?? {}).sort()).toEqual(['app', 'audit'])
      expect(c.roles!.app!.name).toBe(roleName(c.database, 'app'))
      expect(new URL(c.roles!.app!.url).username).toBe(c.roles!.app!.name)
      expect(new URL(c.roles!.app!.url).pathname).toBe(`/${c.database}`)
      expect(new URL(c.roles!.app!.url).password).not.toBe('')
    }
    const roles = await rolesWithPrefix()
    const ours = roles.filter((r) => r.name !== BASE)
    expect(ours.map((r) => r.name).sort()).toEqual(clones.flatMap((c) => [roleName(c.database, 'app'), roleName(c.database, 'audit')]).sort())
    for (const r of ours) {
      expect(r.login).toBe(true)
      expect(r.superuser).toBe(false)
      expect(parseMarker(r.comment), r.name).toMatchObject({ tool: 'workerdb', kind: 'role', run: run.runId, pid: process.pid })
    }
    // memberOf: the app role is a member of the existing role; audit is not.
    const members = await withClient(testUrl(), async (c) => (await c.query(
      `select r.rolname as role from pg_auth_members m join pg_roles r on r.oid = m.member join pg_roles b on b.oid = m.roleid where b.rolname = $1 order by 1`, [BASE])).rows.map((x) => x.role))
    expect(members).toEqual(clones.map((c) => roleName(c.database, 'app')).sort())
    await run.teardown()
  })

  it('the role can log in to its clone with the URL it is given, read and write the migrated tables, create its own, and ALTER ROLE itself', async () => {
    const run = await start({ roles: ['app'] })
    const c = run.manifest.clones[0]!
    await withClient(c.roles!.app!.url, async (client) => {
      const { rows: [who] } = await client.query('select current_user as u, current_database() as db')
      expect(who).toEqual({ u: c.roles!.app!.name, db: c.database })
      await client.query(`insert into items (name) values ('a')`)
      expect((await client.query('select count(*)::int as n from items')).rows[0].n).toBe(1)
      await client.query('create table mine (id int)')
      await client.query('create temp table scratch (id int)')
      await client.query(`alter role ${quoteIdent(c.roles!.app!.name)} set work_mem = '8MB'`)
    })
    // Tables the admin connection makes later (a test's own setup) are the role's to use too.
    await withClient(c.url, (client) => client.query('create table later (id serial primary key)'))
    await withClient(c.roles!.app!.url, (client) => client.query('insert into later default values'))
    await run.teardown()
  })

  it('setupWorker exports role:<key>, roleUrl:<key> and rolePassword:<key> from the manifest, and getWorkerDatabase() lists the roles', async () => {
    const run = await start({ roles: ['app'], env: { DATABASE_URL: 'url', APP_USER: 'role:app', APP_URL: 'roleUrl:app', APP_PASSWORD: 'rolePassword:app' } })
    const env: NodeJS.ProcessEnv = { [MANIFEST_ENV]: run.manifestPath, TEST_WORKER_ID: '2' }
    const db = setupWorker(env)
    const clone = run.manifest.clones[1]!
    expect(env.DATABASE_URL).toBe(clone.url)
    expect(env.APP_USER).toBe(roleName(clone.database, 'app'))
    expect(env.APP_URL).toBe(clone.roles!.app!.url)
    expect(env.APP_PASSWORD).toBe(decodeURIComponent(new URL(clone.roles!.app!.url).password))
    expect(db.roles).toEqual({ app: { name: roleName(clone.database, 'app'), url: clone.roles!.app!.url } })
    await run.teardown()
  })

  it('teardown drops every role of the run after its clone; nothing of the run is left', async () => {
    const run = await start({ roles: ['app', 'audit'] }, 3)
    expect((await rolesWithPrefix()).filter((r) => r.name !== BASE)).toHaveLength(6)
    // A session of the role, and a privilege on a table in the admin database: neither may block the drop.
    const role = run.manifest.clones[0]!.roles!.app!
    const open = new pg.Client({ connectionString: role.url })
    open.on('error', () => {})
    await open.connect()
    const outside = `${PREFIX}_outside`
    await withClient(testUrl(), async (c) => {
      await c.query(`create table ${quoteIdent(outside)} (id int)`)
      await c.query(`grant select on ${quoteIdent(outside)} to ${quoteIdent(role.name)}`)
    })
    try {
      await run.teardown()
    } finally {
      await open.end().catch(() => {})
      await withClient(testUrl(), (c) => c.query(`drop table if exists ${quoteIdent(outside)}`))
    }
    expect((await rolesWithPrefix()).map((r) => r.name)).toEqual([BASE])
    expect((await databasesWithPrefix(PREFIX)).filter((d) => !d.isTemplate)).toEqual([])
  })

  it('the background dropper (teardown on a URL server, as the runners ask for it) drops the roles after the clones', async () => {
    // Against the built package: the dropper runs from dist/ by path.
    const core = await import(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'runner.js'))
    const run: Provisioned = await core.provision({
      config: await core.resolveConfig({ server: { url: testUrl() }, prefix: PREFIX, silent: true, keepTemplates: 1000, unusedClones: 'ignore', roles: ['app'] }, root),
      plan: { count: 2, reason: 'test' }, framework: 'test', workerIdVar: 'TEST_WORKER_ID', dropInBackground: true,
    })
    runs.push(run)
    const names = run.manifest.clones.map((c) => c.roles!.app!.name)
    expect((await rolesWithPrefix()).map((r) => r.name)).toEqual(expect.arrayContaining(names))
    await run.teardown()
    const pid = run.summary.dropperPid!
    expect(pid).toBeGreaterThan(0)
    expect(await eventually(async () => (await rolesWithPrefix()).every((r) => !names.includes(r.name)))).toBe(true)
    expect(await eventually(() => !alive(pid))).toBe(true)
    expect((await databasesWithPrefix(PREFIX)).filter((d) => !d.isTemplate)).toEqual([])
  })

  it('dropClones (the dropper\'s path) drops the roles of the clones it drops, only those of its run', async () => {
    const run = await start({ roles: ['app'] })
    const names = run.manifest.clones.map((c) => c.database)
    // A look-alike of another run's role, marked for another run: dropClones must leave it.
    const foreign = roleName(cloneName(PREFIX, 'otherrun', 1), 'app')
    await withClient(testUrl(), async (c) => {
      await c.query(`create role ${quoteIdent(foreign)}`)
      await c.query(`comment on role ${quoteIdent(foreign)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'role', run: 'otherrun' })))}`)
    })
    expect(await dropClones(testUrl(), names, run.runId)).toBe(2)
    expect((await rolesWithPrefix()).map((r) => r.name).sort()).toEqual([BASE, foreign].sort())
    await run.teardown()
    await withClient(testUrl(), (c) => c.query(`drop role ${quoteIdent(foreign)}`))
  })

  it('memberOf a role that does not exist: E_ROLE before anything is made, naming the role and how to make it', async () => {
    const err = await rejectionError(start({ roles: { app: { memberOf: [`${PREFIX}_missing`] } } }))
    expect(err.code).toBe('E_ROLE')
    expect(err.message).toContain(`${PREFIX}_missing`)
    expect(err.hint).toMatch(/CREATE ROLE/)
    expect((await databasesWithPrefix(PREFIX)).filter((d) => !d.isTemplate)).toEqual([])
    expect((await rolesWithPrefix()).map((r) => r.name)).toEqual([BASE])
  })

  it('an admin role without CREATEROLE: E_ROLE naming the privilege', async () => {
    const admin = `${PREFIX}_admin_nocr`
    await withClient(testUrl(), (c) => c.query(`create role ${quoteIdent(admin)} login createdb`))
    try {
      const u = new URL(testUrl())
      u.username = admin
      const run = provision({
        config: await config({ server: { url: u.toString() }, roles: ['app'] }), plan: { count: 1, reason: 'test' }, framework: 'test', workerIdVar: 'TEST_WORKER_ID',
      })
      const err = await rejectionError(run)
      expect(err.code).toBe('E_ROLE')
      expect(err.message).toMatch(/cannot create roles/)
      expect(err.hint).toContain(`ALTER ROLE "${admin}" CREATEROLE`)
    } finally {
      await dropPrefix(PREFIX)
      await withClient(testUrl(), async (c) => {
        await c.query(`drop owned by ${quoteIdent(admin)}`).catch(() => {})
        await c.query(`drop role if exists ${quoteIdent(admin)}`)
      })
    }
  })

  it('two sessions altering one shared role fail with "tuple concurrently updated"; each altering its own role does not', async () => {
    const run = await start({ roles: ['app'] })
    const [a, b] = run.manifest.clones.map((c) => c.roles!.app!)
    // The shared case, made deterministic: the second ALTER ROLE waits for the first's transaction, then fails.
    const shared = `${PREFIX}_shared_app`
    await withClient(testUrl(), (c) => c.query(`create role ${quoteIdent(shared)}`))
    try {
      const first = new pg.Client({ connectionString: testUrl() })
      const second = new pg.Client({ connectionString: testUrl() })
      await first.connect()
      await second.connect()
      try {
        await first.query(`alter role ${quoteIdent(shared)} set work_mem = '4MB'`) // a row in pg_db_role_setting
        await first.query('begin')
        await first.query(`alter role ${quoteIdent(shared)} set work_mem = '5MB'`)
        const racing = second.query(`alter role ${quoteIdent(shared)} set work_mem = '6MB'`).then(() => null, (err: Error) => err.message)
        await new Promise((r) => setTimeout(r, 200))
        await first.query('commit')
        expect(await racing).toMatch(/tuple concurrently updated/)
      } finally {
        await first.end().catch(() => {})
        await second.end().catch(() => {})
      }
    } finally {
      await withClient(testUrl(), (c) => c.query(`drop role if exists ${quoteIdent(shared)}`))
    }
    // Per-worker roles: the same interleaving, each on its own role, as its own user.
    const first = new pg.Client({ connectionString: a!.url })
    const second = new pg.Client({ connectionString: b!.url })
    await first.connect()
    await second.connect()
    try {
      await first.query(`alter role ${quoteIdent(a!.name)} set work_mem = '4MB'`)
      await second.query(`alter role ${quoteIdent(b!.name)} set work_mem = '4MB'`)
      await first.query('begin')
      await first.query(`alter role ${quoteIdent(a!.name)} set work_mem = '5MB'`)
      await second.query(`alter role ${quoteIdent(b!.name)} set work_mem = '6MB'`)
      await first.query('commit')
    } finally {
      await first.end().catch(() => {})
      await second.end().catch(() => {})
    }
    await run.teardown()
  })
})

describe('the sweep and roles', () => {
  /** A marked role of `run` for a clone named like this prefix's, made by hand. */
  async function markedRole(run: string, slot: number, marker: object | null): Promise<string> {
    const name = roleName(cloneName(PREFIX, run, slot), 'app')
    await withClient(testUrl(), async (c) => {
      await c.query(`create role ${quoteIdent(name)} login`)
      if (marker) await c.query(`comment on role ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
    })
    return name
  }

  it('drops a dead run\'s marked role with its clone, and one whose clone is already gone; never an unmarked look-alike or a live run\'s', async () => {
    const pid = deadPid()
    const deadClone = cloneName(PREFIX, 'deadrun7', 1)
    await withClient(testUrl(), async (c) => {
      await c.query(`create database ${quoteIdent(deadClone)}`)
      await c.query(`comment on database ${quoteIdent(deadClone)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'clone', run: 'deadrun7', pid })))}`)
    })
    const withClone = await markedRole('deadrun7', 1, makeMarker({ kind: 'role', run: 'deadrun7', pid }))
    const orphan = await markedRole('deadrun8', 1, makeMarker({ kind: 'role', run: 'deadrun8', pid }))
    const unmarked = await markedRole('deadrun9', 1, null)
    const otherTool = await markedRole('deadrun9', 2, { tool: 'someone', kind: 'role', run: 'deadrun9' })
    const live = await markedRole('liverun7', 1, makeMarker({ kind: 'role', run: 'liverun7' }))

    const dry = await sweep(testUrl(), { prefix: PREFIX, project: 'x', dryRun: true, keepTemplates: 1000 })
    expect(dry.filter((d) => d.kind === 'role').map((d) => d.name).sort()).toEqual([withClone, orphan].sort())
    expect((await rolesWithPrefix()).map((r) => r.name)).toContain(orphan)

    const dropped = await sweep(testUrl(), { prefix: PREFIX, project: 'x', keepTemplates: 1000 })
    expect(dropped.filter((d) => d.kind === 'role').map((d) => d.name).sort()).toEqual([withClone, orphan].sort())
    expect(dropped.map((d) => d.name)).toContain(deadClone)
    expect((await rolesWithPrefix()).map((r) => r.name).sort()).toEqual([BASE, live, otherTool, unmarked].sort())
    await withClient(testUrl(), async (c) => {
      for (const n of [live, otherTool, unmarked]) await c.query(`drop role ${quoteIdent(n)}`)
    })
  })

  it('a dead run\'s role whose clone is still there but in use stays until its clone goes', async () => {
    const pid = deadPid()
    // Unknown owner (another host), older than the TTL, but with a session: neither clone nor role goes.
    const clone = cloneName(PREFIX, 'farrun07', 1)
    const old = new Date(Date.now() - 48 * HOUR).toISOString()
    await withClient(testUrl(), async (c) => {
      await c.query(`create database ${quoteIdent(clone)}`)
      await c.query(`comment on database ${quoteIdent(clone)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'clone', run: 'farrun07', host: 'elsewhere', pid, createdAt: old, project: 'x' })))}`)
    })
    const role = await markedRole('farrun07', 1, makeMarker({ kind: 'role', run: 'farrun07', host: 'elsewhere', pid, createdAt: old, project: 'x' }))
    const session = new pg.Client({ connectionString: dbUrl(clone) })
    await session.connect()
    try {
      const dropped = await sweep(testUrl(), { prefix: PREFIX, project: 'x', keepTemplates: 1000 })
      expect(dropped.map((d) => d.name)).not.toContain(role)
      expect((await rolesWithPrefix()).map((r) => r.name)).toContain(role)
    } finally {
      await session.end().catch(() => {})
    }
    const dropped = await sweep(testUrl(), { prefix: PREFIX, project: 'x', keepTemplates: 1000 })
    expect(dropped.map((d) => d.name).sort()).toEqual([clone, role].sort())
  })
})
