/**
 * Did the tests use their clones? The friction it catches: a project's own test setup assigned its own
 * database settings after workerdb set them, so every test ran on the shared database while workerdb said
 * "2 clones ready". Pure rules first, then real runs on the test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloneUse, unusedClonesMessage } from '../src/runfile/clone-use.js'
import { resolveConfig } from '../src/config/resolve.js'
import { MANIFEST_ENV } from '../src/runfile/manifest.js'
import { provision } from '../src/engine/provision.js'
import { databasesWithPrefix, dbUrl, dropPrefix, rejectionError, testUrl, uniquePrefix, withClient } from './helpers.js'

const map = (entries: Record<string, number>) => new Map(Object.entries(entries))
const ours = (name: string) => name.startsWith('wdb_')

describe('cloneUse', () => {
  it('a clone is used when it gained sessions beyond workerdb\'s own', () => {
    const use = cloneUse({
      clones: ['wdb_r_1', 'wdb_r_2'], before: map({}), after: map({ wdb_r_1: 2, wdb_r_2: 1 }), own: map({ wdb_r_1: 1, wdb_r_2: 1 }), ours,
    })
    expect(use).toEqual({ used: ['wdb_r_1'], unused: ['wdb_r_2'], elsewhere: [] })
  })

  it('elsewhere: databases outside workerdb\'s that gained sessions during the run, busiest first', () => {
    const use = cloneUse({
      clones: ['wdb_r_1'],
      before: map({ app_test: 10, other: 3, wdb_tpl_x: 0 }),
      after: map({ app_test: 24, other: 4, quiet: 5, wdb_tpl_x: 2, wdb_r_1: 0 }),
      own: map({ other: 1 }), ours,
    })
    // quiet: 5 before too (absent before means 0 — new since): it counts; other gained only workerdb's own session.
    expect(use.elsewhere).toEqual([{ database: 'app_test', sessions: 14 }, { database: 'quiet', sessions: 5 }])
    expect(use.used).toEqual([])
  })

  it('warns only when no clone was used and other databases were: a suite that touches no database stays quiet', () => {
    const went = { used: [], unused: ['wdb_r_1', 'wdb_r_2'], elsewhere: [{ database: 'app_test', sessions: 14 }] }
    const message = unusedClonesMessage(went, ['DATABASE_URL', 'PGDATABASE'])
    expect(message).toContain("none of this run's 2 clones")
    expect(message).toContain('app_test (14 sessions)')
    expect(message).toContain('DATABASE_URL, PGDATABASE')
    expect(unusedClonesMessage({ ...went, elsewhere: [] }, ['DATABASE_URL'])).toBeUndefined()
    expect(unusedClonesMessage({ ...went, used: ['wdb_r_1'], unused: ['wdb_r_2'] }, ['DATABASE_URL'])).toBeUndefined()
  })
})

describe('a run whose tests used another database (PostgreSQL 14+)', () => {
  const PREFIX = uniquePrefix('cuse')
  const SHARED = uniquePrefix('cushr')
  const shared = `${SHARED}_app_test`
  const saved = { url: process.env.WORKERDB_URL, manifest: process.env[MANIFEST_ENV], summary: process.env.WORKERDB_SUMMARY_FILE }
  let major = 0

  beforeAll(async () => {
    delete process.env.WORKERDB_URL
    delete process.env.WORKERDB_SUMMARY_FILE
    major = await withClient(testUrl(), async (c) => {
      await c.query(`create database "${shared}"`)
      return Number((await c.query("select current_setting('server_version_num')::int / 10000 as major")).rows[0].major)
    })
  })

  afterAll(async () => {
    await dropPrefix(PREFIX)
    await dropPrefix(SHARED)
    for (const [name, value] of [['WORKERDB_URL', saved.url], [MANIFEST_ENV, saved.manifest], ['WORKERDB_SUMMARY_FILE', saved.summary]] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  async function start(unusedClones: 'warn' | 'error') {
    const config = await resolveConfig({ server: { url: testUrl() }, prefix: PREFIX, silent: true, unusedClones, keepTemplates: 100 }, process.cwd())
    return provision({ config, plan: { count: 2, reason: 'test' }, framework: 'test', workerIdVar: 'TEST_WORKER_ID' })
  }

  /** What a test file does: connect, query, disconnect. */
  const query = (database: string) => withClient(dbUrl(database), (c) => c.query('select 1'))

  it("with unusedClones: 'error', teardown fails naming the database the tests used — after dropping the clones", async (ctx) => {
    if (major < 14) ctx.skip()
    const run = await start('error')
    await query(shared)
    await query(shared)
    const e = await rejectionError(run.teardown())
    expect(e.code).toBe('E_CLONES_UNUSED')
    expect(e.message).toContain(`${shared} (2 sessions)`)
    expect(e.message).toContain('DATABASE_URL')
    expect(e.hint).toContain('??=')
    expect((await databasesWithPrefix(PREFIX)).filter((d) => !d.isTemplate)).toEqual([])
    expect(run.summary.cloneUse?.unused).toHaveLength(2)
  })

  it('a run whose tests used a clone passes, and says which', async (ctx) => {
    if (major < 14) ctx.skip()
    const run = await start('error')
    await query(shared)
    await query(run.manifest.clones[0]!.database)
    await run.teardown()
    expect(run.summary.cloneUse?.used).toEqual([run.manifest.clones[0]!.database])
  })
})
