const { addCustomer } = require('../src/shop')
const { useDb } = require('./db')

const db = useDb()

test('adds a customer and reads it back', async () => {
  const id = await addCustomer(db, 'ada@customers.test', 'Ada')
  const { rows } = await db.query('select name from customers where id = $1', [id])
  expect(rows[0].name).toBe('Ada')
})

test('emails are unique', async () => {
  await addCustomer(db, 'grace@customers.test', 'Grace')
  await expect(addCustomer(db, 'grace@customers.test', 'Grace again')).rejects.toThrow(/duplicate key/)
})
