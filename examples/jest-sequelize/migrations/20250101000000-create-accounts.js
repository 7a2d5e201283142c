'use strict'

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('accounts', {
      id: { type: Sequelize.INTEGER, autoIncrement: true, primaryKey: true },
      owner: { type: Sequelize.TEXT, allowNull: false, unique: true },
      balance_cents: { type: Sequelize.BIGINT, allowNull: false, defaultValue: 0 },
    })
    await queryInterface.addConstraint('accounts', { type: 'check', fields: ['balance_cents'], where: { balance_cents: { [Sequelize.Op.gte]: 0 } }, name: 'balance_not_negative' })
  },
  async down(queryInterface) {
    await queryInterface.dropTable('accounts')
  },
}
