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

/** What the sequencer hands to globalSetup; exported for tests. */
export function describeRun(tests: TestLike[], setupFile = SETUP_FILE): { files: number; unmapped: string[] } {
  const ours = real(setupFile)
  const unmapped = new Set<string>()
  const checked = new Map<object, boolean>()
  for (const t of tests) {
    const config = t.context.config
    let mapped = checked.get(config)
    if (mapped === undefined) {
      mapped = [...(config.setupFiles ?? []), ...(config.setupFilesAfterEnv ?? [])].some((f) => real(f) === ours)
      checked.set(config, mapped)
    }
    if (!mapped) unmapped.add(projectName(config))
  }
  return { files: tests.length, unmapped: [...unmapped] }
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
