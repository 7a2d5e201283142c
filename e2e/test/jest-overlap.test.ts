/**
 * Jest's globalSetup returns once the run is planned; the clones are made while Jest forks and boots its
 * workers, and each worker's setup file waits for its clone. A failed provisioning fails every test file
 * with the run's own error, and the run itself.
 */
import { describe, expect, test } from 'vitest'
import { describeRun, leftoverClones, runJest, useJestScenarios, type JestMajor } from '../support/jest-harness.js'
import { tier } from '../support/tier.js'

const scenarios = useJestScenarios()

/** A migration that takes 2 s and notes, in the template, when it ended. */
const SLOW_MIGRATION = 'select pg_sleep(2);\ncreate table e2e_built (at double precision not null);\ninsert into e2e_built values (extract(epoch from clock_timestamp()) * 1000);\n'

/** A test file that notes when its worker process started and when the template's migration ended. */
const BOOT_PROBE = `const { appendFileSync } = require('node:fs')
const pg = require('pg')
test('boot probe', async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  const { rows: [{ at }] } = await client.query('select at from e2e_built')
  await client.end()
  appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: 'probe', event: 'boot', pid: process.pid, processStart: performance.timeOrigin, migrationEnd: at }) + '\\n')
})
`

// Jest 29 in a full run only (support/tier.ts).
describe.each(tier<JestMajor>([29, 30], (major) => major === 30))('jest %i', (major: JestMajor) => {
  test('workers boot while the template is built: a worker process started before the migration ended', async () => {
    const project = scenarios.project({
      jest: major, files: 2, tag: 'ov', config: { maxWorkers: 2 },
      extraFiles: { 'migrations/0002_slow.sql': SLOW_MIGRATION, 'test/probe.test.js': BOOT_PROBE },
    })
    const r = await runJest(project)
    expect(r.code, describeRun(r)).toBe(0)
    const probe = (r.lines as unknown as Array<Record<string, number | string>>).find((l) => l.event === 'boot') as { processStart: number; migrationEnd: number }
    expect(probe, describeRun(r)).toBeDefined()
    expect(r.ran?.inBand, `the probe ran in a worker process, not in band\n${describeRun(r)}`).toBe(false)
    // The migration alone takes 2 s: a worker forked only after provisioning would start after it ended.
    expect(probe.processStart, describeRun(r)).toBeLessThan(probe.migrationEnd)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  test('a provisioning failure fails every test file with the run\'s own error, and the run', async () => {
    const project = scenarios.project({
      jest: major, files: 3, tag: 'of', config: { maxWorkers: 2 },
      extraFiles: { 'migrations/0002_broken.sql': 'select pg_sleep(0.5);\ncreate table broken (;\n' },
    })
    const r = await runJest(project)
    expect(r.code, describeRun(r)).not.toBe(0)
    expect(r.report?.numFailedTestSuites, describeRun(r)).toBe(3)
    expect(r.lines.filter((l) => l.event === 'connected'), 'no test reached its database').toEqual([])
    // Each file names the failure with its code; the teardown prints the whole error once.
    expect(r.stderr.match(/E_MIGRATION/g)?.length ?? 0, describeRun(r)).toBeGreaterThanOrEqual(3)
    expect(r.stderr, describeRun(r)).toMatch(/0002_broken\.sql/)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
