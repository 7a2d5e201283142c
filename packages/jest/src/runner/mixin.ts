/**
 * `withWorkerDb(Sequencer)`: Jest's globalSetup never sees the test list, but the test sequencer's sort()
 * gets this run's files (after --shard) in the same process just before globalSetup runs. The mixin counts
 * them for the plan — and notices projects whose files would run without workerdb's setup file.
 * It loads nothing from Jest, so it is safe to import anywhere (index.ts re-exports it).
 */
import { realpathSync } from 'node:fs'
import { join, relative } from 'node:path'
import { writeRecord } from './state.js'

/** The parts of Jest's `Test` the count looks at (identical in Jest 29 and 30). */
export interface TestLike {
  path: string
  context: {
    config: {
      rootDir: string
      displayName?: { name: string } | string
      setupFiles?: string[]
      setupFilesAfterEnv?: string[]
    }
  }
}

// Any constructor with a sort() will do: Jest 29 constructs sequencers with no argument, Jest 30 with
// `{ contexts, globalConfig }`, and the mixin passes whatever it gets through.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SequencerClass = new (...args: any[]) => { sort(tests: any[]): any }

/** dist/setup.js: every entry that bundles this file sits in dist/ beside it. */
export const SETUP_FILE = join(__dirname, 'setup.js')
/** dist/setup-after-env.js: where a reset per test registers its beforeEach (setupFilesAfterEnv). */
export const SETUP_AFTER_ENV_FILE = join(__dirname, 'setup-after-env.js')

function real(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return file
  }
}

function projectName(config: TestLike['context']['config']): string {
  const d = config.displayName
  const name = typeof d === 'string' ? d : d?.name
  return name || relative(process.cwd(), config.rootDir) || '.'
}

/** Whether a project's setupFilesAfterEnv lists workerdb's entry (compared by real path: pnpm links). */
export function hasAfterEnvFile(setupFilesAfterEnv: readonly string[] | undefined, afterEnvFile = real(SETUP_AFTER_ENV_FILE)): boolean {
  return (setupFilesAfterEnv ?? []).some((f) => real(f) === afterEnvFile)
}

/**
 * What the sequencer hands to globalSetup; exported for tests. `unmapped`: projects without workerdb's
 * setup file; `noAfterEnv`: projects with it but without its setupFilesAfterEnv entry, which only a reset
 * per test needs (globalSetup, which knows the config, decides).
 */
export function describeRun(tests: TestLike[], setupFile = SETUP_FILE, afterEnvFile = SETUP_AFTER_ENV_FILE): { files: number; unmapped: string[]; noAfterEnv: string[] } {
  const ours = real(setupFile)
  const oursAfterEnv = real(afterEnvFile)
  const unmapped = new Set<string>()
  const noAfterEnv = new Set<string>()
  const checked = new Map<object, 'mapped' | 'unmapped' | 'noAfterEnv'>()
  for (const t of tests) {
    const config = t.context.config
    let state = checked.get(config)
    if (state === undefined) {
      const files = [...(config.setupFiles ?? []), ...(config.setupFilesAfterEnv ?? [])].map(real)
      state = !files.includes(ours) ? 'unmapped' : hasAfterEnvFile(config.setupFilesAfterEnv, oursAfterEnv) ? 'mapped' : 'noAfterEnv'
      checked.set(config, state)
    }
    if (state === 'unmapped') unmapped.add(projectName(config))
    if (state === 'noAfterEnv') noAfterEnv.add(projectName(config))
  }
  return { files: tests.length, unmapped: [...unmapped], noAfterEnv: [...noAfterEnv] }
}

export function withWorkerDb<T extends SequencerClass>(Base: T): T {
  const record = (sorted: unknown) => {
    if (Array.isArray(sorted)) writeRecord(describeRun(sorted as TestLike[]))
    return sorted
  }
  class WorkerDbSequencer extends Base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    sort(tests: any[]): any {
      // The count is taken from what sort() returns, after any filtering a custom sort() does.
      const sorted = super.sort(tests)
      return sorted && typeof (sorted as Promise<unknown>).then === 'function' ? (sorted as Promise<unknown>).then(record) : record(sorted)
    }
  }
  Object.defineProperty(WorkerDbSequencer, 'name', { value: `WorkerDb${Base.name || 'Sequencer'}` })
  return WorkerDbSequencer
}
