const { addWorkerDb } = require('@workerdb/jest')

/** @type {import('jest').Config} */
module.exports = addWorkerDb({
  testEnvironment: 'node',
  // Jest's default on a 2-core machine is 1 worker (and so in band); ask for 3 to show one database per worker.
  maxWorkers: 3,
})
