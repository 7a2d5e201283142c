/**
 * Jest watch mode: globalSetup and globalTeardown run again for every rerun, so each rerun is a run of its
 * own — it must reuse the template (no migration), map every file to a clone of that rerun, and a killed
 * session must be swept by the next run.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  awaitDroppers, describeRun, jestMatrixRow, killGroup, leftoverClones, runJest, setProbeHold, startJestWatch, useJestScenarios, type JestMajor,
} from '../support/jest-harness.js'
import { tier } from '../support/tier.js'

const scenarios = useJestScenarios()

// Jest 29 in a full run only (support/tier.ts).
describe.each(tier<JestMajor>([29, 30], (major) => major === 30))('jest %i', (major: JestMajor) => {
  test('--watchAll: a rerun reuses the template and every file of every run is on a clone of that run', async () => {
    jestMatrixRow(major, { mode: 'watch', scenario: 'touch → rerun reuses template; killed → next run sweeps' })
    const project = scenarios.project({ jest: major, files: 2, tag: 'w', holdMs: 50, config: { maxWorkers: 2 } })
    const watch = startJestWatch(project)
    const done = () => watch.lines().filter((l) => l.event === 'done')
    await watch.until('the first run', () => done().length >= 2 && /dropping \d+ clones? in the background/.test(watch.output()))
    expect(watch.output()).toMatch(/workerdb · template \w+: built/)

    // A change to a test file: Jest reruns, and runs globalSetup again.
    const file = join(project.dir, 'test', `${project.files[0]}.test.js`)
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// changed\n`)
    await watch.until('the rerun', () => done().length >= 4 && (watch.output().match(/dropping \d+ clones? in the background/g) ?? []).length >= 2)
    const out = watch.output()
    expect(out.match(/workerdb · template \w+: built/g), out).toHaveLength(1)
    expect(out.match(/workerdb · template \w+: reused/g), out).toHaveLength(1)

    // Every file, in both runs, ran on the clone its worker id maps to, within its run's clones.
    const runs = new Set(done().map((d) => d.runId))
    expect(runs.size, out).toBe(2)
    for (const d of done()) {
      expect(d.assigned, JSON.stringify(d)).toMatch(/^e2j/)
      expect(d.database, JSON.stringify(d)).toBe(d.assigned)
      expect(d.locked, JSON.stringify(d)).toBe(true)
      expect(d.database!.startsWith(`${project.prefix}_${d.runId}_`), JSON.stringify(d)).toBe(true)
      expect(d.clones, JSON.stringify(d)).toBeGreaterThan(0)
      expect(Number(d.workerId)).toBeLessThanOrEqual(d.clones!)
    }

    // Killed mid-session (no teardown on SIGKILL): a third rerun's clones may be left; the next run sweeps them.
    // The changed file holds its clone for 4 s (under Jest's 5 s test timeout), so the kill lands mid-run.
    setProbeHold(project.dir, project.files[0]!, 4000)
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// held longer\n`)
    await watch.until('the third run to connect', () => watch.lines().filter((l) => l.event === 'connected').length >= 5)
    killGroup(watch.pid)
    // The first two runs' droppers are detached from the killed group: what they drop is not a leftover.
    expect(await awaitDroppers(watch.output())).toEqual([])
    // SIGKILL gives no teardown: the third run's clones are still on the server, and no finished run's are.
    const left = await leftoverClones(project.prefix)
    const dead = left.filter((d) => !d.startsWith(`${project.prefix}_sp_`))
    expect(dead.length, `left on the server: ${left.join(', ') || 'nothing'}`).toBeGreaterThan(0)
    for (const d of dead) expect([...runs].filter((run) => d.startsWith(`${project.prefix}_${run}_`)), d).toEqual([])
    const next = await runJest(project)
    expect(next.code, describeRun(next)).toBe(0)
    // The next run sweeps exactly those: the prefix is this test's own, so nothing else on the server counts.
    expect(next.stderr, describeRun(next)).toMatch(new RegExp(`swept ${dead.length} clones? left by dead runs`))
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
