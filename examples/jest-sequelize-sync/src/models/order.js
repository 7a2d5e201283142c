const { DataTypes } = require('sequelize')

module.exports = (sequelize) => sequelize.define('Order', {
  totalCents: { type: DataTypes.INTEGER, allowNull: false },
}, { tableName: 'orders' })
