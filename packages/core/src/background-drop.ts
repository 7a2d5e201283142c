/**
 * Teardown's drops, handed to a detached process so that the test command exits without waiting for the
 * server: a DROP DATABASE removes the files and, with fsync on, waits for the disk (54 ms–1.6 s for two
 * clones of a 28 MB template on PostgreSQL 15 here, depending on the disk's other work). Only for a server that outlives the run — a URL;
 * an embedded or container server stops at teardown and takes its clones with it, or is dropped from first.
 *
 * Nothing is trusted more than before: the dropper drops only what dropClones would (the marker must name
 * this run), and if it dies too, the markers name a dead runner, so the next run's sweep drops the clones.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The job, in the dropper's environment: its argv would show the password in `ps`, its environment does not. */
export const DROP_JOB_ENV = 'WORKERDB_DROP_JOB'

export interface DropJob {
  adminUrl: string
  names: string[]
  runId: string
}

/** The dropper gives up after this long: a server that stopped answering must not keep a process around. */
export const DROPPER_DEADLINE_MS = 60_000

/** Next to the bundle that imports this module (dist/); tests running the sources pass dist's. */
export const DROPPER = fileURLToPath(new URL('./dropper.js', import.meta.url))

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
