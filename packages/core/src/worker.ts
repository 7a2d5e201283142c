/**
 * The worker side, kept tiny on purpose (no driver, no framework): read the manifest, find this worker's
 * clone, export it into the environment before any test module loads — or fail right here, with the
 * numbers that explain why, instead of "database does not exist" at the first query.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { envFor } from './env.js'
import { WorkerDbError } from './errors.js'
import { loadManifest, MANIFEST_ENV, type Manifest } from './runfile/manifest.js'
import { isMarkerAlive, type Marker } from './catalog/marker.js'
import { connectionParts } from './url.js'
import { openResetSession, runReset, type ResetSession } from './isolation/reset.js'
import { TEST_TRANSACTION_BEGUN } from './isolation/transaction.js'
import { noteOwnSession } from './runfile/clone-use.js'
import { plural } from './log.js'

export { WorkerDbError } from './errors.js'
export { useTransaction, testTransaction } from './isolation/transaction.js'
export type { TestTransaction, TransactionHooks, TransactionTarget } from './isolation/transaction.js'

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

export function readManifest(env: NodeJS.ProcessEnv = process.env): Manifest {
  const path = env[MANIFEST_ENV]
  if (!path) {
    throw new WorkerDbError('E_NO_MANIFEST', `the workerdb setup file ran, but this run provisioned no databases (${MANIFEST_ENV} is not set)`,
      'Add workerdb to the runner, not only its setup file: `plugins: [workerDb()]` in vitest.config, or `preset: \'@workerdb/jest\'` in jest.config.')
  }
  let manifest: Manifest
  try {
    manifest = loadManifest(path)
  } catch (err) {
    throw new WorkerDbError('E_NO_MANIFEST', `cannot read the workerdb manifest ${path}: ${(err as Error).message}`,
      'The run that provisioned it has ended or crashed; run the tests again.', { cause: err })
  }
  return usable(manifest)
}

/** A manifest whose clones exist: a failed run throws its own error, a pending one says so. */
function usable(manifest: Manifest): Manifest {
  if (manifest.failed) throw new WorkerDbError(manifest.failed.code, manifest.failed.detail, manifest.failed.hint)
  if (manifest.pending) {
    throw new WorkerDbError('E_NO_MANIFEST', `run ${manifest.runId} is still provisioning its databases`,
      'Read the database from tests or setup files listed after workerdb\'s: its setup file waits until the clones exist.')
  }
  return manifest
}

/**
 * The manifest when a test file can be mapped at once: there, provisioned, not failed, nothing to reset.
 * Otherwise undefined, and waitForManifest and resetWorkerDatabase have work to do. Apart from them so that
 * a setup file can leave their code unloaded in that common case (it loads in every test file's process).
 */
export function readyManifest(env: NodeJS.ProcessEnv = process.env): Manifest | undefined {
  const path = env[MANIFEST_ENV]
  if (!path) return undefined
  try {
    const manifest = loadManifest(path)
    return manifest.pending || manifest.failed || manifest.reset ? undefined : manifest
  } catch {
    return undefined
  }
}

/** How long a worker that saw "pending" waits for a manifest that went missing: the runner rewrites a failed run's. */
const VANISHED_GRACE_MS = 2_000

/**
 * Vitest starts its pool while the runner provisions (the manifest says `pending`): resolves once this
 * run's clones exist, with the manifest it read last: hand that to setupWorker and resetWorkerDatabase, so
 * a test file reads it once (setup files run for every test file). Undefined when there is no manifest to
 * wait for (readManifest explains). Gives up only when the runner process is gone.
 */
