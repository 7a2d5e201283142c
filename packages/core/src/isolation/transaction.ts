/**
 * Transaction per test for node-postgres: BEGIN before each test, ROLLBACK after it, so a test's writes
 * never reach the next test — cheaper than emptying tables, and finer-grained (per test, not per file).
 *
 * Code under test that runs its own BEGIN/COMMIT/ROLLBACK on the same connection would end the test's
 * transaction (COMMIT makes its writes permanent). So while a test runs, those statements are rewritten
 * into savepoints: BEGIN → SAVEPOINT, COMMIT → RELEASE SAVEPOINT, ROLLBACK → ROLLBACK TO SAVEPOINT. A pool
 * is pinned to one connection for the test, so `pool.query` and `pool.connect()` reach the transaction.
 *
 * Framework-free: the hooks are passed in (or found as the globals Jest, and Vitest with `globals: true`,
 * define). Types are structural, so users need no @types/pg to call it.
 */
import { WorkerDbError } from '../errors.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- node-postgres' overloaded signatures, passed through untouched */

/** A node-postgres Client (or a PoolClient), connected. */
export interface ClientLike {
  query(...args: any[]): any
}

/** A node-postgres Pool. */
export interface PoolLike {
  connect(...args: any[]): any
  query(...args: any[]): any
  totalCount: number
}

export type TransactionTarget = ClientLike | PoolLike

export interface TestTransaction {
  /** BEGIN; from now on the target's own BEGIN/COMMIT/ROLLBACK become savepoints. */
  begin(): Promise<void>
  /** ROLLBACK and undo the rewriting; does nothing when no transaction is open. */
  rollback(): Promise<void>
  readonly active: boolean
}

export interface TransactionHooks {
  beforeEach(fn: () => Promise<void>): unknown
  afterEach(fn: () => Promise<void>): unknown
}

const SAVEPOINT = 'workerdb_tx'

/**
 * Set on globalThis when a test transaction begins: a file whose tests run in one has each test's rows
 * rolled back already, so the reset per test (reset-run.ts) steps aside for the rest of that file — it would
 * otherwise find the sequences the rolled-back inserts advanced, and truncate before every test. A global
 * rather than module state: the setup file and the test file may load this module as two instances.
 */
export const TEST_TRANSACTION_BEGUN = /* @__PURE__ */ Symbol.for('workerdb.testTransactionBegun')

/**
 * Pure: what a statement the code under test sends becomes inside the test's transaction, at savepoint
 * depth `depth`; undefined leaves it alone. Only whole statements are recognised ("BEGIN", "begin
 * isolation level serializable;", "COMMIT", "END", "ROLLBACK", "ABORT"), not ones inside a multi-statement string.
 */
export function rewriteTransactionStatement(text: string, depth: number): { text: string; depth: number } | undefined {
  if (/^\s*(?:begin|start\s+transaction)\b[^;]*;?\s*$/i.test(text)) {
    return { text: `SAVEPOINT ${SAVEPOINT}_${depth + 1}`, depth: depth + 1 }
  }
  const commit = /^\s*(?:commit|end)(?:\s+(?:work|transaction))?\s*;?\s*$/i.test(text)
  const rollback = /^\s*(?:rollback|abort)(?:\s+(?:work|transaction))?\s*;?\s*$/i.test(text)
  if (!commit && !rollback) return undefined
  // Outside any BEGIN of its own, PostgreSQL would only warn "there is no transaction in progress";
  // passed through, it would end the test's transaction instead. Keep the warning's effect: none.
  if (depth === 0) return { text: 'SELECT 1 WHERE false', depth }
  return { text: `${commit ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT'} ${SAVEPOINT}_${depth}`, depth: depth - 1 }
}

function isPool(t: TransactionTarget): t is PoolLike {
  return typeof (t as PoolLike).connect === 'function' && typeof (t as PoolLike).totalCount === 'number'
}

/** Shadows `obj[key]` with an own property; the returned function puts back exactly what was there. */
function override<T extends object>(obj: T, key: string, value: unknown): () => void {
  const rec = obj as Record<string, unknown>
  const own = Object.prototype.hasOwnProperty.call(obj, key)
  const before = rec[key]
  rec[key] = value
  return () => {
    if (own) rec[key] = before
    else delete rec[key]
  }
}

