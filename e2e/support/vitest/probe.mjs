// The test file of every Vitest scenario, copied as <name>.test.mjs (e2e/support/vitest/fixture.ts). It logs
// what it saw as JSON lines to E2E_RESULTS: `loaded` when imported (workerdb's setup file ran before, so a
// worker without a clone never gets here), `connected`, and `done` with everything it checked: that
// current_database() is the clone the manifest assigns to VITEST_POOL_ID, and that it held the database
// alone (pg_try_advisory_lock(4242) is per database: a second file there at the same time gets false).
// Its parameters (the scenario's prefix, how long to hold the lock, per file if `hold` says so) are in the
// scenario's probe.json.
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { expect, inject, test } from 'vitest'
import { getWorkerDatabase } from '@workerdb/vitest'

const self = fileURLToPath(import.meta.url)
const FILE = basename(self).replace(/\.test\.mjs$/, '')
let dir = dirname(self)
while (!existsSync(join(dir, 'probe.json')) && dirname(dir) !== dir) dir = dirname(dir)
const params = JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8'))
const PREFIX = params.prefix
const HOLD_MS = params.hold?.[FILE] ?? params.holdMs
const log = (line) => appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: FILE, pid: process.pid, ...line }) + '\n')

log({ event: 'loaded', poolId: process.env.VITEST_POOL_ID })

test(FILE, async () => {
  const poolId = process.env.VITEST_POOL_ID
  const workerId = process.env.VITEST_WORKER_ID
  const wdb = getWorkerDatabase()
  const manifest = JSON.parse(readFileSync(process.env.WORKERDB_MANIFEST, 'utf8'))
  const assigned = manifest.clones.find((c) => c.slot === Number(poolId))
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    log({ event: 'connected', poolId })
    const start = Date.now()
    const { rows: [{ db, data_dir }] } = await client.query("select current_database() as db, current_setting('data_directory') as data_dir")
    const { rows: [{ locked }] } = await client.query('select pg_try_advisory_lock(4242) as locked')
    await new Promise((r) => setTimeout(r, HOLD_MS))
    const { rows: [seed] } = await client.query('select built_at, txid::text from e2e_seed where id = 1')
    if (locked) await client.query('select pg_advisory_unlock(4242)')
    const end = Date.now()
    // What the plugin provided (project.provide → inject): this run, and this slot's database.
    let provided
    try {
      const p = inject('workerdb')
      provided = p ? { runId: p.runId, count: p.plan.count, database: p.clones.find((c) => c.slot === Number(poolId))?.database ?? null } : null
    } catch (err) {
      provided = { error: String(err) }
    }
    log({
      event: 'done', poolId, workerId, database: db, start, end, locked,
      wdbDatabase: wdb.database, wdbWorkerId: wdb.workerId, runId: wdb.runId,
      assigned: assigned?.database ?? null, clones: manifest.clones.length, plan: manifest.plan,
      template: manifest.template, seed, dataDir: data_dir, manifest: process.env.WORKERDB_MANIFEST,
      project: process.env.E2E_PROJECT_NAME ?? null, provided,
    })
    expect(db).toBe(assigned?.database)
    expect(db).toBe(wdb.database)
    expect(db.startsWith(PREFIX + '_')).toBe(true)
    expect(db.endsWith('_' + poolId)).toBe(true)
    expect(locked).toBe(true)
  } finally {
    await client.end()
  }
})
