/**
 * Transaction per test: BEGIN before each test, ROLLBACK after it, so a test's writes never reach the next
 * test — cheaper than emptying tables, and finer-grained (per test, not per file). For node-postgres
 * (Client, Pool), mysql2 (Connection, Pool) and SQLite (better-sqlite3's Database, node:sqlite's
 * DatabaseSync), told apart by their shape.
 *
 * Code under test that runs its own BEGIN/COMMIT/ROLLBACK on the same connection would end the test's
 * transaction (COMMIT makes its writes permanent). So while a test runs, those statements are rewritten
 * into savepoints: BEGIN → SAVEPOINT, COMMIT → RELEASE SAVEPOINT, ROLLBACK → ROLLBACK TO SAVEPOINT (mysql2's
 * beginTransaction/commit/rollback too; better-sqlite3's own `db.transaction()` nests by savepoints itself).
 * A pool is pinned to one connection for the test, so `pool.query` and `pool.connect()` / `getConnection()`
 * reach the transaction.
 *
 * Framework-free: the hooks are passed in (or found as the globals Jest, and Vitest with `globals: true`,
 * define). Types are structural, so users need no driver types to call it.
 */
import { WorkerDbError } from '../errors.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- the drivers' overloaded signatures, passed through untouched */

/** A node-postgres Client (or a PoolClient), or a mysql2 Connection, connected. */
export interface ClientLike {
  query(...args: any[]): any
}

/** A node-postgres Pool. */
export interface PoolLike {
  connect(...args: any[]): any
  query(...args: any[]): any
  totalCount: number
}

/** A mysql2 Pool (its promise API, or the callback one's getConnection wrapped by yours). */
export interface MysqlPoolLike {
  getConnection(...args: any[]): any
  query(...args: any[]): any
}

/** A SQLite database: better-sqlite3's Database or node:sqlite's DatabaseSync. */
export interface SqliteLike {
  exec(sql: string): any
  prepare(sql: string): any
}

export type TransactionTarget = ClientLike | PoolLike | MysqlPoolLike | SqliteLike

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
 * `noop`: what a COMMIT or ROLLBACK outside the code's own BEGIN becomes (MySQL's is `DO 0`).
 */
export function rewriteTransactionStatement(text: string, depth: number, noop = 'SELECT 1 WHERE false'): { text: string; depth: number } | undefined {
  if (/^\s*(?:begin|start\s+transaction)\b[^;]*;?\s*$/i.test(text)) {
    return { text: `SAVEPOINT ${SAVEPOINT}_${depth + 1}`, depth: depth + 1 }
  }
  const commit = /^\s*(?:commit|end)(?:\s+(?:work|transaction))?\s*;?\s*$/i.test(text)
  const rollback = /^\s*(?:rollback|abort)(?:\s+(?:work|transaction))?\s*;?\s*$/i.test(text)
  if (!commit && !rollback) return undefined
  // Outside any BEGIN of its own, PostgreSQL would only warn "there is no transaction in progress" (and
  // MySQL do nothing); passed through, it would end the test's transaction instead. Keep that effect: none.
  if (depth === 0) return { text: noop, depth }
  return { text: `${commit ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT'} ${SAVEPOINT}_${depth}`, depth: depth - 1 }
}

/** A statement MySQL and MariaDB run without a result, and without touching the transaction. */
const MYSQL_NOOP = 'DO 0'

function isPool(t: TransactionTarget): t is PoolLike {
  return typeof (t as PoolLike).connect === 'function' && typeof (t as PoolLike).totalCount === 'number'
}

function isMysqlPool(t: TransactionTarget): t is MysqlPoolLike {
  return typeof (t as MysqlPoolLike).getConnection === 'function' && typeof (t as MysqlPoolLike).query === 'function'
}

