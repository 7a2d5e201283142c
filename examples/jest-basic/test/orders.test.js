const { addCustomer, orderTotal, placeOrder } = require('../src/shop')
const { useDb } = require('./db')

const db = useDb()

test('an order totals its lines', async () => {
  const customer = await addCustomer(db, 'linus@orders.test', 'Linus')
  const order = await placeOrder(db, customer, [{ sku: 'MUG-1', quantity: 2 }, { sku: 'TEE-M', quantity: 1 }])
  expect(await orderTotal(db, order)).toBe(2 * 1200 + 2500)
})

test('an order for an unknown customer is refused by the foreign key', async () => {
  await expect(placeOrder(db, 999_999, [{ sku: 'MUG-1', quantity: 1 }])).rejects.toThrow(/foreign key/)
})
