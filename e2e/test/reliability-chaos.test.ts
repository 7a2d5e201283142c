/**
 * Chaos: a real test runner (Vitest 4.1 from the e2e fixture, Jest 29.7) is killed while workerdb is
 * starting its embedded server, building the template, cloning, and while the tests run; with SIGKILL to
 * its whole process group (a CI job killed), SIGKILL to the runner alone (the OOM killer), Ctrl-C (SIGINT
 * to the group), and Jest 29's --bail (no globalTeardown). After each, the NEXT run of the same project
 * must pass with every file on its own clone, and once it has torn down nothing of the dead run may be
 * left: no clone, no unfinished template, no unmarked database, no postgres/initdb/guard process, no
 * scratch dir, no manifest file. A migration killed half way must leave no template a later run reuses:
 * the next run builds again, and the migration's side effects show it ran again.
 *
 * One summary line per fault class: `reliability · <class>: injected N, survived N, leaked N`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { manifestDir } from '../../packages/core/src/runfile/manifest.js'
import {
  adminQuery, describeRun, isolationProblems, runVitest, useScenarios, type Project, type RunResult,
} from '../support/harness.js'
import {
  describeRun as describeJestRun, isolationProblems as jestIsolationProblems, jestMatrixRow, MIGRATION_SQL, runJest, useJestScenarios,
  type JestProject, type JestRunResult,
} from '../support/jest-harness.js'
import {
  collectEvidence, databaseLeaks, descendants, evidenceLeaks, FaultTally, kill, reapGroup, startJest, startVitest,
  templatesOf, victimLines, waitFor, type Evidence, type Victim,
} from '../support/chaos.js'

const scenarios = useScenarios()
const jestScenarios = useJestScenarios()
const tally = new FaultTally()

afterAll(() => {
  for (const line of tally.lines()) console.log(line)
})

/** A table big enough (~35 MB) that cloning takes long enough to be caught in the middle of it. */
const BIG_SQL = `create table big as select g, repeat('x', 500) as s from generate_series(1, 60000) g;\n`
/** A migration that takes a while: the kill lands while it sleeps, after the first file already ran. */
const SLOW_SQL = `select pg_sleep(2);\ncreate table slow_done (id int);\n`

interface Outcome {
  survived: boolean
  leaks: string[]
  info: string
}

/** Records the fault in the tally and asserts it: the next run passed, nothing leaked. */
function settle(faultClass: string, o: Outcome): void {
  tally.record(faultClass, { survived: o.survived, leaked: o.leaks.length })
  expect(o.leaks, o.info).toEqual([])
  expect(o.survived, o.info).toBe(true)
}

async function nextVitest(project: Project, e: Evidence, o: { embedded?: boolean } = {}): Promise<{ next: RunResult; outcome: Outcome }> {
  const next = await runVitest(project, { embedded: o.embedded ?? false })
  const problems = isolationProblems(project, next)
  const leaks = [...await evidenceLeaks(e), ...(o.embedded ? [] : await databaseLeaks(project.prefix))]
  const info = `killed during ${e.phase}\nproblems of the next run:\n  - ${problems.join('\n  - ')}\nleaks:\n  - ${leaks.join('\n  - ')}\n${describeRun(next)}`
  return { next, outcome: { survived: problems.length === 0, leaks, info } }
}

async function nextJest(project: JestProject, e: Evidence, o: { embedded?: boolean; args?: string[] } = {}): Promise<{ next: JestRunResult; outcome: Outcome }> {
  const next = await runJest(project, { args: o.args, ...(o.embedded ? { env: { WORKERDB_URL: undefined } } : {}) })
  const problems = jestIsolationProblems(project, next)
  const leaks = [...await evidenceLeaks(e), ...(o.embedded ? [] : await databaseLeaks(project.prefix))]
  const info = `killed during ${e.phase}\nproblems of the next run:\n  - ${problems.join('\n  - ')}\nleaks:\n  - ${leaks.join('\n  - ')}\n${describeJestRun(next)}`
  return { next, outcome: { survived: problems.length === 0, leaks, info } }
}

const hasInitdb = (v: Victim) => descendants(v.pid).some((p) => /bin\/initdb /.test(p.cmd))
const hasPostgres = (v: Victim) => descendants(v.pid).some((p) => /bin\/postgres -D /.test(p.cmd))
const connected = (v: Victim) => victimLines(v).some((l) => l.event === 'connected')

