const { movements, orderTotal, placeOrder, stockOf } = require('../src/inventory')
const { useDb } = require('./db')

const db = useDb()

test('an order totals its lines and takes them out of stock; the trigger records each movement', async () => {
  const [mugs, tees] = [await stockOf(db, 'MUG-1'), await stockOf(db, 'TEE-M')]
  const order = await placeOrder(db, 'linus@orders.test', [{ sku: 'MUG-1', quantity: 2 }, { sku: 'TEE-M', quantity: 1 }])
  expect(await orderTotal(db, order)).toBe(2 * 1200 + 2500)
  expect(await stockOf(db, 'MUG-1')).toBe(mugs - 2)
  expect(await stockOf(db, 'TEE-M')).toBe(tees - 1)
  expect((await movements(db, 'MUG-1')).at(-1)).toEqual({ delta: -2, reason: `order ${order}` })
})

test('an order with a line out of stock is undone entirely', async () => {
  const mugs = await stockOf(db, 'MUG-1')
  const before = (await movements(db, 'MUG-1')).length
  await expect(placeOrder(db, 'barbara@orders.test', [{ sku: 'MUG-1', quantity: 1 }, { sku: 'CAP-1', quantity: 1 }])).rejects.toThrow(/out of stock: CAP-1/)
  expect(await stockOf(db, 'MUG-1')).toBe(mugs)
  expect(await movements(db, 'MUG-1')).toHaveLength(before)
  const [orders] = await db.query("select id from orders where customer_email = 'barbara@orders.test'")
  expect(orders).toEqual([])
})

test('the foreign keys hold: a product with stock movements cannot go, an order takes its lines with it', async () => {
  await expect(db.query("delete from products where sku = 'MUG-1'")).rejects.toThrow(/foreign key constraint fails/)
  const order = await placeOrder(db, 'grace@orders.test', [{ sku: 'TEE-M', quantity: 1 }])
  await db.query('delete from orders where id = ?', [order])
  const [lines] = await db.query('select * from order_lines where order_id = ?', [order])
  expect(lines).toEqual([])
})
