/**
 * `preset: '@workerdb/jest'`. Jest resolves the paths in a preset against the user's rootDir, so every one
 * is absolute. A user's own globalSetup/globalTeardown/testSequencer/reporters replace these (see the
 * README for composing them); setupFiles and setupFilesAfterEnv concatenate, with workerdb's first.
 */
const { join } = require('node:path')

const dist = (file) => join(__dirname, 'dist', file)

const globalSetup = dist('global-setup.js')
const globalTeardown = dist('global-teardown.js')
const setupFiles = [dist('setup.js')]
// `reset: { truncate: true, per: 'test' }` registers its beforeEach here: setupFiles run before Jest defines it.
const setupFilesAfterEnv = [dist('setup-after-env.js')]
const testSequencer = dist('sequencer.js')
const reporters = ['default', dist('reporter.js')]

// Shorthand properties, so that Node also sees them as named exports from ESM (`import { globalSetup } from …`).
module.exports = { globalSetup, globalTeardown, setupFiles, setupFilesAfterEnv, testSequencer, reporters }
