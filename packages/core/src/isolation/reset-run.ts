/**
 * `reset: 'truncate'`, the worker side: empties this worker's clone as the runner planned it (reset-plan.ts),
 * through one connection per file or, with `per: 'test'`, one kept for the file's tests.
 */
import { createRequire } from 'node:module'
import type pg from 'pg'
import { requirePg } from '../require-pg.js'
import { WorkerDbError } from '../errors.js'
import { plural } from '../log.js'
import { connectionParts, redactedCause, redactText } from '../url.js'
import type { ManifestReset } from './reset-plan.js'
import { TEST_TRANSACTION_BEGUN } from './transaction.js'
import { truncateStatement, withReferencing } from './truncate.js'

/** What a reset runs before: the messages say which. */
export type ResetWhen = 'file' | 'test'

/**
 * Worker side: one connection to the worker's clone, through which it is emptied. With `per: 'file'` a
 * session lives for one reset; with `per: 'test'` the setup file keeps it for the whole test file (a
 * beforeEach runs `run('test')` on it, an afterAll closes it) so that a test costs one round trip when
 * nothing was written — a connection per test would cost more than the check. Not a pool: it would
 * outlive the file (Jest gives every file a fresh module registry) and hold a connection the user's own
 * pool may need. pg is loaded only here, so a run without `reset` never loads it in workers — through
 * require, not import(): Jest runs setup files in a vm without dynamic import support (and its own
 * `module.createRequire` keeps the load inside the test's module registry, as a plain require would).
 */
export interface ResetSession {
  /** Empties the tables that hold rows or whose identities advanced (with those that reference them); resolves how many. */
  run(when: ResetWhen): Promise<number>
  /** Ends the connection; never throws. */
  close(): Promise<void>
}

export interface ResetSessionOptions {
  /** How long a TRUNCATE waits for a lock before failing with the reason (default 10 s). */
  lockTimeoutMs?: number
  /** Called before every connection it opens (the first, and a new one after its own was ended). */
  onConnect?: () => void
}

/** The name the session connects under: pg_stat_activity tells it from the tests' own connections. */
export const RESET_APPLICATION_NAME = 'workerdb reset'

export async function openResetSession(url: string, reset: ManifestReset, who: string, opts: ResetSessionOptions = {}): Promise<ResetSession> {
  const pg = requirePg(createRequire(import.meta.url), reset.driver)
  const lockTimeoutMs = Math.max(1, Math.round(opts.lockTimeoutMs ?? 10_000))
  let client: pg.Client | undefined
  let usable = false
  const connect = async (): Promise<pg.Client> => {
    opts.onConnect?.()
    // A connection an earlier file (or test) left in a transaction would block TRUNCATE forever: fail after
    // a while instead, with the reason. Set at connect time: no extra round trip.
    const c = new pg.Client({
      connectionString: url, connectionTimeoutMillis: 10_000, application_name: RESET_APPLICATION_NAME,
      options: `-c lock_timeout=${lockTimeoutMs}`,
    })
    // Ended under us (the server restarted, a test terminated every backend): the next run reconnects.
    const lost = () => {
      if (client === c) usable = false
    }
    c.on('error', lost)
    c.on('end', lost)
    client = c
    await c.connect()
    usable = true
    return c
  }
  // Idle between tests, the socket must not keep the test process alive: a file whose afterAll never runs
  // (it failed to load, every test skipped) would otherwise hold its worker open. Held only while working.
  const hold = (c: pg.Client, on: boolean) => {
    const stream = (c as unknown as { connection?: { stream?: { ref?: () => void; unref?: () => void } } }).connection?.stream
    if (on) stream?.ref?.()
    else stream?.unref?.()
  }
  const session: ResetSession = {
    async run(when) {
      const g = globalThis as Record<symbol, unknown>
      if (when === 'test' && g[TEST_TRANSACTION_BEGUN]) return 0
      let c = client
      try {
        if (!c || !usable) c = await connect()
        hold(c, true)
        // Prepared once per connection: later checks skip parsing and planning 50 subqueries.
        const dirty: number[] = (await c.query({ name: 'workerdb_reset_check', text: reset.check })).rows[0]?.dirty ?? []
        if (dirty.length === 0) return 0
        const empty = withReferencing(dirty, reset.referencedBy)
        const statement = empty.length === reset.refs.length ? reset.statement : truncateStatement(empty.map((i) => reset.refs[i]!))!
        await c.query(statement)
        return empty.length
      } catch (err) {
        throw resetError(err, reset, who, url, when)
      } finally {
        if (c) hold(c, false)
      }
    },
    async close() {
      const c = client
      client = undefined
      usable = false
      if (!c) return
      // Held while it closes: the goodbye must reach the server before the process may exit.
      hold(c, true)
      await c.end().catch(() => {})
    },
  }
  try {
    await connect()
  } catch (err) {
    await session.close()
    throw resetError(err, reset, who, url, 'file')
  }
  if (client) hold(client, false)
  return session
}

/** Worker side, `per: 'file'`: one session for one reset. */
export async function runReset(url: string, reset: ManifestReset, who: string, lockTimeoutMs = 10_000): Promise<void> {
  const session = await openResetSession(url, reset, who, { lockTimeoutMs })
  try {
    await session.run('file')
  } finally {
    await session.close()
  }
}

function resetError(err: unknown, reset: ManifestReset, who: string, url: string, when: ResetWhen): WorkerDbError {
  if (err instanceof WorkerDbError) return err
  const e = err as { code?: string; message?: string }
  let password: string | undefined
  try {
    password = connectionParts(url).password || undefined
  } catch {
    // not a URL we can parse: nothing to hide beyond what redactText finds
  }
  const detail = redactText(e?.message ?? String(err), [password])
  const n = reset.refs.length
  const option = reset.per === 'test' ? 'reset per test' : "reset: 'truncate'"
  const what = `cannot empty the ${plural(n, 'table')} of ${who} before this ${when === 'test' ? 'test' : 'test file'} (${option}): ${detail}`
  const hint =
    e?.code === '55P03' ? (reset.per === 'test'
      ? 'A connection is still open inside a transaction, holding a lock on these tables: a test that began a transaction and did not end it, or a client an earlier test file left open. Commit or roll back what you begin, and end your clients and pools in afterAll.'
      : 'A connection from an earlier test file is still open inside a transaction, holding a lock on these tables: end your clients and pools in afterAll, and commit or roll back what you begin.')
    : e?.code === '0A000' || e?.code === '2BP01' ? 'A table outside the reset references one it empties (created by a test?): create it in a migration and list it in reset.keep, or drop it at the end of the file that made it.'
    : e?.code === '42P01' ? 'A test dropped or renamed a table the template has: restore it at the end of that file, or turn the reset off (reset: \'none\').'
    : 'Check that the server is still up; to turn the reset off, set reset: \'none\'.'
  return new WorkerDbError('E_RESET', what, hint, { cause: redactedCause(err, [password]) })
}
