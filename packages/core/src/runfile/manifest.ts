/**
 * The manifest: the plain JSON that crosses from the runner process (where clones are made) to every
 * worker (where they are used). A file, named by an env var the runner sets before the pool starts,
 * because env reaches every pool type of every framework version, and a file can be rewritten when a
 * watch rerun grows the clone set.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { EnvSpec } from '../env.js'
import type { CloneRoles } from '../catalog/dialect.js'
import { isWorkerDbError, type WorkerDbErrorCode } from '../errors.js'
import { redactText } from '../url.js'
import { RUN_ID_PATTERN } from '../catalog/names.js'
import { ownStartTicks } from './liveness.js'
import { removeOwnSessions } from './clone-use.js'
import type { Plan } from '../plan/plan.js'
import type { ManifestReset } from '../isolation/reset-plan.js'

export const MANIFEST_ENV = 'WORKERDB_MANIFEST'

export interface CloneEntry {
  slot: number
  database: string
  url: string
  /** Its per-worker roles by key (config `roles`), each with the clone's URL as that role. */
  roles?: CloneRoles
}

/** A database being created (a clone or a spare), before its marker exists. */
export type CreatingEntry = Pick<CloneEntry, 'database' | 'url'>

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
  /** The owner's start time (Linux clock ticks after boot): a process that reused its pid is not the owner. */
  startTicks?: number
  /** `workerdb provision`: no process owns the run; `workerdb teardown <run>` (or the TTL) ends it. */
  detached?: boolean
  /** `reset: 'truncate'`: what each worker runs on its clone before every test file (and every test, with `per: 'test'`). */
  reset?: ManifestReset
  /**
   * Still provisioning: Vitest's pool starts while the clones are made, and each worker's setup file
   * waits for this to go (waitForManifest) — the clones are then ready.
   */
  pending?: boolean
  /**
   * The clones being created right now. CREATE DATABASE and the marker comment are two statements: a run
   * killed between them leaves a database only this list proves is ours (the next run's sweep drops it).
   */
  creating?: CreatingEntry[]
  /** Provisioning failed after the pool started: each worker's setup file throws this instead. */
  failed?: { code: WorkerDbErrorCode; detail: string; hint: string }
}

/** Where manifests live: one private folder per user in the temp dir. */
export function manifestDir(): string {
  return join(tmpdir(), 'workerdb')
}

export function manifestPathFor(runId: string): string {
  return join(manifestDir(), `${runId}.json`)
}

/** A write in progress, renamed into place once whole; its writer's pid is in the name. */
function tempPathFor(path: string): string {
  return `${path}.${process.pid}.tmp`
}

const FILE_NAME = new RegExp(`^(${RUN_ID_PATTERN})\\.json(?:\\.(\\d+)\\.tmp)?$`)

/** The run a file in the manifest folder belongs to, and the writer's pid if it is a write in progress. */
export function parseManifestFileName(name: string): { runId: string; writerPid?: number } | undefined {
  const m = FILE_NAME.exec(name)
  if (!m) return undefined
  return m[2] ? { runId: m[1]!, writerPid: Number(m[2]) } : { runId: m[1]! }
}

/**
 * Every database a manifest names — its template, clones and those being created — with the URL it has for
 * each; what is not there (an older or half-read manifest) is left out.
 */
export function manifestDatabases(m: Partial<Manifest>): Array<{ database: string; url?: string }> {
  return [
    ...(typeof m.template?.name === 'string' ? [{ database: m.template.name }] : []),
    ...(Array.isArray(m.clones) ? m.clones : []),
    ...(Array.isArray(m.creating) ? m.creating : []),
  ]
}

/** Reads a manifest; throws what reading or parsing threw (a missing file: the run has ended). */
export function loadManifest(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest
}

/** Written atomically (a worker reading mid-write sees the old or the new file), readable only by us: URLs may hold a password. */
export function writeManifest(path: string, manifest: Manifest): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  const tmp = tempPathFor(path)
  writeFileSync(tmp, JSON.stringify(manifest), { mode: 0o600 })
  renameSync(tmp, path)
}

/** A test process's claim on a clone of a `workerdb provision` run (worker/claim.ts), created exclusively beside the manifest. */
export function slotLockPath(path: string, slot: number): string {
  return `${path}.slot-${slot}.lock`
}

/** The manifest and what workers wrote beside it: their sessions and their claims. True if the manifest was there. */
export function removeManifest(path: string): boolean {
  const existed = existsSync(path)
  rmSync(path, { force: true })
  removeOwnSessions(path)
  const claims = `${basename(path)}.slot-`
  let names: string[] = []
  try {
    names = readdirSync(dirname(path))
  } catch {
    // No folder: nothing beside it.
  }
  for (const name of names) if (name.startsWith(claims)) rmSync(join(dirname(path), name), { force: true })
  return existed
}

/** What a run is known by before anything is provisioned. */
export interface RunIdentity {
  runId: string
  framework: string
  plan: Plan
  env: EnvSpec
  workerIdVar: string
}

/** A run's manifest before it knows its server, template and clones; provision() fills those in. */
export function baseManifest(run: RunIdentity): Manifest {
  return {
    version: 1, runId: run.runId, framework: run.framework, plan: run.plan, server: '', env: run.env, workerIdVar: run.workerIdVar,
    template: null, clones: [], pid: process.pid, host: hostname(), createdAt: new Date().toISOString(),
    ...(ownStartTicks() !== undefined ? { startTicks: ownStartTicks() } : {}),
  }
}

/** Before provisioning starts (Vitest starts its pool meanwhile): workers that get here first wait. */
export function writePendingManifest(path: string, run: RunIdentity): void {
  writeManifest(path, { ...baseManifest(run), pending: true })
}

/** Provisioning failed: every worker fails with the run's own error, not with a missing file or a wait. */
export function writeFailedManifest(path: string, run: RunIdentity, err: unknown): void {
  const failed: NonNullable<Manifest['failed']> = isWorkerDbError(err)
    ? { code: err.code, detail: redactText(err.detail), hint: err.hint }
    : { code: 'E_NO_MANIFEST', detail: `provisioning failed: ${redactText(String((err as Error)?.message ?? err))}`, hint: 'The runner printed the whole error at the end of the run.' }
  writeManifest(path, { ...baseManifest(run), failed })
}
