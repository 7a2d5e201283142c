/** A tiny data layer, the kind of code whose tests need a real database. */
const pg = require('pg')

function connect() {
  // DATABASE_URL is this worker's own database, set by workerdb before any test module loads.
  return new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 })
}

async function addCustomer(db, email, name) {
  const { rows } = await db.query('insert into customers (email, name) values ($1, $2) returning id', [email, name])
  return Number(rows[0].id)
}

async function placeOrder(db, customerId, lines) {
  const client = await db.connect()
  try {
    await client.query('begin')
    const { rows } = await client.query('insert into orders (customer_id) values ($1) returning id', [customerId])
    const orderId = Number(rows[0].id)
    for (const line of lines) {
      const updated = await client.query(
        'update products set stock = stock - $2 where sku = $1 and stock >= $2 returning id, price_cents',
        [line.sku, line.quantity],
      )
      if (updated.rowCount === 0) throw new Error(`out of stock: ${line.sku}`)
      await client.query('insert into order_lines values ($1, $2, $3, $4)', [orderId, updated.rows[0].id, line.quantity, updated.rows[0].price_cents])
    }
    await client.query('commit')
    return orderId
  } catch (err) {
    await client.query('rollback')
    throw err
  } finally {
    client.release()
  }
}

async function orderTotal(db, orderId) {
  const { rows } = await db.query('select coalesce(sum(quantity * unit_price_cents), 0)::int as total from order_lines where order_id = $1', [orderId])
  return rows[0].total
}

module.exports = { connect, addCustomer, placeOrder, orderTotal }
