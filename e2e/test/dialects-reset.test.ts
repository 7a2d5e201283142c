/**
 * `reset: { truncate: true, per: 'test' }` on MariaDB (MySQL too, where its container runs) and SQLite, under
 * Vitest 4, Jest 30 and Playwright Test, with only WORKERDB_URL changed: 3 files on 2 workers, so files share a
 * clone. Every test first reads the state the reset must have left — no rows of an earlier test or file (the
 * seeded ones neither), the kept table and the migration ledger untouched — and identities back at 1, then writes.
 */
import { fileURLToPath } from 'node:url'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { killAll } from '../../test-support/processes.js'
import { describeRun, runVitest, useScenarios } from '../support/harness.js'
import { describeRun as describeJestRun, runJest, useJestScenarios } from '../support/jest-harness.js'
import { useKindServers } from '../support/cleanup.js'
import { PORTABLE_SEED_SQL, type KindServer } from '../support/dialect/scenario.js'
import { PLAYWRIGHT_FIXTURES, playwrightVersion, runPlaywright, writeScenario, type Scenario } from '../support/playwright.js'
import { removeScenario } from '../support/scenario.js'
import { testIf } from '../support/tier.js'

const vitestScenarios = useScenarios()
const jestScenarios = useJestScenarios()
const { servers, used } = useKindServers(import.meta.url)
const playwrightScenarios: Scenario[] = []
afterEach(killAll)
afterAll(() => { for (const s of playwrightScenarios) removeScenario(s.dir) })
const BODY = fileURLToPath(new URL('../support/dialect/reset-body.cjs', import.meta.url))
const FILES = ['a', 'b', 'c']
const RESET = { truncate: true, per: 'test', keep: ['countries'] }
const EMPTY = { items: 0, tags: 0, seed: 0, countries: 2, ledger: 1 }

/** The kind's own word for a counted key: SQLite's AUTOINCREMENT keeps its counter in sqlite_sequence, which the reset empties too. */
function appMigration(server: KindServer): string {
  const counted = server.name === 'sqlite' ? 'integer primary key autoincrement' : 'integer primary key auto_increment'
  return `create table items (id ${counted}, name varchar(20) not null);
create table tags (id ${counted}, item_id integer not null references items (id), tag varchar(20));
create table countries (code varchar(2) primary key);
insert into countries (code) values ('de'), ('fr');
create table knex_migrations (id integer primary key, name varchar(40) not null);
insert into knex_migrations (id, name) values (1, '0002_app.js');
insert into items (name) values ('seeded');
`
}

const HEADS = {
  vitest: `import { appendFileSync } from 'node:fs'\nimport { createRequire } from 'node:module'\nimport { expect, test } from 'vitest'\nconst { checkAndWrite } = createRequire(import.meta.url)(${JSON.stringify(BODY)})`,
  jest: `const { appendFileSync } = require('node:fs')\nconst { checkAndWrite } = require(${JSON.stringify(BODY)})`,
  // The reset per test comes with workerdb's own test (an automatic fixture).
  playwright: `const { appendFileSync } = require('node:fs')\nconst { test, expect } = require('@workerdb/playwright/test')\nconst { checkAndWrite } = require(${JSON.stringify(BODY)})`,
}

const testFile = (kind: keyof typeof HEADS, file: string) => `${HEADS[kind]}
for (const n of [1, 2]) {
  test('test ' + n + ' starts from empty tables with identities at 1, then writes', async () => {
    const seen = await checkAndWrite()
    appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: ${JSON.stringify(file)}, test: n, pid: process.pid, ...seen }) + '\\n')
    expect(seen.state).toEqual(${JSON.stringify(EMPTY)})
    expect(seen.ids).toEqual([1, 2])
  })
}
`

/**
 * A file whose tests each run in a transaction on the kind's own driver (useTransaction): each finds no item
 * (the file starts emptied, and the test before was rolled back), then adds one. The reset per test steps aside.
 */
const TRANSACTION_FILE = `import { createRequire } from 'node:module'
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import { useTransaction } from '@workerdb/vitest'
const { openTarget } = createRequire(import.meta.url)(${JSON.stringify(BODY)})
let db
beforeAll(async () => { db = await openTarget() })
afterAll(async () => { await db.close() })
useTransaction(() => db.target, { beforeEach, afterEach })
for (const n of [1, 2]) {
  test('transaction ' + n + ': finds none of the rows before it', async () => {
    expect(await db.countThenInsert()).toBe(0)
  })
}
`

