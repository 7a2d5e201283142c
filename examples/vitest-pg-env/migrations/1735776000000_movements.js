/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.createTable('movements', {
    id: 'id',
    item_id: { type: 'integer', notNull: true, references: 'items', onDelete: 'CASCADE' },
    delta: { type: 'integer', notNull: true },
    at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
  })
}

export const down = (pgm) => pgm.dropTable('movements')
