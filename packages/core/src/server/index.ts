/**
 * Which server a run uses. 'auto': an explicit URL wins (WORKERDB_URL, then `server.url`); then a
 * container via testcontainers, but only when a container runtime is detected and the user installed
 * @testcontainers/postgresql; otherwise workerdb starts its embedded server, so nothing has to be set up by hand.
 * `dialect: 'mysql'` has no embedded server: a URL, else a MariaDB container (@testcontainers/mariadb).
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from '../errors.js'
import { dialectOf, type DialectName } from '../catalog/dialect.js'
import type { ServerOption } from '../config/options.js'
import type { Logger } from '../log.js'
import { startEmbedded } from './embedded.js'
import { startTestcontainers, type TestcontainersOptions } from './testcontainers.js'
import { detectLocalRuntime, type RuntimeDetection } from './testcontainers/detect.js'
import {
  CONTAINER_MODULES, findTestcontainers, installHint, mysqlContainerKind, testcontainersUsable, TESTCONTAINERS_PACKAGE,
  type ContainerKind, type TestcontainersPackage,
} from './testcontainers/package.js'
import type { ServerHandle } from './types.js'
import { urlServer } from './url.js'

export type { ServerHandle } from './types.js'

export interface ServerChoice {
  kind: 'url' | 'embedded' | 'testcontainers'
  url?: string
  source: string
  /** The container runtime check, when the choice looked at it. */
  runtime?: RuntimeDetection
  /** The installed @testcontainers/postgresql (or /mariadb, /mysql), when the choice looked for it. */
  testcontainers?: TestcontainersPackage
  /** For a container: which server it runs (PostgreSQL unless said). */
  container?: ContainerKind
}

/** What chooseServer may look at beyond config and env; lazy, so a URL choice touches no files. */
export interface ServerProbe {
  runtime(): RuntimeDetection
  /** The testcontainers module of that kind of server (PostgreSQL's unless named). */
  testcontainers(kind?: ContainerKind): TestcontainersPackage | undefined
}

/** For callers that only want a URL (`status`, `sweep`, `provision`): no runtime, no package. */
export const NO_PROBE: ServerProbe = {
  runtime: () => ({ found: false, checked: [] }),
  testcontainers: () => undefined,
}

/** This machine: its sockets and env, and the package as installed in the user's project dirs. */
export function localProbe(dirs: string[] = [process.cwd()], env: NodeJS.ProcessEnv = process.env): ServerProbe {
  return { runtime: () => detectLocalRuntime(env), testcontainers: (kind) => findTestcontainers(dirs, kind) }
}

/** Config `dialect`, and the directory a SQLite run keeps its files under when no URL names one. */
export interface DialectChoice {
  dialect?: DialectName
  /** The project's directory (the config file's, else the working directory). */
  dir: string
}

/** Where SQLite files go when no URL says: the project's cache, so templates outlive the run. */
export const SQLITE_DEFAULT_DIR = join('node_modules', '.cache', 'workerdb', 'sqlite')

/**
 * The decision, for summaries and `doctor`, before anything starts: pure but for `probe` (sockets and
 * node_modules, looked at only when 'auto' or testcontainers needs them; pass NO_PROBE to never look).
 */
export function chooseServer(option: ServerOption, env: NodeJS.ProcessEnv = process.env, probe: ServerProbe = localProbe(undefined, env), kind: DialectChoice = { dir: process.cwd() }): ServerChoice {
  const byUrl = urlChoice(option, env)
  if (byUrl) {
    const named = dialectOf(byUrl.url!)
    if (kind.dialect && named && named !== kind.dialect) {
      throw new WorkerDbError('E_CONFIG', `\`dialect: '${kind.dialect}'\` in the workerdb config, but the URL from ${byUrl.source} is a ${named} URL`,
        'Make them agree: remove `dialect` (the URL\'s scheme decides), or point the URL at a server of that kind.')
    }
    return byUrl
  }
  if (kind.dialect === 'sqlite') {
    return { kind: 'url', url: pathToFileURL(join(kind.dir, SQLITE_DEFAULT_DIR)).href + '/', source: "dialect: 'sqlite', its default directory" }
  }
  if (kind.dialect === 'mysql') return mysqlChoice(option, probe)
  if (typeof option === 'object' && 'testcontainers' in option) {
    return { kind: 'testcontainers', source: 'server.testcontainers in the workerdb config', runtime: probe.runtime(), testcontainers: probe.testcontainers() }
  }
  if (option !== 'auto') return { kind: 'embedded', source: 'server.embedded in the workerdb config' }
  const runtime = probe.runtime()
  if (!runtime.found) return { kind: 'embedded', source: 'default (no WORKERDB_URL, server.url or container runtime)', runtime }
  // A runtime alone never switches 'auto' away from the embedded server: the user opts in by installing the package.
  const tc = probe.testcontainers()
  if (!tc) return { kind: 'embedded', source: `default (container runtime at ${runtime.via}, but ${TESTCONTAINERS_PACKAGE} is not installed)`, runtime }
  if (!testcontainersUsable(tc.version)) {
    return { kind: 'embedded', source: `default (${TESTCONTAINERS_PACKAGE}@${tc.version} needs Node >= 22.22; this is Node ${process.versions.node})`, runtime, testcontainers: tc }
  }
  return { kind: 'testcontainers', source: `auto: container runtime at ${runtime.via}, ${TESTCONTAINERS_PACKAGE}@${tc.version} installed`, runtime, testcontainers: tc }
}

