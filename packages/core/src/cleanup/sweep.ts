/**
 * The sweep: a crash (kill -9, Ctrl-C, Jest's bail) leaves clones behind, so each run drops what dead runs
 * left. Only databases with our prefix AND our marker are candidates, and a database some live run may
 * still be using is never dropped. It also keeps the template cache bounded (the templates of the last K
 * hashes per prefix), and removes the manifest files of dead runs from the temp dir.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { dropAll } from '../engine/clones.js'
import { connect, listDatabases, listRoles, type Client, type DatabaseRow, type RoleRow } from '../catalog/db.js'
import { templateLock, withLockIfFree } from '../catalog/locks.js'
import { parseName, parseRoleName, quoteIdent } from '../catalog/names.js'
import { dropRoles } from '../engine/roles.js'
import { manifestDir, removeManifest, type CreatingEntry, type Manifest } from '../runfile/manifest.js'
import { isMarkerAlive, parseMarker, processStartedAt, type Marker } from '../catalog/marker.js'
import { connectionParts } from '../url.js'

export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000
/** Templates of this many hashes per prefix are kept (the newest), so switching branches back and forth stays warm. */
export const DEFAULT_KEEP_TEMPLATES = 3

export interface SweepCandidate {
  name: string
  reason: string
  /** Templates are dropped only under their build lock, taken without waiting. Roles go after their clones. */
  kind?: 'clone' | 'template' | 'spare' | 'role'
  hash?: string
}

export interface SweepPolicy {
  now: number
  ttlMs: number
  host: string
  /** Runs not to touch (this run). */
  keepRuns: ReadonlySet<string>
  isAlive: (m: Marker) => boolean | 'unknown'
  /** Databases with open sessions: dropped only when their run is known dead. */
  busy: ReadonlySet<string>
  /** This run's project: another project's clones go only when their process is known dead, never by age. */
  project: string
}

/** Markers without a project predate projects: every project may treat them as its own. */
export function sameProject(m: Marker, project: string): boolean {
  return m.project === undefined || m.project === project
}

/** Pure: which of these databases may be dropped, and why. */
export function sweepCandidates(rows: DatabaseRow[], p: SweepPolicy): SweepCandidate[] {
  const out: SweepCandidate[] = []
  for (const row of rows) {
    const m = parseMarker(row.comment)
    if (!m || p.keepRuns.has(m.run)) continue
    // Templates are the cache that makes warm runs fast. An unfinished one is removed by the next build of
    // its hash, under the template lock; dropping it here could race with that very rebuild.
    if (m.kind !== 'clone') continue
    const alive = p.isAlive(m)
    const age = p.now - Date.parse(m.createdAt)
    if (alive === false) {
      out.push({ name: row.name, reason: `clone of run ${m.run}, whose process ${m.pid} on this host is gone` })
    } else if (alive === 'unknown' && age > p.ttlMs && !p.busy.has(row.name) && sameProject(m, p.project)) {
      out.push({ name: row.name, reason: `clone of run ${m.run} on ${m.host}, older than the TTL (${Math.round(age / 3_600_000)} h)` })
    }
  }
  return out
}

/**
 * Pure: which per-worker roles may be dropped, and why. A role is a candidate only if its name parses as a
 * role of one of this prefix's clones, it carries our role marker, it is no superuser, and its clone is no
 * longer on the server (`clones`: the databases left after this sweep's drops) — then by the same rule
 * as a clone: its run's process is known dead, or it cannot be asked and the role is older than the TTL,
 * without sessions (`busy` holds role names here), of this project. A role whose clone is still there
 * waits for it: its run's teardown, or a later sweep of that clone, drops both.
 */
export function roleCandidates(rows: RoleRow[], p: SweepPolicy & { prefix: string; clones: ReadonlySet<string> }): SweepCandidate[] {
  const out: SweepCandidate[] = []
  for (const row of rows) {
    const parsed = parseRoleName(p.prefix, row.name)
    const m = parseMarker(row.comment)
    if (!parsed || m?.kind !== 'role' || row.superuser || p.keepRuns.has(m.run) || p.clones.has(parsed.clone)) continue
    const alive = p.isAlive(m)
    const age = p.now - Date.parse(m.createdAt)
    if (alive === false) {
      out.push({ name: row.name, kind: 'role', reason: `role of clone ${parsed.clone} (gone) of run ${m.run}, whose process ${m.pid} on this host is gone` })
    } else if (alive === 'unknown' && age > p.ttlMs && !p.busy.has(row.name) && sameProject(m, p.project)) {
      out.push({ name: row.name, kind: 'role', reason: `role of clone ${parsed.clone} (gone) of run ${m.run} on ${m.host}, older than the TTL (${Math.round(age / 3_600_000)} h)` })
    }
  }
  return out
}

