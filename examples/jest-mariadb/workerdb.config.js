const { defineConfig } = require('@workerdb/jest')

module.exports = defineConfig({
  // MariaDB. The server comes from WORKERDB_URL (e.g. WORKERDB_URL=mysql://root@127.0.0.1:3306 npm test),
  // not from this file, so no credentials are committed. No MySQL or MariaDB binaries ship on npm: unlike
  // PostgreSQL there is no embedded server to fall back on, so without WORKERDB_URL the run stops (E_CONFIG).
  dialect: 'mysql',
  // MariaDB SQL, run once into a template; each Jest worker gets a copy of it as its own database.
  migrate: { sql: './migrations' },
})
