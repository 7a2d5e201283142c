/**
 * Ownership markers. Every database workerdb creates carries a JSON comment; only databases with our
 * prefix AND a valid marker are ever dropped, so a look-alike name made by someone else is safe.
 */
import { hostname } from 'node:os'

export const TOOL = 'workerdb'
export const MARKER_VERSION = 1

export interface Marker {
  tool: typeof TOOL
  v: number
  kind: 'template' | 'clone'
  /** For templates: 'building' until sealed, then 'ready'. A building template is never reused. */
  state?: 'building' | 'ready'
  run: string
  host: string
  pid: number
  createdAt: string
  hash?: string
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

export function parseMarker(comment: string | null | undefined): Marker | null {
  if (!comment) return null
  try {
    const m = JSON.parse(comment) as Partial<Marker>
    if (m && m.tool === TOOL && typeof m.v === 'number' && (m.kind === 'template' || m.kind === 'clone') &&
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
    return true
  } catch (err) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
