/** What both sides of the reset share: each kind's part, the dirty check's answer read, and the tables a dirty one drags along. */
import type { DialectName, ResetDialect, TableRef } from '../catalog/dialect.js'
import { mysqlReset } from '../catalog/mysql/reset.js'
import { postgresReset } from '../catalog/postgres/reset.js'
import { sqliteReset } from '../catalog/sqlite/reset.js'


/** Each kind's part of the reset (catalog/<kind>/reset.ts). */
export const RESET_DIALECTS: Record<DialectName, ResetDialect> = { postgres: postgresReset, mysql: mysqlReset, sqlite: sqliteReset }

/**
 * Pure: what empties `tables` on `kind` and puts their identities back, or undefined when there is nothing
 * to empty. No CASCADE anywhere (see planReset): what references an emptied table is emptied with it.
 */
export function truncateStatement(tables: readonly TableRef[], kind: DialectName = 'postgres', counters = false): string | undefined {
  return RESET_DIALECTS[kind].empty(tables, counters)
}

/** Pure: the indexes to empty for these dirty ones — with, transitively, every table that references them (TRUNCATE refuses otherwise). */
export function withReferencing(dirty: readonly number[], referencedBy: readonly number[][]): number[] {
  const out = new Set<number>()
  const todo = [...dirty]
  while (todo.length) {
    const i = todo.pop()!
    if (out.has(i)) continue
    out.add(i)
    todo.push(...(referencedBy[i] ?? []))
  }
  return [...out].sort((a, b) => a - b)
}

/** Pure: the indexes a dirty check's `dirty` names, whichever kind wrote it (an array, or a comma-separated list). */
export function dirtyIndexes(dirty: unknown): number[] {
  const list = Array.isArray(dirty) ? dirty.map(Number) : String(dirty ?? '').split(',').filter((x) => x.trim() !== '').map(Number)
  return [...new Set(list)].sort((a, b) => a - b)
}
