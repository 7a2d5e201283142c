/**
 * The worker side of `reset`: emptying this worker's clone before a test file, and with `per: 'test'`
 * before every test, on a connection kept for the file (isolation/reset-run.ts does the SQL).
 */
import { openResetSession, runReset, type ResetSession } from '../isolation/reset-run.js'
import { TEST_TRANSACTION_BEGUN } from '../isolation/transaction.js'
import { noteOwnSession } from '../runfile/clone-use.js'
import { MANIFEST_ENV, type Manifest } from '../runfile/manifest.js'
import { readManifest, usableManifest } from './read-manifest.js'
import { getWorkerDatabase } from './setup.js'

/**
 * With `reset: 'truncate'`: empties this worker's clone (all user tables but ledgers and kept ones) —
 * called by the setup files before every test file, after setupWorker. Resolves false when the run has no
 * reset configured (pg is not even loaded then). `read`: as for setupWorker. With `per: 'test'` the
 * connection stays open for the file's tests: registerTestReset hands it to the framework's hooks.
 */
export async function resetWorkerDatabase(env: NodeJS.ProcessEnv = process.env, read?: Manifest): Promise<boolean> {
  const manifest = read ? usableManifest(read) : readManifest(env)
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
