/**
 * `reset: { truncate: true, per: 'test' }` on real runs with two workers: in every file, test 2 sees none of
 * the rows test 1 wrote (identities back at 1), the file's own beforeEach still seeds after workerdb's
 * reset, kept and ledger rows survive, and each file resets through one connection of its own that is gone
 * once the file ends. A file whose tests run in a test transaction keeps the transaction's behaviour. Under
 * Jest the reset comes from the preset's setupFilesAfterEnv entry (beforeEach is not defined in setupFiles), with
 * injectGlobals: false too; under Vitest from the running Vitest (3 and 4), isolated or not.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { adminQuery, describeRun, dropDatabase, leftoverClones, runVitest, serverUrl, uniquePrefix, useScenarios, type Major } from '../support/harness.js'
import { describeRun as describeJestRun, runJest, useJestScenarios, type JestMajor } from '../support/jest-harness.js'
import { fileHead, RESET_MIGRATION, type FileKind } from '../support/reset-files.js'
import { tier } from '../support/tier.js'

const vitestScenarios = useScenarios()
const jestScenarios = useJestScenarios()

const RESET = { truncate: true, per: 'test', keep: ['countries'] }
const FILES = ['a', 'b', 'c', 'd']


const COMMON = `
const log = (line) => appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: FILE, pid: process.pid, workerId: process.env.VITEST_POOL_ID ?? process.env.JEST_WORKER_ID, ...line }) + '\\n')
let client
const rows = async (sql) => (await client.query(sql)).rows
const state = async () => (await rows(\`select (select coalesce(json_agg(name order by id), '[]') from items) as items, (select count(*)::int from tags) as tags,
  (select string_agg(code, ',' order by code) from countries) as countries, (select string_agg(name, ',') from knex_migrations) as ledger,
  current_database() as database,
  (select count(*)::int from pg_stat_activity where datname = current_database() and application_name = 'workerdb reset') as "resetSessions"\`))[0]

beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  // Written before the first test: emptied by the reset before that test, as any earlier row.
  await rows("insert into items (name) values ('from beforeAll')")
})
afterAll(async () => {
  await client.end()
})
`

/** Test 1 writes; test 2 must see none of it; the file's own beforeEach seeds one row after workerdb's reset. */
function writerFile(kind: FileKind, name: string): string {
  return `${fileHead(kind, { jestGlobals: true })}const FILE = ${JSON.stringify(name)}
${COMMON}
beforeEach(async () => {
  await rows("insert into items (name) values ('seed')")
})

test('test 1 writes', async () => {
  const before = await state()
  const ids = (await rows("insert into items (name) values ('x'), ('y') returning id")).map((r) => r.id)
  await rows("insert into tags (item_id, tag) values (2, 't'), (3, 'u')")
  log({ test: 1, before, ids })
  expect(before.items).toEqual(['seed'])
  expect(ids).toEqual([2, 3])
})

test('test 2 sees none of it', async () => {
  const before = await state()
  const ids = (await rows("insert into items (name) values ('z') returning id")).map((r) => r.id)
  log({ test: 2, before, ids })
  expect(before.items).toEqual(['seed'])
  expect(before.tags).toBe(0)
  expect(ids).toEqual([2])
})
`
}

/** A file in a test transaction: the reset per test steps aside, so ids keep growing while rows are rolled back. */
function transactionFile(kind: FileKind): string {
  const hooks = ', { beforeEach, afterEach }'
  return `${fileHead(kind, { jestGlobals: true })}const FILE = 'tx'
${COMMON}
useTransaction(() => client${hooks})

for (const n of [1, 2]) {
  test('transaction ' + n, async () => {
    const before = await state()
    const ids = (await rows("insert into items (name) values ('in tx') returning id")).map((r) => r.id)
    log({ test: n, before, ids })
    expect(before.items).toEqual([])
  })
}
`
}

interface Line { file: string; test: number; workerId: string; before: { items: string[]; tags: number; countries: string; ledger: string; database: string; resetSessions: number }; ids: number[] }

function check(lines: Line[], output: string, info: string): void {
  const writers = lines.filter((l) => FILES.includes(l.file))
  expect(writers.map((l) => `${l.file}${l.test}`).sort(), info).toEqual(FILES.flatMap((f) => [`${f}1`, `${f}2`]))
  for (const l of writers) {
    expect(l.before.countries, info).toBe('de,fr')
    expect(l.before.ledger, info).toBe('0002_app.js')
    // One connection of workerdb's on the clone: this file's, and no earlier file's left open.
    expect(l.before.resetSessions, `${l.file} test ${l.test}\n${info}`).toBe(1)
  }
  expect(new Set(lines.map((l) => l.before.database)).size, `two workers, two clones\n${info}`).toBe(2)
  const tx = lines.filter((l) => l.file === 'tx').sort((a, b) => a.test - b.test)
  expect(tx.map((l) => l.ids[0]), `the transaction file's rows were rolled back and its identities kept growing\n${info}`).toEqual([1, 2])
  // items, tags and the scenarios' own e2e_seed; countries kept; knex_migrations is a ledger.
  expect(output, info).toMatch(/workerdb · reset: 3 tables emptied before every test file and every test/)
}

