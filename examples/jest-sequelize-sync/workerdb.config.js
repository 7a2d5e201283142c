const { defineConfig } = require('@workerdb/jest')

module.exports = defineConfig({
  // The app builds its schema by booting itself (sequelize.sync()): done once, into the template, instead
  // of once per test file. The models are what shape it: a change there builds a new template.
  migrate: {
    run: async (url) => {
      const { connect } = require('./src/models')
      const db = connect(url)
      await db.sequelize.sync()
      await db.sequelize.close()
    },
    inputs: ['./src/models'],
  },
  reset: 'truncate',
})
