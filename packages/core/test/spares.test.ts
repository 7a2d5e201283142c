/**
 * Spare clones (`spares`) on PostgreSQL: made while a run's tests run, taken by the next run with a rename
 * (MySQL/MariaDB's: mysql-dialect.suite.ts and dialect-engine.test.ts). Against a real server: the next run's clones come from spares, are fresh template copies marked as its own, two runs
 * never take the same spare, and the sweep drops spares whose template is gone but keeps the others.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ResolvedConfig } from '../src/config/options.js'
import { resolveConfig } from '../src/config/resolve.js'
import { makeMarker, parseMarker } from '../src/catalog/marker.js'
import { manifestDir, manifestPathFor, type Manifest } from '../src/runfile/manifest.js'
import { newRunId, quoteIdent, quoteLiteral } from '../src/catalog/names.js'
import { provision, type Provisioned } from '../src/engine/provision.js'
import { spareName } from '../src/catalog/names.js'
import { sparesOf } from '../src/engine/spares.js'
import { sweep } from '../src/cleanup/sweep.js'
import { orphanSpares } from '../src/cleanup/sweep-rules.js'
import { alive, databasesWithPrefix, dbUrl, dropPrefix, eventually, testUrl, uniquePrefix, withClient } from './helpers.js'

const HASH = 'ab'.repeat(32)

describe('spare names and selection (pure)', () => {
  const row = (name: string, m: object | null) => ({ name, comment: m ? JSON.stringify(m) : null, isTemplate: false, allowConnections: true })
  const spare = (createdAt: string, hash = HASH) => makeMarker({ kind: 'spare', run: 'r0000001', hash, createdAt })

  it('a spare name carries the prefix and the template hash, and fits PostgreSQL\'s 63 bytes', () => {
    const name = spareName('abcdefghijkl', HASH)
    expect(name).toMatch(/^abcdefghijkl_sp_abababab[0-9a-f]{2}_[0-9a-z]{8}$/)
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63)
    expect(spareName('wdb', HASH)).not.toBe(spareName('wdb', HASH))
  })

  it('takes only marked spares of this prefix and hash, oldest first', () => {
    const rows = [
      row('wdb_sp_abababab ab_x', spare('2026-01-01T00:00:00Z')),
      row(`wdb_sp_${HASH.slice(0, 10)}_newer000`, spare('2026-01-03T00:00:00Z')),
      row(`wdb_sp_${HASH.slice(0, 10)}_older000`, spare('2026-01-02T00:00:00Z')),
      row(`wdb_sp_${HASH.slice(0, 10)}_unmarked`, null),
      row(`wdb_sp_${HASH.slice(0, 10)}_otherhsh`, spare('2026-01-01T00:00:00Z', 'cd'.repeat(32))),
      row(`wdb_sp_${HASH.slice(0, 10)}_isaclone`, makeMarker({ kind: 'clone', run: 'r0000001' })),
      row(`shop_sp_${HASH.slice(0, 10)}_otherpfx`, spare('2026-01-01T00:00:00Z')),
      // Marked as it is created (MySQL/MariaDB), and not whole yet.
      row(`wdb_sp_${HASH.slice(0, 10)}_building`, { ...spare('2026-01-01T00:00:00Z'), state: 'building' }),
    ]
    expect(sparesOf(rows, 'wdb', HASH)).toEqual([`wdb_sp_${HASH.slice(0, 10)}_older000`, `wdb_sp_${HASH.slice(0, 10)}_newer000`])
  })

  it('the sweep\'s orphans are spares whose template hash is not on the server', () => {
    const rows = [row('wdb_sp_a', spare('2026-01-01T00:00:00Z')), row('wdb_sp_b', spare('2026-01-01T00:00:00Z', 'cd'.repeat(32))), row('wdb_x_1', makeMarker({ kind: 'clone', run: 'x' }))]
    expect(orphanSpares(rows, new Set([HASH])).map((c) => c.name)).toEqual(['wdb_sp_b'])
  })

  it('and so are spares still building whose maker is known dead, never one whose maker may be alive', () => {
    const building = (run: string) => ({ ...spare('2026-01-01T00:00:00Z'), run, state: 'building' })
    const rows = [row('wdb_sp_dead', building('deadrun1')), row('wdb_sp_live', building('liverun1')), row('wdb_sp_unknown', building('elsewher')), row('wdb_sp_whole', spare('2026-01-01T00:00:00Z'))]
    const isAlive = (m: { run: string }) => (m.run === 'deadrun1' ? false : m.run === 'liverun1' ? true : 'unknown' as const)
    expect(orphanSpares(rows, new Set([HASH]), isAlive)).toEqual([
      { name: 'wdb_sp_dead', kind: 'spare', reason: expect.stringContaining('unfinished spare of run deadrun1') },
    ])
  })
})

describe('spares on a real server', () => {
  const PREFIX = uniquePrefix('spr')
  const root = mkdtempSync(join(tmpdir(), 'workerdb-spares-test-'))
  const runs: Provisioned[] = []
  const saved = { url: process.env.WORKERDB_URL, summary: process.env.WORKERDB_SUMMARY_FILE }
  let cfg: ResolvedConfig

  beforeAll(async () => {
    delete process.env.WORKERDB_URL
    delete process.env.WORKERDB_SUMMARY_FILE
    writeFileSync(join(root, '0001.sql'), "create table notes (id serial primary key, body text); insert into notes (body) values ('from the template');")
    cfg = await resolveConfig({ server: { url: testUrl() }, migrate: { sql: '.' }, prefix: PREFIX, silent: true, spares: true }, root)
  })

  afterAll(async () => {
    for (const r of runs) await r.teardown().catch(() => {})
    await dropPrefix(PREFIX)
    rmSync(root, { recursive: true, force: true })
    if (saved.url !== undefined) process.env.WORKERDB_URL = saved.url
    if (saved.summary !== undefined) process.env.WORKERDB_SUMMARY_FILE = saved.summary
  })

  async function run(count: number, config = cfg): Promise<Provisioned> {
    const r = await provision({ config, plan: { count, reason: `test plan of ${count}` }, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID', detached: false })
    runs.push(r)
    return r
  }

  async function spares(): Promise<string[]> {
    return (await databasesWithPrefix(PREFIX)).filter((d) => parseMarker(d.comment)?.kind === 'spare').map((d) => d.name)
  }

  async function notes(url: string): Promise<string[]> {
    return withClient(url, async (c) => (await c.query('select body from notes order by id')).rows.map((r) => r.body))
  }

  it('a run makes spares while it runs; the next run renames them into its clones instead of copying', async () => {
    const first = await run(3)
    expect(first.summary.fromSpares).toBe(0)
    await first.teardown()
    expect(first.summary.sparesMade).toBe(3)
    expect(await spares()).toHaveLength(3)

    const second = await run(3)
    expect(second.summary.fromSpares).toBe(3)
    // Taken: renamed into this run's clone names, marked as this run's, fresh copies of the template.
    for (const clone of second.manifest.clones) {
      const row = (await databasesWithPrefix(PREFIX)).find((d) => d.name === clone.database)
      expect(parseMarker(row?.comment)).toMatchObject({ kind: 'clone', run: second.runId })
      expect(await notes(dbUrl(clone.database))).toEqual(['from the template'])
    }
    await second.teardown()
    // Its clones are dropped as usual (the marker says they are its own), and it left spares for the next.
    expect((await databasesWithPrefix(PREFIX)).filter((d) => d.name.includes(`_${second.runId}_`))).toEqual([])
    expect(await spares()).toHaveLength(3)
  })

  it('handing drops to the background, the run\'s end does not wait for spares: the background process makes what is missing', async () => {
    // A prefix of its own, so that no spare of another test is taken or counted.
    const prefix = uniquePrefix('spb')
    const config = await resolveConfig({ server: { url: testUrl() }, migrate: { sql: '.' }, prefix, silent: true, spares: 3 }, root)
    const sparesOfPrefix = async () => (await databasesWithPrefix(prefix)).filter((d) => parseMarker(d.comment)?.kind === 'spare')
    try {
      const r = await provision({ config, plan: { count: 2, reason: 'test plan of 2' }, framework: 'jest 30.5.2', workerIdVar: 'JEST_WORKER_ID', dropInBackground: true })
      // No tests: teardown comes at once, and stops the in-process maker instead of waiting for it.
      await r.teardown()
      const endedAt = Date.now()
      const madeDuringRun = r.summary.sparesMade ?? 0
      expect(madeDuringRun).toBeLessThan(3)
      const background = r.summary.dropperPid!
      expect(background).toBeGreaterThan(0)
      expect(await eventually(() => !alive(background))).toBe(true)
      const made = await sparesOfPrefix()
      expect(made).toHaveLength(3)
      // The ones the run did not make were made after its end, by the background process, under the run's id.
      const after = made.filter((d) => Date.parse(parseMarker(d.comment)!.createdAt) >= endedAt - 5)
      expect(after.length).toBe(3 - madeDuringRun)
      for (const d of made) expect(parseMarker(d.comment)).toMatchObject({ kind: 'spare', run: r.runId })
      // Its clones are gone, and it left no manifest of its own behind.
      expect((await databasesWithPrefix(prefix)).filter((d) => d.name.includes(`_${r.runId}_`))).toEqual([])
      expect(readdirSync(manifestDir()).filter((f) => readFileSync(join(manifestDir(), f), 'utf8').includes(`"pid":${background},`))).toEqual([])
    } finally {
      await dropPrefix(prefix)
    }
  })

  it('the manifest names every copy (clone or spare) while it is made, pending until the clones exist', async () => {
    // What a killed run leaves the next run's sweep: proof that an unmarked database is ours (sweep.ts).
    const seen: Array<{ pending?: boolean; creating?: string[] }> = []
    let watching = true
    const manifestPath = manifestPathFor(newRunId())
    const sample = () => {
      try {
        const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest
        const last = seen.at(-1)
        const now = { pending: m.pending, creating: m.creating?.map((c) => c.database) }
        if (JSON.stringify(last) !== JSON.stringify(now)) seen.push(now)
      } catch {
        // not written yet
      }
      if (watching) setImmediate(sample)
    }
    // A prefix of its own: no spares to take (so both clones are copied), and none left for the other tests.
    const prefix = uniquePrefix('spm')
    const config = await resolveConfig({ server: { url: testUrl() }, migrate: { sql: '.' }, prefix, silent: true, spares: 2 }, root)
    const runId = manifestPath.split('/').pop()!.replace('.json', '')
    let clones: string[] = []
    sample()
    try {
      const r = await provision({ config, plan: { count: 2, reason: 'test plan of 2' }, framework: 'vitest 4.1.12', workerIdVar: 'VITEST_POOL_ID', runId })
      await r.teardown()
      clones = r.manifest.clones.map((c) => c.database)
    } finally {
      watching = false
      await dropPrefix(prefix)
    }
    // Pending from its first write; every clone named before its copy starts (the two writes may come too
    // close together for the sampling to see the first alone).
    expect(seen[0]!.pending).toBe(true)
    expect(seen).toContainEqual({ pending: true, creating: clones })
    // After the clones: ready, and (spares are made during the tests) each spare named while it is copied.
    const ready = seen.findIndex((x) => !x.pending)
    expect(ready).toBeGreaterThan(0)
    const spareWrites = seen.slice(ready).filter((x) => x.creating).map((x) => x.creating!)
    expect(spareWrites.length).toBeGreaterThanOrEqual(1)
    for (const names of spareWrites) for (const n of names) expect(n).toMatch(new RegExp(`^${prefix}_sp_`))
    expect(seen.at(-1)).toEqual({ pending: undefined, creating: undefined })
  })

  it('more workers than spares: the spares are taken and the rest copied', async () => {
    const r = await run(5)
    expect(r.summary.fromSpares).toBe(3)
    expect(r.manifest.clones.map((c) => c.slot)).toEqual([1, 2, 3, 4, 5])
    for (const clone of r.manifest.clones) expect(await notes(dbUrl(clone.database))).toEqual(['from the template'])
    await r.teardown()
    expect(await spares()).toHaveLength(5)
  })

  it('two runs at once never take the same spare', async () => {
    const [a, b] = await Promise.all([run(3), run(3)])
    expect(a.summary.fromSpares! + b.summary.fromSpares!).toBe(5)
    const names = [...a.manifest.clones, ...b.manifest.clones].map((c) => c.database)
    expect(new Set(names).size).toBe(6)
    const onServer = new Set((await databasesWithPrefix(PREFIX)).map((d) => d.name))
    for (const n of names) expect(onServer.has(n)).toBe(true)
    await Promise.all([a.teardown(), b.teardown()])
  })

  it('a spare someone is connected to is skipped, and the next one fills that clone', async () => {
    // The oldest: the one a claim tries first.
    const rows = await databasesWithPrefix(PREFIX)
    const hash = rows.map((d) => parseMarker(d.comment)).find((m) => m?.kind === 'spare')!.hash!
    const [busy, ...rest] = sparesOf(rows, PREFIX, hash)
    expect(rest.length).toBeGreaterThan(0)
    await withClient(dbUrl(busy!), async () => {
      const r = await run(1)
      expect(r.summary.fromSpares).toBe(1)
      expect(await spares()).toContain(busy)
      await r.teardown()
    })
  })

  it('spares: false (the default) neither takes nor makes any', async () => {
    const before = (await spares()).sort()
    const off = await resolveConfig({ server: { url: testUrl() }, migrate: { sql: '.' }, prefix: PREFIX, silent: true }, root)
    const r = await run(2, off)
    expect(r.summary.fromSpares).toBe(0)
    await r.teardown()
    expect(r.summary.sparesMade).toBeUndefined()
    expect((await spares()).sort()).toEqual(before)
  })

  it('the sweep drops spares whose template is gone and keeps the rest', async () => {
    const kept = await spares()
    expect(kept.length).toBeGreaterThan(0)
    const orphan = `${PREFIX}_sp_${'cd'.repeat(5)}_orphan00`
    await withClient(testUrl(), async (c) => {
      await c.query(`create database ${quoteIdent(orphan)}`)
      await c.query(`comment on database ${quoteIdent(orphan)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'spare', run: 'gone0000', hash: 'cd'.repeat(32) })))}`)
    })
    const dropped = await sweep(testUrl(), { prefix: PREFIX, project: 'app' })
    expect(dropped.map((d) => d.name)).toEqual([orphan])
    expect((await spares()).sort()).toEqual([...kept].sort())
  })
})
