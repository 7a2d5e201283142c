/**
 * A throwaway PostgreSQL, MariaDB or MySQL in a container, via `@testcontainers/postgresql`,
 * `@testcontainers/mariadb` or `@testcontainers/mysql` installed in the user's project (not a dependency of
 * @workerdb/core: most users never need Docker, and its major must match their Node).
 *
 * Runs live in CI: .ci/run starts Docker when none answers and builds local images from Debian's packages
 * (scripts/db-image.mjs), and e2e/test/containers.test.ts runs Vitest and Jest on them. Every container that
 * is not reused gets a guard (testcontainers/guard.ts) that removes it when the runner dies, since Ryuk (the
 * reaper testcontainers pulls from a registry) is often off where no registry is reachable; the next start
 * removes what a dead guard left.
 */
import fs from 'node:fs'
import { WorkerDbError } from '../errors.js'
import { ms, plural, type Logger } from '../log.js'
import { redactedCause, redactText, redactUserinfo } from '../url.js'
import { FAST_SETTINGS, settingArgs } from './settings.js'
import { detectLocalRuntime, type RuntimeDetection } from './testcontainers/detect.js'
import { removeOrphanContainers, startContainerGuard, type ContainerGuard } from './testcontainers/guard.js'
import { loadContainerClass, type ContainerKind, type DbContainer, type StartedContainer } from './testcontainers/package.js'
import type { ServerHandle } from './types.js'

export const DEFAULT_TESTCONTAINERS_IMAGE = 'postgres:17-alpine'
export const DEFAULT_MARIADB_IMAGE = 'mariadb:11.4'
export const DEFAULT_MYSQL_IMAGE = 'mysql:8.4'

/**
 * MariaDB's fast settings for a throwaway server, as FAST_SETTINGS are PostgreSQL's: commits do not wait
 * for the redo log's fsync, and pages are not written twice. Options every MariaDB ≥ 10.5 knows.
 */
export const MARIADB_FAST_ARGS = ['--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--skip-log-bin']
/** MySQL's (≥ 8.0): the same three, in the spelling MySQL 8.4 and 9 take for the doublewrite buffer. */
export const MYSQL_FAST_ARGS = ['--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=OFF', '--skip-log-bin']

/** Where the official `mariadb` and `mysql` images (and workerdb's local ones) keep their data. */
export const MYSQL_DATA_DIR = '/var/lib/mysql'

/**
 * Pure: the in-memory file systems a container of `kind` gets. MariaDB and MySQL keep their data dir in
 * memory unless `memory` is false: no setting spares a throwaway server the syncs of every CREATE TABLE
 * and of each page a small table grows by (about 2,700 a clone of a 50-table template), which bound its
 * clones on a disk (docs/performance.md). PostgreSQL's container runs with fsync off, and its images check
 * their data dir's owner, which a tmpfs mounted over it does not keep: `memory` is refused there.
 */
export function containerMemory(kind: ContainerKind, memory: boolean | undefined): Record<string, string> {
  if (kind === 'postgres') {
    if (memory !== undefined) {
      throw new WorkerDbError('E_CONFIG', '`server.testcontainers.memory` applies to MariaDB and MySQL containers, and this one runs PostgreSQL',
        'Remove `memory`: a PostgreSQL container runs with fsync off already. For PostgreSQL data in memory, use the embedded server ({ embedded: { memory: true } }).')
    }
    return {}
  }
  return memory === false ? {} : { [MYSQL_DATA_DIR]: 'rw' }
}

/** Root's URL of a MariaDB or MySQL container: workerdb creates and drops databases, and ends sessions on them. */
const rootUrl = (started: StartedContainer) => started.getConnectionUri(true)

/**
 * Per kind: the image when none is named, the variable that names one, the container's setup, and the ways
 * to carry on without a container runtime, for every E_NO_RUNTIME (MariaDB has no embedded server to fall back on).
 */
