import { afterAll } from 'vitest'
import { createDb } from '../src/db.js'

/** One Kysely instance per test file, on this worker's database, destroyed when the file is done. */
export function useDb() {
  const db = createDb()
  afterAll(() => db.destroy())
  return db
}
