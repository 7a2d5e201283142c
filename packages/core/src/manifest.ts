/**
 * The manifest: the plain JSON that crosses from the runner process (where clones are made) to every
 * worker (where they are used). A file, named by an env var the runner sets before the pool starts,
 * because env reaches every pool type of every framework version, and a file can be rewritten when a
 * watch rerun grows the clone set.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EnvSpec } from './env.js'
import type { Plan } from './plan.js'
import type { ManifestReset } from './isolation/reset.js'

export const MANIFEST_ENV = 'WORKERDB_MANIFEST'

export interface CloneEntry {
  slot: number
  database: string
  url: string
}

export interface Manifest {
  version: 1
  runId: string
  framework: string
  plan: Plan
  server: string
  env: EnvSpec
  /** Which variable holds the worker id, e.g. VITEST_POOL_ID. */
  workerIdVar: string
  template: { name: string; hash: string; reused: boolean } | null
  clones: CloneEntry[]
  /** The run's owner process, so the next run's sweep can remove the manifest of a run that died. */
  pid?: number
  host?: string
  createdAt?: string
  /** `workerdb provision`: no process owns the run; `workerdb teardown <run>` (or the TTL) ends it. */
  detached?: boolean
  /** `reset: 'truncate'`: the statement each worker runs on its clone before every test file. */
  reset?: ManifestReset
}

/** Where manifests live: one private folder per user in the temp dir. */
export function manifestDir(): string {
  return join(tmpdir(), 'workerdb')
}

export function manifestPathFor(runId: string): string {
  return join(manifestDir(), `${runId}.json`)
}

/** Written atomically (a worker reading mid-write sees the old or the new file), readable only by us: URLs may hold a password. */
export function writeManifest(path: string, manifest: Manifest): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(manifest), { mode: 0o600 })
  renameSync(tmp, path)
}

export function removeManifest(path: string): void {
  rmSync(path, { force: true })
}
