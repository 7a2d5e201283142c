async function openAccount(db, owner, balanceCents = 0) {
  const account = await db.Account.create({ owner, balance_cents: balanceCents })
  return account.id
}

async function balance(db, id) {
  const account = await db.Account.findByPk(id)
  return Number(account.balance_cents)
}

/** Moves money in one transaction: both balances change, or neither does. */
async function transfer(db, fromId, toId, amountCents) {
  await db.sequelize.transaction(async (transaction) => {
    await db.Account.decrement('balance_cents', { by: amountCents, where: { id: fromId }, transaction })
    await db.Account.increment('balance_cents', { by: amountCents, where: { id: toId }, transaction })
    await db.Transfer.create({ from_id: fromId, to_id: toId, amount_cents: amountCents }, { transaction })
  })
}

module.exports = { openAccount, balance, transfer }
