const { connect } = require('../src/db')

/** The app's models, on this worker's database, closed when the file is done. */
function useDb() {
  const db = connect()
  afterAll(() => db.sequelize.close())
  return db
}

module.exports = { useDb }
