/**
 * Every worker gets its own clone, whatever the file count and the pool: 1, 3 and 7 files on maxWorkers 3,
 * the threads, vmForks and vmThreads pools, and isolation off — every case on Vitest 3, 4 and 5 in a full run
 * (support/tier.ts); `npm test` runs what differs by major.
 */
import { describe, expect, test } from 'vitest'
import { expectIsolated, leftoverClones, runVitest, useScenarios, VITEST_VERSIONS, vitestMatrix, type Major } from '../support/harness.js'
import { testIf, tier } from '../support/tier.js'

const scenarios = useScenarios()

async function scenario(major: Major, files: number, config: Record<string, unknown>) {
  const project = scenarios.project({ vitest: major, files, config, tag: `p${major}` })
  const r = await runVitest(project)
  expectIsolated(project, r)
  expect(await leftoverClones(project.prefix)).toEqual([])
  return r
}

describe.each([3, 4, 5] as const)('vitest %i', (major) => {
  test(`the fixture runs vitest ${major}`, () => {
    expect(VITEST_VERSIONS[major].split('.')[0]).toBe(String(major))
  })

  // Vitest 3 sizes to the pool whatever the file count: one count shows it (all of them in a full run).
  test.each(tier([1, 3, 7], (files) => major !== 3 || files === 1))('%i files, maxWorkers 3, forks', (files) => vitestMatrix(major, { pool: 'forks', mode: 'run', scenario: `${files} file${files === 1 ? '' : 's'}, maxWorkers 3` }, async () => {
    const r = await scenario(major, files, { pool: 'forks', maxWorkers: 3 })
    // v3 sizes to the pool (its slots are taken at spawn), v4 to min(files, maxWorkers).
    expect(r.planned?.count).toBe(major === 3 ? 3 : Math.min(files, 3))
    if (files === 7) expect(new Set(r.done.map((d) => d.poolId)).size).toBeGreaterThan(1)
    // VITEST_WORKER_ID (one per file, never mapped by workerdb) counts from 0 in Vitest 4, from 1 in Vitest 5.
    if (major >= 4) expect(Math.min(...r.done.map((d) => Number(d.workerId)))).toBe(major === 4 ? 0 : 1)
  }))

  // The other pools: every one on Vitest 4, threads on Vitest 3 (its pool is tinypool's), all of them on every
  // major in a full run. Vitest 5's pools are 4's.
  test.each(tier(['threads', 'vmForks', 'vmThreads'], (pool) => major === 4 || (major === 3 && pool === 'threads')))('pool %s', (pool) => vitestMatrix(major, { pool, mode: 'run', scenario: '4 files, maxWorkers 3' }, async () => {
    const r = await scenario(major, 4, { pool, maxWorkers: 3 })
    expect(r.planned?.reason).toContain(`pool ${pool}`)
  }))

  testIf(major === 4)('isolation off', () => vitestMatrix(major, { pool: 'forks', mode: 'run', scenario: 'isolate: false' }, async () => {
    // Vitest 3 keeps `isolate` in poolOptions, and with minWorkers < maxWorkers it crashes and loses files
    // ("Terminating worker thread", vitest#8133; seen here with 3.2.7): pin minWorkers to maxWorkers.
    const config = major === 3
      ? { pool: 'forks', maxWorkers: 3, minWorkers: 3, poolOptions: { forks: { isolate: false } } }
      : { pool: 'forks', maxWorkers: 3, isolate: false }
    const r = await scenario(major, 5, config)
    // Files share worker processes: fewer processes than files, each still on its slot's clone.
    expect(new Set(r.done.map((d) => d.pid)).size).toBeLessThan(5)
  }))
})
