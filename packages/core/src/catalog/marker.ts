/**
 * Ownership markers. Every database workerdb creates carries a JSON comment (`COMMENT ON DATABASE`), and
 * so does every per-worker role (`COMMENT ON ROLE`); only databases and roles with our prefix AND a valid
 * marker are ever dropped, so a look-alike name made by someone else is safe.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Client } from './db.js'
import { quoteIdent, quoteLiteral } from './names.js'

export const TOOL = 'workerdb'
export const MARKER_VERSION = 1

export const MARKER_KINDS = ['template', 'clone', 'spare', 'role'] as const
export type MarkerKind = typeof MARKER_KINDS[number]

export interface Marker {
  tool: typeof TOOL
  v: number
  /**
   * A spare is a fresh copy of a template, made for the next run to rename into a clone (spares.ts). A role
   * is a clone's per-worker role (roles.ts), which lives and dies with that clone.
   */
  kind: MarkerKind
  /** For templates: 'building' until sealed, then 'ready'. A building template is never reused. */
  state?: 'building' | 'ready'
  run: string
  host: string
  pid: number
  createdAt: string
  hash?: string
  /**
   * The project whose run made it (config `project`, by default its package name): a run evicts only its
   * own project's templates, and sweeps another project's clones only when their process is known dead.
   * Absent in markers written before projects existed: those count as every project's.
   */
  project?: string
  /** No process owns it (`workerdb provision`): dropped by `workerdb teardown <run>`, or by the sweep after the TTL. */
  detached?: boolean
}

export function makeMarker(fields: Pick<Marker, 'kind' | 'run'> & Partial<Marker>): Marker {
  return {
    tool: TOOL,
    v: MARKER_VERSION,
    host: hostname(),
    pid: process.pid,
    createdAt: new Date().toISOString(),
    ...fields,
  }
}

/** Writes `marker` as the database's comment: the one way a marker reaches the server. */
export async function markDatabase(client: Client, name: string, marker: Marker): Promise<void> {
  await client.query(`comment on database ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
}

/** Writes `marker` as a per-worker role's comment (roles.ts): the same marker, on the role. */
export async function markRole(client: Client, name: string, marker: Marker): Promise<void> {
  await client.query(`comment on role ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
}

export function parseMarker(comment: string | null | undefined): Marker | null {
  if (!comment) return null
  try {
    const m = JSON.parse(comment) as Partial<Marker>
    if (m && m.tool === TOOL && typeof m.v === 'number' && MARKER_KINDS.includes(m.kind as MarkerKind) &&
        typeof m.run === 'string' && typeof m.host === 'string' && typeof m.pid === 'number' &&
        typeof m.createdAt === 'string') {
      return m as Marker
    }
  } catch {
    // Not JSON: not ours.
  }
  return null
}

/** Is the process that wrote this marker still running? Only answerable on the same host. */
export function isMarkerAlive(m: Marker, host = hostname()): boolean | 'unknown' {
  if (m.host !== host) return 'unknown'
  try {
    process.kill(m.pid, 0)
  } catch (err) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A killed runner whose parent died too is reparented to pid 1, and stays a zombie until pid 1 reaps it —
  // never, in a container whose pid 1 is not an init (npm, a shell): signal 0 still succeeds. Dead all the same.
  return !isZombie(m.pid)
}

/** Linux: the process has exited and only its exit status remains. Elsewhere: false (no /proc to ask). */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/**
 * Linux: when the process with this pid started (ms since the epoch), to tell a live owner from a later
 * process that got the same pid. Undefined elsewhere, or when /proc cannot be read. Precision ~1 s (the
 * boot time is given in whole seconds; 100 clock ticks per second, as on every Linux workerdb runs on).
 */
export function processStartedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19]) // field 22 of stat, counted from `state` (field 3)
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return undefined
    return btime * 1000 + (ticks / 100) * 1000
  } catch {
    return undefined
  }
}
