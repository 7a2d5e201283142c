/** A small inventory and orders module on MariaDB, the kind of code whose tests need a real database. */
const mysql = require('mysql2/promise')

function connect() {
  // DATABASE_URL is this worker's own database (mysql://…/<clone>), set by workerdb before any test module loads.
  return mysql.createPool({ uri: process.env.DATABASE_URL, connectionLimit: 2 })
}

async function addProduct(db, { sku, title, priceCents, stock = 0 }) {
  const [result] = await db.query('insert into products (sku, title, price_cents, stock) values (?, ?, ?, ?)', [sku, title, priceCents, stock])
  return result.insertId
}

async function stockOf(db, sku) {
  const [rows] = await db.query('select stock from products where sku = ?', [sku])
  if (!rows.length) throw new Error(`no product ${sku}`)
  return rows[0].stock
}

/** An order and its lines, all or nothing: a line whose product is short of stock undoes the whole order. */
async function placeOrder(db, customerEmail, lines) {
  const conn = await db.getConnection()
  try {
    await conn.beginTransaction()
    const [order] = await conn.query('insert into orders (customer_email) values (?)', [customerEmail])
    for (const line of lines) {
      const [products] = await conn.query('select id, price_cents from products where sku = ? for update', [line.sku])
      if (!products.length) throw new Error(`no product ${line.sku}`)
      const [taken] = await conn.query('update products set stock = stock - ? where id = ? and stock >= ?', [line.quantity, products[0].id, line.quantity])
      if (taken.affectedRows === 0) throw new Error(`out of stock: ${line.sku}`)
      // The trigger order_lines_take_stock records the stock movement.
      await conn.query('insert into order_lines (order_id, product_id, quantity, unit_price_cents) values (?, ?, ?, ?)',
        [order.insertId, products[0].id, line.quantity, products[0].price_cents])
    }
    await conn.commit()
    return order.insertId
  } catch (err) {
    await conn.rollback()
    throw err
  } finally {
    conn.release()
  }
}

async function orderTotal(db, orderId) {
  const [rows] = await db.query('select total_cents from order_totals where order_id = ?', [orderId])
  if (!rows.length) throw new Error(`no order ${orderId}`)
  return Number(rows[0].total_cents)
}

/** The stock movements of one product, oldest first. */
async function movements(db, sku) {
  const [rows] = await db.query(`
    select m.delta, m.reason from stock_movements m join products p on p.id = m.product_id
     where p.sku = ? order by m.id`, [sku])
  return rows
}

module.exports = { connect, addProduct, stockOf, placeOrder, orderTotal, movements }
