/**
 * Four runs at once on one server, all under one prefix: Vitest 4.1 and Jest 29.7, two with one migration
 * set (hash A) and two with another (hash B). Every run must pass with each file on its own clone, no
 * database may serve two runs, each hash is built exactly once (the other run waits on the template's
 * lock and reuses it: one "built" and one "reused" line per hash, and both runs' clones carry the very
 * row that one build wrote), nothing fails with "source database is being accessed by other users", and
 * afterwards only the two sealed templates remain. Each run's own sweep runs while the others work: it
 * must leave their clones and templates alone.
 */
import { describe, expect, test } from 'vitest'
import { describeRun, isolationProblems, runVitest, useScenarios, type RunResult } from '../support/harness.js'
import {
  describeRun as describeJestRun, isolationProblems as jestIsolationProblems, runJest, useJestScenarios, type JestRunResult,
} from '../support/jest-harness.js'
import { databaseLeaks, retargetJestProject, templatesOf } from '../support/chaos.js'

const scenarios = useScenarios()
const jestScenarios = useJestScenarios()

/**
 * Each hash's build takes a couple of seconds, so the second run of a pair arrives while the first one
 * builds: it must wait on the template's lock, not build a second time.
 */
const A_SQL = 'select pg_sleep(2);\n'
const B_SQL = 'select pg_sleep(2);\ncreate table b_only (id int primary key);\n'

describe('4 runs at once on one server', () => {
  test('2 × vitest 4 + 2 × jest 29, two hashes: all pass, no collisions, one build per hash', async () => {
    const jestA = jestScenarios.project({ jest: 29, files: 3, tag: 'cca', holdMs: 300, config: { maxWorkers: 2 }, extraFiles: { 'migrations/0002_a.sql': A_SQL } })
    const prefix = jestA.prefix
    const jestB = retargetJestProject(
      jestScenarios.project({ jest: 29, files: 3, tag: 'ccb', holdMs: 300, config: { maxWorkers: 2 }, extraFiles: { 'migrations/0002_b.sql': B_SQL } }),
      prefix)
    const vitestA = scenarios.project({ prefix, vitest: 4, files: 3, holdMs: 300, config: { pool: 'forks', maxWorkers: 2 }, extraFiles: { 'migrations/0002_a.sql': A_SQL } })
    const vitestB = scenarios.project({ prefix, vitest: 4, files: 3, holdMs: 300, config: { pool: 'forks', maxWorkers: 2 }, extraFiles: { 'migrations/0002_b.sql': B_SQL } })

    const [va, vb, ja, jb] = await Promise.all([runVitest(vitestA), runVitest(vitestB), runJest(jestA), runJest(jestB)]) as [RunResult, RunResult, JestRunResult, JestRunResult]
    const runs = [
      { name: 'vitest A', hash: 'A', r: va, problems: isolationProblems(vitestA, va), info: describeRun(va) },
      { name: 'vitest B', hash: 'B', r: vb, problems: isolationProblems(vitestB, vb), info: describeRun(vb) },
      { name: 'jest A', hash: 'A', r: ja, problems: jestIsolationProblems({ ...jestA, prefix }, ja), info: describeJestRun(ja) },
      { name: 'jest B', hash: 'B', r: jb, problems: jestIsolationProblems(jestB, jb), info: describeJestRun(jb) },
    ]
    const all = runs.map((x) => `=== ${x.name}\n${x.info}`).join('\n')

    // Every run passed, each file on the clone of its own worker.
    for (const x of runs) expect(x.problems, `${x.name}:\n${x.info}`).toEqual([])
    // 0 collisions: four run ids, and no database used by two runs.
    const runIds = runs.map((x) => x.r.done[0]!.runId)
    expect(new Set(runIds).size, all).toBe(4)
    const owner = new Map<string, string>()
    for (const x of runs) {
      for (const d of x.r.done) {
        const was = owner.get(d.database!)
        expect(was === undefined || was === x.name, `${d.database} used by ${was} and ${x.name}`).toBe(true)
        owner.set(d.database!, x.name)
      }
    }
    // No clone ever waited on a session connected to its template.
    for (const x of runs) expect(x.r.output, `${x.name}:\n${x.info}`).not.toMatch(/being accessed by other users|E_CLONE/)

    // Exactly one build per hash: one "built" and one "reused" line, and the same template and row.
    for (const hash of ['A', 'B']) {
      const pair = runs.filter((x) => x.hash === hash)
      const lines = pair.map((x) => /workerdb · template (\w+): (built|reused)/.exec(x.r.stderr))
      expect(lines.every(Boolean), all).toBe(true)
      expect(lines.map((m) => m![2]).sort(), `hash ${hash}:\n${all}`).toEqual(['built', 'reused'])
      expect(lines[0]![1], all).toBe(lines[1]![1])
      const templates = new Set(pair.flatMap((x) => x.r.done.map((d) => d.template!.name)))
      expect(templates.size, all).toBe(1)
      const seeds = new Set(pair.flatMap((x) => x.r.done.map((d) => JSON.stringify(d.seed))))
      expect(seeds.size, `one build wrote the row every clone of hash ${hash} carries:\n${[...seeds].join('\n')}`).toBe(1)
    }
    const hashA = /template (\w+):/.exec(va.stderr)![1]
    const hashB = /template (\w+):/.exec(vb.stderr)![1]
    expect(hashA).not.toBe(hashB)

    // Afterwards: the two templates, sealed and ready; no clone of any of the four runs.
    expect(await databaseLeaks(prefix), all).toEqual([])
    expect((await templatesOf(prefix)).map((t) => t.state), all).toEqual(['ready', 'ready'])
    console.log(`reliability · concurrency: 4 runs (2 vitest 4, 2 jest 29), 2 hashes: ${runs.filter((x) => x.problems.length === 0).length} passed, ` +
      `builds per hash A ${runs.filter((x) => x.hash === 'A' && /: built/.test(x.r.stderr)).length}, B ${runs.filter((x) => x.hash === 'B' && /: built/.test(x.r.stderr)).length}, collisions 0`)
  })
})
