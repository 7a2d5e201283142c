/**
 * Watch mode, driven like a developer does it: `vitest watch` on a pseudo-terminal (Vitest reads its keys
 * only from a TTY), a test file rewritten, a new test file added, `a` to rerun everything, `q` to quit.
 *
 * What must hold: globalSetup (and so provisioning) runs once for the whole session; every rerun's files
 * run on clones of this run (ids within the plan: Vitest 3 may hand a rerun of one file the idle slots 3
 * or 4 of a 4-worker pool, so the plan sizes v3 to the pool, and v4/v5 in watch to maxWorkers); a file
 * added while watching gets a clone; quitting tears down (clones dropped). A watch process that is killed
 * instead cannot tear down: the next run's sweep drops what it left.
 */
import { describe, expect, test } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import {
  describeRun, doneProblems, expectIsolated, leftoverClones, plannedFrom, runVitest, startWatch, useScenarios,
  vitestMatrix, type Major, type ResultLine, type WatchHandle,
} from '../support/harness.js'
import { lacks } from '../../test-support/skips.mjs'
import { testIf, tier } from '../support/tier.js'

const scenarios = useScenarios()

/** A user globalSetup that counts its own runs. */
const COUNT_GLOBAL_SETUP = `import { appendFileSync } from 'node:fs'
export default function countGlobalSetup() {
  appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: 'globalSetup', event: 'globalSetup', pid: process.pid }) + '\\n')
}
`

function watchProject(major: Major, tag: string) {
  return scenarios.project({
    vitest: major, files: 2, tag, holdMs: 60,
    config: { pool: 'forks', maxWorkers: 4, globalSetup: ['./count-global-setup.mjs'] },
    extraFiles: { 'count-global-setup.mjs': COUNT_GLOBAL_SETUP },
  })
}

/** `done` lines written since `from` (an index into all done lines so far). */
const since = (w: WatchHandle, from: number): ResultLine[] => w.done().slice(from)

