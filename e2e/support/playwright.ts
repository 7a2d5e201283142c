/**
 * Playwright Test scenarios, for the e2e suite (e2e/test/playwright.test.ts) and `pnpm stress`: a project
 * under e2e/fixtures/playwright<NN>/.runs (so node resolution finds that fixture's @playwright/test), spec
 * files whose every test logs where it ran, the run of `playwright test` in its own process group, and the
 * checks of the seed and restart scenarios.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminQuery } from '../../test-support/pg.js'
import { awaitDropperPids, runGroup } from '../../test-support/processes.js'
import { childEnv, cut, E2E_PREFIX_START, FIXTURES_DIR, fixturePackageVersion, MIGRATION_SQL, randomPrefix, readJson, readLines } from './scenario.js'

/** The fixtures: the current Playwright and an earlier one. */
export const PLAYWRIGHT_FIXTURES = ['playwright165', 'playwright160'] as const
export type PlaywrightFixture = (typeof PLAYWRIGHT_FIXTURES)[number]
export const playwrightVersion = (fixture: PlaywrightFixture): string => fixturePackageVersion(fixture, '@playwright/test')
export const playwrightRunsDir = (fixture: string): string => join(FIXTURES_DIR, fixture, '.runs')
const PREFIX_START = `${E2E_PREFIX_START}p`

/** What each test of a scenario logs: where it ran, as Playwright and as the server say. */
export interface Line {
  title: string
  parallelIndex: number
  workerIndex: number
  database: string
  slot: number
  retry: number
  project: string
  /** Rows in the table when the test started: what an earlier test on this clone left. */
  rowsBefore: number
}

/**
 * A spec file: each test logs its line, holds a little (so workers overlap), and leaves a row behind.
 * `fail`: then fails; `failFirst`: fails on its first attempt only (a retry passes); `hold`: then waits
 * while the file `hold` exists in the scenario (a run to kill in the middle of).
 */
export function spec(tests: Array<{ title: string; fail?: boolean; failFirst?: boolean; hold?: boolean }>): string {
  return `const { appendFileSync, existsSync } = require('node:fs')
const { join } = require('node:path')
const { Client } = require('pg')
const { test, expect } = require('@workerdb/playwright/test')

async function probe(workerDatabase, testInfo) {
  const client = new Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    const { rows: [{ db }] } = await client.query('select current_database() as db')
    const { rows: [{ n }] } = await client.query('select count(*)::int as n from e2e_rows')
    await client.query('insert into e2e_rows (title) values ($1)', [testInfo.title])
    appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ title: testInfo.title, parallelIndex: testInfo.parallelIndex, workerIndex: testInfo.workerIndex, retry: testInfo.retry, project: testInfo.project.name, database: db, slot: workerDatabase.workerId, rowsBefore: n }) + '\\n')
    await new Promise((r) => setTimeout(r, 100))
  } finally {
    await client.end()
  }
}
${tests.map((t) => `
test(${JSON.stringify(t.title)}, async ({ workerDatabase }, testInfo) => {
  await probe(workerDatabase, testInfo)
  ${t.hold ? "while (existsSync(join(__dirname, 'hold'))) await new Promise((r) => setTimeout(r, 50))" : ''}
  ${t.fail ? 'expect(\'deliberately failing\').toBe(\'passing\')' : ''}
  ${t.failFirst ? 'expect(testInfo.retry, \'the first attempt fails\').toBeGreaterThan(0)' : ''}
})`).join('\n')}
`
}

export interface Scenario {
  dir: string
  prefix: string
  results: string
  summary: string
}

/** `config` is the Playwright config's; `configSource` (JS), when given, replaces it. */
export function writeScenario(fixture: string, name: string, specs: Record<string, string>, config: Record<string, unknown>, opts: { prefix?: string; configSource?: string } = {}): Scenario {
  const prefix = opts.prefix ?? randomPrefix(PREFIX_START, name.slice(0, 3))
  const dir = join(playwrightRunsDir(fixture), `${name}-${prefix}`)
  mkdirSync(join(dir, 'migrations'), { recursive: true })
  writeFileSync(join(dir, 'migrations', '0001_seed.sql'), `${MIGRATION_SQL}\ncreate table e2e_rows (id serial primary key, title text not null);\n`)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `e2e-${name}`, private: true }))
  writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ prefix, migrate: { sql: './migrations' }, reset: 'truncate' }))
  writeFileSync(join(dir, 'playwright.config.js'), `const { withWorkerDb } = require('@workerdb/playwright')
module.exports = withWorkerDb(${opts.configSource ?? JSON.stringify({ testDir: '.', testMatch: '*.spec.js', reporter: 'line', outputDir: './test-results', ...config }, null, 2)})
`)
  for (const [file, text] of Object.entries(specs)) writeFileSync(join(dir, file), text)
  return { dir, prefix, results: join(dir, 'results.ndjson'), summary: join(dir, 'summary.json') }
}

export interface PlaywrightRun {
  code: number | null
  output: string
  /** workerdb's summary of the run (WORKERDB_SUMMARY_FILE). */
  summary: { runId: string; plan: { count: number; reason: string }; clones: number; dropperPid?: number }
  lines: Line[]
  /** Processes of the run still alive after it (its group, its dropper): must be none. */
  stuck: string[]
}

