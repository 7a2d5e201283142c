const { Sequelize } = require('sequelize')
const defineCustomer = require('./customer')
const defineOrder = require('./order')

/** The app's connection and models: DATABASE_URL, read when the app connects (in tests, this worker's own database). */
function connect(url = process.env.DATABASE_URL) {
  const sequelize = new Sequelize(url, { logging: false })
  const Customer = defineCustomer(sequelize)
  const Order = defineOrder(sequelize)
  Customer.hasMany(Order, { foreignKey: 'customerId' })
  Order.belongsTo(Customer, { foreignKey: 'customerId' })
  return { sequelize, Customer, Order }
}

module.exports = { connect }
