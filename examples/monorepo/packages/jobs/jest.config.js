// workerdb.config.ts at the monorepo root is found from this package upward.
module.exports = {
  preset: '@workerdb/jest',
  maxWorkers: 2,
}
