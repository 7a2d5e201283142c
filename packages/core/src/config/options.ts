/**
 * The options a user writes (`defineConfig` gives them types) and the config a run resolves them to
 * (resolve.ts). Where each option is read: docs/configuration.md.
 */
import type { EnvOption, EnvSpec } from '../env.js'
import type { CloneStrategy } from '../catalog/postgres/strategy.js'
import type { DialectName } from '../catalog/dialect.js'
import type { MigrateOption } from '../migrate/registry.js'
import type { Migrator } from '../migrate/types.js'
import type { RoleSpec } from '../catalog/dialect.js'
import type { EmbeddedOptions } from '../server/embedded.js'
import type { ResetOption, ResetPer } from '../isolation/reset-plan.js'
import type { TestcontainersOptions } from '../server/testcontainers.js'

export type ServerOption =
  | 'auto'
  | 'embedded'
  | { url: string }
  | { embedded: EmbeddedOptions | true }
  | { testcontainers: TestcontainersOptions | true }

export type { MigrateOption }

/** Per-worker roles: keys, or keys with the existing roles each clone's role is made a member of. */
export type RolesOption = string[] | Record<string, { memberOf?: string[] }>

export interface WorkerDbOptions {
  /** Where databases live. 'auto': WORKERDB_URL, else `{ url }`, else an embedded server workerdb starts. */
  server?: ServerOption
  /**
   * The database kind, when no URL names it: 'sqlite' keeps its files in node_modules/.cache/workerdb/sqlite;
   * 'mysql' needs a URL. A URL's scheme (postgresql://, mysql://, mariadb://, file:) otherwise decides. Default 'postgres'.
   */
  dialect?: DialectName
  /** How to build the template. Omit for an empty database. */
  migrate?: MigrateOption
  /** Env vars that carry each worker's database: a name for the URL, or a map name → part. Default DATABASE_URL. */
  env?: EnvOption
  /** Extra input for the template hash: change it to force a rebuild. */
  key?: string
  /** Database name prefix, 1–12 lowercase letters/digits. Default 'wdb'. */
  prefix?: string
  /** CREATE DATABASE strategy for clones; 'auto' picks by the server's fsync and the template's size (clones.ts). */
  cloneStrategy?: CloneStrategy
  /** Clones of dead runs older than this are swept even when their host cannot be asked. Default 24. */
  sweepTtlHours?: number
  /** Templates of this many migration hashes per prefix are kept (the newest); older ones are swept. Default 3. */
  keepTemplates?: number
  /**
   * Spare clones made in the background while tests run, for the next run to take by renaming them
   * (milliseconds instead of a copy each). `true`: as many as this run used; a number: that many. Default off.
   */
  spares?: boolean | number
  /** Print nothing (errors still throw). */
  silent?: boolean
  /**
   * Between test files: 'truncate' empties every user table except migration ledgers (one TRUNCATE …
   * RESTART IDENTITY on the worker's clone, before each file); `keep` lists tables ("table" or
   * "schema.table") whose rows survive, e.g. reference data the migrations seed. `per: 'test'` empties
   * the tables a test wrote before the next test too (default `per: 'file'`). Default 'none'.
   */
  reset?: ResetOption
  /**
   * When no clone saw a connection from the tests while other databases on the server did (the tests'
   * own setup replaced the env vars workerdb set): 'warn' (default) says so at teardown, 'error' also
   * fails the run, 'ignore' skips the check. Needs PostgreSQL 14+.
   */
  unusedClones?: 'warn' | 'error' | 'ignore'
  /**
   * Which project this is, on a server several projects share: a run evicts only its own project's old
   * templates, and sweeps another project's clones only when their process is known dead. Default: the
   * `name` in the package.json nearest the config file (else the working directory), or that folder's path.
   */
  project?: string
  /**
   * Per-worker roles: each clone gets a LOGIN role of its own per key, `<clone>_role_<key>`, allowed
   * everything in its clone, dropped with it (docs/isolation.md). The env parts `role:<key>`,
   * `roleUrl:<key>` and `rolePassword:<key>` carry it. `{ app: { memberOf: ['readonly_base'] } }` also
   * makes it a member of existing roles. Default: none.
   */
  roles?: RolesOption
}

export interface ResolvedConfig {
  server: ServerOption
  /** Set in the config; undefined: the URL's scheme decides (PostgreSQL without one). */
  dialect?: DialectName
  migrator: Migrator | undefined
  env: EnvSpec
  key: string
  prefix: string
  cloneStrategy: CloneStrategy
  sweepTtlMs: number
  keepTemplates: number
  /** 'plan': as many as the run's clones; 0: none. */
  spares: number | 'plan'
  silent: boolean
  /** undefined: no reset between test files. */
  reset: { keep: string[]; per: ResetPer } | undefined
  unusedClones: 'warn' | 'error' | 'ignore'
  project: string
  /** Per-worker roles, in the order given; empty: none. */
  roles: RoleSpec[]
  /** The config file used, if any. */
  file: string | undefined
}

/** What a config function is told: the run's directory and the package being tested (for monorepos). */
export interface ConfigContext {
  /** Where the test runner runs (Vitest's root, Jest's rootDir). */
  cwd: string
  /** The nearest folder at or above `cwd` with a package.json: one config file at a monorepo root can give each package its own migrations. */
  packageDir: string
}

export type ConfigExport = WorkerDbOptions | ((ctx: ConfigContext) => WorkerDbOptions | Promise<WorkerDbOptions>)

export function defineConfig<T extends ConfigExport>(config: T): T {
  return config
}
