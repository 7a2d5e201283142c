// What the dialect scenarios' test files do, whichever runner loads them (vitest.mjs / jest.js wrappers,
// e2e/support/dialect/scenario.ts): connect to DATABASE_URL with the kind's own driver (SQLite: better-sqlite3,
// or node:sqlite with E2E_SQLITE_DRIVER=node:sqlite), read which database
// that is and the template's seed row, hold the database alone for a while (MariaDB: GET_LOCK on the
// database's name, and which user it is; SQLite: BEGIN EXCLUSIVE on its file — either fails while another file holds it), and
// return the `done` line the e2e checks read (the same shape as the PostgreSQL probes').
const { readFileSync } = require('node:fs')
const { basename } = require('node:path')
const { fileURLToPath } = require('node:url')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function onMysql(url, holdMs) {
  const mysql = require('mysql2/promise')
  const conn = await mysql.createConnection(url)
  try {
    const [[{ db, user }]] = await conn.query("select database() as db, substring_index(current_user(), '@', 1) as user")
    const [[{ locked }]] = await conn.query('select get_lock(database(), 0) as locked')
    await sleep(holdMs)
    const [[seed]] = await conn.query('select built_at, txid from e2e_seed where id = 1')
    await conn.query('select release_lock(database())')
    return { db, user, locked: locked === 1, seed: { built_at: seed.built_at, txid: String(seed.txid) } }
  } finally {
    await conn.end()
  }
}

/** better-sqlite3, or Node's own node:sqlite (Node 22+) when the scenario asks for it: both read a clone's file. */
function openSqlite(path) {
  if (process.env.E2E_SQLITE_DRIVER !== 'node:sqlite') return new (require('better-sqlite3'))(path, { fileMustExist: true, timeout: 0 })
  const { DatabaseSync } = require('node:sqlite')
  return new DatabaseSync(path, { timeout: 0 })
}

async function onSqlite(url, holdMs) {
  const path = fileURLToPath(url)
  const db = openSqlite(path)
  try {
    let locked = true
    try {
      db.exec('begin exclusive')
    } catch {
      locked = false
    }
    await sleep(holdMs)
    const seed = db.prepare('select built_at, txid from e2e_seed where id = 1').get()
    if (locked) db.exec('rollback')
    return { db: basename(path, '.db'), locked, seed: { built_at: seed.built_at, txid: String(seed.txid) } }
  } finally {
    db.close()
  }
}

/** `idVar`: VITEST_POOL_ID or JEST_WORKER_ID; the line carries it as `poolId` and `workerId` both. */
exports.probe = async function probe({ file, idVar, holdMs, wdb }) {
  const id = process.env[idVar]
  const manifest = JSON.parse(readFileSync(process.env.WORKERDB_MANIFEST, 'utf8'))
  const assigned = manifest.clones.find((c) => c.slot === Number(id))
  const url = process.env.DATABASE_URL
  const start = Date.now()
  const seen = url.startsWith('file:') ? await onSqlite(url, holdMs) : await onMysql(url, holdMs)
  return {
    file, pid: process.pid, event: 'done', poolId: id, workerId: id, database: seen.db, user: seen.user, start, end: Date.now(), locked: seen.locked,
    wdbDatabase: wdb.database, wdbWorkerId: wdb.workerId, runId: wdb.runId, assigned: assigned ? assigned.database : null,
    clones: manifest.clones.length, plan: manifest.plan, template: manifest.template, seed: seen.seed, manifest: process.env.WORKERDB_MANIFEST,
  }
}