/** A session of this prefix doing what `pattern` matches (ILIKE), right now. */
async function activeQuery(prefix: string, pattern: string, onTemplate = false): Promise<boolean> {
  const rows = await adminQuery(
    `select 1 from pg_stat_activity where state = 'active' and query ilike $1 ${onTemplate ? 'and starts_with(datname, $2)' : 'and $2 <> \'\''}`,
    [pattern, onTemplate ? `${prefix}_tpl_` : 'x'])
  return rows.length > 0
}

function during(v: Victim, phase: string): string {
  return `${phase} (${v.framework} had printed: ${JSON.stringify(v.output().split('\n').filter((l) => l.includes('workerdb ·')).slice(-3))})`
}

// ---------------------------------------------------------------------------------------------------

describe('kill -9 during server start (embedded PostgreSQL)', () => {
  test('vitest 4: SIGKILL to the process group while initdb runs; the guard removes the half-made data dir', async () => {
    const project = scenarios.project({ tag: 'cse', vitest: 4, files: 2, holdMs: 50, config: { pool: 'forks', maxWorkers: 2 } })
    const v = startVitest(project, { embedded: true })
    try {
      await waitFor('initdb to start', () => hasInitdb(v), { while: v.running })
      const e = collectEvidence(v, during(v, 'initdb'))
      expect(e.scratchDirs.length, e.phase).toBe(1)
      await kill(v, 'group')
      reapGroup(v)
      const { outcome } = await nextVitest(project, e, { embedded: true })
      settle('kill -9 during server start', outcome)
    } finally {
      reapGroup(v)
    }
  })

  test('jest 29: SIGKILL to the runner alone while postgres starts; its guard stops postgres and removes the data dir', async () => {
    const project = jestScenarios.project({ jest: 29, files: 2, tag: 'cse', holdMs: 50, config: { maxWorkers: 2 } })
    const v = startJest(project, { embedded: true })
    try {
      await waitFor('postgres to start', () => hasPostgres(v), { while: v.running })
      const e = collectEvidence(v, during(v, 'postgres start'))
      expect(e.processes.some((p) => /bin\/postgres /.test(p.cmd)), e.phase).toBe(true)
      // Not the group: only the runner dies, as under the OOM killer. (The group is killed in finally, after
      // the leak check, so it cannot hide a postgres that stayed in it.)
      await kill(v, 'runner')
      const { outcome } = await nextJest(project, e, { embedded: true })
      settle('kill -9 during server start', outcome)
    } finally {
      reapGroup(v)
    }
  })
})