const KIND = {
  postgres: {
    image: DEFAULT_TESTCONTAINERS_IMAGE,
    imageVariable: 'WORKERDB_TESTCONTAINERS_IMAGE',
    buildKind: 'postgres',
    noRuntime: 'Start Docker or Podman; or remove `server` from workerdb.config to use the embedded server (the default, no container needed); ' +
      'or set WORKERDB_URL to an existing server, e.g. WORKERDB_URL=postgresql://postgres@127.0.0.1:5432/postgres.',
    setup: (c: DbContainer) => c.withCommand(['postgres', ...settingArgs(FAST_SETTINGS)]),
    // Admin work goes through the maintenance database, as with every other server.
    adminUrl: (started: StartedContainer) => {
      const url = new URL(started.getConnectionUri())
      url.pathname = '/postgres'
      return url.toString()
    },
  },
  mariadb: {
    image: DEFAULT_MARIADB_IMAGE,
    imageVariable: 'WORKERDB_TESTCONTAINERS_MARIADB_IMAGE',
    buildKind: 'mariadb',
    noRuntime: 'Start Docker or Podman; or set WORKERDB_URL to a MariaDB server, e.g. WORKERDB_URL=mysql://root@127.0.0.1:3306.',
    setup: (c: DbContainer) => c.withCommand(['mariadbd', ...MARIADB_FAST_ARGS]),
    adminUrl: rootUrl,
  },
  mysql: {
    image: DEFAULT_MYSQL_IMAGE,
    imageVariable: 'WORKERDB_TESTCONTAINERS_MYSQL_IMAGE',
    buildKind: 'mysql',
    noRuntime: 'Start Docker or Podman; or set WORKERDB_URL to a MySQL server, e.g. WORKERDB_URL=mysql://root@127.0.0.1:3306.',
    setup: (c: DbContainer) => c.withCommand(['mysqld', ...MYSQL_FAST_ARGS]),
    // MySQL's caching_sha2_password sends the password over plain TCP only encrypted with the server's key,
    // which the client must be allowed to ask for; this container is the run's own, on this machine.
    adminUrl: (started: StartedContainer) => {
      const url = new URL(rootUrl(started))
      url.searchParams.set('allowPublicKeyRetrieval', 'true')
      return url.toString()
    },
  },
} as const

/** The ways on without a container runtime, for a container of `kind`. */
export function noRuntimeHint(kind: ContainerKind): string {
  return KIND[kind].noRuntime
}

/** The image a container of `kind` runs when the config names none (the variable, else the official one). */
export function defaultImage(kind: ContainerKind, env: NodeJS.ProcessEnv = process.env): string {
  return env[KIND[kind].imageVariable] || KIND[kind].image
}

export interface TestcontainersOptions {
  /**
   * Docker image to run. Default: WORKERDB_TESTCONTAINERS_IMAGE, else 'postgres:17-alpine'; for
   * `dialect: 'mysql'`, WORKERDB_TESTCONTAINERS_MARIADB_IMAGE, else 'mariadb:11.4' — or, on MySQL (an image
   * named …/mysql, or only @testcontainers/mysql installed), WORKERDB_TESTCONTAINERS_MYSQL_IMAGE, else 'mysql:8.4'.
   */
  image?: string
  /**
   * Keep the container between runs (testcontainers' `withReuse()`), so templates survive and warm runs
   * skip migrations. workerdb then never stops it; `TESTCONTAINERS_REUSE_ENABLE=false` turns reuse off.
   */
  reuse?: boolean
  /**
   * MariaDB and MySQL: keep the server's data dir in memory (a tmpfs), spared the syncs that bound its
   * clones on a disk. Default: true; false keeps it on the container's disk, for a template too
   * large for RAM. Not for PostgreSQL (containerMemory).
   */
  memory?: boolean
}

export interface StartTestcontainersDeps {
  /** The user's project dirs to resolve the package from. Default: the working directory. */
  dirs?: string[]
  env?: NodeJS.ProcessEnv
  /** Default: this machine (detectLocalRuntime). */
  detect?: () => RuntimeDetection
  /** The kind of server: PostgreSQL unless the choice (chooseServer) says MariaDB or MySQL. */
  kind?: ContainerKind
}