describe('reset per test', () => {
  // Vitest 3 too: the hooks come from the running Vitest, whichever that is. With isolation off, one process
  // runs file after file with its globals kept: each file's connection must still end with the file.
  // Vitest 3 with isolation off in a full run only (support/tier.ts).
  test.each(tier<[Major, string, object]>([
    [4, 'isolated', {}], [3, 'isolated', {}], [4, 'isolate: false', { isolate: false }], [3, 'isolate: false', { isolate: false }],
  ], ([major, how]) => major === 4 || how === 'isolated'))('vitest %i (%s): with 2 workers, test 2 of every file sees none of the rows test 1 wrote', async (major: Major, _how: string, extra: object) => {
    const files: Record<string, string> = { 'migrations/0002_app.sql': RESET_MIGRATION, 'test/tx.test.mjs': transactionFile('vitest') }
    for (const f of FILES) files[`test/${f}.test.mjs`] = writerFile('vitest', f)
    const project = vitestScenarios.project({
      vitest: major, files: 0, tag: `rt${major}`, extraFiles: files, workerDb: { reset: RESET },
      config: { pool: 'forks', maxWorkers: 2, ...extra },
    })
    const r = await runVitest(project)
    const info = describeRun(r)
    expect(r.code, info).toBe(0)
    expect(r.report?.numPassedTests, info).toBe(FILES.length * 2 + 2)
    check(r.lines as unknown as Line[], r.output, info)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  test.each([30, 29] as const)('jest %i: with 2 workers, test 2 of every file sees none of the rows test 1 wrote', async (major: JestMajor) => {
    const files: Record<string, string> = { 'migrations/0002_app.sql': RESET_MIGRATION, 'test/tx.test.js': transactionFile('jest') }
    for (const f of FILES) files[`test/${f}.test.js`] = writerFile('jest', f)
    const project = jestScenarios.project({
      jest: major, files: 0, tag: 'rpt', extraFiles: files,
      // Two worker processes, each running several files (workerIdleMemoryLimit keeps Jest from running in band).
      // No globals: the reset takes its hooks from @jest/globals, as the test files do.
      config: { maxWorkers: 2, workerIdleMemoryLimit: '1GB', injectGlobals: false },
    })
    writeFileSync(join(project.dir, 'workerdb.config.json'), JSON.stringify({ prefix: project.prefix, migrate: { sql: './migrations' }, reset: RESET }))
    const r = await runJest(project)
    const info = describeJestRun(r)
    expect(r.code, info).toBe(0)
    expect(r.report?.numPassedTests, info).toBe(FILES.length * 2 + 2)
    check(r.lines as unknown as Line[], r.output, info)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})

describe('reset per test and the unused-clones check', () => {
  const shared = `${uniquePrefix('rpu')}_app_test`
  beforeAll(async () => {
    await adminQuery(`create database "${shared}"`)
  })
  afterAll(async () => {
    await dropDatabase(shared)
  })

  test("vitest 4: the reset's own connections do not count as the tests using their clones", async () => {
    const u = new URL(serverUrl())
    u.pathname = `/${shared}`
    const testFile = `import pg from 'pg'
import { expect, test } from 'vitest'
for (const n of [1, 2, 3]) test('talks to the database ' + n, async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  const { rows } = await client.query('select 1 as one')
  await client.end()
  expect(rows[0].one).toBe(1)
})
`
    const project = vitestScenarios.project({
      vitest: 4, files: 0, tag: 'rtu',
      workerDb: { reset: { truncate: true, per: 'test' } },
      // The project's own setup file points DATABASE_URL elsewhere, after workerdb's: the clones see only the reset.
      config: { pool: 'forks', maxWorkers: 2, setupFiles: ['./overwrite.mjs'] },
      extraFiles: { 'overwrite.mjs': `process.env.DATABASE_URL = ${JSON.stringify(u.toString())}\n`, 'test/a.test.mjs': testFile, 'test/b.test.mjs': testFile },
    })
    const r = await runVitest(project)
    expect(r.code, describeRun(r)).toBe(0)
    expect(r.stderr, describeRun(r)).toMatch(/none of this run's 2 clones saw a connection from the tests/)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
