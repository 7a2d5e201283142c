import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { WorkerDbError } from '../errors.js'
import { plural } from '../log.js'
import { MANIFEST_ENV, slotLockPath } from '../runfile/manifest.js'
import { readManifest } from './read-manifest.js'
import { setupWorker, type WorkerDatabase } from './setup.js'

/**
 * For runners without worker ids (`node --test`, plain scripts) on a run made by `workerdb provision`:
 * takes the first clone no other live process holds — a lock file next to the manifest, created
 * exclusively, removed when this process exits — and sets it up like setupWorker. An id the caller set in
 * the manifest's worker id variable (WORKERDB_WORKER_ID) wins over claiming.
 */
export function claimWorkerDatabase(env: NodeJS.ProcessEnv = process.env): WorkerDatabase {
  const manifest = readManifest(env)
  if (env[manifest.workerIdVar]) return setupWorker(env)
  const held: string[] = []
  for (const clone of manifest.clones) {
    const lock = slotLockPath(env[MANIFEST_ENV]!, clone.slot)
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      held.push(`${clone.slot} (pid ${readLock(lock)})`)
      continue
    }
    process.once('exit', () => rmSync(lock, { force: true }))
    env[manifest.workerIdVar] = String(clone.slot)
    return setupWorker(env)
  }
  const n = manifest.clones.length
  throw new WorkerDbError('E_NO_CLONE', `all ${plural(n, 'database')} of run ${manifest.runId} are claimed by other processes (slot ${held.join(', slot ')})`,
    `Run at most ${n} test processes at once (e.g. node --test --test-concurrency=${n}), or provision more (workerdb provision --workers N). A process killed with SIGKILL keeps its claim until \`workerdb teardown ${manifest.runId}\`.`)
}

function readLock(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim() || '?'
  } catch {
    return '?'
  }
}
