import { expect, test } from 'vitest'
import { addItem, move } from '../src/inventory.js'
import { useDb } from './db.js'

const db = useDb()

test('stock goes up and down with movements', async () => {
  const id = await addItem(db, 'BOLT-M6')
  expect(await move(db, id, 10)).toBe(10)
  expect(await move(db, id, -3)).toBe(7)
  const { rows } = await db.query('select count(*)::int as n from movements where item_id = $1', [id])
  expect(rows[0].n).toBe(2)
})

test('stock never goes below zero, and a refused movement is not recorded', async () => {
  const id = await addItem(db, 'NUT-M6')
  await expect(move(db, id, -1)).rejects.toThrow(/check constraint/)
  const { rows } = await db.query('select count(*)::int as n from movements where item_id = $1', [id])
  expect(rows[0].n).toBe(0)
})
