import { afterAll } from 'vitest'
import { connect } from '../src/shop.js'

/** One pool per test file, closed when the file is done. */
export function useDb() {
  const db = connect()
  afterAll(() => db.end())
  return db
}
