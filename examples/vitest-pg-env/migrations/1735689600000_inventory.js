/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.createTable('items', {
    id: 'id',
    sku: { type: 'text', notNull: true, unique: true },
    quantity: { type: 'integer', notNull: true, default: 0, check: 'quantity >= 0' },
  })
}

export const down = (pgm) => pgm.dropTable('items')
