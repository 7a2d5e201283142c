const { connect } = require('../src/db')

/** One knex instance per test file, on this worker's database, destroyed when the file is done. */
function useDb() {
  const db = connect()
  afterAll(() => db.destroy())
  return db
}

module.exports = { useDb }
