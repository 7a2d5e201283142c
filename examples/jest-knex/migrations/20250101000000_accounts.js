exports.up = (knex) =>
  knex.schema.createTable('accounts', (t) => {
    t.increments('id')
    t.text('owner').notNullable().unique()
    t.bigInteger('balance_cents').notNullable().defaultTo(0)
    t.check('balance_cents >= 0', [], 'balance_not_negative')
  })

exports.down = (knex) => knex.schema.dropTable('accounts')
