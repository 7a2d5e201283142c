import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseRow } from '../src/catalog/dialect.js'
import { makeMarker, type Marker } from '../src/catalog/marker.js'
import { isPidAlive, isZombie } from '../src/runfile/liveness.js'
import { quoteIdent, quoteLiteral } from '../src/catalog/names.js'
import { sweep } from '../src/cleanup/sweep.js'
import { sweepCandidates, type SweepPolicy } from '../src/cleanup/sweep-rules.js'
import { databasesWithPrefix, dbUrl, dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'
import { lacks } from '../../../test-support/skips.mjs'

const HOUR = 3_600_000
const NOW = Date.parse('2030-01-01T12:00:00Z')
const HOST = 'this-host'
const DEAD = 111
const ALIVE = 222

function row(name: string, marker: Partial<Marker> | string | null, isTemplate = false): DatabaseRow {
  const comment = marker === null ? null : typeof marker === 'string' ? marker : JSON.stringify({
    tool: 'workerdb', v: 1, kind: 'clone', run: 'r-' + name, host: HOST, pid: DEAD, createdAt: new Date(NOW - HOUR).toISOString(), ...marker,
  })
  return { name, isTemplate, comment }
}

function policy(over: Partial<SweepPolicy> = {}): SweepPolicy {
  return {
    now: NOW,
    ttlMs: 24 * HOUR,
    host: HOST,
    keepRuns: new Set(),
    // Same host: alive iff the pid is ALIVE; other hosts cannot be asked.
    isAlive: (m) => (m.host !== HOST ? 'unknown' : m.pid === ALIVE),
    busy: new Set(),
    project: 'app',
    ...over,
  }
}

const names = (rows: DatabaseRow[], p = policy()) => sweepCandidates(rows, p).map((c) => c.name)

describe('sweepCandidates (pure)', () => {
  describe('clones on this host', () => {
    it('a clone whose process is gone is a candidate, and the reason says so', () => {
      const c = sweepCandidates([row('wdb_a_1', { pid: DEAD, run: 'deadrun' })], policy())
      expect(c.map((x) => x.name)).toEqual(['wdb_a_1'])
      expect(c[0].reason).toContain('deadrun')
      expect(c[0].reason).toContain(String(DEAD))
    })

    it('a clone whose process is alive is not, however old', () => {
      expect(names([row('wdb_a_1', { pid: ALIVE, createdAt: new Date(NOW - 1000 * HOUR).toISOString() })])).toEqual([])
    })

    it('a dead run\'s clone goes even when it is young or has sessions (the run is known dead)', () => {
      expect(names([row('wdb_a_1', { pid: DEAD, createdAt: new Date(NOW).toISOString() })], policy({ busy: new Set(['wdb_a_1']) }))).toEqual(['wdb_a_1'])
    })
  })

  describe('clones on another host (liveness unknown)', () => {
    const other = (age: number) => ({ host: 'elsewhere', pid: ALIVE, createdAt: new Date(NOW - age).toISOString() })

    it('younger than the TTL: kept', () => {
      expect(names([row('wdb_b_1', other(23 * HOUR))])).toEqual([])
    })

    it('older than the TTL and not busy: a candidate, with its age in the reason', () => {
      const c = sweepCandidates([row('wdb_b_1', other(30 * HOUR))], policy())
      expect(c.map((x) => x.name)).toEqual(['wdb_b_1'])
      expect(c[0].reason).toContain('elsewhere')
      expect(c[0].reason).toContain('30 h')
    })

    it('another project\'s, older than the TTL: kept — its own project sweeps it by age, any run once it is known dead', () => {
      expect(names([row('wdb_b_1', { ...other(30 * HOUR), project: 'shop' })])).toEqual([])
      expect(names([row('wdb_b_1', { ...other(30 * HOUR), project: 'app' })])).toEqual(['wdb_b_1'])
      expect(names([row('wdb_b_1', { pid: DEAD, project: 'shop' })])).toEqual(['wdb_b_1'])
    })

    it('older than the TTL but busy (open sessions): kept', () => {
      expect(names([row('wdb_b_1', other(30 * HOUR))], policy({ busy: new Set(['wdb_b_1']) }))).toEqual([])
    })

    it('honours the configured TTL', () => {
      expect(names([row('wdb_b_1', other(2 * HOUR))], policy({ ttlMs: HOUR }))).toEqual(['wdb_b_1'])
      expect(names([row('wdb_b_1', other(2 * HOUR))], policy({ ttlMs: 3 * HOUR }))).toEqual([])
    })

    it('a marker with an unreadable date is never old enough', () => {
      expect(names([row('wdb_b_1', { ...other(0), createdAt: 'yesterday-ish' })])).toEqual([])
    })
  })

  describe('never a candidate', () => {
    it('templates, dead or old, ready or building', () => {
      const rows = [
        row('wdb_tpl_1', { kind: 'template', state: 'ready', pid: DEAD }, true),
        row('wdb_tpl_2', { kind: 'template', state: 'building', pid: DEAD }),
        row('wdb_tpl_3', { kind: 'template', state: 'ready', host: 'elsewhere', createdAt: new Date(NOW - 1000 * HOUR).toISOString() }, true),
      ]
      expect(names(rows)).toEqual([])
    })

    it('databases without a marker (a look-alike name made by someone else)', () => {
      expect(names([row('wdb_lookalike_1', null)])).toEqual([])
    })

    it('databases whose comment is not our marker', () => {
      const rows = [
        row('wdb_x_1', 'just a human comment'),
        row('wdb_x_2', JSON.stringify({ tool: 'other-tool', v: 1, kind: 'clone', run: 'r', host: HOST, pid: DEAD, createdAt: new Date(0).toISOString() })),
        row('wdb_x_3', JSON.stringify({ tool: 'workerdb', kind: 'clone', run: 'r', host: HOST, pid: DEAD })), // fields missing
        row('wdb_x_4', JSON.stringify({ tool: 'workerdb', v: 1, kind: 'spare-ish', run: 'r', host: HOST, pid: DEAD, createdAt: new Date(0).toISOString() })),
        row('wdb_x_5', '["workerdb"]'),
        row('wdb_x_6', 'null'),
      ]
      expect(names(rows)).toEqual([])
    })

    it('clones of runs in keepRuns (this run), even when their process looks dead', () => {
      const rows = [row('wdb_k_1', { run: 'mine', pid: DEAD }), row('wdb_k_2', { run: 'theirs', pid: DEAD })]
      expect(names(rows, policy({ keepRuns: new Set(['mine']) }))).toEqual(['wdb_k_2'])
    })
  })

  it('sorts a mixed list correctly in one pass', () => {
    const rows = [
      row('wdb_1', { pid: DEAD }),
      row('wdb_2', { pid: ALIVE }),
      row('wdb_3', { host: 'elsewhere', createdAt: new Date(NOW - 48 * HOUR).toISOString() }),
      row('wdb_4', { host: 'elsewhere', createdAt: new Date(NOW - 1 * HOUR).toISOString() }),
      row('wdb_5', null),
      row('wdb_6', { kind: 'template', state: 'ready', pid: DEAD }, true),
    ]
    expect(names(rows)).toEqual(['wdb_1', 'wdb_3'])
  })
})

describe('isPidAlive', () => {
  it('is true for this process, false for an exited one, unknown for another host', () => {
    const pid = deadPid()
    expect(isPidAlive(makeMarker({ kind: 'clone', run: 'r' }))).toBe(true)
    expect(isPidAlive(makeMarker({ kind: 'clone', run: 'r', pid }))).toBe(false)
    expect(isPidAlive(makeMarker({ kind: 'clone', run: 'r', host: 'not-' + hostname() }))).toBe('unknown')
  })
})

describe('isPidAlive: zombies', () => {
  it.skipIf(lacks('linux', import.meta.url))('is false for a process that exited but was not reaped yet', async () => {
    // A child that exits while nobody waits for it: Node reaps it only on the next turn of the event loop.
    const { spawn } = await import('node:child_process')
    const { readFileSync } = await import('node:fs')
    const child = spawn('sh', ['-c', 'exec sleep 0'], { stdio: 'ignore' })
    const pid = child.pid!
    const zombie = () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        return stat[stat.lastIndexOf(')') + 2] === 'Z'
      } catch {
        return false
      }
    }
    // Busy-wait without yielding, so Node cannot reap it (SIGCHLD is handled on the event loop).
    const until = Date.now() + 5000
    while (!zombie() && Date.now() < until) { /* spin */ }
    expect(zombie()).toBe(true)
    expect(isZombie(pid)).toBe(true)
    expect(isPidAlive(makeMarker({ kind: 'clone', run: 'r', pid }))).toBe(false)
    expect(isZombie(process.pid)).toBe(false)
    await new Promise((r) => child.once('exit', r))
  })
})

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  expect(child.status).toBe(0)
  return child.pid!
}

