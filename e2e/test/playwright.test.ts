/**
 * Playwright Test, for real (@playwright/test 1.65 and 1.60, e2e/fixtures/playwright<NN>): every worker on
 * its own clone, keyed by parallelIndex — which a replaced worker inherits — never by workerIndex, which
 * grows with every replacement (Playwright's twin of the bug this project exists to prevent).
 */
import { spawn } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { withMatrix } from '../../test-support/matrix.js'
import { dropPrefix } from '../../test-support/pg.js'
import { killAll, killGroup, track } from '../../test-support/processes.js'
import { waitFor } from '../support/chaos.js'
import {
  cloneOf as clone, clonesLeft, type Line, PLAYWRIGHT_FIXTURES as FIXTURES, playwrightRunsDir as runsDir, playwrightVersion, RESTART,
  runPlaywright as run, type Scenario, SEED, spec, writeScenario,
} from '../support/playwright.js'
import { SEED_RUNS, testIf } from '../support/tier.js'
import { childEnv, E2E_PREFIX_START, FIXTURES_DIR, randomPrefix, readLines, removeScenario, sweepStaleIn } from '../support/scenario.js'

afterEach(killAll)
beforeAll(() => sweepStaleIn(FIXTURES.map(runsDir)))

/** A run whose processes all ended with it (its group, its dropper): the check every test makes. */
async function runPlaywright(...args: Parameters<typeof run>) {
  const r = await run(...args)
  expect(r.stuck, r.output).toEqual([])
  return r
}

/** A Playwright row of the fidelity matrix (docs/fidelity.md), recording whether `fn` passed. */
const matrix = (version: string, mode: string, scenario: string, fn: () => Promise<void>) =>
  withMatrix({ framework: 'playwright', version, pool: 'workers', mode, scenario }, fn)

const scenarios: Scenario[] = []
afterAll(async () => {
  for (const s of scenarios) {
    removeScenario(s.dir)
    await dropPrefix(s.prefix)
  }
})