/**
 * `dialect: 'mysql'` and no URL: no MariaDB or MySQL binaries ship on npm for workerdb to start, so a
 * container — asked for (`server: { testcontainers }`), or on 'auto' when a runtime answers and the user
 * installed @testcontainers/mariadb or /mysql — else an error naming both ways. Which server: mysqlContainerKind.
 */
function mysqlChoice(option: ServerOption, probe: ServerProbe): ServerChoice {
  const asked = typeof option === 'object' && 'testcontainers' in option
  const image = containerOptions(option).image
  const found = { mariadb: probe.testcontainers('mariadb'), mysql: probe.testcontainers('mysql') }
  const container = mysqlContainerKind(image, { mariadb: Boolean(found.mariadb), mysql: Boolean(found.mysql) })
  const tc = found[container]
  const { name } = CONTAINER_MODULES[container]
  const hint = 'Set WORKERDB_URL (or `server: { url }`) to a MariaDB or MySQL server, e.g. mysql://root@127.0.0.1:3306; or install ' +
    `${name} (\`${installHint(undefined, name)}\`${container === 'mariadb' ? `, or ${CONTAINER_MODULES.mysql.name} for MySQL` : ''}) with Docker or Podman running, ` +
    'and workerdb starts the server in a container.'
  if (typeof option === 'object' && 'embedded' in option) {
    throw new WorkerDbError('E_CONFIG', "`server: { embedded }` is a PostgreSQL server, and the config says `dialect: 'mysql'`", hint)
  }
  const runtime = probe.runtime()
  if (asked) return { kind: 'testcontainers', source: 'server.testcontainers in the workerdb config', runtime, testcontainers: tc, container }
  const missing = !runtime.found ? `no container runtime answers${runtime.checked.length ? ` (checked ${runtime.checked.join(', ')})` : ''}`
    : !tc ? `${name} is not installed`
    : !testcontainersUsable(tc.version) ? `${name}@${tc.version} needs Node >= 22.22 (this is Node ${process.versions.node})`
    : undefined
  if (missing) throw new WorkerDbError('E_CONFIG', `\`dialect: 'mysql'\` needs a server: no MariaDB or MySQL binaries ship on npm for workerdb to start, and ${missing}`, hint)
  return { kind: 'testcontainers', source: `auto: dialect 'mysql', container runtime at ${runtime.via}, ${name}@${tc!.version} installed`, runtime, testcontainers: tc, container }
}

/** `server: { testcontainers: { … } }`'s options; none for `true` or another server. */
function containerOptions(option: ServerOption): TestcontainersOptions {
  return typeof option === 'object' && 'testcontainers' in option && option.testcontainers !== true ? option.testcontainers : {}
}

/** WORKERDB_URL, else `server.url`; undefined when neither names a server. */
function urlChoice(option: ServerOption, env: NodeJS.ProcessEnv): ServerChoice | undefined {
  if (env.WORKERDB_URL) return { kind: 'url', url: env.WORKERDB_URL, source: 'WORKERDB_URL' }
  if (typeof option === 'object' && 'url' in option) {
    if (!option.url) {
      throw new WorkerDbError('E_CONFIG', '`server.url` is empty', 'Set it to a server URL (postgresql://, mysql://, file:), or remove `server` to use the embedded server.')
    }
    return { kind: 'url', url: option.url, source: 'server.url in the workerdb config' }
  }
  return undefined
}

export interface StartServerOptions {
  /** The user's project dirs, to find the testcontainers module in (first hit wins). Default: the working directory. */
  dirs?: string[]
  /** Config `dialect`. */
  dialect?: DialectName
}

export async function startServer(option: ServerOption, log: Logger, where: StartServerOptions = {}): Promise<ServerHandle> {
  const dirs = where.dirs ?? [process.cwd()]
  const choice = chooseServer(option, process.env, localProbe(dirs), { dialect: where.dialect, dir: dirs.at(-1)! })
  if (choice.kind === 'url') return urlServer(choice.url!, choice.source)
  if (choice.kind === 'testcontainers') {
    const kind = choice.container ?? 'postgres'
    const started = startTestcontainers(containerOptions(option), log, { dirs, detect: () => choice.runtime!, kind })
    // Only PostgreSQL has an embedded server to fall back on.
    if (option !== 'auto' || kind !== 'postgres') return started
    try {
      return await started
    } catch (err) {
      // 'auto' promises a server without setup: a runtime that looked present but doesn't work (a stale
      // socket, a stopped Docker Desktop) must not fail the run when the embedded server would do.
      log.warn(`${(err as Error).message.split('\n')[0]}; using the embedded server instead`)
    }
  }
  const opts = typeof option === 'object' && 'embedded' in option && option.embedded !== true ? { ...option.embedded } : {}
  // A kept data dir keeps templates between runs, so warm runs reuse them even on the embedded server.
  opts.dataDir ??= process.env.WORKERDB_EMBEDDED_DATA_DIR || undefined
  return startEmbedded(opts, log)
}