describe('sweep() against a real server', () => {
  const prefix = uniquePrefix('swp')
  const db = {
    dead: `${prefix}_deadrun1_1`,
    deadTemplate: `${prefix}_tpl_deadrun1`,
    lookalike: `${prefix}_lookalike_1`,
    foreign: `${prefix}_foreign_1`,
    live: `${prefix}_liverun1_1`,
    oldOther: `${prefix}_oldother_1`,
    oldOtherBusy: `${prefix}_oldbusy_1`,
  }
  const markers: Record<string, Marker | string | null> = {}
  let holder: pg.Client | undefined

  beforeAll(async () => {
    const pid = deadPid()
    const old = new Date(Date.now() - 48 * HOUR).toISOString()
    markers[db.dead] = makeMarker({ kind: 'clone', run: 'deadrun1', pid })
    markers[db.deadTemplate] = makeMarker({ kind: 'template', state: 'ready', run: 'deadrun1', pid })
    markers[db.lookalike] = null
    markers[db.foreign] = JSON.stringify({ tool: 'someone-else', kind: 'clone', run: 'x', pid, host: hostname(), createdAt: old })
    markers[db.live] = makeMarker({ kind: 'clone', run: 'liverun1' })
    markers[db.oldOther] = makeMarker({ kind: 'clone', run: 'oldother', host: 'ci-runner-that-is-gone', createdAt: old })
    markers[db.oldOtherBusy] = makeMarker({ kind: 'clone', run: 'oldbusy', host: 'ci-runner-that-is-gone', createdAt: old })
    await withClient(testUrl(), async (c) => {
      for (const [name, m] of Object.entries(markers)) {
        await c.query(`create database ${quoteIdent(name)}`)
        if (m !== null) await c.query(`comment on database ${quoteIdent(name)} is ${quoteLiteral(typeof m === 'string' ? m : JSON.stringify(m))}`)
      }
    })
    // An open session: someone is still using this old clone.
    holder = new pg.Client({ connectionString: dbUrl(db.oldOtherBusy) })
    holder.on('error', () => {})
    await holder.connect()
  })

  afterAll(async () => {
    await holder?.end().catch(() => {})
    await dropPrefix(prefix)
    expect(await databasesWithPrefix(prefix)).toEqual([])
  })

  const present = async () => new Set((await databasesWithPrefix(prefix)).map((r) => r.name))

  it('a dry run reports the dead run\'s clone and the old idle one, and drops nothing', async () => {
    const found = await sweep(testUrl(), { prefix, project: 'app', dryRun: true })
    expect(found.map((c) => c.name).sort()).toEqual([db.dead, db.oldOther].sort())
    expect((await present()).size).toBe(Object.keys(db).length)
  })

  it('keepRuns protects a run', async () => {
    const found = await sweep(testUrl(), { prefix, project: 'app', dryRun: true, keepRuns: ['deadrun1'] })
    expect(found.map((c) => c.name)).toEqual([db.oldOther])
  })

  it('a generous TTL keeps clones of other hosts', async () => {
    const found = await sweep(testUrl(), { prefix, project: 'app', dryRun: true, ttlMs: 72 * HOUR })
    expect(found.map((c) => c.name)).toEqual([db.dead])
  })

  it('drops only the dead run\'s clone and the old idle clone; the look-alike, the foreign, the live, the busy and the template stay', async () => {
    const dropped = await sweep(testUrl(), { prefix, project: 'app' })
    expect(dropped.map((c) => c.name).sort()).toEqual([db.dead, db.oldOther].sort())
    const left = await present()
    expect(left.has(db.dead)).toBe(false)
    expect(left.has(db.oldOther)).toBe(false)
    expect([...left].sort()).toEqual([db.deadTemplate, db.lookalike, db.foreign, db.live, db.oldOtherBusy].sort())
  })

  it('the busy clone\'s session was left alone', async () => {
    const { rows } = await holder!.query('select current_database() as db')
    expect(rows[0].db).toBe(db.oldOtherBusy)
  })

  it('never looks outside its prefix', async () => {
    const other = uniquePrefix('swq')
    const name = `${other}_deadrun2_1`
    await withClient(testUrl(), async (c) => {
      await c.query(`create database ${quoteIdent(name)}`)
      await c.query(`comment on database ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'clone', run: 'deadrun2', pid: deadPid() })))}`)
    })
    try {
      expect(await sweep(testUrl(), { prefix, project: 'app' })).toEqual([])
      expect((await databasesWithPrefix(other)).map((r) => r.name)).toEqual([name])
    } finally {
      await dropPrefix(other)
    }
  })
})
