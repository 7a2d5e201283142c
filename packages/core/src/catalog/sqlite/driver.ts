/**
 * better-sqlite3, loaded on first use: it is the user's dependency, not ours (a native module nobody on
 * PostgreSQL should have to build). Looked up from this package first, then from the project being tested
 * (process.cwd()): with pnpm's strict layout only the second finds a package the user installed.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { WorkerDbError } from '../../errors.js'

export type Driver = typeof BetterSqlite3
export type Db = BetterSqlite3.Database

let driver: Driver | undefined

export function loadSqlite(): Driver {
  driver ??= requireSqlite([import.meta.url, join(process.cwd(), 'package.json')])
  return driver
}

/** Exported for the test: `from` are the places to resolve it from, in order. */
export function requireSqlite(from: string[]): Driver {
  let last: unknown
  for (const base of from) {
    try {
      return createRequire(base)('better-sqlite3') as Driver
    } catch (err) {
      last = err
      // Installed but broken (a native build for another Node): say that, not "missing".
      if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') break
    }
  }
  const missing = (last as { code?: string }).code === 'MODULE_NOT_FOUND'
  throw new WorkerDbError('E_CONFIG',
    missing ? 'SQLite needs the better-sqlite3 package, and it is not installed' : `better-sqlite3 failed to load: ${(last as Error).message}`,
    missing ? 'npm install -D better-sqlite3' : 'Reinstall it for this Node version: npm rebuild better-sqlite3 (or npm install -D better-sqlite3).',
    { cause: last })
}

/** SQLITE_BUSY and its extended codes: another connection holds the lock this one asked for. */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}
