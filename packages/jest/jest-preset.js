/**
 * `preset: '@workerdb/jest'`. Jest resolves the paths in a preset against the user's rootDir, so every one
 * is absolute. A user's own globalSetup/globalTeardown/testSequencer/reporters replace these (see the
 * README for composing them); setupFiles concatenate, with workerdb's first.
 */
const { join } = require('node:path')

const dist = (file) => join(__dirname, 'dist', file)

module.exports = {
  globalSetup: dist('global-setup.js'),
  globalTeardown: dist('global-teardown.js'),
  setupFiles: [dist('setup.js')],
  testSequencer: dist('sequencer.js'),
  reporters: ['default', dist('reporter.js')],
}
