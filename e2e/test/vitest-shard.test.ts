/**
 * Sharding across machines, on one server: `--shard=1/2` and `--shard=2/2` of one 6-file suite run AT THE
 * SAME TIME. Each plans clones for its own shard's files (Vitest 4/5: min(3 files, maxWorkers 4) = 3;
 * Vitest 3: its pool, 4), the two runs have distinct run ids so their clones never collide, both pass, and
 * both drop what they made. Vitest 3/4 apply --shard inside the pool (workerdb runs the sequencer's
 * shard() on the specs itself); Vitest 5 shards before reporters see the specs (workerdb must not shard
 * them again: planning 2 of 3 files gave E_NO_CLONE before that was fixed).
 */
import { describe, expect, test } from 'vitest'
import {
  describeRun, expectIsolated, leftoverClones, runVitest, useScenarios, vitestMatrix, type Major,
} from '../support/harness.js'
import { tier } from '../support/tier.js'

const scenarios = useScenarios()

// Vitest 3 shards as 4 does (inside the pool): in a full run only (support/tier.ts).
describe.each(tier<Major>([3, 4, 5], (major) => major !== 3))('vitest %i', (major: Major) => {
  test('--shard=1/2 and --shard=2/2 at the same time against one server', () => vitestMatrix(major, { pool: 'forks', mode: 'shard 1/2 + 2/2', scenario: '6 files, both at once' }, async () => {
    const project = scenarios.project({ vitest: major, files: 6, tag: `h${major}`, holdMs: 150, config: { pool: 'forks', maxWorkers: 4 } })
    // Both start cold: one builds the template under its advisory lock, the other waits for it and reuses it.
    const [one, two] = await Promise.all([
      runVitest(project, { args: ['--shard=1/2'], tag: 'shard1' }),
      runVitest(project, { args: ['--shard=2/2'], tag: 'shard2' }),
    ])
    const info = `--- shard 1/2\n${describeRun(one)}\n--- shard 2/2\n${describeRun(two)}`
    const filesOf = (r: typeof one) => r.done.map((d) => d.file).sort()
    // Each shard ran its half, the halves are disjoint and together the whole suite.
    expect(filesOf(one), info).toHaveLength(3)
    expect(filesOf(two), info).toHaveLength(3)
    expect([...filesOf(one), ...filesOf(two)].sort(), info).toEqual(project.files)
    expectIsolated(project, one, { files: filesOf(one) })
    expectIsolated(project, two, { files: filesOf(two) })
    // Sized to the shard, not to the suite.
    const expected = major === 3 ? 4 : 3
    expect(one.planned?.count, info).toBe(expected)
    expect(two.planned?.count, info).toBe(expected)
    expect(one.planned?.reason, info).toContain('3 test files')
    expect(two.planned?.reason, info).toContain('3 test files')
    // One of them built the template, the other waited on its lock and reused it.
    expect([one, two].filter((r) => /workerdb · template \w+: built in/.test(r.stderr)).length, info).toBe(1)
    expect([one, two].filter((r) => /workerdb · template \w+: reused/.test(r.stderr)).length, info).toBe(1)
    // Two runs, two sets of clones.
    const runOne = one.done[0]!.runId
    const runTwo = two.done[0]!.runId
    expect(runOne, info).not.toBe(runTwo)
    expect(new Set([...one.done, ...two.done].map((d) => d.database)).size).toBe(
      new Set(one.done.map((d) => d.poolId)).size + new Set(two.done.map((d) => d.poolId)).size)
    // Both cleaned up after themselves.
    expect(await leftoverClones(project.prefix)).toEqual([])
  }))
})
