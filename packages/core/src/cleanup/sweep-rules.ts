/**
 * The sweep's rules, pure: given the databases and roles a server lists, which of them may be dropped, and
 * why. Only what has our prefix AND our marker is a candidate (a look-alike name made by someone else is
 * safe); what a live run may still use is never one; another project's leftovers go only when their run is
 * known dead, never by age.
 */
import type { RoleRow } from '../catalog/postgres/db.js'
import type { DatabaseRow } from '../catalog/dialect.js'
import { parseMarker, type Marker } from '../catalog/marker.js'
import { parseName, parseRoleName } from '../catalog/names.js'
import type { CreatingEntry } from '../runfile/manifest.js'
import { connectionParts, withDatabase } from '../url.js'

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
 * for the hash of a template that exists: drop them. `templates` are the hashes still on the server. So
 * are spares still marked 'building' (a kind that marks a spare as it creates it) whose maker is known dead.
 */
export function orphanSpares(rows: DatabaseRow[], templates: ReadonlySet<string>, isAlive: (m: Marker) => boolean | 'unknown' = () => 'unknown'): SweepCandidate[] {
  const out: SweepCandidate[] = []
  for (const row of rows) {
    const m = parseMarker(row.comment)
    if (m?.kind !== 'spare' || !m.hash) continue
    if (!templates.has(m.hash)) {
      out.push({ name: row.name, kind: 'spare', reason: `spare of template ${m.hash.slice(0, 10)}, which is gone` })
    } else if (m.state === 'building' && isAlive(m) === false) {
      out.push({ name: row.name, kind: 'spare', reason: `unfinished spare of run ${m.run}, whose process ${m.pid} on this host is gone` })
    }
  }
  return out
}

/** Hashes of the templates among `rows`, but for those in `gone`. */
export function templateHashes(rows: DatabaseRow[], gone: SweepCandidate[]): Set<string> {
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
  const named = new Set(orphans.filter((c) => c.database.startsWith(`${opts.prefix}_`) && onServer(c, opts.adminUrl)).map((c) => c.database))
  return rows
    .filter((r) => named.has(r.name) && !parseMarker(r.comment) && !opts.busy.has(r.name))
    .map((r) => ({ name: r.name, reason: 'clone whose run died while creating it, before its marker (named in that run\'s manifest)' }))
}

/**
 * Whether a dead run's manifest is this sweep's to remove: only when every database it names has this
 * prefix and sits on this server, since what it was creating is the only proof that lets a sweep drop a
 * database without a marker, and only a sweep of that prefix on that server can act on it. Another
 * project's (another prefix, another server) waits for that project's next run; one that names none is
 * anyone's.
 */
export function manifestInScope(named: readonly { database: string; url?: string }[], scope: { adminUrl: string; prefix: string }): boolean {
  return named.every((n) => n.database.startsWith(`${scope.prefix}_`) && (n.url === undefined || onServer({ database: n.database, url: n.url }, scope.adminUrl)))
}

/** `entry` is on the server `adminUrl` names: the same host and port, or for SQLite (no server) the same directory. */
function onServer(entry: CreatingEntry, adminUrl: string): boolean {
  if (/^(file|sqlite):/i.test(adminUrl)) return withDatabase(adminUrl, entry.database) === entry.url
  const here = serverOf(adminUrl)
  return here !== undefined && serverOf(entry.url) === here
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
