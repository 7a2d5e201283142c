/**
 * What the main-process pieces hand each other within one Jest run. Jest loads the sequencer, globalSetup,
 * globalTeardown and reporter as separate modules (each its own bundle here), and may run globalSetup once
 * per distinct file in a multi-project config, so they meet on process-global state:
 *   - the sequencer's count of this run's files, in process.env (it runs just before globalSetup);
 *   - the run's provisioning, on globalThis (globalSetup → reporter → globalTeardown).
 */
import type { Provisioned } from '@workerdb/core/runner'

/** The sequencer's record: JSON `{ pid, files, unmapped, noAfterEnv }`. */
export const FILES_ENV = 'WORKERDB_JEST_FILES'

export interface SequencerRecord {
  /** The Jest process that sorted: a record inherited from a parent process is not this run's. */
  pid: number
  /** Test files of this run, after --shard, as sort() returned them. */
  files: number
  /** Projects whose files run without workerdb's setup file (names or rootDirs). */
  unmapped: string[]
  /** Projects with it but without its setupFilesAfterEnv entry: a reset per test cannot register there. */
  noAfterEnv?: string[]
}

export function writeRecord(r: Omit<SequencerRecord, 'pid'>, env: NodeJS.ProcessEnv = process.env): void {
  env[FILES_ENV] = JSON.stringify({ pid: process.pid, ...r })
}

/** This process's record, removed from the environment so that workers and nested runs never see it. */
export function takeRecord(env: NodeJS.ProcessEnv = process.env): SequencerRecord | undefined {
  const raw = env[FILES_ENV]
  delete env[FILES_ENV]
  if (!raw) return undefined
  try {
    const r = JSON.parse(raw) as SequencerRecord
    return r.pid === process.pid && Number.isInteger(r.files) && r.files >= 0 ? r : undefined
  } catch {
    return undefined
  }
}

export interface JestRun {
  /** Config loaded, plan made, pending manifest written: what globalSetup waits for. */
  planned: Promise<void>
  /** The clones exist: what each worker's setup file waits for (through the manifest). */
  provisioned: Promise<Provisioned>
  jestVersion: string
  /** The config's `silent`, once resolved: the reporter keeps quiet too. */
  silent: boolean
  /** performance.now() when globalSetup started provisioning. */
  startedAt: number
  /** ms from globalSetup's start until the clones were ready. */
  readyMs?: number
  /** ms of that spent finding and loading the workerdb config. */
  configMs?: number
  /** Set by the first globalTeardown call; later calls of the same run wait for it. */
  tornDown?: Promise<void>
}

const RUN = Symbol.for('workerdb.jest.run')
const NOTICES = Symbol.for('workerdb.jest.notices')

type Global = Record<symbol, unknown>

export function currentRun(): JestRun | undefined {
  return (globalThis as unknown as Global)[RUN] as JestRun | undefined
}

export function setRun(run: JestRun | undefined): void {
  ;(globalThis as unknown as Global)[RUN] = run
}

/** True the first time a notice is given in this process: watch mode reruns must not repeat it. */
export function firstTime(notice: string): boolean {
  const g = globalThis as unknown as Global
  let seen = g[NOTICES] as Set<string> | undefined
  if (!seen) g[NOTICES] = seen = new Set<string>()
  if (seen.has(notice)) return false
  seen.add(notice)
  return true
}