interface Line { file: string; test: number; database: string; state: Record<string, number>; ids: number[] }

function check(lines: Line[], output: string, info: string): void {
  expect(lines.length, info).toBe(FILES.length * 2)
  for (const l of lines) {
    expect(l.state, `${l.file} test ${l.test}\n${info}`).toEqual(EMPTY)
    expect(l.ids, `${l.file} test ${l.test}\n${info}`).toEqual([1, 2])
  }
  // 3 files on 2 workers: some clone ran two files, so the reset before a file was needed too.
  expect(new Set(lines.map((l) => l.database)).size, info).toBe(2)
  // items, tags and the scenarios' own e2e_seed; countries kept; knex_migrations is a ledger.
  expect(output, info).toMatch(/workerdb · reset: 3 tables emptied before every test file and every test/)
}

describe.each(servers)('$label', (server) => {
  if (server.ready) beforeAll(server.ready, 120_000)
  const files = (kind: keyof typeof HEADS, path: (file: string) => string) => {
    const out: Record<string, string> = { 'migrations/0001_seed.sql': PORTABLE_SEED_SQL, 'migrations/0002_app.sql': appMigration(server) }
    for (const f of FILES) out[path(f)] = testFile(kind, f)
    return out
  }

  test('vitest 4, 2 workers: every test and file starts from empty tables; a file in a transaction per test sees none of its tests\' rows', async () => {
    const project = vitestScenarios.project({
      vitest: 4, files: 0, tag: `r${server.name.slice(0, 2)}`, workerDb: { reset: RESET },
      extraFiles: { ...files('vitest', (f) => `test/${f}.test.mjs`), 'test/tx.test.mjs': TRANSACTION_FILE },
      config: { pool: 'forks', maxWorkers: 2 },
    })
    used(server, project.prefix)
    const r = await runVitest(project, { timeoutMs: 90_000, env: { WORKERDB_URL: server.url } })
    const info = describeRun(r)
    expect(r.code, info).toBe(0)
    expect(r.report?.numPassedTests, info).toBe(FILES.length * 2 + 2)
    check(r.lines as unknown as Line[], r.output, info)
    expect(await server.leftoverClones(project.prefix)).toEqual([])
  })

  test('jest 30, 2 workers: every test and file starts from empty tables', async () => {
    const project = jestScenarios.project({
      jest: 30, files: 0, tag: `r${server.name.slice(0, 2)}`, extraFiles: files('jest', (f) => `test/${f}.test.js`),
      // Two worker processes, each running several files (workerIdleMemoryLimit keeps Jest from running in band).
      config: { maxWorkers: 2, workerIdleMemoryLimit: '1GB' },
    })
    writeFileSync(join(project.dir, 'workerdb.config.json'), JSON.stringify({ prefix: project.prefix, migrate: { sql: './migrations' }, reset: RESET }))
    used(server, project.prefix)
    const r = await runJest(project, { timeoutMs: 90_000, env: { WORKERDB_URL: server.url } })
    const info = describeJestRun(r)
    expect(r.code, info).toBe(0)
    expect(r.report?.numPassedTests, info).toBe(FILES.length * 2)
    check(r.lines as unknown as Line[], r.output, info)
    expect(await server.leftoverClones(project.prefix)).toEqual([])
  })

  // Playwright's hooks are the same on both servers of the MySQL family: MySQL's run in a full run (support/tier.ts).
  testIf(server.name !== 'mysql')(`playwright ${playwrightVersion(PLAYWRIGHT_FIXTURES[0])}, 2 workers: every test and file starts from empty tables`, async () => {
    const s = writeScenario(PLAYWRIGHT_FIXTURES[0], `r${server.name.slice(0, 2)}`, files('playwright', (f) => `${f}.spec.js`), { workers: 2 })
    playwrightScenarios.push(s)
    used(server, s.prefix)
    writeFileSync(join(s.dir, 'workerdb.config.json'), JSON.stringify({ prefix: s.prefix, migrate: { sql: './migrations' }, reset: RESET }))
    const r = await runPlaywright(PLAYWRIGHT_FIXTURES[0], s, [], { WORKERDB_URL: server.url })
    expect(r.stuck, r.output).toEqual([])
    expect(r.code, r.output).toBe(0)
    check(r.lines as unknown as Line[], r.output, r.output)
    expect(await server.leftoverClones(s.prefix)).toEqual([])
  })
})