/** Routes the client's own transaction statements into savepoints; returns the undo. */
function rewriteOn(client: ClientLike): () => void {
  const query = client.query
  let depth = 0
  return override(client, 'query', function (this: unknown, config: any, ...rest: any[]) {
    // Submittables (cursors, streams) and prepared statements pass through: they are never BEGIN/COMMIT.
    const text = typeof config === 'string' ? config
      : config && typeof config === 'object' && typeof config.text === 'string' && typeof config.submit !== 'function' ? config.text as string
      : undefined
    const mapped = text === undefined ? undefined : rewriteTransactionStatement(text, depth)
    if (mapped) {
      depth = mapped.depth
      config = typeof config === 'string' ? mapped.text : { ...config, text: mapped.text }
    }
    return query.call(this ?? client, config, ...rest)
  })
}

/** Targets inside a test transaction: a second helper on the same one would nest BEGINs silently. */
const inTransaction = new WeakSet<object>()

/**
 * The framework-free core: `begin()` before a test, `rollback()` after it. For a pool, one connection is
 * checked out per test and every `pool.query` / `pool.connect()` gets it (release is a no-op until rollback).
 */
export function testTransaction(target: TransactionTarget | (() => TransactionTarget)): TestTransaction {
  let undo: Array<() => void> = []
  let finish: (() => Promise<void>) | undefined
  let current: TransactionTarget | undefined

  const resolveTarget = (): TransactionTarget => {
    const t = typeof target === 'function' ? target() : target
    if (!t || typeof (t as ClientLike).query !== 'function') {
      throw new WorkerDbError('E_TRANSACTION', `useTransaction() needs a node-postgres Client or Pool, got ${t === null ? 'null' : typeof t}`,
        'Pass the client (connected in beforeAll) or a function returning it: useTransaction(() => client).')
    }
    return t
  }

  return {
    get active() {
      return current !== undefined
    },
    async begin() {
      const t = resolveTarget()
      ;(globalThis as unknown as Record<symbol, unknown>)[TEST_TRANSACTION_BEGUN] = true
      if (inTransaction.has(t)) {
        throw new WorkerDbError('E_TRANSACTION', 'this client or pool is already inside a test transaction',
          'Call useTransaction() once per client or pool (e.g. in one shared setup file, not in every describe block).')
      }
      if (isPool(t)) {
        const client = (await t.connect()) as ClientLike & { release(err?: unknown): void }
        try {
          await client.query('BEGIN')
        } catch (err) {
          client.release(err)
          throw err
        }
        const release = client.release
        undo = [
          rewriteOn(client),
          override(client, 'release', () => {}),
          override(t, 'query', (...args: any[]) => client.query(...args)),
          override(t, 'connect', (cb?: (err: unknown, c: unknown, done: () => void) => void) => {
            if (typeof cb === 'function') {
              cb(undefined, client, () => {})
              return undefined
            }
            return Promise.resolve(client)
          }),
        ]
        finish = async () => {
          try {
            await client.query('ROLLBACK')
            release.call(client)
          } catch (err) {
            // A connection that failed to roll back must not go back into the pool for the next test.
            release.call(client, err)
            throw err
          }
        }
      } else {
        await t.query('BEGIN')
        undo = [rewriteOn(t)]
        finish = async () => {
          await t.query('ROLLBACK')
        }
      }
      current = t
      inTransaction.add(t)
    },
    async rollback() {
      const t = current
      if (!t) return
      current = undefined
      inTransaction.delete(t)
      for (const u of undo.reverse()) u()
      undo = []
      const f = finish
      finish = undefined
      try {
        await f?.()
      } catch (err) {
        const message = (err as Error)?.message ?? String(err)
        // The test ended its client: the transaction went with the connection, nothing was committed.
        if (/not queryable|Connection terminated/i.test(message)) return
        throw new WorkerDbError('E_TRANSACTION', `could not roll back the test's transaction: ${message}`,
          'The test\'s writes were not committed if the connection is gone; otherwise check the server message.', { cause: err })
      }
    },
  }
}

/**
 * Registers BEGIN before each test and ROLLBACK after it. Hooks default to the global beforeEach /
 * afterEach (Jest; Vitest with `globals: true`); otherwise pass them: useTransaction(client, { beforeEach, afterEach }).
 */
export function useTransaction(target: TransactionTarget | (() => TransactionTarget), hooks?: TransactionHooks): TestTransaction {
  const g = globalThis as unknown as Partial<TransactionHooks>
  const h = hooks ?? (typeof g.beforeEach === 'function' && typeof g.afterEach === 'function' ? (g as TransactionHooks) : undefined)
  if (!h) {
    throw new WorkerDbError('E_TRANSACTION', 'useTransaction() found no beforeEach/afterEach to register with',
      "Pass the hooks of your test framework: import { beforeEach, afterEach } from 'vitest'; useTransaction(client, { beforeEach, afterEach }).")
  }
  const tx = testTransaction(target)
  h.beforeEach(async () => {
    await tx.begin()
  })
  h.afterEach(async () => {
    await tx.rollback()
  })
  return tx
}
