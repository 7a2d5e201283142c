/**
 * The server workerdb's own tests run against: WORKERDB_TEST_URL (CI points it at the machine's
 * PostgreSQL) or, on a fresh machine with no PostgreSQL, an embedded server started once per run.
 */
import { startEmbedded } from '../packages/core/src/server/embedded.js'
import { createLogger } from '../packages/core/src/log.js'

export default async function setup() {
  if (process.env.WORKERDB_TEST_URL) {
    process.env.WORKERDB_TEST_SERVER = 'url'
    return
  }
  // On disk, like CI's server: the chaos tests kill a run in the middle of CREATE DATABASE, and a copy on
  // the RAM disk ends before they can see it start. (Runs that start their own server use the RAM disk.)
  const server = await startEmbedded({ memory: false }, createLogger())
  process.env.WORKERDB_TEST_URL = server.adminUrl
  process.env.WORKERDB_TEST_SERVER = 'embedded'
  return () => server.stop()
}
