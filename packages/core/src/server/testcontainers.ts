/**
 * A throwaway PostgreSQL in a container, via `@testcontainers/postgresql` installed in the user's project
 * (not a dependency of @workerdb/core: most users never need Docker, and its major must match their Node).
 *
 * Runs live in CI: .ci/run starts Docker when none answers and builds a local image from Debian's packages
 * (scripts/pg-image.mjs), and e2e/test/containers.test.ts runs Vitest and Jest on it. Every container that
 * is not reused gets a guard (testcontainers/guard.ts) that removes it when the runner dies, since Ryuk (the
 * reaper testcontainers pulls from a registry) is often off where no registry is reachable; the next start
 * removes what a dead guard left.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from '../errors.js'
import { ms, plural, type Logger } from '../log.js'
import { installedPackageJson } from '../installed.js'
import { redactedCause, redactText, redactUserinfo } from '../url.js'
import { createRequire } from 'node:module'
import { FAST_SETTINGS, settingArgs } from './settings.js'
import { removeOrphanContainers, startContainerGuard, type ContainerGuard } from './testcontainers/guard.js'
import type { ServerHandle } from './types.js'

export const TESTCONTAINERS_PACKAGE = '@testcontainers/postgresql'
export const DEFAULT_TESTCONTAINERS_IMAGE = 'postgres:17-alpine'

export interface TestcontainersOptions {
  /** Docker image to run. Default: WORKERDB_TESTCONTAINERS_IMAGE, else 'postgres:17-alpine'. */
  image?: string
  /**
   * Keep the container between runs (testcontainers' `withReuse()`), so templates survive and warm runs
   * skip migrations. workerdb then never stops it; `TESTCONTAINERS_REUSE_ENABLE=false` turns reuse off.
   */
  reuse?: boolean
}

export interface RuntimeDetection {
  found: boolean
  /** What was found, e.g. "/var/run/docker.sock" or "DOCKER_HOST=tcp://docker:2375". */
  via?: string
  /**
   * Set when the runtime is one testcontainers does not look for by itself (Podman's sockets): the
   * DOCKER_HOST value that points it there.
   */
  dockerHost?: string
  /** Everything looked at, in order, up to and including the hit: for error messages and `doctor`. */
  checked: string[]
}

export interface DetectOptions {
  platform?: NodeJS.Platform
  uid?: number
  /** Reads a small text file, or returns undefined when it can't. */
  read?: (file: string) => string | undefined
}

/**
 * Pure: whether a container runtime looks available, from the environment and a few well-known sockets.
 * Cheap on purpose (no connection is made): it decides whether `server: 'auto'` tries testcontainers, and
 * lets an explicit request fail with a clear message instead of testcontainers' generic one. The places
 * mirror testcontainers' own strategies, plus Podman's sockets, which it only finds through DOCKER_HOST.
 */
export function detectContainerRuntime(
  env: NodeJS.ProcessEnv,
  exists: (file: string) => boolean,
  homedir: string,
  opts: DetectOptions = {},
): RuntimeDetection {
  const platform = opts.platform ?? process.platform
  const checked: string[] = []
  const hit = (via: string, dockerHost?: string): RuntimeDetection => ({ found: true, via, checked, ...(dockerHost ? { dockerHost } : {}) })

  for (const name of ['DOCKER_HOST', 'TESTCONTAINERS_HOST_OVERRIDE', 'TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE']) {
    checked.push(`$${name}`)
    if (env[name]) return hit(`${name}=${redactUserinfo(env[name]!)}`)
  }

  const props = path.join(homedir, '.testcontainers.properties')
  checked.push(`${props} (docker.host, tc.host)`)
  if (exists(props)) {
    const text = opts.read?.(props) ?? ''
    const m = /^[ \t]*(docker\.host|tc\.host)[ \t]*[=:][ \t]*(\S[^\r\n]*?)[ \t]*$/m.exec(text)
    if (m) return hit(`${m[1]}=${redactUserinfo(m[2]!)} in ${props}`)
  }

  if (platform === 'win32') {
    const pipe = '//./pipe/docker_engine'
    checked.push(pipe)
    return exists(pipe) ? hit(pipe) : { found: false, checked }
  }

  const xdg = env.XDG_RUNTIME_DIR
  const runUser = opts.uid !== undefined ? path.posix.join('/run/user', String(opts.uid)) : undefined
  const dockerSockets = [
    '/var/run/docker.sock',
    xdg && path.posix.join(xdg, 'docker.sock'),
    path.join(homedir, '.docker', 'run', 'docker.sock'),
    path.join(homedir, '.docker', 'desktop', 'docker.sock'),
    runUser && path.posix.join(runUser, 'docker.sock'),
  ]
  for (const sock of dockerSockets) {
    if (!sock || checked.includes(sock)) continue
    checked.push(sock)
    if (exists(sock)) return hit(sock)
  }
  const podmanSockets = [
    xdg && path.posix.join(xdg, 'podman', 'podman.sock'),
    runUser && path.posix.join(runUser, 'podman', 'podman.sock'),
    '/run/podman/podman.sock',
  ]
  for (const sock of podmanSockets) {
    if (!sock || checked.includes(sock)) continue
    checked.push(sock)
    if (exists(sock)) return hit(sock, `unix://${sock}`)
  }
  return { found: false, checked }
}

