/**
 * The SQLite driver workerdb does its own work with, loaded on first use: better-sqlite3 when the project
 * has it (and it loads: a native build for another Node does not), else Node's own node:sqlite (Node ≥ 22.13).
 * better-sqlite3 is the user's dependency, not ours (a native module nobody on PostgreSQL should have to
 * build); it is looked up from this package first, then from the project being tested (process.cwd()): with
 * pnpm's strict layout only the second finds a package the user installed.
 */
import { statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { isWorkerDbError, WorkerDbError } from '../../errors.js'

/** The little of a connection workerdb uses, whichever driver is under it. Its calls block: keep them short. */
export interface Db {
  exec(sql: string): void
  /** The first row `sql` returns. */
  get(sql: string): Record<string, unknown> | undefined
  /** `sql` prepared once, for a query run again and again (the reset's check): each call, its first row. */
  prepare(sql: string): () => Record<string, unknown> | undefined
  /** Ends the transaction under way, if there is one. */
  rollback(): void
  close(): void
}

/**
 * Opens `path` with a busy timeout of 0 (a lock someone holds fails at once, and waits are retried without
 * blocking the event loop); `mustExist`: never creates the file.
 */
type Open = (path: string, opts?: { mustExist?: boolean }) => Db

let opener: Open | undefined

/** Loads the driver now (a missing one fails a run before anything is built); E_CONFIG naming the fix. */
export function loadSqlite(): void {
  opener ??= loadOpener()
}

export function openDb(path: string, opts: { mustExist?: boolean } = {}): Db {
  opener ??= loadOpener()
  return opener(path, opts)
}

/** What workerdb uses of node:sqlite's DatabaseSync (@types/node 20 has no node:sqlite). */
interface DatabaseSync {
  exec(sql: string): void
  prepare(sql: string): { get(): unknown }
  close(): void
}

/** Db's queries, the same on both drivers: a statement's first row, once or prepared to be run again. */
function queries(db: { prepare(sql: string): { get(): unknown } }): Pick<Db, 'get' | 'prepare'> {
  const prepare = (sql: string) => {
    const statement = db.prepare(sql)
    return () => statement.get() as Record<string, unknown> | undefined
  }
  return { get: (sql) => prepare(sql)(), prepare }
}

function loadOpener(): Open {
  let better: typeof BetterSqlite3
  try {
    better = requireSqlite([import.meta.url, join(process.cwd(), 'package.json')])
    // Its native part loads with the first database: a build for another Node fails here, not at require.
    new better(':memory:').close()
  } catch (err) {
    const nodeSqlite = nodeSqliteOpener()
    if (nodeSqlite) return nodeSqlite
    throw isWorkerDbError(err) ? err : new WorkerDbError('E_CONFIG', `better-sqlite3 failed to load: ${(err as Error).message}`,
      'Reinstall it for this Node version: npm rebuild better-sqlite3 (or npm install -D better-sqlite3).', { cause: err })
  }
  return (path, opts) => {
    const db = new better(path, { timeout: 0, fileMustExist: opts?.mustExist ?? false })
    return {
      exec: (sql) => void db.exec(sql),
      ...queries(db),
      rollback: () => { if (db.inTransaction) db.exec('ROLLBACK') },
      close: () => void db.close(),
    }
  }
}

/** node:sqlite's opener, or undefined where this Node has none (before 22.13 it needs a flag). */
function nodeSqliteOpener(): Open | undefined {
  let DatabaseSync: new (path: string) => DatabaseSync
  try {
    ({ DatabaseSync } = createRequire(import.meta.url)('node:sqlite') as { DatabaseSync: new (path: string) => DatabaseSync })
  } catch {
    return undefined
  }
  return (path, opts) => {
    // node:sqlite always creates a missing file: check first. Its busy timeout is 0 unless asked.
    if (opts?.mustExist) statSync(path)
    const db = new DatabaseSync(path)
    return {
      exec: (sql) => db.exec(sql),
      ...queries(db),
      // No transaction state before Node 22.16 (isTransaction): a ROLLBACK with none is an error to ignore.
      rollback: () => { try { db.exec('ROLLBACK') } catch { /* none under way */ } },
      close: () => db.close(),
    }
  }
}

/** Exported for the test: better-sqlite3 from the first of `from` that has it, or E_CONFIG naming the fix. */
export function requireSqlite(from: string[]): typeof BetterSqlite3 {
  let last: unknown
  for (const base of from) {
    try {
      return createRequire(base)('better-sqlite3') as typeof BetterSqlite3
    } catch (err) {
      last = err
      // Installed but broken (a native build for another Node): say that, not "missing".
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') break
    }
  }
  const missing = (last as { code?: string }).code === 'MODULE_NOT_FOUND'
  throw new WorkerDbError('E_CONFIG',
    missing ? 'SQLite needs the better-sqlite3 package (or Node ≥ 22.13, whose own node:sqlite workerdb then uses), and it is not installed' : `better-sqlite3 failed to load: ${(last as Error).message}`,
    missing ? 'npm install -D better-sqlite3' : 'Reinstall it for this Node version: npm rebuild better-sqlite3 (or npm install -D better-sqlite3).',
    { cause: last })
}

/** SQLITE_BUSY and SQLITE_LOCKED with their extended codes (better-sqlite3: code; node:sqlite: errcode). */
export function isBusy(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown }
  if (typeof e?.code === 'string' && (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED'))) return true
  return typeof e?.errcode === 'number' && [5, 6].includes(e.errcode & 0xff)
}
