/**
 * Teardown's drops handed to a detached process, as the Vitest and Jest runners ask for them: the run
 * returns at once, the clones go a moment later, and the dropper drops only what carries this run's
 * marker. Against the built package: the dropper runs from dist/ by path.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropInBackground } from '../src/cleanup/background-drop.js'
import { dropAll } from '../src/engine/clones.js'
import { makeMarker } from '../src/catalog/marker.js'
import { quoteIdent, quoteLiteral } from '../src/catalog/names.js'
import { alive, databasesWithPrefix, dropPrefix, eventually, testUrl, uniquePrefix, withClient } from './helpers.js'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const PREFIX = uniquePrefix('bgd')
const root = mkdtempSync(join(tmpdir(), 'workerdb-bgdrop-test-'))
const pids: number[] = []
const saved = { url: process.env.WORKERDB_URL, summary: process.env.WORKERDB_SUMMARY_FILE }

beforeAll(() => {
  delete process.env.WORKERDB_URL
  delete process.env.WORKERDB_SUMMARY_FILE
})

afterAll(async () => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  try {
    await dropPrefix(PREFIX)
  } finally {
    rmSync(root, { recursive: true, force: true })
    if (saved.url !== undefined) process.env.WORKERDB_URL = saved.url
    if (saved.summary !== undefined) process.env.WORKERDB_SUMMARY_FILE = saved.summary
  }
})

const names = async () => (await databasesWithPrefix(PREFIX)).map((r) => r.name)

describe('provision({ dropInBackground: true }) on a URL server', () => {
  it('tears down without waiting; a detached process drops exactly the clones; the template stays', async () => {
    const core = await import(join(dist, 'runner.js'))
    const migrations = join(root, 'm')
    mkdirSync(migrations)
    writeFileSync(join(migrations, '001.sql'), 'create table t (id int);')
    const config = await core.resolveConfig({ server: { url: testUrl() }, migrate: { sql: migrations }, prefix: PREFIX, silent: true }, root)
    const run = await core.provision({ config, plan: { count: 2, reason: 'test' }, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID', dropInBackground: true })
    const clones: string[] = run.manifest.clones.map((c: { database: string }) => c.database)
    expect(clones).toHaveLength(2)
    await run.teardown()
    const pid = run.summary.dropperPid as number
    pids.push(pid)
    expect(pid).toBeGreaterThan(0)
    expect(run.summary.dropped).toBe(0)
    expect(existsSync(run.manifestPath)).toBe(false)
    expect(await eventually(async () => !(await names()).some((n) => clones.includes(n)))).toBe(true)
    expect(await names()).toEqual([run.summary.template.name])
    expect(await eventually(() => !alive(pid))).toBe(true)
  }, 60_000)
})

describe('the dropper', () => {
  it('drops only databases whose marker names its run', async () => {
    const runId = 'bgdrop01'
    const mine = `${PREFIX}_${runId}_1`
    const otherRun = `${PREFIX}_othrrun1_1`
    const unmarked = `${PREFIX}_${runId}_2`
    await withClient(testUrl(), async (c) => {
      for (const name of [mine, otherRun, unmarked]) await c.query(`create database ${quoteIdent(name)}`)
      await c.query(`comment on database ${quoteIdent(mine)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'clone', run: runId })))}`)
      await c.query(`comment on database ${quoteIdent(otherRun)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'clone', run: 'othrrun1' })))}`)
    })
    const pid = dropInBackground({ adminUrl: testUrl(), names: [mine, otherRun, unmarked], runId }, join(dist, 'dropper.js'))
    expect(pid).toBeGreaterThan(0)
    pids.push(pid!)
    expect(await eventually(() => !alive(pid!))).toBe(true)
    const left = await names()
    expect(left).not.toContain(mine)
    expect(left).toEqual(expect.arrayContaining([otherRun, unmarked]))
  }, 60_000)
})

describe('dropAll, racing a dropper', () => {
  it('drops a database that another session is dropping (invalid meanwhile) without losing its session', async () => {
    // DROP DATABASE marks the database invalid (datconnlimit -2) while it runs; ALTER DATABASE on it is
    // FATAL. Mark one so, as a finished run's dropper leaves it for the next run's sweep to meet.
    const [invalid, next] = [`${PREFIX}_racing01_1`, `${PREFIX}_racing01_2`]
    await withClient(testUrl(), async (c) => {
      for (const name of [invalid, next]) await c.query(`create database ${quoteIdent(name)}`)
      await c.query('update pg_database set datconnlimit = -2 where datname = $1', [invalid])
    })
    await dropAll(testUrl(), [invalid, next], 1)
    const left = await names()
    expect(left).not.toContain(invalid)
    expect(left).not.toContain(next)
  })
})
