exports.up = (knex) =>
  knex.schema.createTable('transfers', (t) => {
    t.increments('id')
    t.integer('from_id').notNullable().references('accounts.id')
    t.integer('to_id').notNullable().references('accounts.id')
    t.bigInteger('amount_cents').notNullable()
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })

exports.down = (knex) => knex.schema.dropTable('transfers')
