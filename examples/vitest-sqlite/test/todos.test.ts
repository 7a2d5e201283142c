import { afterAll, expect, test } from 'vitest'
import { addTodo, complete, open, openTodos } from '../src/todos.js'

const db = open()
afterAll(() => db.close())

test('starts from the template\'s seed data', () => {
  expect(openTodos(db, 'groceries').map((t) => t.title)).toEqual(['oat milk'])
})

test('adds and completes todos in this worker\'s own file', () => {
  const id = addTodo(db, 'inbox', 'write a test')
  expect(openTodos(db, 'inbox').map((t) => t.title)).toEqual(['write a test'])
  complete(db, id)
  expect(openTodos(db, 'inbox')).toEqual([])
})

test('foreign keys hold: a todo needs its list', () => {
  expect(() => db.prepare('insert into todos (list_id, title) values (99, ?)').run('orphan')).toThrow(/FOREIGN KEY/)
})
