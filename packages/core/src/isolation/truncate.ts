/** The TRUNCATE both sides of the reset build: the runner for every table, a worker for the dirty ones. */
import { quoteIdent } from '../catalog/names.js'

export interface TableRef {
  schema: string
  name: string
}

/**
 * Pure: the single statement that empties `tables`, or undefined when there is nothing to empty. One
 * statement, because TRUNCATE of many tables at once checks foreign keys among them as a set (emptying
 * them one by one fails on the first referenced one) and takes one round trip. No CASCADE: see planReset.
 */
export function truncateStatement(tables: readonly TableRef[]): string | undefined {
  if (tables.length === 0) return undefined
  const list = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`).join(', ')
  return `TRUNCATE TABLE ${list} RESTART IDENTITY`
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