describe.each(FIXTURES)('%s', (fixture) => {
  const version = playwrightVersion(fixture)

  test(`playwright ${version}: the seed scenario (2 spec files, workers: 4), ${SEED_RUNS} run(s): every test on its own worker's clone`, () => matrix(version, 'run', 'seed', async () => {
    for (let i = 0; i < SEED_RUNS; i++) {
    const s = writeScenario(fixture, 'seed', SEED.specs(), SEED.config)
    scenarios.push(s)
    const r = await runPlaywright(fixture, s)
    // Each test on the clone of its parallelIndex + 1 (<prefix>_<run id>_<slot>); 2 files on 2 clones.
    expect(SEED.problems(s, r, version), r.output).toEqual([])
    expect(await clonesLeft(s.prefix)).toEqual([])
    }
  }))

  // The newest version in every run; the others' in a full run (support/tier.ts).
  testIf(fixture === FIXTURES[0])(`playwright ${version}: a failing test replaces its worker (a new workerIndex); the replacement gets the same clone, emptied`, () => matrix(version, 'run', 'failing test → replaced worker, same clone emptied', async () => {
    const s = writeScenario(fixture, 'restart', RESTART.specs(), RESTART.config)
    scenarios.push(s)
    const r = await runPlaywright(fixture, s)
    // Only the failing test fails; its replacement (a new workerIndex) runs on the same clone, emptied.
    expect(RESTART.problems(s, r), r.output).toEqual([])
    // workerIndex went past workers - 1: naming databases after it is what fails elsewhere.
    expect(Math.max(...r.lines.map((l) => l.workerIndex))).toBeGreaterThanOrEqual(2)
    expect(await clonesLeft(s.prefix)).toEqual([])
  }))

  testIf(fixture === FIXTURES[0])(`playwright ${version}: a spec that imports '@playwright/test' itself gets its worker's clone too, never the DATABASE_URL around it`, () => matrix(version, 'run', "spec importing '@playwright/test'", async () => {
    const raw = `const { appendFileSync } = require('node:fs')
const { test } = require('@playwright/test')
test('raw', async ({}, testInfo) => {
  appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ title: testInfo.title, parallelIndex: testInfo.parallelIndex, database: new URL(process.env.DATABASE_URL).pathname.slice(1) }) + '\\n')
})
`
    const s = writeScenario(fixture, 'raw', { 'a.spec.js': raw, 'b.spec.js': raw.replace("'raw'", "'raw2'") }, { workers: 2 })
    scenarios.push(s)
    // The environment's own database (what a .env gives): no test may end up on it.
    const r = await runPlaywright(fixture, s, [], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/shared_app_db' })
    expect(r.code, r.output).toBe(0)
    expect(r.lines).toHaveLength(2)
    for (const line of r.lines) expect(line.database).toBe(clone(s, r.summary.runId, line))
  }))
})

describe(`${FIXTURES[0]}: shards, setup projects, retries, a killed run`, () => {
  const fixture = FIXTURES[0]
  const version = playwrightVersion(fixture)

  test(`playwright ${version}: --shard 1/2 and --shard 2/2 at once on one server, one template: each shard's workers on its own run's clones`, () => matrix(version, 'shard 1/2 + 2/2', '8 tests, both at once', async () => {
    const prefix = randomPrefix(`${E2E_PREFIX_START}p`, 'shd')
    const specs = Object.fromEntries(['a', 'b', 'c', 'd'].map((f) => [`${f}.spec.js`, spec([{ title: `${f}1` }, { title: `${f}2` }])]))
    const shards = [1, 2].map((n) => writeScenario(fixture, `shard${n}`, specs, { workers: 2 }, { prefix }))
    scenarios.push(...shards)
    const runs = await Promise.all(shards.map((s, i) => runPlaywright(fixture, s, [`--shard=${i + 1}/2`])))
    runs.forEach((r, i) => {
      expect(r.code, r.output).toBe(0)
      expect(r.summary.plan).toEqual({ count: 2, reason: `playwright ${version}, workers 2, shard ${i + 1}/2` })
      for (const line of r.lines) expect(line.database).toBe(clone(shards[i]!, r.summary.runId, line))
    })
    expect(runs[0]!.summary.runId).not.toBe(runs[1]!.summary.runId)
    // Every test ran once, in one shard or the other; no database served both shards.
    expect(runs.flatMap((r) => r.lines.map((l) => l.title)).sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'd1', 'd2'])
    const [one, two] = runs.map((r) => new Set(r.lines.map((l) => l.database)))
    expect([...one!].filter((db) => two!.has(db))).toEqual([])
    expect(await clonesLeft(prefix)).toEqual([])
  }))

  test(`playwright ${version}: a setup project runs first on a clone; the dependent project's workers (new workerIndex) get theirs, emptied`, () => matrix(version, 'projects', 'setup project dependency', async () => {
    const s = writeScenario(fixture, 'setup', {
      'setup.spec.js': spec([{ title: 'setup' }]),
      'a.spec.js': spec([{ title: 'a1' }, { title: 'a2' }]),
      'b.spec.js': spec([{ title: 'b1' }, { title: 'b2' }]),
    }, {}, {
      configSource: `{
  testDir: '.', reporter: 'line', outputDir: './test-results', workers: 2,
  projects: [
    { name: 'setup', testMatch: /setup\\.spec\\.js/ },
    { name: 'main', testMatch: /[ab]\\.spec\\.js/, dependencies: ['setup'] },
  ],
}`,
    })
    scenarios.push(s)
    const r = await runPlaywright(fixture, s)
    expect(r.code, r.output).toBe(0)
    const setup = r.lines.find((l) => l.project === 'setup')!
    const main = r.lines.filter((l) => l.project === 'main')
    expect(main.map((l) => l.title).sort()).toEqual(['a1', 'a2', 'b1', 'b2'])
    for (const line of r.lines) expect(line.database).toBe(clone(s, r.summary.runId, line))
    // The main project's workers are new workers, some on the setup worker's parallelIndex.
    expect(Math.min(...main.map((l) => l.workerIndex))).toBeGreaterThan(setup.workerIndex)
    expect(main.some((l) => l.database === setup.database)).toBe(true)
    // What the setup project wrote stayed in its worker's clone, and went with that worker: every main
    // worker started on an emptied clone (seed data belongs in the template, which every clone has).
    for (const first of main.filter((l) => l.title.endsWith('1'))) expect(first.rowsBefore).toBe(0)
    expect(await clonesLeft(s.prefix)).toEqual([])
  }))

  test(`playwright ${version}: retries: the retry runs on a new worker with the same clone, emptied, and passes`, () => matrix(version, 'retries', 'flaky test retried on its clone', async () => {
    const s = writeScenario(fixture, 'retry', {
      'a.spec.js': spec([{ title: 'a1' }, { title: 'a2-flaky', failFirst: true }]),
      'b.spec.js': spec([{ title: 'b1' }]),
    }, { workers: 2, retries: 1 })
    scenarios.push(s)
    const r = await runPlaywright(fixture, s)
    expect(r.code, r.output).toBe(0)
    expect(r.output).toMatch(/1 flaky/)
    const attempts = r.lines.filter((l) => l.title === 'a2-flaky')
    expect(attempts.map((l) => l.retry)).toEqual([0, 1])
    const [first, retry] = attempts as [Line, Line]
    expect(retry.workerIndex).toBeGreaterThan(first.workerIndex)
    expect(retry.database).toBe(first.database)
    expect(first.rowsBefore).toBe(1)
    expect(retry.rowsBefore).toBe(0)
    expect(await clonesLeft(s.prefix)).toEqual([])
  }))

  test(`playwright ${version}: a run killed with SIGKILL leaves its clones; the next run sweeps them and leaves none`, () => matrix(version, 'killed', 'SIGKILL → next run sweeps', async () => {
    const s = writeScenario(fixture, 'kill', {
      'a.spec.js': spec([{ title: 'a1', hold: true }]),
      'b.spec.js': spec([{ title: 'b1', hold: true }]),
    }, { workers: 2 })
    scenarios.push(s)
    const hold = join(s.dir, 'hold')
    writeFileSync(hold, '')
    const cli = join(FIXTURES_DIR, fixture, 'node_modules', '@playwright', 'test', 'cli.js')
    const victim = spawn(process.execPath, [cli, 'test'], {
      cwd: s.dir, env: childEnv({ WORKERDB_SUMMARY_FILE: s.summary, CI: '1' }, s.results, false), stdio: 'ignore', detached: true,
    })
    track(victim.pid!)
    const exited = new Promise((resolve) => victim.once('exit', resolve))
    try {
      await waitFor('both workers on their clones', () => existsSync(s.results) && readLines<Line>(s.results).length >= 2, { timeoutMs: 60_000 })
      const dead = await clonesLeft(s.prefix)
      expect(dead).toHaveLength(2)
      killGroup(victim.pid!)
      await exited
      expect(await clonesLeft(s.prefix)).toEqual(dead)
      rmSync(hold)
      rmSync(s.results)
      const r = await runPlaywright(fixture, s)
      expect(r.code, r.output).toBe(0)
      expect(await clonesLeft(s.prefix)).toEqual([])
    } finally {
      killGroup(victim.pid!)
    }
  }))
})