/**
 * Pure: which templates may go. A template is the cache that makes warm runs fast, so the newest
 * `keep` hashes of this project (by build time) stay, and so do `keepHashes` (this run's); another
 * project's ready templates are its own to evict, never this run's. Older ready ones, and builds that
 * never finished, are candidates — dropped only if their build lock can be taken at once (a build in
 * progress, or a run cloning one, holds it), and only without sessions.
 */
export function templateCandidates(rows: DatabaseRow[], p: { keep: number; keepHashes: ReadonlySet<string>; busy: ReadonlySet<string>; project: string }): SweepCandidate[] {
  const ready: Array<{ row: DatabaseRow; m: Marker }> = []
  const out: SweepCandidate[] = []
  for (const row of rows) {
    const m = parseMarker(row.comment)
    if (m?.kind !== 'template' || !m.hash || p.keepHashes.has(m.hash) || p.busy.has(row.name)) continue
    if (m.state === 'ready' && row.isTemplate) {
      if (sameProject(m, p.project)) ready.push({ row, m })
    }
    else out.push({ name: row.name, kind: 'template', hash: m.hash, reason: `unfinished template build of run ${m.run} (hash ${m.hash.slice(0, 10)})` })
  }
  const time = (m: Marker) => Date.parse(m.createdAt) || 0
  ready.sort((a, b) => time(b.m) - time(a.m) || (a.row.name < b.row.name ? -1 : 1))
  // keepHashes were taken out above but still count towards the newest `keep`.
  const kept = Math.max(0, p.keep - rows.filter((r) => { const m = parseMarker(r.comment); return m?.kind === 'template' && m.hash && p.keepHashes.has(m.hash) && sameProject(m, p.project) }).length)
  for (const { row, m } of ready.slice(kept)) {
    out.push({ name: row.name, kind: 'template', hash: m.hash, reason: `template ${m.hash!.slice(0, 10)} of ${m.createdAt}, older than the newest ${p.keep} kept for prefix reuse` })
  }
  return out
}

/**
 * Pure: spares whose template is gone (swept, or never finished) can never be claimed, since claims look
 * for the hash of a template that exists: drop them. `templates` are the hashes still on the server.
 */
export function orphanSpares(rows: DatabaseRow[], templates: ReadonlySet<string>): SweepCandidate[] {
  const out: SweepCandidate[] = []
  for (const row of rows) {
    const m = parseMarker(row.comment)
    if (m?.kind === 'spare' && m.hash && !templates.has(m.hash)) {
      out.push({ name: row.name, kind: 'spare', reason: `spare of template ${m.hash.slice(0, 10)}, which is gone` })
    }
  }
  return out
}

/** Hashes of the templates among `rows`, but for those in `gone`. */
function templateHashes(rows: DatabaseRow[], gone: SweepCandidate[]): Set<string> {
  const names = new Set(gone.map((g) => g.name))
  const hashes = new Set<string>()
  for (const r of rows) {
    const m = parseMarker(r.comment)
    if (m?.kind === 'template' && m.hash && !names.has(r.name)) hashes.add(m.hash)
  }
  return hashes
}

/**
 * Pure: marker-less databases that a dead run was creating when it died. CREATE DATABASE and the marker
 * are two statements, and a fast copy (a RAM disk, a small template) can finish on the server after its
 * client was killed: the run's manifest, written before the copy began, then is the proof that the
 * database is ours. Only an exact name on the same server, unmarked and without sessions, qualifies.
 */
export function unmarkedOrphans(rows: DatabaseRow[], orphans: readonly CreatingEntry[], opts: { adminUrl: string; prefix: string; busy: ReadonlySet<string> }): SweepCandidate[] {
  const here = serverOf(opts.adminUrl)
  const named = new Set(orphans.filter((c) => c.database.startsWith(`${opts.prefix}_`) && serverOf(c.url) === here).map((c) => c.database))
  return rows
    .filter((r) => named.has(r.name) && !parseMarker(r.comment) && !opts.busy.has(r.name))
    .map((r) => ({ name: r.name, reason: 'clone whose run died while creating it, before its marker (named in that run\'s manifest)' }))
}

function serverOf(url: string): string | undefined {
  try {
    const p = connectionParts(url)
    return `${p.host}:${p.port}`
  } catch {
    return undefined
  }
}

/** Marker-less databases named exactly like ours: never dropped, but worth a word (a run killed in the instant between CREATE DATABASE and its marker). */
export function unmarkedLookalikes(rows: DatabaseRow[], prefix: string): string[] {
  return rows.filter((r) => !parseMarker(r.comment) && parseName(prefix, r.name)).map((r) => r.name)
}

