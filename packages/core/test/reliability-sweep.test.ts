/**
 * The sweep, beyond dead runs' clones: the template cache kept to the newest K hashes per prefix (and never
 * a template a build or a clone is using: its build lock decides), unfinished builds, owners whose pid was
 * reused, manifests of dead runs in the temp dir, and the safety rules — only prefix + marker, never the
 * database named in the URL, never an unmarked look-alike.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseRow } from '../src/catalog/dialect.js'
import { postgresDialect } from '../src/catalog/postgres/index.js'
import { createLogger } from '../src/log.js'
import { makeMarker, type Marker } from '../src/catalog/marker.js'
import { ownerAlive, ownStartTicks, processStartedAt } from '../src/runfile/liveness.js'
import { quoteIdent, quoteLiteral } from '../src/catalog/names.js'
import { deadManifests, removeManifests } from '../src/cleanup/dead-runs.js'
import { sweep } from '../src/cleanup/sweep.js'
import { manifestInScope, templateCandidates, unmarkedLookalikes, unmarkedOrphans } from '../src/cleanup/sweep-rules.js'
import { ensureTemplate, releaseTemplate } from '../src/engine/template.js'
import { templateLock } from '../src/catalog/locks.js'
import { lock } from '../src/catalog/postgres/locks.js'
import { databasesWithPrefix, dbUrl, dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'
import { lacks } from '../../../test-support/skips.mjs'

const HOUR = 3_600_000

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

const hashOf = (n: number) => n.toString(16).padStart(2, '0').repeat(32)
const iso = (agoMs: number) => new Date(Date.now() - agoMs).toISOString()

function tplRow(name: string, m: Partial<Marker>, isTemplate = true): DatabaseRow {
  return {
    name, isTemplate,
    comment: JSON.stringify({ tool: 'workerdb', v: 1, kind: 'template', state: 'ready', run: 'r', host: 'h', pid: 1, createdAt: iso(HOUR), ...m }),
  }
}

describe('templateCandidates (pure)', () => {
  const rows = [1, 2, 3, 4, 5].map((n) => tplRow(`wdb_tpl_${n}`, { hash: hashOf(n), createdAt: iso(n * HOUR) })) // 1 newest … 5 oldest
  const names = (c: { name: string }[]) => c.map((x) => x.name).sort()

  it('keeps the newest K hashes and offers the older ready ones, saying why', () => {
    const c = templateCandidates(rows, { keep: 3, keepHashes: new Set(), busy: new Set(), project: 'app' })
    expect(names(c)).toEqual(['wdb_tpl_4', 'wdb_tpl_5'])
    expect(c[0].reason).toMatch(/older than the newest 3/)
    expect(c.every((x) => x.kind === 'template' && x.hash)).toBe(true)
  })

  it('K is configurable', () => {
    expect(names(templateCandidates(rows, { keep: 1, keepHashes: new Set(), busy: new Set(), project: 'app' }))).toEqual(['wdb_tpl_2', 'wdb_tpl_3', 'wdb_tpl_4', 'wdb_tpl_5'])
    expect(templateCandidates(rows, { keep: 5, keepHashes: new Set(), busy: new Set(), project: 'app' })).toEqual([])
  })

  it('this run\'s hash is never offered, however old, and counts towards K', () => {
    const c = templateCandidates(rows, { keep: 3, keepHashes: new Set([hashOf(5)]), busy: new Set(), project: 'app' })
    expect(names(c)).toEqual(['wdb_tpl_3', 'wdb_tpl_4'])
  })

  it('a template with sessions is not offered', () => {
    expect(names(templateCandidates(rows, { keep: 3, keepHashes: new Set(), busy: new Set(['wdb_tpl_5']), project: 'app' }))).toEqual(['wdb_tpl_4'])
  })

  it('an unfinished build is offered whatever its age (the drop still needs its build lock), unless it is this run\'s hash', () => {
    const building = [tplRow('wdb_tpl_9', { hash: hashOf(9), state: 'building', createdAt: iso(0) }, false)]
    expect(templateCandidates(building, { keep: 3, keepHashes: new Set(), busy: new Set(), project: 'app' })[0]).toMatchObject({ name: 'wdb_tpl_9', reason: expect.stringMatching(/unfinished/) })
    expect(templateCandidates(building, { keep: 3, keepHashes: new Set([hashOf(9)]), busy: new Set(), project: 'app' })).toEqual([])
  })

  it('two projects on one server: a run evicts only its own project\'s old templates (and those from before projects)', () => {
    const mixed = [
      tplRow('wdb_tpl_a1', { hash: hashOf(11), createdAt: iso(1 * HOUR), project: 'billing' }),
      tplRow('wdb_tpl_b1', { hash: hashOf(12), createdAt: iso(2 * HOUR), project: 'shop' }),
      tplRow('wdb_tpl_b2', { hash: hashOf(13), createdAt: iso(3 * HOUR), project: 'shop' }),
      tplRow('wdb_tpl_a2', { hash: hashOf(14), createdAt: iso(4 * HOUR), project: 'billing' }),
      tplRow('wdb_tpl_old', { hash: hashOf(15), createdAt: iso(5 * HOUR) }),
    ]
    expect(names(templateCandidates(mixed, { keep: 1, keepHashes: new Set(), busy: new Set(), project: 'billing' }))).toEqual(['wdb_tpl_a2', 'wdb_tpl_old'])
    expect(names(templateCandidates(mixed, { keep: 1, keepHashes: new Set(), busy: new Set(), project: 'shop' }))).toEqual(['wdb_tpl_b2', 'wdb_tpl_old'])
    // Reusing another project's template (same hash) protects it, and does not use up this project's K.
    expect(names(templateCandidates(mixed, { keep: 1, keepHashes: new Set([hashOf(12)]), busy: new Set(), project: 'billing' }))).toEqual(['wdb_tpl_a2', 'wdb_tpl_old'])
  })

  it('never offers clones, unmarked databases, or templates without a hash', () => {
    const others: DatabaseRow[] = [
      { name: 'wdb_tpl_x', isTemplate: true, comment: null },
      { name: 'wdb_abcdefgh_1', isTemplate: false, comment: JSON.stringify(makeMarker({ kind: 'clone', run: 'abcdefgh' })) },
      tplRow('wdb_tpl_nohash', { createdAt: iso(100 * HOUR) }),
    ]
    expect(templateCandidates(others, { keep: 0, keepHashes: new Set(), busy: new Set(), project: 'app' })).toEqual([])
  })
})

describe('unmarkedOrphans (pure): what a run killed between CREATE DATABASE and its marker left', () => {
  const admin = 'postgresql://postgres:pw@db.example:5433/postgres'
  const at = (database: string, server = 'postgresql://postgres:pw@db.example:5433') => ({ database, url: `${server}/${database}` })
  const row = (name: string, comment: string | null = null): DatabaseRow => ({ name, isTemplate: false, comment })

  it('offers an unmarked database a dead run\'s manifest was creating, on this server, without sessions', () => {
    const rows = [row('wdb_dead0001_1'), row('wdb_dead0001_2'), row('wdb_sp_0123456789_abcdefgh')]
    const c = unmarkedOrphans(rows, [at('wdb_dead0001_1'), at('wdb_sp_0123456789_abcdefgh')], { adminUrl: admin, prefix: 'wdb', busy: new Set() })
    expect(c.map((x) => x.name)).toEqual(['wdb_dead0001_1', 'wdb_sp_0123456789_abcdefgh'])
    expect(c[0]!.reason).toMatch(/died while creating it, before its marker/)
  })

  it('never a marked one (the ordinary sweep decides), one with sessions, one on another server, or another prefix', () => {
    const marked = row('wdb_dead0001_1', JSON.stringify(makeMarker({ kind: 'clone', run: 'dead0001' })))
    const none = { adminUrl: admin, prefix: 'wdb', busy: new Set<string>() }
    expect(unmarkedOrphans([marked], [at('wdb_dead0001_1')], none)).toEqual([])
    expect(unmarkedOrphans([row('wdb_dead0001_1')], [at('wdb_dead0001_1')], { ...none, busy: new Set(['wdb_dead0001_1']) })).toEqual([])
    expect(unmarkedOrphans([row('wdb_dead0001_1')], [at('wdb_dead0001_1', 'postgresql://postgres@db.example:5432')], none)).toEqual([])
    expect(unmarkedOrphans([row('app_dead0001_1')], [at('app_dead0001_1')], none)).toEqual([])
    expect(unmarkedOrphans([row('wdb_dead0001_1')], [], none)).toEqual([])
  })

  it('on SQLite, the server is the directory: an orphan another directory\'s run was creating is not this one\'s', () => {
    const here = 'file:///work/app/.workerdb/'
    const sqliteAt = (database: string, dir: string) => ({ database, url: `file://${dir}/${database}.db` })
    const rows = [row('wdb_dead0001_1')]
    const opts = { adminUrl: here, prefix: 'wdb', busy: new Set<string>() }
    expect(unmarkedOrphans(rows, [sqliteAt('wdb_dead0001_1', '/work/app/.workerdb')], opts).map((x) => x.name)).toEqual(['wdb_dead0001_1'])
    expect(unmarkedOrphans(rows, [sqliteAt('wdb_dead0001_1', '/work/other/.workerdb')], opts)).toEqual([])
  })
})

describe('manifestInScope (pure): whose dead manifest a sweep may remove', () => {
  const scope = { adminUrl: 'postgresql://postgres:pw@db.example:5433/postgres', prefix: 'wdb' }
  const on = (database: string, server = 'postgresql://postgres:pw@db.example:5433') => ({ database, url: `${server}/${database}` })

  it('every database it names has the prefix and is on this server: this sweep\'s (the template names no URL)', () => {
    expect(manifestInScope([{ database: 'wdb_tpl_0123456789abcdef' }, on('wdb_run00001_1'), on('wdb_run00001_2')], scope)).toBe(true)
    // Another user, the same server: what matters is where the databases are.
    expect(manifestInScope([on('wdb_run00001_1', 'postgresql://other@db.example:5433')], scope)).toBe(true)
  })

  it('another prefix, or another server, for any of them: another project\'s, left for its own next run', () => {
    expect(manifestInScope([{ database: 'app_tpl_0123456789abcdef' }, on('app_run00001_1')], scope)).toBe(false)
    expect(manifestInScope([on('wdb_run00001_1'), on('wdb_run00001_2', 'postgresql://postgres@db.example:5432')], scope)).toBe(false)
    expect(manifestInScope([on('wdb_run00001_1', 'mysql://root@db.example:3306')], scope)).toBe(false)
    expect(manifestInScope([on('wdbx_run00001_1')], scope)).toBe(false)
  })

  it('a manifest that names no database proves nothing: anyone\'s', () => {
    expect(manifestInScope([], scope)).toBe(true)
  })
})

describe('unmarkedLookalikes (pure)', () => {
  it('names unmarked databases shaped exactly like our clones and templates, nothing else', () => {
    const row = (name: string, comment: string | null = null): DatabaseRow => ({ name, isTemplate: false, comment })
    const rows = [
      row('wdb_abcd1234_1'), row('wdb_abcd1234_forks_12'), row(`wdb_tpl_${'a'.repeat(16)}`),
      row('wdb_lookalike_1'), row('wdb_abcd1234_1_extra'), row('wdbx_abcd1234_1'),
      row('wdb_abcd1235_1', JSON.stringify(makeMarker({ kind: 'clone', run: 'abcd1235' }))),
    ]
    expect(unmarkedLookalikes(rows, 'wdb')).toEqual(['wdb_abcd1234_1', 'wdb_abcd1234_forks_12', `wdb_tpl_${'a'.repeat(16)}`])
  })
})

describe('ownerAlive: pid reuse', () => {
  it.skipIf(lacks('linux', import.meta.url))('reads a process start time from /proc', () => {
    const started = processStartedAt(process.pid)!
    expect(started).toBeLessThanOrEqual(Date.now())
    expect(Date.now() - started).toBeLessThan(24 * HOUR)
  })

  it.skipIf(lacks('linux', import.meta.url))('this process owns a marker it wrote: alive', () => {
    expect(ownerAlive(makeMarker({ kind: 'clone', run: 'r' }))).toBe(true)
  })

  it.skipIf(lacks('linux', import.meta.url))('without a recorded start time, a live pid that started after the marker was written is not its owner: dead', () => {
    expect(ownerAlive(makeMarker({ kind: 'clone', run: 'r', createdAt: iso(48 * HOUR), startTicks: undefined }))).toBe(false)
  })

  it.skipIf(lacks('linux', import.meta.url))('a pid reused within seconds of the marker (another start time than the one recorded) is not its owner: dead', () => {
    // The process at this pid started within the 5 s the wall clock cannot tell apart, but it is not the
    // one that wrote the marker: the start time recorded with the marker says so.
    const own = makeMarker({ kind: 'clone', run: 'r' })
    expect(own.startTicks).toBeGreaterThan(0)
    expect(ownerAlive({ ...own, startTicks: own.startTicks! + 1 })).toBe(false)
    expect(ownerAlive(own)).toBe(true)
  })

  it('a gone pid is dead, another host unknown, a detached (`workerdb provision`) clone unknown', () => {
    expect(ownerAlive(makeMarker({ kind: 'clone', run: 'r', pid: deadPid() }))).toBe(false)
    expect(ownerAlive(makeMarker({ kind: 'clone', run: 'r', host: `not-${hostname()}` }))).toBe('unknown')
    expect(ownerAlive(makeMarker({ kind: 'clone', run: 'r', detached: true }))).toBe('unknown')
  })
})

// ---------------------------------------------------------------------------------------------------

describe('sweep() against a real server', () => {
  const prefix = uniquePrefix('rsw')
  const t = (n: number) => `${prefix}_tpl_${hashOf(n).slice(0, 16)}`
  let holder: pg.Client | undefined

  async function create(name: string, marker: Marker | null, o: { template?: boolean } = {}) {
    await withClient(testUrl(), async (c) => {
      await c.query(`create database ${quoteIdent(name)}`)
      if (marker) await c.query(`comment on database ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
      if (o.template) await c.query(`alter database ${quoteIdent(name)} with is_template true allow_connections false`)
    })
  }
  const present = async () => (await databasesWithPrefix(prefix)).map((r) => r.name).sort()
  const dropPrefixed = (name: string) => withClient(testUrl(), async (c) => {
    await c.query(`alter database ${quoteIdent(name)} with is_template false`).catch(() => {})
    await c.query(`drop database if exists ${quoteIdent(name)}`)
  })
  const tpl = (n: number, ageH: number, state: 'ready' | 'building' = 'ready', pid = process.pid) =>
    makeMarker({ kind: 'template', state, run: `run${n}`, hash: hashOf(n), createdAt: iso(ageH * HOUR), pid })

  beforeAll(async () => {
    // Five ready templates, newest first 1…5; an unfinished build of a dead run (6).
    for (const n of [1, 2, 3, 4, 5]) await create(t(n), tpl(n, n), { template: true })
    await create(t(6), tpl(6, 0, 'building', deadPid()))
  })

  afterAll(async () => {
    await holder?.end().catch(() => {})
    await dropPrefix(prefix)
    expect(await databasesWithPrefix(prefix)).toEqual([])
  })

  it('another project\'s templates, however many and old, are not this project\'s to evict', async () => {
    const found = await sweep(testUrl(), { prefix, project: 'another-project', keepTemplates: 1, dryRun: true })
    // Markers from before projects (1…5 carry none) count as every project's; a project-marked one does not.
    await create(`${prefix}_tpl_other`, { ...tpl(7, 9), project: 'someone-else' }, { template: true })
    try {
      const again = await sweep(testUrl(), { prefix, project: 'another-project', keepTemplates: 1, dryRun: true })
      expect(again.map((c) => c.name).sort()).toEqual(found.map((c) => c.name).sort())
      expect(again.map((c) => c.name)).not.toContain(`${prefix}_tpl_other`)
      const own = await sweep(testUrl(), { prefix, project: 'someone-else', keepTemplates: 0, dryRun: true })
      expect(own.map((c) => c.name)).toContain(`${prefix}_tpl_other`)
    } finally {
      await dropPrefixed(`${prefix}_tpl_other`)
    }
  })

  it('a dry run names the two oldest templates and the unfinished build, drops nothing', async () => {
    const found = await sweep(testUrl(), { prefix, project: 'app', keepTemplates: 3, dryRun: true })
    expect(found.map((c) => c.name).sort()).toEqual([t(4), t(5), t(6)].sort())
    expect((await present()).length).toBe(6)
  })

  it('a template whose build lock is held (a build, or a run cloning it) is never dropped', async () => {
    // Another session holds the shared lock on template 5's key, as ensureTemplate's caller does while cloning;
    // and the exclusive lock on 6's, as a build in progress does.
    holder = new pg.Client({ connectionString: testUrl() })
    holder.on('error', () => {})
    await holder.connect()
    await lock(holder, templateLock(hashOf(5)), 'shared')
    await lock(holder, templateLock(hashOf(6)))
    const dropped = await sweep(testUrl(), { prefix, project: 'app', keepTemplates: 3 })
    expect(dropped.map((c) => c.name)).toEqual([t(4)])
    expect(await present()).toEqual([t(1), t(2), t(3), t(5), t(6)].sort())
  })

  it('once the locks are free, the old template and the dead build go; the newest 3 stay', async () => {
    await holder!.end()
    holder = undefined
    const dropped = await sweep(testUrl(), { prefix, project: 'app', keepTemplates: 3 })
    expect(dropped.map((c) => c.name).sort()).toEqual([t(5), t(6)].sort())
    expect(await present()).toEqual([t(1), t(2), t(3)].sort())
  })

  it('keepHashes protects this run\'s template however old, and it is one of the K kept', async () => {
    const sorted = async (o: { keepTemplates: number }) => (await sweep(testUrl(), { prefix, project: 'app', keepHashes: [hashOf(3)], dryRun: true, ...o })).map((c) => c.name).sort()
    expect(await sorted({ keepTemplates: 2 })).toEqual([t(2)])
    expect(await sorted({ keepTemplates: 1 })).toEqual([t(1), t(2)].sort())
  })

  it('a template ensureTemplate handed to a run (shared lock until its clones exist) survives a sweep that would drop it', async () => {
    const admin = await postgresDialect.connect(testUrl())
    try {
      const log = createLogger({ silent: true })
      const r = await ensureTemplate({ admin, dialect: postgresDialect, adminUrl: testUrl(), prefix, hash: hashOf(3), runId: 'run3', project: 'app', migrator: { describe: 'x', async hashInputs() { return [] }, async migrate() { throw new Error('must not build') } }, log, envFor: () => ({}), secrets: [] })
      expect(r).toMatchObject({ name: t(3), reused: true })
      expect((await sweep(testUrl(), { prefix, project: 'app', keepTemplates: 1 })).map((c) => c.name)).toEqual([t(2)])
      expect(await present()).toEqual([t(1), t(3)])
      await releaseTemplate(admin, hashOf(3))
      expect((await sweep(testUrl(), { prefix, project: 'app', keepTemplates: 1 })).map((c) => c.name)).toEqual([t(3)])
      expect(await present()).toEqual([t(1)])
    } finally {
      await admin.close()
    }
  })

  describe('clones', () => {
    const names = {
      reused: `${prefix}_reused01_1`,
      reusedBusy: `${prefix}_reused02_1`,
      mine: `${prefix}_mine0001_1`,
      detachedOld: `${prefix}_detach01_1`,
      detachedYoung: `${prefix}_detach02_1`,
      lookalikeClone: `${prefix}_abcd1234_1`,
      lookalikeTpl: `${prefix}_tpl_${'f'.repeat(16)}`,
      inUrl: `${prefix}_inurl001_1`,
    }
    let session: pg.Client | undefined

    beforeAll(async () => {
      // This process's pid, but markers from two days ago: a process that started later reused the pid.
      // Written by an earlier process at this pid: another start time, and long ago.
      const reused = { createdAt: iso(48 * HOUR), startTicks: ownStartTicks()! - 1 }
      await create(names.reused, makeMarker({ kind: 'clone', run: 'reused01', ...reused }))
      await create(names.reusedBusy, makeMarker({ kind: 'clone', run: 'reused02', ...reused }))
      await create(names.mine, makeMarker({ kind: 'clone', run: 'mine0001' }))
      await create(names.detachedOld, makeMarker({ kind: 'clone', run: 'detach01', detached: true, createdAt: iso(30 * HOUR) }))
      await create(names.detachedYoung, makeMarker({ kind: 'clone', run: 'detach02', detached: true }))
      await create(names.lookalikeClone, null)
      await create(names.lookalikeTpl, null)
      // Dead owner, valid marker — but it is the database the URL names: the user's.
      await create(names.inUrl, makeMarker({ kind: 'clone', run: 'inurl001', pid: deadPid() }))
      session = new pg.Client({ connectionString: dbUrl(names.reusedBusy) })
      session.on('error', () => {})
      await session.connect()
    })

    afterAll(async () => {
      await session?.end().catch(() => {})
    })

    it('drops clones whose pid was reused (even with sessions: the owner is known gone) and detached clones past the TTL; keeps the rest', async () => {
      const warnings: string[] = []
      const dropped = await sweep(dbUrl(names.inUrl), { prefix, project: 'app', keepTemplates: 100, warn: (l) => warnings.push(l) })
      expect(dropped.map((c) => c.name).sort()).toEqual([names.reused, names.reusedBusy, names.detachedOld].sort())
      const left = await present()
      for (const keep of [names.mine, names.detachedYoung, names.lookalikeClone, names.lookalikeTpl, names.inUrl]) expect(left).toContain(keep)
      // The unmarked look-alikes are named, never touched.
      expect(warnings.join('\n')).toContain(names.lookalikeClone)
      expect(warnings.join('\n')).toContain(names.lookalikeTpl)
      expect(warnings.join('\n')).toMatch(/no marker/)
    })

    it('the database named in the URL is never swept, even with a dead owner in its marker; from another URL it is', async () => {
      expect((await sweep(dbUrl(names.inUrl), { prefix, project: 'app', keepTemplates: 100, dryRun: true })).map((c) => c.name)).not.toContain(names.inUrl)
      expect((await sweep(testUrl(), { prefix, project: 'app', keepTemplates: 100, dryRun: true })).map((c) => c.name)).toContain(names.inUrl)
    })

    it('a look-alike a dead run\'s manifest was creating is dropped; the others stay, and are still named', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'workerdb-orphans-'))
      try {
        writeFileSync(join(dir, 'abcd1234.json'), JSON.stringify({ runId: 'abcd1234', pid: deadPid(), host: hostname(), createdAt: iso(0), creating: [{ database: names.lookalikeClone, url: dbUrl(names.lookalikeClone) }] }))
        const dead = deadManifests({ dir })
        expect(dead.map((d) => d.creating.map((c) => c.database))).toEqual([[names.lookalikeClone]])
        const warnings: string[] = []
        const dropped = await sweep(dbUrl(names.inUrl), { prefix, project: 'app', keepTemplates: 100, orphans: dead.flatMap((d) => d.creating), warn: (l) => warnings.push(l) })
        expect(dropped).toContainEqual(expect.objectContaining({ name: names.lookalikeClone, kind: 'clone', reason: expect.stringMatching(/before its marker/) }))
        expect(await present()).not.toContain(names.lookalikeClone)
        expect(await present()).toContain(names.lookalikeTpl)
        expect(warnings.join('\n')).not.toContain(names.lookalikeClone)
        expect(warnings.join('\n')).toContain(names.lookalikeTpl)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it('a short TTL takes the young detached clone too; look-alikes never', async () => {
      const dropped = await sweep(testUrl(), { prefix, project: 'app', keepTemplates: 100, ttlMs: 1 })
      expect(dropped.map((c) => c.name).sort()).toEqual([names.detachedYoung, names.inUrl].sort())
      expect(await present()).toEqual([t(1), names.lookalikeTpl, names.mine].sort())
    })
  })
})

// ---------------------------------------------------------------------------------------------------

describe('deadManifests, then removeManifests', () => {
  let dir: string
  const dead = deadPid()
  const write = (name: string, body: object | string, ageMs = 0) => {
    const file = join(dir, name)
    writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body))
    if (ageMs) utimesSync(file, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs))
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'workerdb-manifests-'))
    mkdirSync(dir, { recursive: true })
    const host = hostname()
    write('deadrun1.json', { runId: 'deadrun1', pid: dead, host, createdAt: iso(HOUR) })
    write('liverun1.json', { runId: 'liverun1', pid: process.pid, host, createdAt: iso(0) })
    write('reused01.json', { runId: 'reused01', pid: process.pid, host, createdAt: iso(48 * HOUR) })
    write('otherhst.json', { runId: 'otherhst', pid: dead, host: `not-${host}`, createdAt: iso(HOUR) })
    write('detach01.json', { runId: 'detach01', host, detached: true, createdAt: iso(30 * HOUR) }, 30 * HOUR)
    write('detach02.json', { runId: 'detach02', host, detached: true, createdAt: iso(0) })
    write('oldfmt01.json', { runId: 'oldfmt01' }, 30 * HOUR)
    write('oldfmt02.json', { runId: 'oldfmt02' })
    write(`halfdone.json.${dead}.tmp`, '{')
    write('keepme01.json', { runId: 'keepme01', pid: dead, host })
    write('notes.txt', 'not a manifest')
    write('NotARun.json', { pid: dead, host })
  })

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('removes the manifests of dead runs (gone or reused pid, half-written), and ownerless ones past the TTL; keeps the rest', () => {
    const removed = removeManifests(deadManifests({ dir, keepRuns: ['keepme01'] })).map((f) => f.slice(dir.length + 1)).sort()
    expect(removed).toEqual(['deadrun1.json', 'detach01.json', `halfdone.json.${dead}.tmp`, 'oldfmt01.json', 'reused01.json'].sort())
    expect(readdirSync(dir).sort()).toEqual(['NotARun.json', 'detach02.json', 'keepme01.json', 'liverun1.json', 'notes.txt', 'oldfmt02.json', 'otherhst.json'])
  })

  it('a missing directory is nothing to sweep', () => {
    expect(deadManifests({ dir: join(dir, 'nope') })).toEqual([])
  })

  it('with a scope, a dead run of another prefix or server keeps its manifest (what it was creating) for its own project', () => {
    const scoped = mkdtempSync(join(tmpdir(), 'workerdb-manifests-scope-'))
    try {
      const host = hostname()
      const server = 'postgresql://postgres@127.0.0.1:5432'
      const entry = (database: string, at = server) => ({ database, url: `${at}/${database}` })
      writeFileSync(join(scoped, 'ours0001.json'), JSON.stringify({ runId: 'ours0001', pid: dead, host, template: { name: 'wdb_tpl_0123456789abcdef' }, clones: [entry('wdb_ours0001_1')], creating: [entry('wdb_ours0001_2')] }))
      writeFileSync(join(scoped, 'prefx001.json'), JSON.stringify({ runId: 'prefx001', pid: dead, host, template: { name: 'app_tpl_0123456789abcdef' }, creating: [entry('app_prefx001_1')] }))
      writeFileSync(join(scoped, 'servr001.json'), JSON.stringify({ runId: 'servr001', pid: dead, host, creating: [entry('wdb_servr001_1', 'mysql://root@127.0.0.1:3306')] }))
      writeFileSync(join(scoped, 'empty001.json'), JSON.stringify({ runId: 'empty001', pid: dead, host }))
      const scope = { adminUrl: `${server}/postgres`, prefix: 'wdb' }
      const found = deadManifests({ dir: scoped, scope }).map((d) => d.file.slice(scoped.length + 1)).sort()
      expect(found).toEqual(['empty001.json', 'ours0001.json'])
      // Without a scope (every project's): all four.
      expect(deadManifests({ dir: scoped })).toHaveLength(4)
      // Past the TTL, another project's goes too: one that never runs again does not keep its files for good.
      const old = new Date(Date.now() - 2 * HOUR)
      utimesSync(join(scoped, 'prefx001.json'), old, old)
      expect(deadManifests({ dir: scoped, scope, ttlMs: HOUR }).map((d) => d.file.slice(scoped.length + 1)).sort()).toEqual(['empty001.json', 'ours0001.json', 'prefx001.json'])
    } finally {
      rmSync(scoped, { recursive: true, force: true })
    }
  })
})
