/**
 * The testcontainers module of each kind of server — `@testcontainers/postgresql`, `@testcontainers/mariadb`,
 * `@testcontainers/mysql` — found in the user's project and loaded from there: not a dependency of @workerdb/core (most users never
 * need Docker, and its major must match their Node).
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from '../../errors.js'
import { installedPackageJson } from '../../installed.js'
import { redactedCause, redactText } from '../../url.js'

/** Per kind of server: the module, the class of it workerdb starts, and the way on without the module. */
export const CONTAINER_MODULES = {
  postgres: { name: '@testcontainers/postgresql', className: 'PostgreSqlContainer', otherwise: 'or remove `server` to use the embedded server' },
  mariadb: { name: '@testcontainers/mariadb', className: 'MariaDbContainer', otherwise: 'or set WORKERDB_URL to a MariaDB server' },
  mysql: { name: '@testcontainers/mysql', className: 'MySqlContainer', otherwise: 'or set WORKERDB_URL to a MySQL server' },
} as const
export type ContainerKind = keyof typeof CONTAINER_MODULES
/** The containers of the mysql dialect: MariaDB's and MySQL's. */
export type MysqlContainerKind = Exclude<ContainerKind, 'postgres'>

/**
 * Pure: which server a `dialect: 'mysql'` container runs. An image the config names decides by its
 * repository's name (…/mysql, …/percona-server: MySQL; …/mariadb: MariaDB), since each module sets only its
 * own image's variables; otherwise the module installed, MariaDB's when both are.
 */
export function mysqlContainerKind(image: string | undefined, installed: Record<MysqlContainerKind, boolean>): MysqlContainerKind {
  const repository = image?.replace(/@.*$/, '').replace(/:[^/]*$/, '').split('/').pop() ?? ''
  if (/^(mysql|percona)/i.test(repository)) return 'mysql'
  if (/^mariadb/i.test(repository)) return 'mariadb'
  return !installed.mariadb && installed.mysql ? 'mysql' : 'mariadb'
}

export const TESTCONTAINERS_PACKAGE = CONTAINER_MODULES.postgres.name

export interface TestcontainersPackage {
  /** The package's name: `@testcontainers/postgresql`, `@testcontainers/mariadb` or `@testcontainers/mysql`. */
  name: string
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

export function installHint(nodeVersion: string = process.versions.node, name: string = TESTCONTAINERS_PACKAGE): string {
  return `npm i -D ${name}@${testcontainersMajorFor(nodeVersion)}`
}

/**
 * Finds the package in the user's project dirs (first hit wins): workerdb must use the copy the user
 * chose, and with pnpm it can't see the user's devDependencies from its own location anyway. Not with
 * require.resolve (see installed.ts): 'auto' would pick testcontainers because some unrelated package in
 * a monorepo depends on it.
 */
export function findTestcontainers(dirs: string[] = [process.cwd()], kind: ContainerKind = 'postgres'): TestcontainersPackage | undefined {
  const { name } = CONTAINER_MODULES[kind]
  for (const start of dirs) {
    const packageJson = installedPackageJson(name, start)
    if (!packageJson) continue
    try {
      const pkg = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version?: string; main?: string }
      return { name, packageJson, entry: path.join(path.dirname(packageJson), pkg.main ?? 'index.js'), version: pkg.version ?? '0.0.0' }
    } catch {
      // unreadable: try the next project dir
    }
  }
  return undefined
}

// Minimal shapes of what we use, so @workerdb/core needs no type dependency on testcontainers.
export interface StartedContainer {
  /** PostgreSQL's: its URL; MariaDB's and MySQL's: the user's, or root's with `true`. */
  getConnectionUri(root?: boolean): string
  getHost(): string
  getPort(): number
  stop(): Promise<unknown>
}
export interface DbContainer {
  withCommand(command: string[]): DbContainer
  withLabels(labels: Record<string, string>): DbContainer
  withReuse(): DbContainer
  /** Mount points of the container's own in-memory file systems, with their mount options. */
  withTmpFs(mounts: Record<string, string>): DbContainer
  start(): Promise<StartedContainer>
}
export type DbContainerClass = new (image: string) => DbContainer

/** The class to start containers of `kind` with, and the `testcontainers` package it uses (for the guard). */
export async function loadContainerClass(dirs: string[], kind: ContainerKind): Promise<{ Container: DbContainerClass; testcontainersEntry?: string }> {
  const { name, className, otherwise } = CONTAINER_MODULES[kind]
  const found = findTestcontainers(dirs, kind)
  if (!found) {
    throw new WorkerDbError('E_CONFIG', `\`server: { testcontainers }\` needs ${name}, which is not installed in ${dirs.join(' or ')}`,
      `Install it: \`${installHint(undefined, name)}\` (the major that works on Node ${process.versions.node}), ${otherwise}.`)
  }
  if (!testcontainersUsable(found.version)) {
    // Checked before importing: v12 crashes on import under older Node, with an error that names neither.
    throw new WorkerDbError('E_CONFIG', `${name}@${found.version} needs Node >= 22.22, and this is Node ${process.versions.node}`,
      `Install the Node 20 line: \`npm i -D ${name}@11\`, or run on Node 22.22+.`)
  }
  let mod: Record<string, unknown> & { default?: Record<string, unknown> }
  try {
    mod = await import(pathToFileURL(found.entry).href)
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `cannot load ${name}@${found.version} from ${found.entry}: ${redactText((err as Error)?.message ?? String(err))}`,
      `Reinstall it: \`${installHint(undefined, name)}\`.`, { cause: redactedCause(err) })
  }
  const cls = mod[className] ?? mod.default?.[className]
  if (typeof cls !== 'function') {
    throw new WorkerDbError('E_CONFIG', `${name}@${found.version} has no ${className} export`, `Install a supported version: \`${installHint(undefined, name)}\`.`)
  }
  let testcontainersEntry: string | undefined
  try {
    // From its real location: under pnpm, testcontainers sits beside the package in the store, not above the link.
    testcontainersEntry = createRequire(fs.realpathSync(found.packageJson)).resolve('testcontainers')
  } catch {
    // not resolvable from there: no guard, the rest works
  }
  return { Container: cls as DbContainerClass, testcontainersEntry }
}
