/**
 * globalSetup → reporter → globalTeardown in one process, against the test server, without Jest: one
 * provisioning per run however often globalSetup is called, every teardown call waiting for the one
 * teardown (Jest 30's --bail calls it concurrently), which hands the drops to one dropper, a fresh run after a teardown (watch mode), a failed
 * provisioning not poisoning the next, and the fallback when the sequencer did not count.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { alive, databasesWithPrefix, dropPrefix, eventually, testUrl, uniquePrefix } from '../../core/test/helpers.js'
import globalSetup from '../src/runner/global-setup.js'
import globalTeardown from '../src/runner/global-teardown.js'
import WorkerDbReporter from '../src/runner/reporter.js'
import { readyParts } from '../src/runner/summary.js'
import { currentRun, setRun, writeRecord } from '../src/runner/state.js'

const prefix = uniquePrefix('jr')
let dir: string
const saved = { url: process.env.WORKERDB_URL, manifest: process.env.WORKERDB_MANIFEST }

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'workerdb-jest-run-'))
  writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ prefix }))
  process.env.WORKERDB_URL = testUrl()
})

afterEach(async () => {
  vi.restoreAllMocks()
  const run = currentRun()
  if (run && !run.tornDown) await globalTeardown()
  // Every run's teardown handed its drops to a dropper: the next test starts when it is done.
  const dropper = run && (await run.provisioned.catch(() => undefined))?.summary.dropperPid
  if (dropper) await eventually(() => !alive(dropper))
  setRun(undefined)
})

afterAll(async () => {
  try {
    await dropPrefix(prefix)
  } finally {
    rmSync(dir, { recursive: true, force: true })
    for (const [k, v] of [['WORKERDB_URL', saved.url], ['WORKERDB_MANIFEST', saved.manifest]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
})

const clones = async () => (await databasesWithPrefix(prefix)).filter((d) => !d.name.includes('_tpl_')).map((d) => d.name)

function stderrLines(): () => string[] {
  const lines: string[] = []
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk))
    return true
  })
  return () => lines
}

describe('one Jest run in one process', () => {
  it('provisions once for all globalSetup calls, sized by the sequencer\'s count', async () => {
    writeRecord({ files: 2, unmapped: [] })
    await globalSetup({ rootDir: dir, maxWorkers: 4 })
    // globalSetup returns once planned: Jest forks its workers while the clones are made.
    const manifestPath = process.env.WORKERDB_MANIFEST!
    expect(JSON.parse(readFileSync(manifestPath, 'utf8')).pending).toBe(true)
    await currentRun()!.provisioned
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    expect(manifest.pending).toBeUndefined()
    expect(manifest.workerIdVar).toBe('JEST_WORKER_ID')
    expect(manifest.clones.map((c: { slot: number }) => c.slot)).toEqual([1, 2])
    expect(manifest.plan.reason).toMatch(/maxWorkers 4, 2 test files$/)
    // A second project's globalSetup (another path to the same module) joins the run.
    await globalSetup({ rootDir: dir, maxWorkers: 4 })
    expect(process.env.WORKERDB_MANIFEST).toBe(manifestPath)
    expect(await clones()).toHaveLength(2)
  })

  it('every teardown call waits for the one teardown, which hands the drops to one dropper; the next run provisions afresh', async () => {
    writeRecord({ files: 3, unmapped: [] })
    await globalSetup({ rootDir: dir, maxWorkers: 3 })
    const first = currentRun()!
    const firstId = (await first.provisioned).runId
    expect(await clones()).toHaveLength(3)
    let settled = 0
    await Promise.all([globalTeardown().then(() => settled++), globalTeardown().then(() => settled++)])
    expect(settled).toBe(2)
    // Both returned once the one teardown had handed the drops to one dropper; it drops all three.
    const dropper = (await first.provisioned).summary.dropperPid!
    expect(dropper).toBeGreaterThan(0)
    expect(await eventually(() => !alive(dropper))).toBe(true)
    expect(await clones()).toEqual([])

    writeRecord({ files: 1, unmapped: [] })
    await globalSetup({ rootDir: dir, maxWorkers: 3 })
    const second = currentRun()!
    expect(second).not.toBe(first)
    expect((await second.provisioned).runId).not.toBe(firstId)
    expect(await clones()).toHaveLength(1)
  })

  it('without the sequencer\'s count: maxWorkers clones, and the notice once per process', async () => {
    const lines = stderrLines()
    await globalSetup({ rootDir: dir, maxWorkers: 3 })
    expect((await currentRun()!.provisioned).manifest.clones).toHaveLength(3)
    await globalTeardown()
    await globalSetup({ rootDir: dir, maxWorkers: 2 })
    expect((await currentRun()!.provisioned).manifest.clones).toHaveLength(2)
    const notices = lines().filter((l) => l.includes('test files were not counted'))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toContain("the plan covers every worker Jest may fork (3). To size runs to their files, use `testSequencer: '@workerdb/jest/sequencer'`")
  })

  it('warns about projects that run without the setup file', async () => {
    const lines = stderrLines()
    writeRecord({ files: 2, unmapped: ['jobs'] })
    await globalSetup({ rootDir: dir, maxWorkers: 2 })
    expect(lines().join('')).toMatch(/warning: the test files of project "jobs" run without workerdb's setup file.*require\.resolve\('@workerdb\/jest\/setup'\)/)
  })

  it('with a reset per test, a project without workerdb\'s setupFilesAfterEnv entry fails globalSetup, naming it and the fix', async () => {
    const perTest = mkdtempSync(join(tmpdir(), 'workerdb-jest-pertest-'))
    try {
      writeFileSync(join(perTest, 'workerdb.config.json'), JSON.stringify({ prefix, reset: { truncate: true, per: 'test' } }))
      writeRecord({ files: 2, unmapped: [], noAfterEnv: ['api'] })
      const e = await globalSetup({ rootDir: perTest, maxWorkers: 2 }).catch((err) => err)
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain('project "api"')
      expect(e.message).toContain('setupFilesAfterEnv')
      expect(e.hint).toContain("setupFilesAfterEnv: [require.resolve('@workerdb/jest/setup-after-env')]")
      expect(currentRun()).toBeUndefined()
      // No sequencer record (a sequencer of the project's own): the project config globalSetup gets is checked.
      const alone = await globalSetup({ rootDir: perTest, maxWorkers: 2 }, { rootDir: perTest, setupFilesAfterEnv: [] }).catch((err) => err)
      expect(alone.code).toBe('E_CONFIG')
      // Per file, nothing is needed after the environment: the same project runs.
      writeFileSync(join(perTest, 'workerdb.config.json'), JSON.stringify({ prefix, reset: 'truncate' }))
      writeRecord({ files: 1, unmapped: [], noAfterEnv: ['api'] })
      await globalSetup({ rootDir: perTest, maxWorkers: 2 })
      expect((await currentRun()!.provisioned).manifest.clones).toHaveLength(1)
    } finally {
      rmSync(perTest, { recursive: true, force: true })
    }
  })

  it('a bad config fails globalSetup itself, before any worker starts, and does not stick to the next run', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'workerdb-jest-bad-'))
    try {
      writeFileSync(join(bad, 'workerdb.config.json'), JSON.stringify({ prefix: 'Not A Prefix' }))
      await expect(globalSetup({ rootDir: bad, maxWorkers: 2 })).rejects.toThrow(/E_CONFIG/)
      expect(currentRun()).toBeUndefined()
      writeRecord({ files: 1, unmapped: [] })
      await globalSetup({ rootDir: dir, maxWorkers: 2 })
      expect((await currentRun()!.provisioned).manifest.clones).toHaveLength(1)
    } finally {
      rmSync(bad, { recursive: true, force: true })
    }
  })

  it('a failed provisioning goes to the workers through the manifest; teardown prints it once and fails the run; the next run starts afresh', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'workerdb-jest-bad-'))
    const exitCode = process.exitCode
    try {
      writeFileSync(join(bad, 'workerdb.config.json'), JSON.stringify({ prefix, migrate: { sql: './missing' } }))
      await globalSetup({ rootDir: bad, maxWorkers: 2 })
      await expect(currentRun()!.provisioned).rejects.toThrow(/E_MIGRATION|E_CONFIG/)
      const failed = JSON.parse(readFileSync(process.env.WORKERDB_MANIFEST!, 'utf8')).failed
      expect(failed.code).toMatch(/E_MIGRATION|E_CONFIG/)
      const lines = stderrLines()
      await globalTeardown()
      expect(lines().join('')).toMatch(/workerdb · provisioning failed, so no test file got a database: E_(MIGRATION|CONFIG): .*missing/)
      expect(process.exitCode).toBe(1)
      process.exitCode = exitCode
      writeRecord({ files: 1, unmapped: [] })
      await globalSetup({ rootDir: dir, maxWorkers: 2 })
      expect((await currentRun()!.provisioned).manifest.clones).toHaveLength(1)
    } finally {
      rmSync(bad, { recursive: true, force: true })
    }
  })
})

describe('the reporter', () => {
  it('says how Jest ran the files: workers, or in band', async () => {
    writeRecord({ files: 2, unmapped: [] })
    await globalSetup({ rootDir: dir, maxWorkers: 4 })
    const reporter = new WorkerDbReporter({ rootDir: dir, maxWorkers: 4 })
    const logged: string[] = []
    reporter.log = (line: string) => { logged.push(line) }
    reporter.onRunStart({}, { showStatus: true })
    reporter.onRunStart({}, { showStatus: false })
    // Printed once the clones exist; onRunStart does not wait for them (Jest forks its workers after it).
    expect(logged).toEqual([])
    await currentRun()!.provisioned
    await new Promise((resolve) => setImmediate(resolve))
    const m = /^workerdb · jest \S+: 4 workers on 2 clones; ready in (\d+) ms \(config (\d+) ms, server (\d+) ms, template (\d+) ms, clones (\d+) ms, other (\d+) ms\)$/.exec(logged[0]!)
    expect(m, logged[0]).not.toBeNull()
    // The parts add up to the total.
    const [total, ...parts] = m!.slice(1).map(Number)
    expect(parts.reduce((a, b) => a + b, 0)).toBe(total)
    expect(logged[1]).toContain(': in band (one process, JEST_WORKER_ID=1) on 2 clones;')
  })

  it('keeps quiet when the config says silent', async () => {
    const quiet = mkdtempSync(join(tmpdir(), 'workerdb-jest-quiet-'))
    try {
      writeFileSync(join(quiet, 'workerdb.config.json'), JSON.stringify({ prefix, silent: true }))
      writeRecord({ files: 1, unmapped: [] })
      await globalSetup({ rootDir: quiet, maxWorkers: 2 })
      const reporter = new WorkerDbReporter({ rootDir: quiet, maxWorkers: 2 })
      const logged: string[] = []
      reporter.log = (line: string) => { logged.push(line) }
      reporter.onRunStart({}, { showStatus: true })
      await currentRun()!.provisioned
      await new Promise((resolve) => setImmediate(resolve))
      expect(logged).toEqual([])
    } finally {
      rmSync(quiet, { recursive: true, force: true })
    }
  })

  it('says when this run provisioned nothing (a globalSetup of the project\'s replaced workerdb\'s), and tells the workers', async () => {
    try {
      const reporter = new WorkerDbReporter({ rootDir: dir, maxWorkers: 2, globalSetup: '/project/own-global-setup.js' })
      expect(process.env.WORKERDB_JEST_FOREIGN_GLOBAL_SETUP).toBe('/project/own-global-setup.js')
      const logged: string[] = []
      reporter.log = (line: string) => { logged.push(line) }
      await reporter.onRunStart({}, { showStatus: true })
      expect(logged.join('\n')).toContain("the globalSetup /project/own-global-setup.js replaced the preset's")
      expect(logged.join('\n')).toContain("import workerdb from '@workerdb/jest/global-setup'")
    } finally {
      delete process.env.WORKERDB_JEST_FOREIGN_GLOBAL_SETUP
    }
  })
})

describe('readyParts', () => {
  it('names what the parts leave out as other, so that they add up to the total', () => {
    expect(readyParts(560.4, [['config', 120.2], ['server', 171], ['template', 2.4], ['clones', 53]])).toBe('ready in 560 ms (config 120 ms, server 171 ms, template 3 ms, clones 53 ms, other 213 ms)')
    // Rounded so that they still add up: 5.5 + 5.5 of 11.2 is 6 + 5, never 6 + 6.
    expect(readyParts(11.2, [['server', 5.5], ['clones', 5.5]])).toBe('ready in 11 ms (server 6 ms, clones 5 ms, other 0 ms)')
  })
})
