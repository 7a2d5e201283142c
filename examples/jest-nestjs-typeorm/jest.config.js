const { addWorkerDb } = require('@workerdb/jest')

// The Jest config `nest new` writes, wrapped: its ts-jest transform (matching .js too) is kept as it is.
module.exports = addWorkerDb({
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testRegex: '.*\\.spec\\.ts$',
  transform: { '^.+\\.(t|j)s$': 'ts-jest' },
  testEnvironment: 'node',
  maxWorkers: 2,
})
