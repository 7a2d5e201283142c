'use strict'

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('transfers', {
      id: { type: Sequelize.INTEGER, autoIncrement: true, primaryKey: true },
      from_id: { type: Sequelize.INTEGER, allowNull: false, references: { model: 'accounts', key: 'id' } },
      to_id: { type: Sequelize.INTEGER, allowNull: false, references: { model: 'accounts', key: 'id' } },
      amount_cents: { type: Sequelize.BIGINT, allowNull: false },
    })
  },
  async down(queryInterface) {
    await queryInterface.dropTable('transfers')
  },
}
