const { basename } = require('node:path')
const { getWorkerDatabase } = require('@workerdb/jest')
const { connect } = require('../src/inventory')

/**
 * One pool per test file, closed when the file is done. Before the file's tests it checks that the app's
 * connection (DATABASE_URL) is on the database workerdb gave this worker, then signs that database's
 * visitor book with the worker id Jest gave this process (JEST_WORKER_ID) and fails if another worker id
 * signed it too: two workers on one database is exactly what workerdb exists to prevent, and the server's
 * own record is what shows it, whatever names the setup file handed out.
 */
function useDb() {
  const db = connect()
  beforeAll(async () => {
    const [[{ here }]] = await db.query('select database() as here')
    expect(here).toBe(getWorkerDatabase().database)
    await expectOnlyThisWorkerHere(db, Number(process.env.JEST_WORKER_ID), basename(expect.getState().testPath ?? '?'))
  })
  afterAll(() => db.end())
  return db
}

async function expectOnlyThisWorkerHere(db, workerId, file) {
  const conn = await db.getConnection()
  try {
    // GET_LOCK is server-wide, so the lock is named after this database: it serialises the book's creation
    // should two workers ever share this database, and holds no other worker up.
    const [[{ locked }]] = await conn.query("select get_lock(concat('visits:', database()), 10) as locked")
    if (locked !== 1) throw new Error('could not take the visitor book lock in 10 s')
    try {
      await conn.query('create table if not exists example_visits (worker int not null, file varchar(200) not null)')
      await conn.query('insert into example_visits values (?, ?)', [workerId, file])
    } finally {
      await conn.query("select release_lock(concat('visits:', database()))")
    }
  } finally {
    conn.release()
  }
  const [others] = await db.query('select worker, file from example_visits where worker <> ?', [workerId])
  if (others.length) {
    const [[{ here }]] = await db.query('select database() as here')
    throw new Error(`worker ${workerId} (${file}) shares database ${here} with ${others.map((r) => `worker ${r.worker} (${r.file})`).join(', ')}`)
  }
}

module.exports = { useDb }
