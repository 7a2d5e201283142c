/**
 * Ownership markers. Every database workerdb creates carries one as JSON, where its kind keeps such things
 * (PostgreSQL: `COMMENT ON DATABASE`; MariaDB: the database's comment; SQLite: a file beside the database),
 * and so does every per-worker role; only databases and roles with our prefix AND a valid marker are ever
 * dropped, so a look-alike name made by someone else is safe.
 */
import { hostname } from 'node:os'
import { ownStartTicks } from '../runfile/liveness.js'
import { roleName } from './names.js'

export const TOOL = 'workerdb'
export const MARKER_VERSION = 1

export const MARKER_KINDS = ['template', 'clone', 'spare', 'role'] as const
export type MarkerKind = typeof MARKER_KINDS[number]

export interface Marker {
  tool: typeof TOOL
  v: number
  /**
   * A spare is a fresh copy of a template, made for the next run to take as a clone (engine/spares.ts). A role
   * is a clone's per-worker role (roles.ts), which lives and dies with that clone.
   */
  kind: MarkerKind
  /**
   * For templates: 'building' until sealed, then 'ready'; a building template is never reused. For a spare
   * marked as it is created (MySQL/MariaDB): 'building' until whole, never taken meanwhile.
   */
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
  /** The writing process's start time (Linux clock ticks after boot): tells it from a later process that reused its pid. */
  startTicks?: number
  /**
   * A clone's per-worker users where users carry no mark of their own (MySQL/MariaDB): written before they
   * are made, and dropped before the clone (catalog/mysql/roles.ts).
   */
  roles?: string[]
}

export function makeMarker(fields: Pick<Marker, 'kind' | 'run'> & Partial<Marker>): Marker {
  return {
    tool: TOOL,
    v: MARKER_VERSION,
    host: hostname(),
    pid: process.pid,
    createdAt: new Date().toISOString(),
    ...(ownStartTicks() !== undefined ? { startTicks: ownStartTicks() } : {}),
    ...fields,
  }
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

/**
 * Pure: the per-worker users the marker `comment` of clone `clone` lists (Marker.roles), with their keys:
 * only names of that very clone's roles (`<clone>_role_<key>`, names.ts), never another name it may hold.
 */
export function rolesInMarker(clone: string, comment: string | null | undefined): Array<{ name: string; key: string }> {
  const m = parseMarker(comment)
  if (m?.kind !== 'clone' || !Array.isArray(m.roles)) return []
  const infix = `${clone}_role_`
  return m.roles.flatMap((name) => {
    if (typeof name !== 'string' || !name.startsWith(infix)) return []
    const key = name.slice(infix.length)
    try {
      return roleName(clone, key) === name ? [{ name, key }] : []
    } catch {
      return [] // not a key `roles` could have
    }
  })
}