export async function waitForManifest(env: NodeJS.ProcessEnv = process.env, pollMs = 5): Promise<Manifest | undefined> {
  const path = env[MANIFEST_ENV]
  if (!path) return undefined
  let sawPending = false
  let vanishedAt: number | undefined
  for (;;) {
    let manifest: Manifest | undefined
    try {
      manifest = loadManifest(path)
    } catch {
      // Missing before we saw it pending: readManifest() explains. After: the failure is being written.
      if (!sawPending) return undefined
      vanishedAt ??= Date.now()
      if (Date.now() - vanishedAt > VANISHED_GRACE_MS) return undefined
    }
    if (manifest) {
      if (!manifest.pending) return manifest
      sawPending = true
      vanishedAt = undefined
      if (manifest.pid && manifest.host && isMarkerAlive({ pid: manifest.pid, host: manifest.host } as Marker) === false) {
        throw new WorkerDbError('E_NO_MANIFEST', `the runner of run ${manifest.runId} (pid ${manifest.pid}) ended while it was provisioning`,
          'Run the tests again; the next run sweeps what it left.')
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}

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
  const manifest = read ? usable(read) : readManifest(env)
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

/**
 * For runners without worker ids (`node --test`, plain scripts) on a run made by `workerdb provision`:
 * takes the first clone no other live process holds — a lock file next to the manifest, created
 * exclusively, removed when this process exits — and sets it up like setupWorker. An id the caller set in
 * the manifest's worker id variable (WORKERDB_WORKER_ID) wins over claiming.
 */
export function claimWorkerDatabase(env: NodeJS.ProcessEnv = process.env): WorkerDatabase {
  const manifest = readManifest(env)
  if (env[manifest.workerIdVar]) return setupWorker(env)
  const held: string[] = []
  for (const clone of manifest.clones) {
    const lock = `${env[MANIFEST_ENV]}.slot-${clone.slot}.lock`
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      held.push(`${clone.slot} (pid ${readLock(lock)})`)
      continue
    }
    process.once('exit', () => rmSync(lock, { force: true }))
    env[manifest.workerIdVar] = String(clone.slot)
    return setupWorker(env)
  }
  const n = manifest.clones.length
  throw new WorkerDbError('E_NO_CLONE', `all ${plural(n, 'database')} of run ${manifest.runId} are claimed by other processes (slot ${held.join(', slot ')})`,
    `Run at most ${n} test processes at once (e.g. node --test --test-concurrency=${n}), or provision more (workerdb provision --workers N). A process killed with SIGKILL keeps its claim until \`workerdb teardown ${manifest.runId}\`.`)
}

function readLock(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim() || '?'
  } catch {
    return '?'
  }
}

/**
 * With `reset: 'truncate'`: empties this worker's clone (all user tables but ledgers and kept ones) —
 * called by the setup files before every test file, after setupWorker. Resolves false when the run has no
 * reset configured (pg is not even loaded then). `read`: as for setupWorker. With `per: 'test'` the
 * connection stays open for the file's tests: registerTestReset hands it to the framework's hooks.
 */
export async function resetWorkerDatabase(env: NodeJS.ProcessEnv = process.env, read?: Manifest): Promise<boolean> {
  const manifest = read ? usable(read) : readManifest(env)
  if (!manifest.reset) return false
  const current = getWorkerDatabase(env)
  const who = `worker ${current.workerId}'s database ${current.database}`
  const note = () => noteOwnSession(env[MANIFEST_ENV], current.database)
  if (manifest.reset.per !== 'test') {
    note()
    await runReset(current.url, manifest.reset, who)
    return true
  }
  const g = globalThis as unknown as Record<symbol, ResetSession | boolean | undefined>
  // The session of a file whose afterAll never ran (it failed to load), where globals outlive files (isolate: false).
  await (g[TEST_RESET] as ResetSession | undefined)?.close()
  g[TEST_TRANSACTION_BEGUN] = undefined
  // 3 s, under Jest's 5 s hook timeout: a lock held by a test's open transaction fails with its reason, not a timeout.
  const session = await openResetSession(current.url, manifest.reset, who, { lockTimeoutMs: 3_000, onConnect: note })
  try {
    await session.run('file')
  } catch (err) {
    await session.close()
    throw err
  }
  g[TEST_RESET] = session
  return true
}

/** Where resetWorkerDatabase leaves a file's session for registerTestReset (globals: the two may be different module instances). */
const TEST_RESET = /* @__PURE__ */ Symbol.for('workerdb.testReset')

/** The two hooks the reset per test needs: Vitest's, Jest's (`@jest/globals`), or any runner's alike. */
export interface TestResetHooks {
  beforeEach(fn: () => Promise<void>): unknown
  afterAll(fn: () => Promise<void>): unknown
}

/**
 * With `reset: { truncate: true, per: 'test' }`: registers, in the test file being set up, a beforeEach that
 * empties what the previous test wrote (one round trip when it wrote nothing) and an afterAll that closes
 * the connection. Called by the setup files after resetWorkerDatabase; registered first, the beforeEach
 * runs before the file's own, which may then seed rows for each test. False (nothing registered) when the
 * run has no reset per test. `hooks` may be a function, called only when there is something to register.
 */
export function registerTestReset(hooks: TestResetHooks | (() => TestResetHooks)): boolean {
  const g = globalThis as unknown as Record<symbol, ResetSession | boolean | undefined>
  const session = g[TEST_RESET] as ResetSession | undefined
  if (!session) return false
  const { beforeEach, afterAll } = typeof hooks === 'function' ? hooks() : hooks
  beforeEach(async () => {
    await session.run('test')
  })
  afterAll(async () => {
    if (g[TEST_RESET] === session) g[TEST_RESET] = undefined
    g[TEST_TRANSACTION_BEGUN] = undefined
    await session.close()
  })
  return true
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
