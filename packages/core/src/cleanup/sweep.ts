/**
 * The sweep: a crash (kill -9, Ctrl-C, Jest's bail) leaves clones behind, so each run drops what dead runs
 * left, as the rules (sweep-rules.ts) allow. It also keeps the template cache bounded (the templates of the
 * last K hashes per prefix); a template goes only under its build lock, taken without waiting.
 */
import { hostname } from 'node:os'
import { dropAll } from '../engine/clones.js'
import { listRoles } from '../catalog/postgres/db.js'
import type { AdminSession } from '../catalog/dialect.js'
import { dialectFor } from '../catalog/dialects.js'
import { templateLock, withLockIfFree } from '../catalog/locks.js'
import { parseMarker } from '../catalog/marker.js'
import { pgClientOf } from '../catalog/postgres/index.js'
import { dropRoles, roleSessions } from '../catalog/postgres/roles.js'
import type { CreatingEntry } from '../runfile/manifest.js'
import { ownerAlive } from '../runfile/liveness.js'
import {
  DEFAULT_KEEP_TEMPLATES, DEFAULT_TTL_MS, orphanSpares, roleCandidates, sweepCandidates, templateCandidates, templateHashes,
  unmarkedLookalikes, unmarkedOrphans, type SweepCandidate,
} from './sweep-rules.js'

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
  const dialect = dialectFor(adminUrl)
  const admin = await dialect.connect(adminUrl)
  try {
    // Never the database named in the URL (list leaves it out): it is the user's, whatever its name or comment says.
    const rows = await admin.list(opts.prefix)
    const busy = new Set((await admin.sessions(opts.prefix)).keys())
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
      opts.warn(`${unmarked.join(', ')} look${unmarked.length === 1 ? 's' : ''} like workerdb's but carr${unmarked.length === 1 ? 'ies' : 'y'} no marker, so workerdb leaves ${unmarked.length === 1 ? 'it' : 'them'} alone; if a killed run left ${unmarked.length === 1 ? 'it' : 'them'}, drop ${unmarked.length === 1 ? 'it' : 'them'} by hand (${dialect.dropByHand('…')})`)
    }
    const pg = pgClientOf(admin)
    const roleRows = pg ? await listRoles(pg, opts.prefix) : []
    const roles = async (left: ReadonlySet<string>) => {
      if (!roleRows.length || !pg) return []
      const sessions = await roleSessions(pg, opts.prefix)
      return roleCandidates(roleRows, {
        now: Date.now(), ttlMs: opts.ttlMs ?? DEFAULT_TTL_MS, host: hostname(), keepRuns: new Set(opts.keepRuns ?? []), isAlive: (m) => ownerAlive(m),
        busy: new Set(sessions.keys()), project: opts.project, prefix: opts.prefix, clones: left,
      })
    }
    if (opts.dryRun) {
      const gone = new Set(clones.map((c) => c.name))
      return [...clones, ...templates, ...orphanSpares(rows, templateHashes(rows, templates), (m) => ownerAlive(m)), ...await roles(new Set(rows.map((r) => r.name).filter((n) => !gone.has(n))))]
    }
    await dropAll(adminUrl, clones.map((c) => c.name), 2, admin)
    const dropped: SweepCandidate[] = [...clones]
    const comments = new Map(rows.map((r) => [r.name, r.comment]))
    for (const t of templates) if (await dropTemplateIfFree(admin, t, comments.get(t.name) ?? null, opts.prefix)) dropped.push(t)
    const spares = orphanSpares(rows.filter((r) => !busy.has(r.name)), templateHashes(rows, dropped), (m) => ownerAlive(m))
    // IF EXISTS: a run may have claimed (renamed) one meanwhile, and then it is no longer a spare.
    await dropAll(adminUrl, spares.map((c) => c.name), 2, admin)
    dropped.push(...spares)
    // Roles after the databases, against what is on the server now: a role goes only once its clone has.
    if (roleRows.length && pg) {
      const left = new Set((await admin.list(opts.prefix)).map((r) => r.name))
      const candidates = await roles(left)
      const { dropped: gone, failed } = await dropRoles(pg, candidates.map((c) => c.name))
      dropped.push(...candidates.filter((c) => gone.includes(c.name)))
      if (failed.length && opts.warn) opts.warn(`could not drop ${failed.length === 1 ? 'a per-worker role' : 'per-worker roles'} of dead runs (retried next time): ${failed.join('; ')}`)
    }
    return dropped
  } finally {
    await admin.close()
  }
}

/** Drops a template only while holding its build lock (taken without waiting) and if its marker still says what it said. */
async function dropTemplateIfFree(admin: AdminSession, t: SweepCandidate, comment: string | null, prefix: string): Promise<boolean> {
  const dropped = await withLockIfFree(admin, templateLock(t.hash!), async () => {
    // Under the lock nobody builds or clones it; re-read, since a build may have finished meanwhile.
    const now = (await admin.list(prefix)).find((r) => r.name === t.name)
    if (!now || now.comment !== comment || parseMarker(now.comment)?.kind !== 'template') return false
    return admin.dropTemplateIfIdle(t.name)
  })
  return dropped ?? false
}