function isSqlite(t: TransactionTarget): t is SqliteLike {
  return typeof (t as SqliteLike).exec === 'function' && typeof (t as SqliteLike).prepare === 'function' && typeof (t as ClientLike).query !== 'function'
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

/**
 * The savepoint depth of the code under test's own transactions, shared by every method rewritten on one
 * connection, and the statement that does nothing there.
 */
interface Depth { value: number; noop?: string }

/** The statement `text` becomes at `depth` (updating it), or `text` itself. */
function mapped(text: string, depth: Depth): string {
  const m = rewriteTransactionStatement(text, depth.value, depth.noop)
  if (!m) return text
  depth.value = m.depth
  return m.text
}

/**
 * Routes the statements `methods` send (their first argument: SQL text, or node-postgres' { text } / mysql2's
 * { sql }) through `mapped`; returns the undo. Submittables (node-postgres cursors, streams) pass through.
 */
function rewriteOn(target: object, methods: string[], depth: Depth): () => void {
  const undo = methods.filter((m) => typeof (target as Record<string, unknown>)[m] === 'function').map((m) => {
    const original = (target as Record<string, (...args: any[]) => any>)[m]!
    return override(target, m, function (this: unknown, config: any, ...rest: any[]) {
      if (typeof config === 'string') config = mapped(config, depth)
      else if (config && typeof config === 'object' && typeof config.submit !== 'function') {
        if (typeof config.text === 'string') config = { ...config, text: mapped(config.text, depth) }
        else if (typeof config.sql === 'string') config = { ...config, sql: mapped(config.sql, depth) }
      }
      return original.call(this ?? target, config, ...rest)
    })
  })
  return () => { for (const u of undo.reverse()) u() }
}

/** A pool's method that hands out a connection, made to hand out `conn` every time: to a callback (`answer`), or as a promise. */
function handOut(conn: unknown, answer: (cb: (...args: any[]) => void) => void): (cb?: (...args: any[]) => void) => unknown {
  return (cb) => {
    if (typeof cb !== 'function') return Promise.resolve(conn)
    answer(cb)
    return undefined
  }
}

/** mysql2's beginTransaction/commit/rollback, as the statements they send, through the rewriting `query`. */
function rewriteMethodsOn(conn: ClientLike): Array<() => void> {
  const statement: Record<string, string> = { beginTransaction: 'BEGIN', commit: 'COMMIT', rollback: 'ROLLBACK' }
  return Object.entries(statement).filter(([m]) => typeof (conn as unknown as Record<string, unknown>)[m] === 'function')
    .map(([m, sql]) => override(conn, m, (...args: any[]) => conn.query(sql, ...args)))
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
    if (!t || (typeof (t as ClientLike).query !== 'function' && !isSqlite(t))) {
      throw new WorkerDbError('E_TRANSACTION', `useTransaction() needs a node-postgres Client or Pool, a mysql2 Connection or Pool, or a better-sqlite3 (or node:sqlite) database, got ${t === null ? 'null' : typeof t}`,
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
          rewriteOn(client, ['query'], { value: 0 }),
          override(client, 'release', () => {}),
          override(t, 'query', (...args: any[]) => client.query(...args)),
          override(t, 'connect', handOut(client, (cb) => cb(undefined, client, () => {}))),
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
      } else if (isMysqlPool(t)) {
        const conn = (await t.getConnection()) as ClientLike & { release(): void; destroy?(): void; execute?(...args: any[]): any }
        try {
          await conn.query('BEGIN')
        } catch (err) {
          conn.release()
          throw err
        }
        const release = conn.release
        undo = [
          rewriteOn(conn, ['query', 'execute'], { value: 0, noop: MYSQL_NOOP }),
          ...rewriteMethodsOn(conn),
          override(conn, 'release', () => {}),
          override(t, 'query', (...args: any[]) => conn.query(...args)),
          ...(typeof conn.execute === 'function' ? [override(t, 'execute', (...args: any[]) => conn.execute!(...args))] : []),
          override(t, 'getConnection', handOut(conn, (cb) => cb(null, conn))),
        ]
        finish = async () => {
          try {
            await conn.query('ROLLBACK')
            release.call(conn)
          } catch (err) {
            // A connection that failed to roll back must not go back into the pool for the next test.
            conn.destroy?.()
            throw err
          }
        }
      } else if (isSqlite(t)) {
        const exec = t.exec
        exec.call(t, 'BEGIN')
        undo = [rewriteOn(t, ['exec', 'prepare'], { value: 0 })]
        finish = async () => {
          exec.call(t, 'ROLLBACK')
        }
      } else {
        await t.query('BEGIN')
        // mysql2's connections have beginTransaction(); node-postgres' clients do not.
        const mysql = typeof (t as { beginTransaction?: unknown }).beginTransaction === 'function'
        undo = [rewriteOn(t, ['query', 'execute'], { value: 0, ...(mysql ? { noop: MYSQL_NOOP } : {}) }), ...rewriteMethodsOn(t)]
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
        if (/not queryable|Connection terminated|closed state|database connection is not open|database is not open/i.test(message)) return
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
