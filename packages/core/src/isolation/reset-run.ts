/**
 * `reset: 'truncate'`, the worker side: empties this worker's clone as the runner planned it (reset-plan.ts),
 * through one connection per file or, with `per: 'test'`, one kept for the file's tests.
 */
import type { ResetConnection } from '../catalog/dialect.js'
import { WorkerDbError } from '../errors.js'
import { plural } from '../log.js'
import { connectionParts, redactedCause, redactText } from '../url.js'
import type { ManifestReset } from './reset-plan.js'
import { TEST_TRANSACTION_BEGUN } from './transaction.js'
import { dirtyIndexes, RESET_DIALECTS, truncateStatement, withReferencing } from './truncate.js'

/** What a reset runs before: the messages say which. */
export type ResetWhen = 'file' | 'test'

/**
 * Worker side: one connection to the worker's clone, through which it is emptied. With `per: 'file'` a
 * session lives for one reset; with `per: 'test'` the setup file keeps it for the whole test file (a
 * beforeEach runs `run('test')` on it, an afterAll closes it) so that a test costs one round trip when
 * nothing was written — a connection per test would cost more than the check. Not a pool: it would
 * outlive the file (Jest gives every file a fresh module registry) and hold a connection the user's own
 * pool may need. The driver (pg, mysql2, better-sqlite3 or node:sqlite) is loaded only when a session
 * opens, so a run without `reset` never loads one in workers.
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

export async function openResetSession(url: string, reset: ManifestReset, who: string, opts: ResetSessionOptions = {}): Promise<ResetSession> {
  const lockTimeoutMs = Math.max(1, Math.round(opts.lockTimeoutMs ?? 10_000))
  const dialect = RESET_DIALECTS[reset.kind ?? 'postgres']
  let conn: ResetConnection | undefined
  const connect = async (): Promise<ResetConnection> => {
    opts.onConnect?.()
    conn = undefined
    conn = await dialect.open(url, { lockTimeoutMs, driver: reset.driver })
    return conn
  }
  /** One reset on `c`: the tables it empties (the check, then one statement; both may run twice). */
  const resetOn = async (c: ResetConnection): Promise<number> => {
    c.hold(true)
    try {
      const dirty = dirtyIndexes(await c.dirty(reset.check))
      if (dirty.length === 0) return 0
      const empty = withReferencing(dirty, reset.referencedBy)
      const statement = empty.length === reset.refs.length ? reset.statement : truncateStatement(empty.map((i) => reset.refs[i]!), reset.kind, reset.counters)!
      await c.run(statement)
      return empty.length
    } finally {
      c.hold(false)
    }
  }
  const session: ResetSession = {
    async run(when) {
      const g = globalThis as Record<symbol, unknown>
      if (when === 'test' && g[TEST_TRANSACTION_BEGUN]) return 0
      try {
        const kept = conn?.usable() ? conn : undefined
        if (!kept) return await resetOn(await connect())
        try {
          return await resetOn(kept)
        } catch (err) {
          // A kept connection the server ended before its notice reached us (a restart, a test that
          // terminated every backend): once more, on a new one. A failure the kind knows is the answer.
          if (dialect.failure(err)) throw err
          await kept.close()
          return await resetOn(await connect())
        }
      } catch (err) {
        throw resetError(err, reset, who, url, when)
      }
    },
    async close() {
      const c = conn
      conn = undefined
      await c?.close()
    },
  }
  try {
    await connect()
  } catch (err) {
    await session.close()
    throw resetError(err, reset, who, url, 'file')
  }
  conn?.hold(false)
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
  const cause = RESET_DIALECTS[reset.kind ?? 'postgres'].failure(err)
  const hint =
    cause === 'lock' ? (reset.per === 'test'
      ? 'A connection is still open inside a transaction, holding a lock on these tables: a test that began a transaction and did not end it, or a client an earlier test file left open. Commit or roll back what you begin, and end your clients and pools in afterAll.'
      : 'A connection from an earlier test file is still open inside a transaction, holding a lock on these tables: end your clients and pools in afterAll, and commit or roll back what you begin.')
    : cause === 'referenced' ? 'A table outside the reset references one it empties (created by a test?): create it in a migration and list it in reset.keep, or drop it at the end of the file that made it.'
    : cause === 'missing' ? 'A test dropped or renamed a table the template has: restore it at the end of that file, or turn the reset off (reset: \'none\').'
    : 'Check that the server is still up; to turn the reset off, set reset: \'none\'.'
  return new WorkerDbError('E_RESET', what, hint, { cause: redactedCause(err, [password]) })
}
