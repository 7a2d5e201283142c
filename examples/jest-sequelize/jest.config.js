/** @type {import('jest').Config} */
module.exports = {
  preset: '@workerdb/jest',
  testEnvironment: 'node',
  maxWorkers: 2,
}
