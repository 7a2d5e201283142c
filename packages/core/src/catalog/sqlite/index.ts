/**
 * The SQLite dialect: the "server" is a directory (a file: URL), each database a file in it. The driver
 * (better-sqlite3, which the user installs, else Node's own node:sqlite) is loaded on connect: driver.ts.
 * session.ts says how the catalog maps onto files, lock.ts how the locks work. Workers need only url.ts
 * (sqlitePath), which loads no driver.
 */
import { DIALECT_LABELS, type Dialect } from '../dialect.js'
import { loadSqlite, openDb } from './driver.js'
import { readSqliteResetCatalog } from './reset.js'
import { openScripts } from './scripts.js'
import { openDirectory } from './session.js'
import { sqliteAdminUrl, sqliteDatabaseUrl, sqlitePath } from './url.js'

export { sqlitePath } from './url.js'

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  label: DIALECT_LABELS.sqlite,
  adminUrl: sqliteAdminUrl,
  databaseUrl: sqliteDatabaseUrl,
  async connect(url, source = 'the configured URL') {
    const dir = sqlitePath(url)
    loadSqlite()
    return openDirectory(dir, source)
  },
  openScripts,
  async readResetCatalog(url) {
    const db = openDb(sqlitePath(url), { mustExist: true })
    try {
      return readSqliteResetCatalog(db)
    } finally {
      db.close()
    }
  },
  dropByHand: (name) => `rm -f <dir>/${name}.db* (<dir>: the SQLite directory the file: URL names)`,
  grantCreate: (user) => `make the SQLite directory writable for ${user} (chown ${user} <dir>, or chmod u+rwx <dir>)`,
}
