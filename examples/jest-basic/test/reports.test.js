const { addCustomer, placeOrder } = require('../src/shop')
const { useDb } = require('./db')

const db = useDb()

test('revenue per customer, computed in SQL', async () => {
  const a = await addCustomer(db, 'ken@reports.test', 'Ken')
  const b = await addCustomer(db, 'dennis@reports.test', 'Dennis')
  await placeOrder(db, a, [{ sku: 'MUG-1', quantity: 1 }])
  await placeOrder(db, b, [{ sku: 'TEE-M', quantity: 1 }])
  const { rows } = await db.query(`
    select c.email, sum(l.quantity * l.unit_price_cents)::int as revenue
      from customers c join orders o on o.customer_id = c.id join order_lines l on l.order_id = o.id
     where c.email like '%@reports.test' group by c.email order by c.email`)
  expect(rows).toEqual([
    { email: 'dennis@reports.test', revenue: 2500 },
    { email: 'ken@reports.test', revenue: 1200 },
  ])
})
