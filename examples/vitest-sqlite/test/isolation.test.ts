import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getWorkerDatabase } from '@workerdb/vitest'
import { afterAll, expect, test } from 'vitest'
import { open } from '../src/todos.js'

const db = open()
afterAll(() => db.close())

test('this worker has a database file of its own, named after its worker id', () => {
  const me = getWorkerDatabase()
  const file = fileURLToPath(process.env.DATABASE_URL!)
  expect(basename(file)).toBe(`${me.database}.db`)
  expect(me.database.endsWith(`_${process.env.VITEST_POOL_ID}`)).toBe(true)
})

test('a table made here exists only in this worker\'s file; an exclusive lock blocks nobody else', () => {
  db.exec('begin exclusive')
  db.exec('create table scratch (worker integer)')
  db.prepare('insert into scratch values (?)').run(getWorkerDatabase().workerId)
  expect(db.prepare('select worker from scratch').all()).toEqual([{ worker: getWorkerDatabase().workerId }])
  db.exec('rollback')
})
