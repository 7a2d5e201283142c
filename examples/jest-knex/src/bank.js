async function openAccount(db, owner, balanceCents = 0) {
  const [{ id }] = await db('accounts').insert({ owner, balance_cents: balanceCents }).returning('id')
  return id
}

async function balance(db, id) {
  const row = await db('accounts').where({ id }).first('balance_cents')
  return Number(row.balance_cents)
}

/** Moves money in one transaction: both balances change, or neither does. */
async function transfer(db, fromId, toId, amountCents) {
  await db.transaction(async (trx) => {
    await trx('accounts').where({ id: fromId }).decrement('balance_cents', amountCents)
    await trx('accounts').where({ id: toId }).increment('balance_cents', amountCents)
    await trx('transfers').insert({ from_id: fromId, to_id: toId, amount_cents: amountCents })
  })
}

module.exports = { openAccount, balance, transfer }
