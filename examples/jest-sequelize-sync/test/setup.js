const { connect } = require('../src/models')

/**
 * What every test file of the suite did before workerdb, unchanged: boot the models and
 * `sync({ alter: true })`. On a clone of the synced template it finds the schema in place.
 */
function useApp() {
  const db = connect()
  beforeAll(() => db.sequelize.sync({ alter: true }))
  afterAll(() => db.sequelize.close())
  return db
}

module.exports = { useApp }
