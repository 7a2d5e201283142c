const knex = require('knex')
const config = require('../knexfile')

/** The app's connection, from the knexfile: in tests, DATABASE_URL is this worker's own database. */
function connect() {
  return knex(config[process.env.NODE_ENV] ?? config.development)
}

module.exports = { connect }
