// What the reset scenarios' test files do on MariaDB/MySQL or SQLite (e2e/test/dialects-reset.test.ts), whichever
// runner loads them: read the state the reset must have left (before writing anything), then write two items and
// a tag. Talks to DATABASE_URL with the kind's own driver, one connection per call.
const { basename } = require('node:path')
const { fileURLToPath } = require('node:url')

const STATE = `select (select count(*) from items) as items, (select count(*) from tags) as tags, (select count(*) from e2e_seed) as seed,
  (select count(*) from countries) as countries, (select count(*) from knex_migrations) as ledger`

async function onMysql(url) {
  const conn = await require('mysql2/promise').createConnection(url)
  try {
    const [[{ db }]] = await conn.query('select database() as db')
    const [[state]] = await conn.query(STATE)
    const ids = []
    for (const name of ['x', 'y']) ids.push((await conn.query('insert into items (name) values (?)', [name]))[0].insertId)
    await conn.query("insert into tags (item_id, tag) values (?, 't')", [ids[0]])
    return { database: db, state, ids }
  } finally {
    await conn.end()
  }
}

function onSqlite(url) {
  const path = fileURLToPath(url)
  const db = new (require('better-sqlite3'))(path, { fileMustExist: true, timeout: 5000 })
  try {
    const state = db.prepare(STATE).get()
    const ids = ['x', 'y'].map((name) => Number(db.prepare('insert into items (name) values (?)').run(name).lastInsertRowid))
    db.prepare("insert into tags (item_id, tag) values (?, 't')").run(ids[0])
    return { database: basename(path, '.db'), state, ids }
  } finally {
    db.close()
  }
}

exports.checkAndWrite = async function checkAndWrite() {
  const url = process.env.DATABASE_URL
  const seen = url.startsWith('file:') ? onSqlite(url) : await onMysql(url)
  const state = Object.fromEntries(Object.entries(seen.state).map(([k, v]) => [k, Number(v)]))
  return { ...seen, state }
}

/**
 * For a file in a transaction per test (useTransaction): a connection of the kind's own driver to DATABASE_URL
 * (a mysql2 promise connection, or a better-sqlite3 database), and a step that counts the items, then adds one.
 */
exports.openTarget = async function openTarget() {
  const url = process.env.DATABASE_URL
  if (url.startsWith('file:')) {
    const db = new (require('better-sqlite3'))(fileURLToPath(url), { fileMustExist: true, timeout: 5000 })
    return {
      target: db,
      async countThenInsert() {
        const { n } = db.prepare('select count(*) as n from items').get()
        db.prepare("insert into items (name) values ('in a transaction')").run()
        return Number(n)
      },
      close: async () => db.close(),
    }
  }
  const conn = await require('mysql2/promise').createConnection(url)
  return {
    target: conn,
    async countThenInsert() {
      const [[{ n }]] = await conn.query('select count(*) as n from items')
      await conn.query("insert into items (name) values ('in a transaction')")
      return Number(n)
    },
    close: () => conn.end(),
  }
}
