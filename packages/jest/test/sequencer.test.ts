/**
 * The main-process hand-over from the test sequencer to globalSetup: what withWorkerDb() counts, that the
 * record belongs to this process only, that projects without the setup file are named, and that the
 * sequencer Jest really runs is the running Jest's own (29 and 30 differ).
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { findJestCore, jestModules } from '../src/runner/jest-modules.js'
import { describeRun, withWorkerDb, type SequencerClass, type TestLike } from '../src/runner/mixin.js'
import { FILES_ENV, takeRecord, writeRecord } from '../src/runner/state.js'

const ROOT = resolve(__dirname, '../../..')
const FIXTURE = (major: 29 | 30) => ({ bins: [], projects: [join(ROOT, 'e2e', 'fixtures', `jest${major}`, 'package.json')] })

let scratch: string | undefined
function tmp(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'workerdb-jest-'))
  return scratch
}

afterEach(() => {
  delete process.env[FILES_ENV]
  if (scratch) rmSync(scratch, { recursive: true, force: true })
  scratch = undefined
})

function test_(path: string, config: Partial<TestLike['context']['config']> = {}): TestLike & { context: { hasteFS: { getSize(): number } } } {
  return { path, context: { config: { rootDir: '/p', setupFiles: [], ...config, cache: false } as TestLike['context']['config'], hasteFS: { getSize: () => 1 } } }
}

class SyncSequencer {
  args: unknown[]
  constructor(...args: unknown[]) { this.args = args }
  sort(tests: TestLike[]) { return [...tests].reverse() }
}

describe('withWorkerDb(Sequencer)', () => {
  it('records how many files sort() returned, for this process', () => {
    const Seq = withWorkerDb(SyncSequencer)
    const sorted = new Seq().sort([test_('/p/a.test.js'), test_('/p/b.test.js')])
    expect(sorted.map((t: TestLike) => t.path)).toEqual(['/p/b.test.js', '/p/a.test.js'])
    expect(JSON.parse(process.env[FILES_ENV]!)).toMatchObject({ pid: process.pid, files: 2 })
  })

  it('counts what an async sort() resolves to, after its own filtering', async () => {
    class Filtering {
      async sort(tests: TestLike[]) { return tests.filter((t) => !t.path.includes('skip')) }
    }
    const Seq = withWorkerDb(Filtering)
    const sorted = await new Seq().sort([test_('/p/a.test.js'), test_('/p/skip.test.js'), test_('/p/c.test.js')])
    expect(sorted).toHaveLength(2)
    expect(takeRecord()?.files).toBe(2)
  })

  it('passes constructor arguments through (Jest 30 passes { contexts, globalConfig })', () => {
    const Seq = withWorkerDb(SyncSequencer)
    const arg = { contexts: [], globalConfig: { maxWorkers: 2 } }
    expect(new Seq(arg).args).toEqual([arg])
    expect(Seq.name).toBe('WorkerDbSyncSequencer')
    expect(new Seq()).toBeInstanceOf(SyncSequencer)
  })

  it('a record is taken once, and never from another process', () => {
    writeRecord({ files: 3, unmapped: [] })
    expect(takeRecord()).toEqual({ pid: process.pid, files: 3, unmapped: [] })
    expect(takeRecord()).toBeUndefined()
    process.env[FILES_ENV] = JSON.stringify({ pid: process.pid + 1, files: 3, unmapped: [] })
    expect(takeRecord()).toBeUndefined()
    process.env[FILES_ENV] = 'not json'
    expect(takeRecord()).toBeUndefined()
    process.env[FILES_ENV] = JSON.stringify({ pid: process.pid, files: -1, unmapped: [] })
    expect(takeRecord()).toBeUndefined()
    expect(process.env[FILES_ENV]).toBeUndefined()
  })
})

describe('describeRun: projects whose files would run without the setup file', () => {
  it('names them by displayName (string or object) or rootDir, once each', () => {
    const dir = tmp()
    const setup = join(dir, 'setup.js')
    writeFileSync(setup, '')
    // Jest may hand over the path through a symlink (pnpm): compared by real path.
    symlinkSync(setup, join(dir, 'linked-setup.js'))
    const mapped = { rootDir: dir, displayName: 'api', setupFiles: [join(dir, 'linked-setup.js')] }
    const afterEnv = { rootDir: dir, displayName: 'later', setupFiles: [], setupFilesAfterEnv: [setup] }
    const jobs = { rootDir: dir, displayName: { name: 'jobs' }, setupFiles: ['/elsewhere/other-setup.js'] }
    const plain = { rootDir: join(process.cwd(), 'packages', 'web'), setupFiles: [] }
    const tests = [
      test_('/a.test.js', mapped), test_('/b.test.js', jobs), test_('/c.test.js', jobs),
      test_('/d.test.js', plain), test_('/e.test.js', afterEnv),
    ]
    // Each project's config object is shared by its tests, as in Jest.
    tests[2]!.context.config = tests[1]!.context.config
    expect(describeRun(tests, setup, join(dir, 'setup-after-env.js'))).toEqual({
      files: 5, unmapped: ['jobs', join('packages', 'web')],
      // Mapped, but without the setupFilesAfterEnv entry a reset per test registers its beforeEach from.
      noAfterEnv: ['api', 'later'],
    })
  })

  it('lists nobody when every project has both', () => {
    const dir = tmp()
    const setup = join(dir, 'setup.js')
    const afterEnv = join(dir, 'setup-after-env.js')
    writeFileSync(setup, '')
    writeFileSync(afterEnv, '')
    symlinkSync(afterEnv, join(dir, 'linked-after-env.js'))
    expect(describeRun([test_('/a.test.js', { setupFiles: [setup], setupFilesAfterEnv: ['/own.js', join(dir, 'linked-after-env.js')] })], setup, afterEnv))
      .toEqual({ files: 1, unmapped: [], noAfterEnv: [] })
  })
})

describe.each([29, 30] as const)('the running Jest %i\'s own sequencer', (major) => {
  it('is found from the Jest install, not from this package\'s peer dependencies', () => {
    const version = major === 29 ? '29.7.0' : /^30\./
    const mods = jestModules(FIXTURE(major))
    expect(mods.version).toMatch(version)
    expect(mods.resolve('@jest/test-sequencer')).toContain(`@jest+test-sequencer@${mods.version}`)
    expect(mods.resolve('@jest/reporters')).toContain(`@jest+reporters@${mods.version}`)
    expect(findJestCore(FIXTURE(major))).toContain(`@jest+core@${mods.version}`)
  })

  it('shards and sorts real tests with workerdb counting them', async () => {
    const Base = jestModules(FIXTURE(major)).load<SequencerClass & (new (...a: unknown[]) => { shard(t: unknown[], o: unknown): Promise<TestLike[]> | TestLike[] })>('@jest/test-sequencer')
    const Seq = withWorkerDb(Base)
    // As each major constructs it: Jest 29 with no argument, Jest 30 with { contexts, globalConfig }.
    const seq = major === 29 ? new Seq() : new Seq({ contexts: [], globalConfig: {} })
    const all = Array.from({ length: 7 }, (_, i) => test_(`/p/t${i}.test.js`))
    const shard = await seq.shard(all, { shardIndex: 1, shardCount: 2 })
    const sorted = await seq.sort(shard)
    expect(sorted.length).toBe(shard.length)
    expect(shard.length).toBeLessThan(7)
    expect(takeRecord()).toMatchObject({ files: shard.length })
  })
})

describe('finding the running Jest from its bin script', () => {
  it.each([29, 30] as const)('jest %i: bin/jest.js leads to its own @jest/core', (major) => {
    const bin = join(ROOT, 'e2e', 'fixtures', `jest${major}`, 'node_modules', 'jest', 'bin', 'jest.js')
    const core = findJestCore({ bins: [bin], projects: [] })
    expect(core).toMatch(new RegExp(`@jest\\+core@${major}\\.`))
  })

  it('the bin script wins over the project', () => {
    const bin = join(ROOT, 'e2e', 'fixtures', 'jest30', 'node_modules', 'jest', 'bin', 'jest.js')
    expect(findJestCore({ bins: [bin], projects: FIXTURE(29).projects })).toMatch(/@jest\+core@30\./)
  })
})
