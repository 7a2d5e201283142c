import { settings } from '../src/settings.js'

// An app setup file that reads its settings when it loads: by then workerdb has already pointed them at
// this worker's clone, so nothing here had to change for parallel tests.
if (!settings.databaseName || settings.databaseName === 'shared_test_db') {
  throw new Error(`APP_DB_NAME is ${settings.databaseName}: the worker's database was not set before this setup file ran`)
}
