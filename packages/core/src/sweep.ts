/**
 * The sweep: a crash (kill -9, Ctrl-C, Jest's bail) leaves clones behind, so each run drops what dead runs
 * left. Only databases with our prefix AND our marker are candidates, and a database some live run may
 * still be using is never dropped.
 */
import { hostname } from 'node:os'
import { dropAll } from './clones.js'
import { connect, listDatabases, type DatabaseRow } from './db.js'
import { isMarkerAlive, parseMarker, type Marker } from './marker.js'

export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000

export interface SweepCandidate {
  name: string
  reason: string
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
    } else if (alive === 'unknown' && age > p.ttlMs && !p.busy.has(row.name)) {
      out.push({ name: row.name, reason: `clone of run ${m.run} on ${m.host}, older than the TTL (${Math.round(age / 3_600_000)} h)` })
    }
  }
  return out
}

export interface SweepOptions {
  prefix: string
  ttlMs?: number
  keepRuns?: string[]
  dryRun?: boolean
}

export async function sweep(adminUrl: string, o: SweepOptions): Promise<SweepCandidate[]> {
  const admin = await connect(adminUrl)
  try {
    const rows = await listDatabases(admin, o.prefix)
    const { rows: busyRows } = await admin.query(
      'select distinct datname from pg_stat_activity where starts_with(datname, $1) and pid <> pg_backend_pid()', [`${o.prefix}_`])
    const candidates = sweepCandidates(rows, {
      now: Date.now(),
      ttlMs: o.ttlMs ?? DEFAULT_TTL_MS,
      host: hostname(),
      keepRuns: new Set(o.keepRuns ?? []),
      isAlive: (m) => isMarkerAlive(m),
      busy: new Set(busyRows.map((r) => r.datname as string)),
    })
    if (!o.dryRun) await dropAll(adminUrl, candidates.map((c) => c.name), 2, admin)
    return candidates
  } finally {
    await admin.end().catch(() => {})
  }
}
