/**
 * A project whose own test setup assigns its database settings after workerdb set them: every test runs
 * on the shared database, and passes. workerdb must say so at teardown (the clones saw no session while
 * the shared database did), and fail the run when the config asks for it (unusedClones: 'error').
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { adminQuery, dropDatabase, leftoverClones, runVitest, serverUrl, uniquePrefix, useScenarios, describeRun } from '../support/harness.js'

const scenarios = useScenarios()
const shared = `${uniquePrefix('shr')}_app_test`

/** The project's own setup file, after workerdb's: "tests always use the test database". */
const OVERWRITE = (url: string) => `process.env.DATABASE_URL = ${JSON.stringify(url)}\n`

/** A test file that does what the project's tests did: connect through DATABASE_URL and query. */
const TEST_FILE = `import pg from 'pg'
import { expect, test } from 'vitest'
test('talks to the database', async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  const { rows } = await client.query('select 1 as one')
  await client.end()
  expect(rows[0].one).toBe(1)
})
`

beforeAll(async () => {
  await adminQuery(`create database "${shared}"`)
})
afterAll(async () => {
  await dropDatabase(shared)
})

describe('vitest 4', () => {
  const sharedUrl = () => {
    const u = new URL(serverUrl())
    u.pathname = `/${shared}`
    return u.toString()
  }
  const project = (tag: string, unusedClones: 'warn' | 'error') => scenarios.project({
    vitest: 4, files: 0, tag,
    workerDb: { unusedClones },
    config: { pool: 'forks', maxWorkers: 2, setupFiles: ['./overwrite.mjs'] },
    extraFiles: { 'overwrite.mjs': OVERWRITE(sharedUrl()), 'test/a.test.mjs': TEST_FILE, 'test/b.test.mjs': TEST_FILE },
  })

  test('the tests passed on the shared database: teardown says no clone was used, and names where the sessions went', async () => {
    const p = project('uw', 'warn')
    const r = await runVitest(p)
    expect(r.code, describeRun(r)).toBe(0)
    expect(r.stderr, describeRun(r)).toMatch(/none of this run's 2 clones saw a connection from the tests/)
    expect(r.stderr).toContain(`${shared} (2 sessions)`)
    expect(r.stderr).toContain('DATABASE_URL')
    expect(await leftoverClones(p.prefix)).toEqual([])
  })

  test("with unusedClones: 'error' the run fails with E_CLONES_UNUSED, and still drops its clones", async () => {
    const p = project('ue', 'error')
    const r = await runVitest(p)
    expect(r.code, describeRun(r)).not.toBe(0)
    expect(r.stdout + r.stderr, describeRun(r)).toContain('E_CLONES_UNUSED')
    expect(await leftoverClones(p.prefix)).toEqual([])
  })
})