/** detectContainerRuntime with this machine's environment and file system. */
export function detectLocalRuntime(env: NodeJS.ProcessEnv = process.env): RuntimeDetection {
  return detectContainerRuntime(env, (f) => fs.existsSync(f), os.homedir(), {
    uid: process.getuid?.(),
    read: (f) => {
      try {
        return fs.readFileSync(f, 'utf8')
      } catch {
        return undefined
      }
    },
  })
}

// ---------------------------------------------------------------------------------------------------
// Finding @testcontainers/postgresql in the user's project
// ---------------------------------------------------------------------------------------------------

export interface TestcontainersPackage {
  /** The package's package.json. */
  packageJson: string
  /** The entry point to import. */
  entry: string
  version: string
}

/** Whether this installed version loads on this Node: v12 and later need Node 22.22 (v12 crashes on import under older Node). */
export function testcontainersUsable(version: string, nodeVersion: string = process.versions.node): boolean {
  return Number(version.split('.')[0]) < 12 || testcontainersMajorFor(nodeVersion) >= 12
}

/** Pure: v12 needs Node >= 22.22 (it crashes on import under Node 20); v11 works on Node 20. */
export function testcontainersMajorFor(nodeVersion: string = process.versions.node): 11 | 12 {
  const [major, minor] = nodeVersion.replace(/^v/, '').split('.').map(Number)
  return major > 22 || (major === 22 && minor >= 22) ? 12 : 11
}

export function installHint(nodeVersion: string = process.versions.node): string {
  return `npm i -D ${TESTCONTAINERS_PACKAGE}@${testcontainersMajorFor(nodeVersion)}`
}

/**
 * Finds the package in the user's project dirs (first hit wins): workerdb must use the copy the user
 * chose, and with pnpm it can't see the user's devDependencies from its own location anyway. Not with
 * require.resolve (see installed.ts): 'auto' would pick testcontainers because some unrelated package in
 * a monorepo depends on it.
 */
