const { basename } = require('node:path')
const { connect } = require('../src/shop')

/**
 * One pool per test file, closed when the file is done. Before the file's tests, it signs the database's
 * visitor book with the worker id Jest gave this process (JEST_WORKER_ID) and fails if another worker id
 * signed it too: two workers on one database is exactly what workerdb exists to prevent, and the server's
 * own record is what shows it, whatever names the setup file handed out.
 */
function useDb() {
  const db = connect()
  beforeAll(() => expectOnlyThisWorkerHere(db, process.env.JEST_WORKER_ID, basename(expect.getState().testPath ?? '?')))
  afterAll(() => db.end())
  return db
}

async function expectOnlyThisWorkerHere(db, workerId, file) {
  const client = await db.connect()
  try {
    await client.query('begin')
    // Serialises the book's creation, should two workers ever share this database.
    await client.query('select pg_advisory_xact_lock(20141)')
    await client.query('create schema if not exists example_visits')
    await client.query('create table if not exists example_visits.files (worker int not null, file text not null, database oid not null)')
    await client.query('insert into example_visits.files select $1, $2, oid from pg_database where datname = current_database()', [workerId, file])
    await client.query('commit')
  } catch (err) {
    await client.query('rollback')
    throw err
  } finally {
    client.release()
  }
  const { rows } = await db.query('select worker, file from example_visits.files where worker <> $1', [workerId])
  if (rows.length) {
    const { rows: [here] } = await db.query('select current_database() as name')
    throw new Error(`worker ${workerId} (${file}) shares database ${here.name} with ${rows.map((r) => `worker ${r.worker} (${r.file})`).join(', ')}`)
  }
}

module.exports = { useDb }