/**
 * Liveness for the sweep: a marker's process is alive only if its pid runs AND started before the
 * marker was written (a later process with a reused pid is not the owner). Where that cannot be checked
 * (no /proc), an alive pid counts as unknown, so the TTL applies to clones without sessions.
 */
export function ownerAlive(m: Marker, host = hostname()): boolean | 'unknown' {
  if (m.detached) return 'unknown'
  const alive = isMarkerAlive(m, host)
  if (alive !== true) return alive
  const started = processStartedAt(m.pid)
  if (started === undefined) return 'unknown'
  // /proc gives the boot time in whole seconds: allow for that.
  return started <= Date.parse(m.createdAt) + 5000
}

export interface SweepOptions {
  prefix: string
  /** The project sweeping: see Marker.project. */
  project: string
  ttlMs?: number
  keepRuns?: string[]
  /** Template hashes never to drop (this run's). */
  keepHashes?: string[]
  /** How many template hashes per prefix to keep, newest first. Default 3. */
  keepTemplates?: number
  dryRun?: boolean
  /** Told about marker-less databases that look like ours (dropped only when a dead run's manifest names them). */
  warn?: (line: string) => void
  /** What dead runs' manifests say they were creating when they died (deadManifests). */
  orphans?: CreatingEntry[]
}

export async function sweep(adminUrl: string, opts: SweepOptions): Promise<SweepCandidate[]> {
  const admin = await connect(adminUrl)
  try {
    const { rows: [{ db }] } = await admin.query('select current_database() as db')
    // The database named in the URL is the user's, whatever its name or comment says.
    const rows = (await listDatabases(admin, opts.prefix)).filter((r) => r.name !== db)
    const { rows: busyRows } = await admin.query(
      'select distinct datname from pg_stat_activity where starts_with(datname, $1) and pid <> pg_backend_pid()', [`${opts.prefix}_`])
    const busy = new Set(busyRows.map((r) => r.datname as string))
    const clones = sweepCandidates(rows, {
      now: Date.now(),
      ttlMs: opts.ttlMs ?? DEFAULT_TTL_MS,
      host: hostname(),
      keepRuns: new Set(opts.keepRuns ?? []),
      isAlive: (m) => ownerAlive(m),
      busy,
      project: opts.project,
    }).map((c) => ({ ...c, kind: 'clone' as const }))
    clones.push(...unmarkedOrphans(rows, opts.orphans ?? [], { adminUrl, prefix: opts.prefix, busy }).map((c) => ({ ...c, kind: 'clone' as const })))
    const templates = templateCandidates(rows, { keep: opts.keepTemplates ?? DEFAULT_KEEP_TEMPLATES, keepHashes: new Set(opts.keepHashes ?? []), busy, project: opts.project })
    const orphaned = new Set(clones.map((c) => c.name))
    const unmarked = unmarkedLookalikes(rows, opts.prefix).filter((n) => !orphaned.has(n))
    if (unmarked.length && opts.warn) {
      opts.warn(`${unmarked.join(', ')} look${unmarked.length === 1 ? 's' : ''} like workerdb's but carr${unmarked.length === 1 ? 'ies' : 'y'} no marker, so workerdb leaves ${unmarked.length === 1 ? 'it' : 'them'} alone; if a killed run left ${unmarked.length === 1 ? 'it' : 'them'}, drop ${unmarked.length === 1 ? 'it' : 'them'} by hand (DROP DATABASE … WITH (FORCE))`)
    }
    const roleRows = await listRoles(admin, opts.prefix)
    const roles = async (left: ReadonlySet<string>) => {
      if (!roleRows.length) return []
      const { rows: sessions } = await admin.query(
        'select distinct usename from pg_stat_activity where starts_with(usename, $1) and pid <> pg_backend_pid()', [`${opts.prefix}_`])
      return roleCandidates(roleRows, {
        now: Date.now(), ttlMs: opts.ttlMs ?? DEFAULT_TTL_MS, host: hostname(), keepRuns: new Set(opts.keepRuns ?? []), isAlive: (m) => ownerAlive(m),
        busy: new Set(sessions.map((r) => r.usename as string)), project: opts.project, prefix: opts.prefix, clones: left,
      })
    }
    if (opts.dryRun) {
      const gone = new Set(clones.map((c) => c.name))
      return [...clones, ...templates, ...orphanSpares(rows, templateHashes(rows, templates)), ...await roles(new Set(rows.map((r) => r.name).filter((n) => !gone.has(n))))]
    }
    await dropAll(adminUrl, clones.map((c) => c.name), 2, admin)
    const dropped: SweepCandidate[] = [...clones]
    const comments = new Map(rows.map((r) => [r.name, r.comment]))
    for (const t of templates) if (await dropTemplateIfFree(admin, t, comments.get(t.name) ?? null, opts.prefix)) dropped.push(t)
    const spares = orphanSpares(rows.filter((r) => !busy.has(r.name)), templateHashes(rows, dropped))
    // IF EXISTS: a run may have claimed (renamed) one meanwhile, and then it is no longer a spare.
    await dropAll(adminUrl, spares.map((c) => c.name), 2, admin)
    dropped.push(...spares)
    // Roles after the databases, against what is on the server now: a role goes only once its clone has.
    if (roleRows.length) {
      const left = new Set((await listDatabases(admin, opts.prefix)).map((r) => r.name))
      const candidates = await roles(left)
      const { dropped: gone, failed } = await dropRoles(admin, candidates.map((c) => c.name))
      dropped.push(...candidates.filter((c) => gone.includes(c.name)))
      if (failed.length && opts.warn) opts.warn(`could not drop ${failed.length === 1 ? 'a per-worker role' : 'per-worker roles'} of dead runs (retried next time): ${failed.join('; ')}`)
    }
    return dropped
  } finally {
    await admin.end().catch(() => {})
  }
}