/** `playwright test` in the scenario, in its own process group; waits for the dropper of its clones. */
export async function runPlaywright(fixture: string, s: Scenario, args: string[] = [], env: Record<string, string> = {}): Promise<PlaywrightRun> {
  const cli = join(FIXTURES_DIR, fixture, 'node_modules', '@playwright', 'test', 'cli.js')
  const r = await runGroup(process.execPath, [cli, 'test', ...args], {
    cwd: s.dir, env: childEnv({ WORKERDB_SUMMARY_FILE: s.summary, CI: '1', ...env }, s.results, false), timeoutMs: 120_000,
  })
  const output = cut(`${r.stdout}\n${r.stderr}`)
  const summary = readJson<PlaywrightRun['summary']>(s.summary)
  const stuck = [...r.leftovers, ...await awaitDropperPids(summary.dropperPid ? [summary.dropperPid] : [])]
  return { code: r.code, output, summary, lines: readLines<Line>(s.results), stuck }
}

/** Databases of this prefix still on the server, the template aside (kept by design). */
export async function clonesLeft(prefix: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>("select datname from pg_database where datname like $1 and datname not like $2", [`${prefix}\\_%`, `${prefix}\\_tpl\\_%`])
  return rows.map((r) => r.datname)
}

/** The clone a line's test ran on, by its run id and parallelIndex. */
export const cloneOf = (s: Scenario, runId: string, line: Pick<Line, 'parallelIndex'>): string => `${s.prefix}_${runId}_${line.parallelIndex + 1}`

/** Lines whose test ran anywhere but on the clone of its parallelIndex + 1. */
function misplaced(s: Scenario, r: PlaywrightRun): string[] {
  return r.lines.filter((l) => l.database !== cloneOf(s, r.summary.runId, l) || l.slot !== l.parallelIndex + 1)
    .map((l) => `${l.title} (parallelIndex ${l.parallelIndex}, workerIndex ${l.workerIndex}) ran on ${l.database} as slot ${l.slot}`)
}

/** The seed scenario: 2 spec files of 2 tests, `workers: 4`. */
export const SEED = {
  specs: () => ({ 'a.spec.js': spec([{ title: 'a1' }, { title: 'a2' }]), 'b.spec.js': spec([{ title: 'b1' }, { title: 'b2' }]) }),
  config: { workers: 4 },
  /** What went wrong in a run of it: every test passed, each on its own worker's clone, 4 clones planned. */
  problems(s: Scenario, r: PlaywrightRun, version: string): string[] {
    const p = misplaced(s, r)
    if (r.code !== 0) p.push(`playwright exited ${r.code}`)
    if (r.stuck.length) p.push(`processes outlived the run: ${r.stuck.join('; ')}`)
    if (r.summary.plan.count !== 4 || r.summary.plan.reason !== `playwright ${version}, workers 4`) p.push(`planned ${JSON.stringify(r.summary.plan)}`)
    const titles = r.lines.map((l) => l.title).sort().join(',')
    if (titles !== 'a1,a2,b1,b2') p.push(`tests that ran: ${titles}`)
    // Two files, two workers: each on its own clone; a file's second test sees its first test's row.
    if (new Set(r.lines.map((l) => l.database)).size !== 2) p.push(`databases used: ${[...new Set(r.lines.map((l) => l.database))].join(', ')}`)
    for (const l of r.lines.filter((line) => line.title.endsWith('2'))) if (l.rowsBefore !== 1) p.push(`${l.title} found ${l.rowsBefore} rows, not its file's first test's 1`)
    return p
  },
}

/** The restart scenario: a failing test replaces its worker (`workers: 2`); the replacement's tests run on. */
export const RESTART = {
  specs: () => ({
    'a.spec.js': spec([{ title: 'a1' }, { title: 'a2-fails', fail: true }, { title: 'a3' }, { title: 'a4' }]),
    'b.spec.js': spec([{ title: 'b1' }, { title: 'b2' }]),
  }),
  config: { workers: 2 },
  /** What went wrong: only the failing test failed; the replacement (a new workerIndex) got the same clone, emptied. */
  problems(s: Scenario, r: PlaywrightRun): string[] {
    const p = misplaced(s, r)
    if (r.code !== 1 || !/1 failed/.test(r.output) || !/5 passed/.test(r.output)) p.push(`expected 1 failed and 5 passed (exit 1), got exit ${r.code}`)
    if (r.stuck.length) p.push(`processes outlived the run: ${r.stuck.join('; ')}`)
    const byTitle = new Map(r.lines.map((l) => [l.title, l]))
    const [failed, after, next] = ['a2-fails', 'a3', 'a4'].map((t) => byTitle.get(t))
    if (!failed || !after || !next) return [...p, `missing lines: ${[...byTitle.keys()].join(', ')}`]
    if (after.workerIndex <= failed.workerIndex) p.push(`a3 ran on workerIndex ${after.workerIndex}, not a replacement of ${failed.workerIndex}`)
    // The replacement emptied its clone before its first test: the failed worker's rows are gone.
    if (after.rowsBefore !== 0) p.push(`the replacement's first test found ${after.rowsBefore} rows`)
    if (next.rowsBefore !== 1) p.push(`a4 found ${next.rowsBefore} rows, not a3's 1`)
    return p
  },
}
