const { useApp } = require('./setup')

const db = useApp()

test('creates a customer with orders: ids start at 1 on this clone', async () => {
  const customer = await db.Customer.create({ email: 'ada@example.com', name: 'Ada' })
  await db.Order.bulkCreate([{ totalCents: 1200, customerId: customer.id }, { totalCents: 800, customerId: customer.id }])
  expect(customer.id).toBe(1)
  expect(await db.Order.sum('totalCents', { where: { customerId: customer.id } })).toBe(2000)
})
