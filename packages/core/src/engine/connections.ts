/** Will a run's workers find enough connections, and how many copies may run at once? */
import { availableParallelism } from 'node:os'
import { cloneConcurrency } from './clones.js'
import type { ServerFacts } from '../catalog/dialect.js'
import { plural } from '../log.js'
import type { ServerHandle } from '../server/types.js'
import { connectionParts } from '../url.js'

/** Connections a worker is assumed to hold at once (a test's client, or a small pool): the basis of the warning. */
export const CONNECTIONS_PER_WORKER = 2

export interface ConnectionFacts {
  maxConnections: number
  reserved: number
  inUse: number
  workers: number
  perWorker: number
}

/**
 * Pure: will this run's workers find enough connections? Warned before anything starts, because the
 * failure comes late and far from its cause ("sorry, too many clients already" in some test). Counts
 * what is left for ordinary roles: max_connections minus the superuser reserve minus what is in use now.
 */
export function connectionWarning(facts: ConnectionFacts): string | undefined {
  const free = facts.maxConnections - facts.reserved - facts.inUse
  const needed = facts.workers * facts.perWorker
  if (needed <= free) return undefined
  return `the server allows ${facts.maxConnections} connections (${facts.reserved} reserved for superusers, ${facts.inUse} in use now, so ${Math.max(0, free)} free) ` +
    `and this run has ${plural(facts.workers, 'worker')} needing about ${facts.perWorker} each; tests may fail with "sorry, too many clients already". ` +
    'Raise max_connections, lower maxWorkers, or keep each worker\'s pool small.'
}

/** Pure: the connection facts of this server for `workers`; undefined where the kind has no session limit (SQLite). */
export function connectionFacts(facts: ServerFacts, workers: number): ConnectionFacts | undefined {
  const c = facts.connections
  return c && { maxConnections: c.max, reserved: c.reserved, inUse: c.inUse, workers, perWorker: CONNECTIONS_PER_WORKER }
}

/** How many copies run at once. Cores bound them only where the server shares them: a remote server's are unknown. */
export function cloneLanes(facts: ConnectionFacts | undefined, server: ServerHandle): number {
  return cloneConcurrency(isLocalServer(server) ? availableParallelism() : 8, facts)
}

function isLocalServer(server: ServerHandle): boolean {
  if (server.kind === 'embedded') return true
  try {
    return ['localhost', '127.0.0.1', '::1', '[::1]', ''].includes(connectionParts(server.adminUrl).host)
  } catch {
    return false
  }
}
