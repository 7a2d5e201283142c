/**
 * One provisioning per Vitest run. The plugin (loaded with the config), the globalSetup (loaded by
 * Vitest's module runner) and the spec reporter are separate module instances in one process, and
 * globalSetup can run once per project: they meet on a globalThis registry keyed by the Vitest instance.
 */
import type { WorkerDbOptions } from '@workerdb/core'
import type { Provisioned } from '@workerdb/core/runner'
import type { Planned } from './provision-run.js'

export interface RunState {
  runId: string
  manifestPath: string
  options: WorkerDbOptions
  /** Config discovery starts here (Vitest's root). */
  root: string
  vitest: VitestLike
  /** Specs of the current run, after --shard, as the spec reporter saw them. */
  specs?: SpecLike[]
  planned?: Promise<Planned>
  provisioned?: Promise<Provisioned>
  /** globalSetup callers still holding the run (one per project that ran it). */
  refs: number
}

/** The parts of Vitest 3/4/5's API this package reads; typed loosely because they differ by major. */
export interface VitestLike {
  version?: string
  config: Record<string, any> & { root: string; watch: boolean; maxWorkers?: number; fileParallelism?: boolean; shard?: { index: number; count: number }; sequence: { sequencer: new (ctx: any) => { shard(specs: SpecLike[]): Promise<SpecLike[]> } } }
  projects: ProjectLike[]
  state?: { getPaths?(): string[] }
  onClose?(cb: () => unknown): void
  getRootProject?(): ProjectLike
}

export interface ProjectLike {
  name: string
  config: Record<string, any> & { setupFiles: string[]; pool: string; maxWorkers?: number }
  vitest: VitestLike
  provide?(key: string, value: unknown): void
  onTestsRerun?(cb: (specs: SpecLike[]) => unknown): void
}

export interface SpecLike {
  moduleId: string
  project: ProjectLike
  pool?: string
}

const KEY = Symbol.for('workerdb.vitest.runs')

export function runs(): WeakMap<object, RunState> {
  const g = globalThis as unknown as Record<symbol, WeakMap<object, RunState>>
  return (g[KEY] ??= new WeakMap())
}
