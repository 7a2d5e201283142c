/**
 * Migration scripts (`migrate: { sql }`) on one SQLite database file. A script runs in one transaction,
 * all of it or none, unless it manages transactions or foreign-key enforcement itself: SQLite ignores
 * `PRAGMA foreign_keys` inside a transaction (its table-rebuild recipe needs it outside), and refuses a
 * BEGIN inside one, so such a script runs exactly as written.
 */
import type { ScriptRunner } from '../dialect.js'
import { openDb } from './driver.js'
import { sqlitePath } from './url.js'

/** `PRAGMA foreign_keys`, or a transaction statement on its own (a trigger's BEGIN … END; is not one). */
const OWN_TRANSACTIONS = /\bPRAGMA\s+foreign_keys\b|^\s*(BEGIN(\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?(\s+TRANSACTION)?|(COMMIT|END|ROLLBACK)\s+TRANSACTION|COMMIT|ROLLBACK)\s*;/im

export async function openScripts(url: string): Promise<ScriptRunner> {
  const db = openDb(sqlitePath(url), { mustExist: true })
  return {
    async run(sql) {
      if (OWN_TRANSACTIONS.test(sql)) {
        db.exec(sql)
        return
      }
      db.exec('BEGIN')
      try {
        db.exec(sql)
        db.exec('COMMIT')
      } catch (err) {
        db.rollback()
        throw err
      }
    },
    async close() {
      db.close()
    },
  }
}
