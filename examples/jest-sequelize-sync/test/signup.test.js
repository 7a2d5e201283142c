const { useApp } = require('./setup')

const db = useApp()

// The same e-mail as customers.test.js, under a unique constraint: on a shared database one file would fail.
test('the same e-mail signs up here too: no other file writes to this clone', async () => {
  const customer = await db.Customer.create({ email: 'ada@example.com', name: 'Ada Lovelace' })
  expect(customer.id).toBe(1)
  await expect(db.Customer.create({ email: 'ada@example.com', name: 'Ada again' })).rejects.toThrow(/Validation error|unique/)
})
