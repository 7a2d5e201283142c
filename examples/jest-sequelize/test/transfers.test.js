const { balance, openAccount, transfer } = require('../src/bank')
const { useDb } = require('./db')

const db = useDb()

test('a transfer moves money and records it', async () => {
  const a = await openAccount(db, 'alan', 1_000)
  const b = await openAccount(db, 'barbara', 0)
  await transfer(db, a, b, 400)
  expect([await balance(db, a), await balance(db, b)]).toEqual([600, 400])
  expect(await db.Transfer.count({ where: { from_id: a } })).toBe(1)
})

test('an overdraft rolls the whole transfer back', async () => {
  const a = await openAccount(db, 'edsger', 100)
  const b = await openAccount(db, 'tony', 0)
  await expect(transfer(db, a, b, 500)).rejects.toThrow(/balance_not_negative/)
  expect([await balance(db, a), await balance(db, b)]).toEqual([100, 0])
})
