const { DataTypes } = require('sequelize')

module.exports = (sequelize) => sequelize.define('Customer', {
  email: { type: DataTypes.TEXT, allowNull: false, unique: true },
  name: { type: DataTypes.TEXT, allowNull: false },
}, { tableName: 'customers' })
