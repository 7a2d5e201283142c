/**
 * `reset: { truncate: true, keep }` on real runs: several test files share one worker (so one clone), each
 * writes rows, and each must still start from empty user tables with identities back at 1 — whatever order
 * the runner picks — while the migration ledger and the kept table keep the rows the migrations wrote.
 * One file also uses the transaction-per-test helper through the framework package's own export.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { describeRun, leftoverClones, runVitest, useScenarios, type Major } from '../support/harness.js'
import { describeRun as describeJestRun, runJest, useJestScenarios, type JestMajor } from '../support/jest-harness.js'
import { fileHead, RESET_MIGRATION, type FileKind } from '../support/reset-files.js'
import { tier } from '../support/tier.js'

const vitestScenarios = useScenarios()
const jestScenarios = useJestScenarios()

const RESET = { truncate: true, keep: ['countries'] }
const FILES = ['a', 'b', 'c']


/** What every file checks first: the state the reset must have left, read before this file wrote anything. */
const COMMON = `
const log = (line) => appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: FILE, pid: process.pid, ...line }) + '\\n')
let client
const rows = async (sql) => (await client.query(sql)).rows
const state = async () => (await rows(\`select (select count(*)::int from items) as items, (select count(*)::int from tags) as tags,
  (select count(*)::int from e2e_seed) as seed, (select string_agg(code, ',' order by code) from countries) as countries,
  (select string_agg(name, ',') from knex_migrations) as ledger\`))[0]
const EMPTY = { items: 0, tags: 0, seed: 0, countries: 'de,fr', ledger: '0002_app.js' }

beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
})
afterAll(async () => {
  await client.end()
})
`

function writerFile(kind: FileKind, name: string): string {
  return `${fileHead(kind)}const FILE = ${JSON.stringify(name)}
${COMMON}
test('starts from empty tables with identities reset, then writes', async () => {
  const before = await state()
  const { db } = (await rows('select current_database() as db'))[0]
  const ids = (await rows("insert into items (name) values ('x'), ('y') returning id")).map((r) => r.id)
  await rows('insert into tags (item_id, tag) values (1, \\'t\\'), (2, \\'u\\')')
  log({ event: 'done', database: db, before, ids, workerId: process.env.VITEST_POOL_ID ?? process.env.JEST_WORKER_ID })
  expect(before).toEqual(EMPTY)
  expect(ids).toEqual([1, 2])
})
`
}

/** The transaction helper: each test's writes are rolled back, so the next test (and file) sees none. */
function transactionFile(kind: FileKind): string {
  const hooks = kind === 'vitest' ? ', { beforeEach, afterEach }' : ''
  return `${fileHead(kind)}const FILE = 'tx'
${COMMON}
useTransaction(() => client${hooks})

for (const n of [1, 2]) {
  test('transaction ' + n, async () => {
    const before = await state()
    const { db } = (await rows('select current_database() as db'))[0]
    // Code under test with its own transaction: committed into a savepoint, rolled back with the test.
    await client.query('BEGIN')
    await client.query("insert into items (name) values ('in tx')")
    await client.query('COMMIT')
    const during = (await rows('select count(*)::int as n from items'))[0].n
    log({ event: n === 2 ? 'done' : 'step', database: db, before, during, workerId: process.env.VITEST_POOL_ID ?? process.env.JEST_WORKER_ID })
    expect(before).toEqual(EMPTY)
    expect(during).toBe(1)
  })
}
`
}

interface Line { file: string; event: string; database?: string; before?: unknown; ids?: number[] }

/** Every file ran, on the one clone, and saw the reset state. */
function check(lines: Line[], output: string, info: string): void {
  const done = lines.filter((l) => l.event === 'done')
  expect(done.map((l) => l.file).sort(), info).toEqual([...FILES, 'tx'].sort())
  expect(new Set(done.map((l) => l.database)).size, info).toBe(1)
  for (const l of done) expect(l.before, `${l.file}\n${info}`).toEqual({ items: 0, tags: 0, seed: 0, countries: 'de,fr', ledger: '0002_app.js' })
  // items and tags emptied, and the scenarios' own e2e_seed; countries kept; knex_migrations is a ledger.
  expect(output, info).toMatch(/workerdb · reset: 3 tables emptied before every test file/)
}

describe('reset: truncate between test files', () => {
  // Vitest 3 too: its setup files run through vite-node, which must honour the setup file's top-level await.
  // With isolate: false one process runs every file: the setup file must still run (and reset) before each.
  test.each([
    [4, 'a process per file', {}], [3, 'a process per file', {}], [4, 'isolate: false', { isolate: false }],
  ] as const)('vitest %i (%s): files sharing one worker each start from empty tables; ledger and kept rows survive', async (major: Major, _how: string, extra: object) => {
    const files: Record<string, string> = { 'migrations/0002_app.sql': RESET_MIGRATION, 'test/tx.test.mjs': transactionFile('vitest') }
    for (const f of FILES) files[`test/${f}.test.mjs`] = writerFile('vitest', f)
    const project = vitestScenarios.project({
      vitest: major, files: 0, tag: `rs${major}`, extraFiles: files, workerDb: { reset: RESET },
      // One slot: every file runs on clone 1, one after the other (same database).
      config: { pool: 'forks', maxWorkers: 1, ...extra },
    })
    const r = await runVitest(project)
    const info = describeRun(r)
    expect(r.code, info).toBe(0)
    expect(r.report?.numPassedTests, info).toBe(FILES.length + 2)
    check(r.lines as Line[], r.output, info)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  // Jest 29 in a full run only (support/tier.ts): the setup file runs the same way on both.
  test.each(tier<JestMajor>([29, 30], (major) => major === 30))('jest %i: files sharing one worker process each start from empty tables; ledger and kept rows survive', async (major: JestMajor) => {
    const files: Record<string, string> = { 'migrations/0002_app.sql': RESET_MIGRATION, 'test/tx.test.js': transactionFile('jest') }
    for (const f of FILES) files[`test/${f}.test.js`] = writerFile('jest', f)
    const project = jestScenarios.project({
      jest: major, files: 0, tag: 'rst', extraFiles: files,
      // One worker process (workerIdleMemoryLimit keeps Jest from running in band) that runs every file.
      config: { maxWorkers: 1, workerIdleMemoryLimit: '1GB' },
    })
    writeFileSync(join(project.dir, 'workerdb.config.json'), JSON.stringify({ prefix: project.prefix, migrate: { sql: './migrations' }, reset: RESET }))
    const r = await runJest(project)
    const info = describeJestRun(r)
    expect(r.code, info).toBe(0)
    expect(r.report?.numPassedTests, info).toBe(FILES.length + 2)
    check(r.lines as unknown as Line[], r.output, info)
    expect(new Set(r.lines.map((l) => l.pid)).size, `one worker process ran every file\n${info}`).toBe(1)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