export async function startTestcontainers(opts: TestcontainersOptions, log: Logger, deps: StartTestcontainersDeps = {}): Promise<ServerHandle> {
  const env = deps.env ?? process.env
  const kindName = deps.kind ?? 'postgres'
  const kind = KIND[kindName]
  const memory = containerMemory(kindName, opts.memory)
  // The variable lets a CI without registry access point every project at its own image without editing configs.
  const image = opts.image || defaultImage(kindName, env)
  const runtime = (deps.detect ?? (() => detectLocalRuntime(env)))()
  if (!runtime.found) {
    throw new WorkerDbError('E_NO_RUNTIME', `no container runtime found for testcontainers (checked ${runtime.checked.join(', ')})`, kind.noRuntime)
  }
  // testcontainers quietly falls through a DOCKER_HOST that leads nowhere to /var/run/docker.sock: a run
  // would then use another engine than the one the user named. A socket that does not exist is refused here.
  const socket = /^unix:\/\/(\/.*)$/.exec(env.DOCKER_HOST ?? '')?.[1]
  if (socket && !fs.existsSync(socket)) {
    throw new WorkerDbError('E_NO_RUNTIME', `DOCKER_HOST=${redactUserinfo(env.DOCKER_HOST!)} names a socket that does not exist (no container runtime there)`,
      `Point DOCKER_HOST at a running engine, or unset it. ${kind.noRuntime}`)
  }
  const { Container, testcontainersEntry } = await loadContainerClass(deps.dirs ?? [process.cwd()], kindName)

  // testcontainers reads DOCKER_HOST when it first looks for a runtime: the only way to point it at Podman.
  if (runtime.dockerHost && !env.DOCKER_HOST) env.DOCKER_HOST = runtime.dockerHost

  // testcontainers ignores withReuse() under this variable: the container then goes with the run.
  const reuse = Boolean(opts.reuse) && env.TESTCONTAINERS_REUSE_ENABLE !== 'false'
  const t0 = performance.now()
  log.progress(`starting ${image} with testcontainers…`)
  // Containers whose runner and guard both died (the guard's session killed too, a reboot): gone before we start.
  if (testcontainersEntry) {
    const orphans = await removeOrphanContainers(testcontainersEntry)
    if (orphans.length) log.info(`removed ${plural(orphans.length, 'container')} of dead runs (${orphans.join(', ')})`)
  }
  // A reused container outlives the run on purpose; any other one is removed by the guard if the runner
  // dies first. (No labels on a reused one: testcontainers finds it again by a hash of its settings.)
  const guard: ContainerGuard | undefined = reuse || !testcontainersEntry ? undefined : startContainerGuard(testcontainersEntry, env)
  let container: StartedContainer
  try {
    let c = kind.setup(new Container(image))
    if (guard) c = c.withLabels(guard.labels)
    if (reuse) c = c.withReuse()
    if (Object.keys(memory).length) c = c.withTmpFs(memory)
    container = await c.start()
  } catch (err) {
    // A container created before the failure (a health check that timed out) goes now, not at the run's end.
    guard?.abandon()
    const why = redactText((err as Error)?.message ?? String(err))
    if (/testcontainers\/ryuk/i.test(why) || (/registry|pull/i.test(why) && env.TESTCONTAINERS_RYUK_DISABLED !== 'true')) {
      throw new WorkerDbError('E_SERVER_UNREACHABLE', `testcontainers could not start ${image}: ${why}`,
        'No image registry answers. testcontainers first pulls its reaper, Ryuk: set TESTCONTAINERS_RYUK_DISABLED=true (workerdb removes its ' +
        'containers itself), and TESTCONTAINERS_HOST_OVERRIDE=localhost when testcontainers runs inside a container; use an image that is ' +
        `already on this machine (\`node scripts/db-image.mjs --kind ${kind.buildKind}\` in the workerdb repo builds one from Debian packages). ${kind.noRuntime}`,
        { cause: redactedCause(err) })
    }
    if (looksLikeNoRuntime(why)) {
      throw new WorkerDbError('E_NO_RUNTIME', `testcontainers could not use the container runtime found at ${runtime.via}: ${why}`, kind.noRuntime, { cause: redactedCause(err) })
    }
    throw new WorkerDbError('E_SERVER_UNREACHABLE', `testcontainers could not start ${image}: ${why}`,
      `Check that the image name is right and can be pulled. ${kind.noRuntime}`, { cause: redactedCause(err) })
  }
  const where = `${container.getHost()}:${container.getPort()}`
  log.info(`testcontainers ${image} on ${where} (${ms(t0)})`)
  return {
    kind: 'testcontainers',
    adminUrl: kind.adminUrl(container),
    describe: `testcontainers ${image} on ${where}`,
    // A reused container outlives the run (so templates are kept); a fresh one goes with it.
    persistent: reuse,
    async stop() {
      if (reuse) return
      await container.stop()
      // Only once it is gone: if stopping failed, the guard removes it when this process exits.
      guard?.release()
    },
  }
}

function looksLikeNoRuntime(message: string): boolean {
  return /container runtime strategy|ENOENT|ECONNREFUSED|EACCES|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|docker daemon|Cannot connect/i.test(message)
}
