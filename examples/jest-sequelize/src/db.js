const { DataTypes, Sequelize } = require('sequelize')

/**
 * The app's connection and models. DATABASE_URL is read when the app connects, not when this module loads:
 * in tests it is this worker's own database.
 */
function connect(url = process.env.DATABASE_URL) {
  const sequelize = new Sequelize(url, { logging: false })
  const Account = sequelize.define('Account', {
    owner: { type: DataTypes.TEXT, allowNull: false, unique: true },
    balance_cents: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
  }, { tableName: 'accounts', timestamps: false })
  const Transfer = sequelize.define('Transfer', {
    from_id: { type: DataTypes.INTEGER, allowNull: false },
    to_id: { type: DataTypes.INTEGER, allowNull: false },
    amount_cents: { type: DataTypes.BIGINT, allowNull: false },
  }, { tableName: 'transfers', timestamps: false })
  return { sequelize, Account, Transfer }
}

module.exports = { connect }
