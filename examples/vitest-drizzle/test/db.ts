import { afterAll } from 'vitest'
import { createDb } from '../src/db.js'

/** One pool per test file, on this worker's database, closed when the file is done. */
export function useDb() {
  const { db, close } = createDb()
  afterAll(close)
  return db
}
