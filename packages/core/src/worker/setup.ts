/**
 * Mapping this worker to its clone: the framework's worker id picks the clone, whose URL (and parts, and
 * roles) go into the environment before any test module loads — or E_NO_CLONE, with the plan's numbers,
 * instead of "database does not exist" at the first query.
 */
import { envFor } from '../env.js'
import { WorkerDbError } from '../errors.js'
import { plural } from '../log.js'
import type { Manifest } from '../runfile/manifest.js'
import { connectionParts } from '../url.js'
import { readManifest, usableManifest } from './read-manifest.js'

export interface WorkerDatabase {
  url: string
  database: string
  host: string
  port: string
  user: string
  workerId: number
  runId: string
  /** The clone's per-worker roles by key (config `roles`): name, and the clone's URL as that role. Absent without `roles`. */
  roles?: Record<string, { name: string; url: string }>
}

const CURRENT_ENV = 'WORKERDB_CURRENT'

/** Pure: the clone for a worker id, or the E_NO_CLONE error that explains the mismatch. */
export function cloneFor(manifest: Manifest, rawId: string | undefined) {
  const id = Number(rawId)
  if (!rawId || !Number.isInteger(id) || id < 1) {
    throw new WorkerDbError('E_NO_CLONE', `this worker has no usable worker id (${manifest.workerIdVar}=${JSON.stringify(rawId)}), so it cannot be given a database`,
      `Run the tests through the test runner (${manifest.framework}) with workerdb's plugin/preset; if you do, report this with the lines above.`)
  }
  const clone = manifest.clones.find((c) => c.slot === id)
  if (!clone) {
    const n = manifest.clones.length
    throw new WorkerDbError('E_NO_CLONE',
      `worker ${id} has no database — this run planned ${plural(n, 'clone')} (${manifest.plan.reason}) but the pool started worker ${id}`,
      `Cap the pool at ${n} (e.g. maxWorkers: ${n}), or report this with the lines above: the plan should never be smaller than the pool.`)
  }
  return clone
}

/**
 * Maps this worker to its clone and exports it. Idempotent: setup files run once per test file.
 * `read`: a manifest the caller has read already (waitForManifest's); otherwise it is read here.
 */
export function setupWorker(env: NodeJS.ProcessEnv = process.env, read?: Manifest): WorkerDatabase {
  const manifest = read ? usableManifest(read) : readManifest(env)
  const clone = cloneFor(manifest, env[manifest.workerIdVar])
  Object.assign(env, envFor(manifest.env, clone.url, clone.roles))
  const parts = connectionParts(clone.url)
  const current: WorkerDatabase = {
    url: clone.url,
    database: clone.database,
    host: parts.host,
    port: parts.port,
    user: parts.user,
    workerId: clone.slot,
    runId: manifest.runId,
    ...(clone.roles ? { roles: clone.roles } : {}),
  }
  // Env, not module state: getWorkerDatabase() may be imported through another module instance (vm pools, CJS/ESM).
  env[CURRENT_ENV] = JSON.stringify(current)
  return current
}

/** This worker's database, for tests and app code. */
export function getWorkerDatabase(env: NodeJS.ProcessEnv = process.env): WorkerDatabase {
  const raw = env[CURRENT_ENV]
  if (!raw) {
    throw new WorkerDbError('E_NO_MANIFEST', 'getWorkerDatabase() was called outside a worker that workerdb set up',
      'Call it from test code run by Vitest/Jest with workerdb\'s plugin/preset (its setup file runs first).')
  }
  return JSON.parse(raw) as WorkerDatabase
}
