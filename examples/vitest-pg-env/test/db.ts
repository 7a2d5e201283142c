import { afterAll } from 'vitest'
import { createPool } from '../src/db.js'

/** One pool per test file, closed when the file is done. */
export function useDb() {
  const db = createPool()
  afterAll(() => db.end())
  return db
}
