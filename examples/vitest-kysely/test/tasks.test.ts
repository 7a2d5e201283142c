import { expect, test } from 'vitest'
import { addTask, completeTask, createProject, progress } from '../src/tasks.js'
import { useDb } from './db.js'

const db = useDb()

test('counts open and done tasks per project', async () => {
  const p = await createProject(db, 'release')
  const a = await addTask(db, p, 'write notes')
  await addTask(db, p, 'tag')
  await completeTask(db, a)
  await createProject(db, 'idle')
  const rows = (await progress(db)).filter((r) => ['release', 'idle'].includes(r.name))
  expect(rows.map((r) => ({ name: r.name, open: Number(r.open), done: Number(r.done) }))).toEqual([
    { name: 'idle', open: 0, done: 0 },
    { name: 'release', open: 1, done: 1 },
  ])
})

test('a task needs an existing project', async () => {
  await expect(addTask(db, 999_999, 'orphan')).rejects.toThrow(/foreign key/)
})
