import { positive, type Plan } from './plan.js'

/**
 * Playwright Test 1.x (`runner/tasks.ts`, `runner/dispatcher.ts`): globalSetup runs in the main process
 * after the worker count is final (`--workers`, percentages and shards folded into `config.workers`) but
 * before the test list exists, so the plan cannot count test groups and covers every worker that may run.
 * The dispatcher gives each live worker a `parallelIndex` in [0, workers), never two at once; a worker
 * that replaces a failed one (or runs after a setup project, or a retry) inherits a free parallelIndex but
 * gets a new, ever-growing `workerIndex`. So the worker id is parallelIndex + 1, and `workers` clones
 * cover every worker of the run, whatever restarts, retries and projects do.
 */
export interface PlaywrightFacts {
  /** Playwright's version, for the reason line. */
  version: string
  /** `config.workers` as globalSetup receives it: already a number. */
  workers: number
  /** `config.shard`, when the run is one shard of several. */
  shard?: { current: number; total: number } | null
}

export function planPlaywright(f: PlaywrightFacts): Plan {
  const workers = positive(f.workers) ?? 1
  const parts = [`playwright ${f.version}`, `workers ${workers}`]
  if (f.shard) parts.push(`shard ${f.shard.current}/${f.shard.total}`)
  return { count: workers, reason: parts.join(', ') }
}
