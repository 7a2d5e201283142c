/**
 * Teardown's drops, and the spares the run did not finish, handed to a detached process so that the test
 * command exits without waiting for the server: a DROP DATABASE removes the files and a copy writes them,
 * and with fsync on both wait for the disk. Only for a server that outlives the run — a URL; an embedded
 * or container server stops at teardown and takes its clones with it, or is dropped from first.
 *
 * Nothing is trusted more than before: the dropper drops only what dropClones would (the marker must name
 * this run), and if it dies too, the markers name a dead runner, so the next run's sweep drops the clones.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { SpareJob } from '../engine/spares.js'

/** The job, in the dropper's environment: its argv would show the password in `ps`, its environment does not. */
export const DROP_JOB_ENV = 'WORKERDB_DROP_JOB'

export interface DropJob {
  adminUrl: string
  names: string[]
  runId: string
  /**
   * The spares the run did not finish while its tests ran: made here, after the drops, so that the run's
   * end never waits for a copy (spares.ts).
   */
  spares?: SpareJob
}

/** The dropper gives up after this long: a server that stopped answering must not keep a process around. */
export const DROPPER_DEADLINE_MS = 60_000

/** Next to the bundle that imports this module (dist/); from the sources (tests), the built one in dist/. */
const besideBundle = fileURLToPath(new URL('./dropper.js', import.meta.url))
export const DROPPER = existsSync(besideBundle) ? besideBundle : fileURLToPath(new URL('../../dist/dropper.js', import.meta.url))

/**
 * Starts the dropper and returns at once, with its pid. Its output goes nowhere (it has no terminal to
 * write to once the runner exits); whatever it leaves, the next run's sweep drops.
 */
export function dropInBackground(job: DropJob, script = DROPPER): number | undefined {
  const child = spawn(process.execPath, [script], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [DROP_JOB_ENV]: JSON.stringify(job) },
  })
  // Spawn failures (EAGAIN, a vanished execPath) arrive as an event; the sweep covers them.
  child.on('error', () => {})
  child.unref()
  return child.pid
}