/** Drops a template only while holding its build lock (taken without waiting) and if its marker still says what it said. */
async function dropTemplateIfFree(admin: Client, t: SweepCandidate, comment: string | null, prefix: string): Promise<boolean> {
  const dropped = await withLockIfFree(admin, templateLock(t.hash!), async () => {
    // Under the lock nobody builds or clones it; re-read, since a build may have finished meanwhile.
    const now = (await listDatabases(admin, prefix)).find((r) => r.name === t.name)
    if (!now || now.comment !== comment || parseMarker(now.comment)?.kind !== 'template') return false
    const { rows: [{ n }] } = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [t.name])
    if (n > 0) return false
    await admin.query(`alter database ${quoteIdent(t.name)} with is_template false`)
    try {
      await admin.query(`drop database if exists ${quoteIdent(t.name)}`)
    } catch {
      // Someone started using it after all (a watch-mode run growing without the lock): leave it as it was.
      await admin.query(`alter database ${quoteIdent(t.name)} with is_template true`).catch(() => {})
      return false
    }
    return true
  })
  return dropped ?? false
}

export interface DeadManifest {
  file: string
  /** The databases the run was creating when it died (see unmarkedOrphans). */
  creating: CreatingEntry[]
}

/**
 * Manifest files (os.tmpdir()/workerdb/<run>.json) of runs that died: a run that is killed, or that Jest 29
 * ends without globalTeardown, never removes its own. Dead when their run's process is gone, or (for
 * `workerdb provision` runs and older manifests without an owner) when older than the TTL.
 */
export function deadManifests(opts: { ttlMs?: number; now?: number; dir?: string; keepRuns?: string[] } = {}): DeadManifest[] {
  const dir = opts.dir ?? manifestDir()
  const now = opts.now ?? Date.now()
  const ttl = opts.ttlMs ?? DEFAULT_TTL_MS
  const dead: DeadManifest[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return dead
  }
  for (const name of names) {
    const file = join(dir, name)
    const run = /^([0-9a-z]{8})\.json(?:\.(\d+)\.tmp)?$/.exec(name)
    if (!run || opts.keepRuns?.includes(run[1]!)) continue
    try {
      const age = now - statSync(file).mtimeMs
      if (run[2]) {
        // A write that never got renamed into place: its writer's pid is in the name.
        if (isMarkerAlive({ pid: Number(run[2]), host: hostname() } as Marker) === false || age > ttl) dead.push({ file, creating: [] })
      } else {
        const m = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>
        const owner = typeof m.pid === 'number' && typeof m.host === 'string' && !m.detached
          ? ownerAlive({ pid: m.pid, host: m.host, createdAt: m.createdAt ?? new Date(0).toISOString() } as Marker)
          : 'unknown'
        if (owner === false || (owner === 'unknown' && age > ttl)) dead.push({ file, creating: Array.isArray(m.creating) ? m.creating : [] })
      }
    } catch {
      // Unreadable or half-written: leave it to its owner, or to a later sweep.
    }
  }
  return dead
}

/** Removes the manifests of dead runs (after the sweep that needed what they list); returns their paths. */
export function removeManifests(dead: readonly DeadManifest[]): string[] {
  for (const d of dead) removeManifest(d.file)
  return dead.map((d) => d.file)
}
