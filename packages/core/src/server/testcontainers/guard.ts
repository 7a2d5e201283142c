/** The container guard: a container workerdb starts for one run never outlives that run, however it dies. */
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import os from 'node:os'
import { startGuardProcess } from '../guard-process.js'

/** Labels every throwaway container carries: the guard finds its containers by the first. */
export const GUARD_LABEL = 'org.workerdb.guard'
export const PID_LABEL = 'org.workerdb.pid'
export const HOST_LABEL = 'org.workerdb.host'

/**
 * testcontainers' own answer to a killed test process is Ryuk, a container it pulls from a registry; where
 * none is reachable it must be turned off (TESTCONTAINERS_RYUK_DISABLED=true), and then a runner killed with
 * SIGKILL leaves its PostgreSQL container running for good. So workerdb does what Ryuk does, without an
 * image: a small Node process in a session of its own (a kill of the runner's process group does not reach
 * it) whose stdin is a pipe from the runner. When the pipe closes without a `done` line, the runner is gone
 * however it died: the guard removes every container labelled with its token (force, with volumes), using
 * the testcontainers installation the runner used (so it reaches the same engine: DOCKER_HOST, Podman,
 * ~/.testcontainers.properties), and looks once more a moment later for a container whose create request
 * was still in flight. It loads testcontainers only then: waiting costs an idle Node process.
 */
const GUARD_SOURCE = `
const [entry, token] = process.argv.slice(1)
let input = ''
let ended = false
process.stdin.setEncoding('utf8')
process.stdin.on('data', (d) => { input += d })
process.stdin.on('error', () => {})
const finish = async () => {
  if (ended) return
  ended = true
  if (/^done$/m.test(input)) process.exit(0)
  try {
    const { getContainerRuntimeClient } = require(entry)
    const docker = (await getContainerRuntimeClient()).container.dockerode
    for (let pass = 0; pass < 2; pass++) {
      if (pass) await new Promise((r) => setTimeout(r, 2000))
      const found = await docker.listContainers({ all: true, filters: { label: ['${GUARD_LABEL}=' + token] } })
      for (const c of found) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})
    }
  } finally {
    process.exit(0)
  }
}
process.stdin.on('end', finish)
process.stdin.on('close', finish)
`

export interface ContainerGuard {
  /** The labels the guarded container must carry. */
  labels: Record<string, string>
  /** The runner removed the container itself (or keeps it on purpose): the guard exits and touches nothing. */
  release(): void
  /** Remove the labelled containers now (a start that failed), then exit. */
  abandon(): void
}

/**
 * Starts the guard of one run's container; `testcontainersEntry` is the `testcontainers` package the
 * runner loaded. Undefined when it cannot be started (the run then has no protection against SIGKILL).
 */
export function startContainerGuard(testcontainersEntry: string, env: NodeJS.ProcessEnv = process.env): ContainerGuard | undefined {
  const token = randomBytes(8).toString('hex')
  const pipe = startGuardProcess(process.execPath, ['-e', GUARD_SOURCE, testcontainersEntry, token], env)
  if (!pipe) return undefined
  return {
    labels: { [GUARD_LABEL]: token, [PID_LABEL]: String(process.pid), [HOST_LABEL]: os.hostname() },
    release: () => pipe.close('done'),
    abandon: () => pipe.close(),
  }
}

/** Whether a process with this id exists on this machine (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface Dockerode {
  listContainers(o: { all: boolean; filters: { label: string[] } }): Promise<Array<{ Id: string; Labels: Record<string, string> }>>
  getContainer(id: string): { remove(o: { force: boolean; v: boolean }): Promise<unknown> }
}

/**
 * The second line of defence, when the guard died with its runner (a kill of its session, a reboot): at
 * the next start, containers of this host whose guard label says they belong to a runner that is gone are
 * removed. A live runner's container (a concurrent run) is never touched; a reused container has no label.
 * Returns the ids removed; any failure only means nothing was swept.
 */
export async function removeOrphanContainers(testcontainersEntry: string, host: string = os.hostname(), alive: (pid: number) => boolean = pidAlive): Promise<string[]> {
  const removed: string[] = []
  try {
    const tc = createRequire(testcontainersEntry)(testcontainersEntry) as { getContainerRuntimeClient(): Promise<{ container: { dockerode: Dockerode } }> }
    const docker = (await tc.getContainerRuntimeClient()).container.dockerode
    const found = await docker.listContainers({ all: true, filters: { label: [GUARD_LABEL, `${HOST_LABEL}=${host}`] } })
    for (const c of found) {
      const pid = Number(c.Labels[PID_LABEL])
      if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue
      await docker.getContainer(c.Id).remove({ force: true, v: true })
      removed.push(c.Id.slice(0, 12))
    }
  } catch {
    // the engine answers the start or it does not: that is where a problem is reported
  }
  return removed
}