describe.skipIf(lacks('script(1)', import.meta.url))('watch mode', () => {
  // Vitest 3 in a full run only (support/tier.ts).
  describe.each(tier<Major>([3, 4, 5], (major) => major !== 3))('vitest %i', (major: Major) => {
    test('reruns (touched file, new file, all files) run on this run\'s clones; q tears down', () => vitestMatrix(major, { pool: 'forks', mode: 'watch', scenario: 'touch, add, rerun all, q' }, async () => {
      const project = watchProject(major, `w${major}`)
      const w = startWatch(project)
      try {
        // Run 1: both files.
        await w.waitForRun(1)
        const planned = plannedFrom(w.output())
        const info = () => `${w.output()}\n--- results\n${w.lines().map((l) => JSON.stringify(l)).join('\n')}`
        expect(planned, info()).toBeDefined()
        // Watch mode: size to the pool, not to 2 files — v3 pool max 4; v4/v5 maxWorkers 4 (later reruns may run more files).
        expect(planned!.count, info()).toBe(4)
        if (major >= 4) expect(planned!.reason).toContain('watch')
        const check = (done: ResultLine[], files: string[]) => {
          const p = doneProblems(done, { prefix: project.prefix, files, planned: planned!.count })
          if (p.length) throw new Error(`watch run broke isolation:\n  - ${p.join('\n  - ')}\n${info()}`)
        }
        check(w.done(), ['file01', 'file02'])
        const runId = w.done()[0]!.runId

        // Run 2: a test file is rewritten (a changed comment): only it reruns.
        let from = w.done().length
        const file01 = `${project.dir}/test/file01.test.mjs`
        writeFileSync(file01, `${readFileSync(file01, 'utf8')}\n// touched by the e2e at ${Date.now()}\n`)
        await w.waitFor('the rerun of file01', () => since(w, from).length >= 1 && w.waits() >= 2)
        check(since(w, from), ['file01'])

        // Run 3: a new test file appears while watching: it runs, on a clone of this run.
        from = w.done().length
        const waits = w.waits()
        project.addFile('file03')
        await w.waitFor('the new file03', () => since(w, from).length >= 1 && w.waits() > waits)
        check(since(w, from), ['file03'])

        // Run 4: `a` reruns all 3 files, one more than the first run had.
        from = w.done().length
        const waits4 = w.waits()
        w.send('a')
        await w.waitFor('the rerun of all files', () => since(w, from).length >= 3 && w.waits() > waits4)
        check(since(w, from), ['file01', 'file02', 'file03'])

        // One provisioning for the whole session: every result of every rerun is this run's.
        expect(new Set(w.done().map((d) => d.runId)), info()).toEqual(new Set([runId]))
        const poolIds = [...new Set(w.done().map((d) => d.poolId))].sort()
        console.log(`vitest ${major} watch: pool ids used ${poolIds.join(',')}; plan ${planned!.count} (${planned!.reason})`)
        // globalSetup does not rerun in watch mode (Vitest 3, 4 and 5): neither ours nor the user's.
        expect(w.lines().filter((l) => l.event === ('globalSetup' as string)).length, info()).toBe(1)
        expect(await leftoverClones(project.prefix), 'clones are kept across reruns').toHaveLength(planned!.count)

        // q: Vitest closes, globalSetup teardowns run, workerdb hands the clones' drops to its dropper
        // (quit() waits for it).
        const exit = await w.quit()
        expect(exit, `vitest did not exit after q\n${info()}`).toBeDefined()
        expect(w.output(), info()).toMatch(new RegExp(`workerdb · dropping ${planned!.count} clones in the background`))
        expect(w.leftovers(), info()).toEqual([])
        expect(await leftoverClones(project.prefix)).toEqual([])
      } finally {
        w.stop()
      }
    }))

    // What the sweep finds does not depend on the major: once per run, on Vitest 4 (all majors in a full run).
    testIf(major === 4)('a killed watch process leaves its clones; the next run sweeps them', () => vitestMatrix(major, { pool: 'forks', mode: 'watch', scenario: 'killed → next run sweeps' }, async () => {
      const project = watchProject(major, `k${major}`)
      const w = startWatch(project)
      let left: string[] = []
      try {
        await w.waitForRun(1)
        left = await leftoverClones(project.prefix)
        expect(left.length, w.output()).toBe(4)
      } finally {
        w.stop()
      }
      // SIGKILL: no teardown ran.
      expect(await leftoverClones(project.prefix)).toEqual(left)

      const r = await runVitest(project)
      expectIsolated(project, r)
      expect(r.stderr, describeRun(r)).toContain(`workerdb · swept ${left.length} clones left by dead runs`)
      expect(await leftoverClones(project.prefix)).toEqual([])
    }))
  })

  const major: Major = 5
  test('vitest 5: a project gets its first files while watching: the clones grow, inject() lists them', () => vitestMatrix(5, { pool: 'forks', mode: 'watch', scenario: 'project added files → clones grow' }, async () => {
    // Project "wide" (maxWorkers 4, its own groupOrder — Vitest 4 would refuse this: E_SEQUENCE_GROUPS) has no
    // files at first, so the first plan is the root's 2; its files arrive while watching.
    const inline = (name: string, opts: Record<string, unknown>) => ({ extends: true, test: { name, include: [`test/${name}/**/*.test.mjs`], env: { E2E_PROJECT_NAME: name }, ...opts } })
    const project = scenarios.project({
      vitest: major, files: 0, tag: `g${major}`, holdMs: 300,
      config: { include: ['no-root-files/**/*.test.mjs'], pool: 'forks', maxWorkers: 2, projects: [inline('narrow', { sequence: { groupOrder: 0 } }), inline('wide', { maxWorkers: 4, sequence: { groupOrder: 1 } })] },
    })
    project.addFile('narrow01', 'test/narrow')
    project.addFile('narrow02', 'test/narrow')
    const w = startWatch(project)
    try {
      await w.waitForRun(1)
      const info = () => `${w.output()}\n--- results\n${w.lines().map((l) => JSON.stringify(l)).join('\n')}`
      expect(plannedFrom(w.output())?.count, info()).toBe(2)
      const check = (done: ResultLine[], files: string[], planned: number) => {
        const p = doneProblems(done, { prefix: project.prefix, files, planned })
        if (p.length) throw new Error(`watch run broke isolation:\n  - ${p.join('\n  - ')}\n${info()}`)
      }
      check(w.done(), ['narrow01', 'narrow02'], 2)

      let from = w.done().length
      for (const f of ['wide01', 'wide02', 'wide03']) project.addFile(f, 'test/wide')
      await w.waitFor('the new wide files', () => ['wide01', 'wide02', 'wide03'].every((f) => since(w, from).some((d) => d.file === f)) && w.idle())
      // The rerun's specs reached onTestRunStart: the plan grew to the wide project's maxWorkers.
      expect(plannedFrom(w.output())?.count, info()).toBe(4)
      expect(w.output(), info()).toMatch(/workerdb · 2 clones ready in/)
      check(since(w, from), ['wide01', 'wide02', 'wide03'], 4)

      // `a`: all 5 files; the wide group runs its 3 at once, on ids up to 3 — above the first plan.
      from = w.done().length
      const waits = w.waits()
      w.send('a')
      await w.waitFor('the rerun of all files', () => since(w, from).length >= 5 && w.waits() > waits && w.idle())
      const all = since(w, from)
      check(all, ['narrow01', 'narrow02', 'wide01', 'wide02', 'wide03'], 4)
      expect(Math.max(...all.filter((d) => d.project === 'wide').map((d) => Number(d.poolId))), info()).toBe(3)

      expect(await w.quit(), info()).toBeDefined()
      expect(w.output(), info()).toMatch(/workerdb · dropping 4 clones in the background/)
      expect(await leftoverClones(project.prefix)).toEqual([])
    } finally {
      w.stop()
    }
  }))
})
