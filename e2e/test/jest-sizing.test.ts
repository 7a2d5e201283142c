/**
 * How many clones a Jest run gets, and that every worker id Jest really uses has one: file counts around
 * maxWorkers, in band by flag and by timing cache, recycled workers, shards running side by side, and a
 * testSequencer that is not workerdb's.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  describeRun, expectIsolated, isolationProblems, JEST_VERSIONS, leftoverClones, runJest, useJestScenarios, type JestMajor, jestMatrixRow,
  type JestProject,
} from '../support/jest-harness.js'
import { testIf, tier } from '../support/tier.js'

/**
 * Rewrites the timing cache Jest's sequencer keeps in the project's cacheDirectory (`perf-cache-<config id>`:
 * test path → [passed, ms]): every file took `ms`, the first `firstMs` if given. The files must be in it.
 */
function setTimings(project: JestProject, ms: number, firstMs = ms): void {
  const caches = readdirSync(project.cacheDir).filter((f) => f.startsWith('perf-cache-'))
  expect(caches, `timing caches in ${project.cacheDir}`).toHaveLength(1)
  const path = join(project.cacheDir, caches[0]!)
  const cache = JSON.parse(readFileSync(path, 'utf8')) as Record<string, [number, number]>
  const files = Object.keys(cache).sort()
  expect(files.map((f) => f.replace(/^.*\//, '')), path).toEqual(project.files.map((f) => `${f}.test.js`))
  for (const [i, f] of files.entries()) cache[f] = [1, i === 0 ? firstMs : ms]
  writeFileSync(path, JSON.stringify(cache))
}

const scenarios = useJestScenarios()

describe.each([29, 30] as const)('jest %i', (major: JestMajor) => {
  // Jest 29's in-band flags run in every run; the rest of Jest 29 in a full run (support/tier.ts).
  const newest = major === 30
  testIf(newest).each([
    [1, 1], [3, 3], [7, 4], [20, 4],
  ])('%i files, maxWorkers 4: %i clones, every file on its worker\'s own clone', async (files, clones) => {
    jestMatrixRow(major, { mode: 'run', scenario: `${files} files, maxWorkers 4` })
    const project = scenarios.project({ jest: major, files, tag: `f${files}`, holdMs: files > 4 ? 60 : 150, config: { maxWorkers: 4 } })
    const r = await runJest(project)
    expectIsolated(project, r)
    const info = describeRun(r)
    expect(r.planned, info).toEqual({ count: clones, reason: `jest ${major}, maxWorkers 4, ${files} test file${files === 1 ? '' : 's'}` })
    // Jest forks maxWorkers processes but hands files only to ids 1..min(files, maxWorkers).
    const ids = new Set(r.done.map((d) => Number(d.workerId)))
    expect(Math.max(...ids), info).toBeLessThanOrEqual(Math.min(files, 4))
    // One file runs in band (JEST_WORKER_ID=1); more use workers when the timing cache is cold.
    expect(r.ran?.inBand, info).toBe(files === 1)
    console.log(`jest ${JEST_VERSIONS[major]}, ${files} files: ids ${[...ids].sort().join(',')}; worker processes ${[...new Set(r.done.filter((d) => !d.inBand).map((d) => d.siblings))].join(',') || 'none (in band)'}`)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  // -i is --runInBand's alias: in a full run only.
  test.each(tier<[string, string[]]>([
    ['--runInBand', ['--runInBand']],
    ['-i', ['-i']],
    ['--detectOpenHandles', ['--detectOpenHandles']],
  ], ([flag]) => flag !== '-i'))('%s: one clone, every file on JEST_WORKER_ID 1', async (flag, args) => {
    jestMatrixRow(major, { mode: 'in band', scenario: String(flag) })
    const project = scenarios.project({ jest: major, files: 3, tag: 'ib', holdMs: 60, config: { maxWorkers: 4 } })
    const r = await runJest(project, { args })
    expectIsolated(project, r)
    const info = describeRun(r)
    // Jest 29 folds -i into maxWorkers 1 and leaves globalConfig.runInBand unset; Jest 30 sets both.
    const inBand = flag === '--detectOpenHandles' ? 'in band (--detectOpenHandles)' : major === 29 ? 'maxWorkers 1' : 'in band (--runInBand)'
    expect(r.planned, info).toEqual({ count: 1, reason: `jest ${major}, ${inBand}, 3 test files` })
    expect(r.ran?.inBand, info).toBe(true)
    expect(r.done.map((d) => d.workerId), info).toEqual(['1', '1', '1'])
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  testIf(newest)('the timing cache flips an identical run: to workers when cold or when a file is known slow, in band when every file is known fast; every file on its worker id\'s clone each time', async () => {
    jestMatrixRow(major, { mode: 'in band', scenario: 'timing cache flip' })
    const project = scenarios.project({ jest: major, files: 3, tag: 'tc', holdMs: 20, config: { maxWorkers: 3 } })
    const cold = await runJest(project)
    expectIsolated(project, cold)
    expect(cold.ran?.inBand, describeRun(cold)).toBe(false)
    expect(cold.planned?.count, describeRun(cold)).toBe(3)

    // Jest runs ≤ 20 files in band when its timing cache says every one took under 1 s. What the cold run
    // measured depends on the machine's load, so the test writes the cache itself: the flip is then certain.
    setTimings(project, 5)
    const fast = await runJest(project)
    expectIsolated(project, fast)
    expect(fast.ran?.inBand, describeRun(fast)).toBe(true)
    // Same plan either way: the flip happens after globalSetup. In band, every file runs as worker 1, on clone 1.
    expect(fast.planned?.count, describeRun(fast)).toBe(3)
    expect(fast.done.map((d) => d.workerId), describeRun(fast)).toEqual(['1', '1', '1'])
    for (const d of fast.done) expect(d.database, describeRun(fast)).toBe(`${project.prefix}_${d.runId}_1`)

    // One file known to take 1.5 s: the same files go back to worker processes.
    setTimings(project, 5, 1_500)
    const slow = await runJest(project)
    expectIsolated(project, slow)
    expect(slow.ran?.inBand, describeRun(slow)).toBe(false)
    expect(slow.planned?.count, describeRun(slow)).toBe(3)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  testIf(newest)('workerIdleMemoryLimit: recycled workers keep their id, and one file still goes to a worker', async () => {
    jestMatrixRow(major, { mode: 'run', scenario: 'workerIdleMemoryLimit' })
    // 1000 bytes: every worker is over the limit after every file, so Jest replaces it (same id) each time.
    const project = scenarios.project({ jest: major, files: 6, tag: 'wm', holdMs: 40, config: { maxWorkers: 2, workerIdleMemoryLimit: 1000 } })
    const r = await runJest(project)
    expectIsolated(project, r)
    const info = describeRun(r)
    expect(r.planned?.count, info).toBe(2)
    expect(r.planned?.reason, info).toContain('workerIdleMemoryLimit 1000')
    const pidsById = new Map<string, Set<number>>()
    for (const d of r.done) pidsById.set(d.workerId!, (pidsById.get(d.workerId!) ?? new Set()).add(d.pid))
    // The scenario really recycled workers: some id was served by more than one process.
    expect(Math.max(...[...pidsById.values()].map((s) => s.size)), info).toBeGreaterThan(1)
    for (const id of pidsById.keys()) expect(['1', '2'], info).toContain(id)

    const one = scenarios.project({ jest: major, files: 1, tag: 'wm1', config: { maxWorkers: 3, workerIdleMemoryLimit: 1000 } })
    const r1 = await runJest(one)
    expectIsolated(one, r1)
    expect(r1.planned?.count, describeRun(r1)).toBe(1)
    expect(r1.ran?.inBand, describeRun(r1)).toBe(false)
    expect(r1.done[0]?.workerId).toBe('1')
    expect(await leftoverClones(project.prefix)).toEqual([])
    expect(await leftoverClones(one.prefix)).toEqual([])
  })

  testIf(newest)('--shard=1/2 and --shard=2/2 at the same time against one server: both pass, no collision, both clean up', async () => {
    jestMatrixRow(major, { mode: 'shard 1/2 + 2/2', scenario: '6 files, both at once' })
    const project = scenarios.project({ jest: major, files: 6, tag: 'sh', holdMs: 100, config: { maxWorkers: 2 } })
    const [a, b] = await Promise.all([
      runJest(project, { args: ['--shard=1/2'], tag: 'a' }),
      runJest(project, { args: ['--shard=2/2'], tag: 'b' }),
    ])
    const filesOf = (r: typeof a) => r.done.map((d) => d.file).sort()
    for (const r of [a, b]) {
      const problems = isolationProblems(project, r, filesOf(r))
      expect(problems, describeRun(r)).toEqual([])
      expect(r.planned?.count, describeRun(r)).toBe(2)
      expect(r.planned?.reason, describeRun(r)).toBe(`jest ${major}, maxWorkers 2, 3 test files`)
    }
    // Together the shards ran every file exactly once, each run on clones of its own.
    expect([...filesOf(a), ...filesOf(b)].sort()).toEqual(project.files)
    expect(a.runId).not.toBe(b.runId)
    // One template, built by one of them under the lock and reused by the other.
    expect([a, b].filter((r) => /template \w+: built/.test(r.stderr)).length, `${describeRun(a)}\n${describeRun(b)}`).toBe(1)
    expect(new Set([...a.done, ...b.done].map((d) => d.template?.name)).size).toBe(1)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  testIf(newest)('a testSequencer that is not workerdb\'s: clones for all maxWorkers, said once', async () => {
    jestMatrixRow(major, { mode: 'run', scenario: 'foreign testSequencer' })
    const project = scenarios.project({
      jest: major, files: 2, tag: 'sq', holdMs: 60,
      config: { maxWorkers: 3, testSequencer: '<rootDir>/plain-sequencer.js' },
      extraFiles: {
        'plain-sequencer.js': `// A user's own sequencer, without withWorkerDb(): workerdb cannot count the files.
module.exports = class PlainSequencer {
  sort(tests) { return [...tests].sort((a, b) => (a.path < b.path ? -1 : 1)) }
  cacheResults() {}
  allFailedTests(tests) { return tests }
}
`,
      },
    })
    const r = await runJest(project)
    expectIsolated(project, r)
    const info = describeRun(r)
    expect(r.planned, info).toEqual({ count: 3, reason: `jest ${major}, maxWorkers 3, test files not counted (workerdb's sequencer did not run)` })
    expect(r.stderr.match(/test files were not counted/g)?.length, info).toBe(1)
    expect(r.stderr, info).toContain('withWorkerDb(YourSequencer)')
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