describe('kill -9 during migrations', () => {
  test('vitest 4 (sql migrations): the half-built template is never reused; the next run builds it again', async () => {
    const project = scenarios.project({
      tag: 'cmi', vitest: 4, files: 2, holdMs: 50, config: { pool: 'forks', maxWorkers: 2 },
      extraFiles: { 'migrations/0002_slow.sql': SLOW_SQL },
    })
    const v = startVitest(project)
    try {
      await waitFor('the slow migration to run', () => activeQuery(project.prefix, '%pg_sleep%', true), { while: v.running })
      const e = collectEvidence(v, during(v, 'migration 0002_slow.sql'))
      await kill(v, 'group')
      reapGroup(v)
      const dead = await templatesOf(project.prefix)
      expect(dead.map((t) => t.state), 'the template under construction').toEqual(['building'])

      const { next, outcome } = await nextVitest(project, e)
      // Built again, both migrations ran: a template that was never sealed is not reused.
      expect(next.stderr, outcome.info).toMatch(/workerdb · template \w+: built in \d+ ms \(2 migrations\)/)
      expect(next.stderr, outcome.info).not.toMatch(/template \w+: reused/)
      const after = await templatesOf(project.prefix)
      expect(after, outcome.info).toEqual([{ name: dead[0]!.name, run: next.done[0]!.runId, state: 'ready' }])
      settle('kill -9 during migrations', outcome)
    } finally {
      reapGroup(v)
    }
  })

  test('jest 29 (command migrator): the command ran half way; the next run runs it again from the start', async () => {
    const project = jestScenarios.project({
      jest: 29, files: 2, tag: 'cmi', holdMs: 50, config: { maxWorkers: 2 },
      extraFiles: {
        'migrate.cjs': `const { appendFileSync } = require('node:fs')
const pg = require('pg')
const log = (what) => appendFileSync(__dirname + '/migrations.log', what + '\\n')
log('start')
const c = new pg.Client({ connectionString: process.env.DATABASE_URL })
;(async () => {
  await c.connect()
  await c.query(${JSON.stringify(MIGRATION_SQL)})
  log('half')
  await new Promise((r) => setTimeout(r, 2000))
  await c.query('create table slow_done (id int)')
  await c.end()
  log('done')
})().catch((e) => { console.error(e); process.exit(1) })
`,
      },
    })
    writeFileSync(join(project.dir, 'workerdb.config.json'), JSON.stringify({
      prefix: project.prefix, migrate: { command: `${JSON.stringify(process.execPath)} migrate.cjs`, inputs: ['migrate.cjs'] },
    }))
    const logFile = join(project.dir, 'migrations.log')
    const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [])
    const v = startJest(project)
    try {
      await waitFor('the migration command to be half way', () => log().includes('half'), { while: v.running })
      const e = collectEvidence(v, during(v, 'the migration command'))
      await kill(v, 'group')
      reapGroup(v)
      expect(log()).toEqual(['start', 'half'])

      const { next, outcome } = await nextJest(project, e)
      expect(log(), outcome.info).toEqual(['start', 'half', 'start', 'half', 'done'])
      expect(next.stderr, outcome.info).toMatch(/workerdb · template \w+: built in \d+ ms with command/)
      expect((await templatesOf(project.prefix)).map((t) => [t.state, t.run]), outcome.info).toEqual([['ready', next.runId]])
      settle('kill -9 during migrations', outcome)
    } finally {
      reapGroup(v)
    }
  })
})

describe('kill -9 during cloning', () => {
  // A CREATE DATABASE in flight when its client dies may complete on the server and leave a database
  // without a marker. A slow copy is rolled back (the backend notices the lost client); a fast one (a RAM
  // disk) completes, and the next run's sweep drops it because the dead run's manifest named it first.
  test('vitest 4: killed while CREATE DATABASE … TEMPLATE runs', async () => {
    const project = scenarios.project({
      tag: 'ccl', vitest: 4, files: 4, holdMs: 50, config: { pool: 'forks', maxWorkers: 4 },
      extraFiles: { 'migrations/0002_big.sql': BIG_SQL },
    })
    const v = startVitest(project)
    try {
      await waitFor('a clone to be in progress', () => activeQuery(project.prefix, `create database "${project.prefix}\\_% template "${project.prefix}\\_tpl\\_%`), { while: v.running, everyMs: 5 })
      const e = collectEvidence(v, during(v, 'CREATE DATABASE of a clone'))
      await kill(v, 'group')
      reapGroup(v)
      const { next, outcome } = await nextVitest(project, e)
      expect(next.stderr, outcome.info).toMatch(/template \w+: reused/)
      settle('kill -9 during cloning', outcome)
    } finally {
      reapGroup(v)
    }
  })

  test('jest 29: killed while CREATE DATABASE … TEMPLATE runs', async () => {
    const project = jestScenarios.project({
      jest: 29, files: 4, tag: 'ccl', holdMs: 50, config: { maxWorkers: 4 },
      extraFiles: { 'migrations/0002_big.sql': BIG_SQL },
    })
    const v = startJest(project)
    try {
      await waitFor('a clone to be in progress', () => activeQuery(project.prefix, `create database "${project.prefix}\\_% template "${project.prefix}\\_tpl\\_%`), { while: v.running, everyMs: 5 })
      const e = collectEvidence(v, during(v, 'CREATE DATABASE of a clone'))
      await kill(v, 'group')
      reapGroup(v)
      const { next, outcome } = await nextJest(project, e)
      expect(next.stderr, outcome.info).toMatch(/template \w+: reused/)
      settle('kill -9 during cloning', outcome)
    } finally {
      reapGroup(v)
    }
  })
})

