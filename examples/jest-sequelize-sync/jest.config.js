const { addWorkerDb } = require('@workerdb/jest')

// Before workerdb this suite ran with maxWorkers: 1, every file sharing one database.
module.exports = addWorkerDb({
  testEnvironment: 'node',
  maxWorkers: 2,
})
