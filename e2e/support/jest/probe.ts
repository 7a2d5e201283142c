// The test file of every Jest scenario, copied as <name>.test.ts (e2e/support/jest/fixture.ts), or with its
// types stripped as <name>.test.js for the scenarios that run without a transform. It logs what it saw as
// JSON lines to E2E_RESULTS: `loaded` when its module is imported (workerdb's setup file ran before, so a
// worker without a clone never gets here), `connected`, and `done` with everything it checked: that
// current_database() is the clone the manifest assigns to JEST_WORKER_ID, that it held the database alone
// (pg_try_advisory_lock(4242) is per database), and how many worker processes Jest had forked. Its
// parameters (the scenario's prefix, how long to hold the lock, per file if `hold` says so) are in the
// scenario's probe.json.
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import pg from 'pg'
import { getWorkerDatabase, type WorkerDatabase } from '@workerdb/jest'

interface Clone { slot: number; database: string }

const FILE = basename(__filename).replace(/\.test\.[jt]s$/, '')
let dir = __dirname
while (!existsSync(join(dir, 'probe.json')) && dirname(dir) !== dir) dir = dirname(dir)
const params = JSON.parse(readFileSync(join(dir, 'probe.json'), 'utf8'))
const PREFIX = params.prefix
const HOLD_MS = params.hold?.[FILE] ?? params.holdMs
const log = (line: Record<string, unknown>) => appendFileSync(process.env.E2E_RESULTS!, JSON.stringify({ file: FILE, pid: process.pid, ...line }) + '\n')

/** Live processes that share this one's parent: the worker processes Jest forked (meaningless in band). */
function siblings(): number {
  let n = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync('/proc/' + entry + '/stat', 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(ppid) === process.ppid && state !== 'Z') n++
    } catch {}
  }
  return n
}

log({ event: 'loaded', workerId: process.env.JEST_WORKER_ID })

test(FILE, async () => {
  const workerId = process.env.JEST_WORKER_ID
  const wdb: WorkerDatabase = getWorkerDatabase()
  const manifest = JSON.parse(readFileSync(process.env.WORKERDB_MANIFEST!, 'utf8'))
  const assigned = manifest.clones.find((c: Clone) => c.slot === Number(workerId))
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    log({ event: 'connected', workerId })
    const start = Date.now()
    const { rows: [{ db }] } = await client.query('select current_database() as db')
    const { rows: [{ locked }] } = await client.query('select pg_try_advisory_lock(4242) as locked')
    await new Promise((r) => setTimeout(r, HOLD_MS))
    const { rows: [seed] } = await client.query('select built_at, txid::text from e2e_seed where id = 1')
    if (locked) await client.query('select pg_advisory_unlock(4242)')
    const end = Date.now()
    log({
      event: 'done', workerId, database: db, start, end, locked, ppid: process.ppid, siblings: siblings(),
      wdbDatabase: wdb.database, wdbWorkerId: wdb.workerId, runId: wdb.runId,
      assigned: assigned ? assigned.database : null, clones: manifest.clones.length, plan: manifest.plan,
      template: manifest.template, seed, manifest: process.env.WORKERDB_MANIFEST,
    })
    expect(db).toBe(assigned && assigned.database)
    expect(db).toBe(wdb.database)
    expect(db.startsWith(PREFIX + '_')).toBe(true)
    expect(db.endsWith('_' + workerId)).toBe(true)
    expect(locked).toBe(true)
  } finally {
    await client.end()
  }
})
