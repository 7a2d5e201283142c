const { addCustomer, placeOrder } = require('../src/shop')
const { useDb } = require('./db')

const db = useDb()

const stock = async (sku) => (await db.query('select stock from products where sku = $1', [sku])).rows[0].stock

test('placing an order takes items out of stock', async () => {
  const before = await stock('TEE-M')
  const customer = await addCustomer(db, 'margaret@stock.test', 'Margaret')
  await placeOrder(db, customer, [{ sku: 'TEE-M', quantity: 1 }])
  expect(await stock('TEE-M')).toBe(before - 1)
})

test('an order for an item out of stock rolls back entirely', async () => {
  const customer = await addCustomer(db, 'barbara@stock.test', 'Barbara')
  const mugs = await stock('MUG-1')
  await expect(placeOrder(db, customer, [{ sku: 'MUG-1', quantity: 1 }, { sku: 'CAP-1', quantity: 1 }])).rejects.toThrow(/out of stock: CAP-1/)
  expect(await stock('MUG-1')).toBe(mugs)
})
