import { expect, test } from 'vitest'
import { createProject } from '../src/tasks.js'
import { useDb } from './db.js'

const db = useDb()

test('creates a project', async () => {
  const id = await createProject(db, 'launch')
  const row = await db.selectFrom('projects').select('name').where('id', '=', id).executeTakeFirstOrThrow()
  expect(row.name).toBe('launch')
})

test('project names are unique', async () => {
  await createProject(db, 'docs')
  await expect(createProject(db, 'docs')).rejects.toThrow(/duplicate key/)
})

test('the file starts on empty tables, ids from 1 (reset: \'truncate\'), whatever ran before it on this worker', async () => {
  // Runs after the tests above in this file, so it counts only this file's rows.
  const rows = await db.selectFrom('projects').select(['id', 'name']).orderBy('id').execute()
  expect(rows.map((r) => r.name)).toEqual(['launch', 'docs'])
  expect(rows[0]!.id).toBe(1)
})