export function findTestcontainers(dirs: string[] = [process.cwd()]): TestcontainersPackage | undefined {
  for (const start of dirs) {
    const packageJson = installedPackageJson(TESTCONTAINERS_PACKAGE, start)
    if (!packageJson) continue
    try {
      const pkg = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version?: string; main?: string }
      return { packageJson, entry: path.join(path.dirname(packageJson), pkg.main ?? 'index.js'), version: pkg.version ?? '0.0.0' }
    } catch {
      // unreadable: try the next project dir
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------
// Starting the container
// ---------------------------------------------------------------------------------------------------

/** The ways to carry on without a container runtime, for every E_NO_RUNTIME. */
export const NO_RUNTIME_HINT =
  'Start Docker or Podman; or remove `server` from workerdb.config to use the embedded server (the default, no container needed); ' +
  'or set WORKERDB_URL to an existing server, e.g. WORKERDB_URL=postgresql://postgres@127.0.0.1:5432/postgres.'

// Minimal shapes of what we use, so @workerdb/core needs no type dependency on testcontainers.
interface StartedPg {
  getConnectionUri(): string
  getHost(): string
  getPort(): number
  stop(): Promise<unknown>
}
interface PgContainer {
  withCommand(command: string[]): PgContainer
  withLabels(labels: Record<string, string>): PgContainer
  withReuse(): PgContainer
  start(): Promise<StartedPg>
}
type PgContainerClass = new (image: string) => PgContainer


export interface StartTestcontainersDeps {
  /** The user's project dirs to resolve the package from. Default: the working directory. */
  dirs?: string[]
  env?: NodeJS.ProcessEnv
  /** Default: this machine (detectLocalRuntime). */
  detect?: () => RuntimeDetection
}

export async function startTestcontainers(opts: TestcontainersOptions, log: Logger, deps: StartTestcontainersDeps = {}): Promise<ServerHandle> {
  const env = deps.env ?? process.env
  // The variable lets a CI without registry access point every project at its own image without editing configs.
  const image = opts.image || env.WORKERDB_TESTCONTAINERS_IMAGE || DEFAULT_TESTCONTAINERS_IMAGE
  const runtime = (deps.detect ?? (() => detectLocalRuntime(env)))()
  if (!runtime.found) {
    throw new WorkerDbError('E_NO_RUNTIME', `no container runtime found for testcontainers (checked ${runtime.checked.join(', ')})`, NO_RUNTIME_HINT)
  }
  // testcontainers quietly falls through a DOCKER_HOST that leads nowhere to /var/run/docker.sock: a run
  // would then use another engine than the one the user named. A socket that does not exist is refused here.
  const socket = /^unix:\/\/(\/.*)$/.exec(env.DOCKER_HOST ?? '')?.[1]
  if (socket && !fs.existsSync(socket)) {
    throw new WorkerDbError('E_NO_RUNTIME', `DOCKER_HOST=${redactUserinfo(env.DOCKER_HOST!)} names a socket that does not exist (no container runtime there)`,
      `Point DOCKER_HOST at a running engine, or unset it. ${NO_RUNTIME_HINT}`)
  }
  const { PostgreSqlContainer, testcontainersEntry } = await loadPostgreSqlContainer(deps.dirs ?? [process.cwd()])

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
  let container: StartedPg
  try {
    let c = new PostgreSqlContainer(image).withCommand(['postgres', ...settingArgs(FAST_SETTINGS)])
    if (guard) c = c.withLabels(guard.labels)
    if (reuse) c = c.withReuse()
    container = await c.start()
  } catch (err) {
    // A container created before the failure (a health check that timed out) goes now, not at the run's end.
    guard?.abandon()
    const why = redactText((err as Error)?.message ?? String(err))
    if (/testcontainers\/ryuk/i.test(why) || (/registry|pull/i.test(why) && env.TESTCONTAINERS_RYUK_DISABLED !== 'true')) {
      throw new WorkerDbError('E_SERVER_UNREACHABLE', `testcontainers could not start ${image}: ${why}`,
        'No image registry answers. testcontainers first pulls its reaper, Ryuk: set TESTCONTAINERS_RYUK_DISABLED=true (workerdb removes its ' +
        'containers itself), and TESTCONTAINERS_HOST_OVERRIDE=localhost when testcontainers runs inside a container; use an image that is ' +
        `already on this machine (\`node scripts/pg-image.mjs\` in the workerdb repo builds one from Debian packages). ${NO_RUNTIME_HINT}`,
        { cause: redactedCause(err) })
    }
    if (looksLikeNoRuntime(why)) {
      throw new WorkerDbError('E_NO_RUNTIME', `testcontainers could not use the container runtime found at ${runtime.via}: ${why}`, NO_RUNTIME_HINT, { cause: redactedCause(err) })
    }
    throw new WorkerDbError('E_SERVER_UNREACHABLE', `testcontainers could not start ${image}: ${why}`,
      `Check that the image name is right and can be pulled. ${NO_RUNTIME_HINT}`, { cause: redactedCause(err) })
  }
  // Admin work goes through the maintenance database, as with every other server.
  const admin = new URL(container.getConnectionUri())
  admin.pathname = '/postgres'
  const where = `${container.getHost()}:${container.getPort()}`
  log.info(`testcontainers ${image} on ${where} (${ms(t0)})`)
  return {
    kind: 'testcontainers',
    adminUrl: admin.toString(),
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

/** The class to start containers with, and the `testcontainers` package it uses (for the guard). */
async function loadPostgreSqlContainer(dirs: string[]): Promise<{ PostgreSqlContainer: PgContainerClass; testcontainersEntry?: string }> {
  const found = findTestcontainers(dirs)
  if (!found) {
    throw new WorkerDbError('E_CONFIG', `\`server: { testcontainers }\` needs ${TESTCONTAINERS_PACKAGE}, which is not installed in ${dirs.join(' or ')}`,
      `Install it: \`${installHint()}\` (the major that works on Node ${process.versions.node}), or remove \`server\` to use the embedded server.`)
  }
  if (!testcontainersUsable(found.version)) {
    // Checked before importing: v12 crashes on import under older Node, with an error that names neither.
    throw new WorkerDbError('E_CONFIG', `${TESTCONTAINERS_PACKAGE}@${found.version} needs Node >= 22.22, and this is Node ${process.versions.node}`,
      `Install the Node 20 line: \`npm i -D ${TESTCONTAINERS_PACKAGE}@11\`, or run on Node 22.22+.`)
  }
  let mod: { PostgreSqlContainer?: PgContainerClass; default?: { PostgreSqlContainer?: PgContainerClass } }
  try {
    mod = await import(pathToFileURL(found.entry).href)
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `cannot load ${TESTCONTAINERS_PACKAGE}@${found.version} from ${found.entry}: ${redactText((err as Error)?.message ?? String(err))}`,
      `Reinstall it: \`${installHint()}\`.`, { cause: redactedCause(err) })
  }
  const cls = mod.PostgreSqlContainer ?? mod.default?.PostgreSqlContainer
  if (typeof cls !== 'function') {
    throw new WorkerDbError('E_CONFIG', `${TESTCONTAINERS_PACKAGE}@${found.version} has no PostgreSqlContainer export`, `Install a supported version: \`${installHint()}\`.`)
  }
  let testcontainersEntry: string | undefined
  try {
    // From its real location: under pnpm, testcontainers sits beside the package in the store, not above the link.
    testcontainersEntry = createRequire(fs.realpathSync(found.packageJson)).resolve('testcontainers')
  } catch {
    // not resolvable from there: no guard, the rest works
  }
  return { PostgreSqlContainer: cls, testcontainersEntry }
}
