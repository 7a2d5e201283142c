/**
 * `addWorkerDb(config)`: workerdb added to any Jest config in one line, keeping everything the project had
 * — its preset (ts-jest, babel-jest, @swc/jest: Jest takes one preset, so workerdb cannot be a second),
 * a config built by a function (next/jest's `createJestConfig(…)` returns an async one), and its own
 * globalSetup, globalTeardown, testSequencer, setupFiles and reporters.
 *
 * Jest takes one globalSetup, one globalTeardown and one testSequencer, each by path: workerdb's take
 * their place and run the project's own from there (named in the env vars below, which this process's
 * globalSetup, globalTeardown and sequencer read; Jest evaluates the config in that same process).
 * Setup files and reporters are lists: workerdb's setup files go first (setupFiles, and setupFilesAfterEnv
 * for a reset per test), its reporter last.
 */
import { isAbsolute, join, resolve } from 'node:path'

/** The project's own pieces that workerdb's run, resolved to absolute paths (or package names). */
export const PROJECT_GLOBAL_SETUP_ENV = 'WORKERDB_JEST_PROJECT_GLOBAL_SETUP'
export const PROJECT_GLOBAL_TEARDOWN_ENV = 'WORKERDB_JEST_PROJECT_GLOBAL_TEARDOWN'
export const PROJECT_SEQUENCER_ENV = 'WORKERDB_JEST_PROJECT_SEQUENCER'

/** The fields addWorkerDb reads or writes; everything else passes through untouched. */
export interface JestConfigLike {
  /** Kept as it is: the project's own (ts-jest, …). */
  preset?: string
  rootDir?: string
  globalSetup?: string
  globalTeardown?: string
  testSequencer?: string
  setupFiles?: string[]
  setupFilesAfterEnv?: string[]
  reporters?: unknown[]
  /** Everything else Jest takes, passed through. */
  [key: string]: unknown
}

/** What addWorkerDb sets in every config (a type literal, so that it fits JestConfigLike's index signature). */
export type WorkerDbPieces = {
  globalSetup: string
  globalTeardown: string
  testSequencer: string
  setupFiles: string[]
  setupFilesAfterEnv: string[]
  reporters: unknown[]
}

/** Where workerdb's pieces are: dist/ beside this bundle, as in jest-preset.js. */
function ours(file: string): string {
  return join(__dirname, file)
}

/** `<rootDir>/x`, `./x` → absolute; a package name stays (resolved where Jest would resolve it). */
function absolute(path: string, rootDir: string): string {
  const withRoot = path.replace(/^<rootDir>/, rootDir)
  return isAbsolute(withRoot) ? withRoot : withRoot.startsWith('.') ? resolve(rootDir, withRoot) : withRoot
}

/**
 * Pure but for the env vars it sets: the config with workerdb's pieces in, the project's kept. `rootDir`:
 * where the project's relative paths resolve (Jest's rootDir: the config's own, else the working directory).
 */
export function mergeJestConfig<C extends JestConfigLike>(config: C, env: NodeJS.ProcessEnv = process.env): C & WorkerDbPieces {
  const rootDir = config.rootDir ? resolve(config.rootDir) : process.cwd()
  const handOver = (value: string | undefined, mine: string, name: string) => {
    if (value && value !== mine) env[name] = absolute(value, rootDir)
    else delete env[name]
  }
  const globalSetup = ours('global-setup.js')
  const globalTeardown = ours('global-teardown.js')
  const testSequencer = ours('sequencer.js')
  const setup = ours('setup.js')
  const afterEnv = ours('setup-after-env.js')
  const reporter = ours('reporter.js')
  handOver(config.globalSetup, globalSetup, PROJECT_GLOBAL_SETUP_ENV)
  handOver(config.globalTeardown, globalTeardown, PROJECT_GLOBAL_TEARDOWN_ENV)
  handOver(config.testSequencer, testSequencer, PROJECT_SEQUENCER_ENV)
  return {
    ...config,
    globalSetup,
    globalTeardown,
    testSequencer,
    setupFiles: [setup, ...(config.setupFiles ?? []).filter((f) => f !== setup)],
    setupFilesAfterEnv: [afterEnv, ...(config.setupFilesAfterEnv ?? []).filter((f) => f !== afterEnv)],
    reporters: [...(config.reporters ?? ['default']).filter((r) => r !== reporter && !(Array.isArray(r) && r[0] === reporter)), reporter],
  }
}

type ConfigFunction<C> = () => C | Promise<C>

/** Adds workerdb to a Jest config object, or to a function that makes one (next/jest). */
export function addWorkerDb<C extends JestConfigLike>(config: C): C & WorkerDbPieces
export function addWorkerDb<C extends JestConfigLike>(config: ConfigFunction<C>): () => Promise<C & WorkerDbPieces>
export function addWorkerDb<C extends JestConfigLike>(config: C | ConfigFunction<C>): (C & WorkerDbPieces) | (() => Promise<C & WorkerDbPieces>) {
  if (typeof config === 'function') return async () => mergeJestConfig(await config())
  return mergeJestConfig(config)
}