describe('kill -9 during tests', () => {
  test('vitest 4: SIGKILL to the group while every worker holds its clone', async () => {
    const project = scenarios.project({ tag: 'cte', vitest: 4, files: 2, holdMs: 1500, config: { pool: 'forks', maxWorkers: 2 } })
    const v = startVitest(project)
    try {
      await waitFor('a test to hold its clone', () => connected(v), { while: v.running })
      const e = collectEvidence(v, during(v, 'tests'))
      await kill(v, 'group')
      reapGroup(v)
      const { next, outcome } = await nextVitest(project, e)
      expect(next.stderr, outcome.info).toMatch(/swept 2 clones left by dead runs/)
      settle('kill -9 during tests', outcome)
    } finally {
      reapGroup(v)
    }
  })

  test('jest 29: SIGKILL to the runner alone while workers hold their clones', async () => {
    const project = jestScenarios.project({ jest: 29, files: 2, tag: 'cte', holdMs: 1500, config: { maxWorkers: 2 } })
    const v = startJest(project)
    try {
      await waitFor('a test to hold its clone', () => connected(v), { while: v.running })
      const e = collectEvidence(v, during(v, 'tests'))
      await kill(v, 'runner')
      const { next, outcome } = await nextJest(project, e)
      expect(next.stderr, outcome.info).toMatch(/swept 2 clones left by dead runs/)
      settle('kill -9 during tests', outcome)
    } finally {
      reapGroup(v)
    }
  })
})

describe('Ctrl-C (SIGINT to the process group) during tests', () => {
  test('vitest 4', async () => {
    const project = scenarios.project({ tag: 'cin', vitest: 4, files: 2, holdMs: 1500, config: { pool: 'forks', maxWorkers: 2 } })
    const v = startVitest(project)
    try {
      await waitFor('a test to hold its clone', () => connected(v), { while: v.running })
      const e = collectEvidence(v, during(v, 'tests'))
      await kill(v, 'sigint')
      reapGroup(v)
      const { outcome } = await nextVitest(project, e)
      settle('Ctrl-C during tests', outcome)
    } finally {
      reapGroup(v)
    }
  })

  test('jest 29: no globalTeardown, the next run sweeps', async () => {
    const project = jestScenarios.project({ jest: 29, files: 2, tag: 'cin', holdMs: 1500, config: { maxWorkers: 2 } })
    const v = startJest(project)
    try {
      await waitFor('a test to hold its clone', () => connected(v), { while: v.running })
      const e = collectEvidence(v, during(v, 'tests'))
      await kill(v, 'sigint')
      reapGroup(v)
      const { outcome } = await nextJest(project, e)
      settle('Ctrl-C during tests', outcome)
    } finally {
      reapGroup(v)
    }
  })
})

describe('Jest 29 --bail', () => {
  test('skips globalTeardown: the next run sweeps the clones and the manifest it left', async () => {
    // The matrix's Jest 29 bail row in every run (jest-errors.test.ts has it on Jest 29 in a full run only).
    jestMatrixRow(29, { mode: 'bail', scenario: '--bail, next run sweeps' })
    const project = jestScenarios.project({
      jest: 29, files: 3, tag: 'cbl', holdMs: 400, config: { maxWorkers: 4 },
      extraFiles: { 'test/fails.test.js': `test('fails at once', () => { expect(1).toBe(2) })\n` },
    })
    const bailed = await runJest(project, { args: ['--bail'] })
    const info = describeJestRun(bailed)
    expect(bailed.code, info).not.toBe(0)
    const left = await databaseLeaks(project.prefix)
    expect(left.length, `the bail is supposed to leave clones behind:\n${info}`).toBeGreaterThan(0)
    const runIds = new Set(left.map((l) => /\(clone of run (\w+)\)/.exec(l)?.[1]))
    const manifests = [...runIds].map((r) => join(tmpdirWorkerdb(), `${r}.json`))
    expect(manifests.every((m) => existsSync(m)), `Jest 29 leaves the manifest too: ${manifests.join(', ')}`).toBe(true)
    const e: Evidence = { phase: 'after --bail', processes: [], scratchDirs: [], ports: [], manifests }

    const { next, outcome } = await nextJest(project, e, { args: ['--testPathIgnorePatterns', 'fails'] })
    expect(next.stderr, `${outcome.info}\nleft after --bail: ${left.join(', ')}`).toMatch(new RegExp(`swept ${left.length} clones? left by dead runs`))
    expect(next.stderr, outcome.info).toMatch(/removed \d+ manifests? of dead runs/)
    settle('Jest 29 --bail', outcome)
  }, 120_000)
})

function tmpdirWorkerdb(): string {
  return manifestDir()
}
