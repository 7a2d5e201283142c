const { connect } = require('../src/shop')

/** One pool per test file, closed when the file is done. */
function useDb() {
  const db = connect()
  afterAll(() => db.end())
  return db
}

module.exports = { useDb }
