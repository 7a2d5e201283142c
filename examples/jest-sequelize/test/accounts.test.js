const { balance, openAccount } = require('../src/bank')
const { useDb } = require('./db')

const db = useDb()

test('opens an account with a starting balance', async () => {
  const id = await openAccount(db, 'ada', 5_000)
  expect(await balance(db, id)).toBe(5_000)
})

test('one account per owner', async () => {
  await openAccount(db, 'grace')
  await expect(openAccount(db, 'grace')).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' })
})

test("the file starts on empty tables, ids from 1 (reset: 'truncate'), whatever ran before it on this worker", async () => {
  // Runs after the tests above in this file, so it counts only this file's rows.
  const rows = await db.Account.findAll({ order: [['id', 'ASC']], attributes: ['id', 'owner'] })
  expect(rows.map((r) => r.owner)).toEqual(['ada', 'grace'])
  expect(rows[0].id).toBe(1)
})
