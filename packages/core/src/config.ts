/**
 * Configuration: `defineConfig` for type help, `workerdb.config.*` found from the working directory
 * upward (so one file at a monorepo root serves every package), and validation that names the fix.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from './errors.js'
import { redactedCause, redactText } from './url.js'
import { CONNECTION_PARTS, normalizeEnv, type EnvOption, type EnvSpec } from './env.js'
import type { CloneStrategy } from './clones.js'
import { commandMigrator, type CommandMigrateOptions } from './migrate/command.js'
import { functionMigrator, type MigrateFunction } from './migrate/function.js'
import { sqlMigrator } from './migrate/sql.js'
import type { Migrator } from './migrate/types.js'
import { DEFAULT_PREFIX, validatePrefix } from './naming.js'
import type { EmbeddedOptions } from './server/embedded.js'

export type ServerOption =
  | 'auto'
  | 'embedded'
  | { url: string }
  | { embedded: EmbeddedOptions | true }

export type MigrateOption =
  | { sql: string }
  | CommandMigrateOptions
  | MigrateFunction

export interface WorkerDbOptions {
  /** Where databases live. 'auto': WORKERDB_URL, else `{ url }`, else an embedded server workerdb starts. */
  server?: ServerOption
  /** How to build the template. Omit for an empty database. */
  migrate?: MigrateOption
  /** Env vars that carry each worker's database: a name for the URL, or a map name → part. Default DATABASE_URL. */
  env?: EnvOption
  /** Extra input for the template hash: change it to force a rebuild. */
  key?: string
  /** Database name prefix, 1–12 lowercase letters/digits. Default 'wdb'. */
  prefix?: string
  /** CREATE DATABASE strategy for clones; 'auto' measures-based (see DESIGN.md). */
  cloneStrategy?: CloneStrategy
  /** Clones of dead runs older than this are swept even when their host cannot be asked. Default 24. */
  sweepTtlHours?: number
  /** Templates of this many migration hashes per prefix are kept (the newest); older ones are swept. Default 3. */
  keepTemplates?: number
  /** Print nothing (errors still throw). */
  silent?: boolean
}

export interface ResolvedConfig {
  server: ServerOption
  migrator: Migrator | undefined
  env: EnvSpec
  key: string
  prefix: string
  cloneStrategy: CloneStrategy
  sweepTtlMs: number
  keepTemplates: number
  silent: boolean
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

export function findPackageDir(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return resolve(from)
  }
}

export const CONFIG_FILES = ['workerdb.config.ts', 'workerdb.config.mts', 'workerdb.config.cts', 'workerdb.config.js', 'workerdb.config.mjs', 'workerdb.config.cjs', 'workerdb.config.json']

export function findConfigFile(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name)
      if (existsSync(file)) return file
    }
    if (dirname(dir) === dir) return undefined
  }
}

export async function loadConfigFile(file: string): Promise<ConfigExport> {
  try {
    if (file.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises')
      return JSON.parse(await readFile(file, 'utf8'))
    }
    // jiti loads TypeScript and ESM/CJS alike without a build step, and caches nothing on disk we rely on.
    const { createJiti } = await import('jiti')
    const jiti = createJiti(pathToFileURL(file).href, { interopDefault: true })
    const mod = await jiti.import<{ default?: ConfigExport } | ConfigExport>(file)
    return ((mod as { default?: ConfigExport }).default ?? mod) as ConfigExport
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `cannot load ${file}: ${redactText((err as Error).message)}`,
      'Fix the error in the config file; it must `export default defineConfig({ … })`.', { cause: redactedCause(err) })
  }
}

/**
 * The effective config: the file found from `cwd` upward, overridden key by key by inline options.
 * Relative paths resolve against the file that named them (inline ones against `cwd`).
 */
export async function resolveConfig(inline: WorkerDbOptions = {}, cwd = process.cwd()): Promise<ResolvedConfig> {
  validateOptions(inline, 'inline options')
  const file = findConfigFile(cwd)
  const exported = file ? await loadConfigFile(file) : {}
  const fromFile = typeof exported === 'function' ? await exported({ cwd: resolve(cwd), packageDir: findPackageDir(cwd) }) : exported
  if (file) validateOptions(fromFile, file)
  const merged: WorkerDbOptions = { ...fromFile, ...inline }
  const migrateBase = inline.migrate !== undefined || !file ? cwd : dirname(file)
  return {
    server: merged.server ?? 'auto',
    migrator: resolveMigrator(merged.migrate, migrateBase),
    env: normalizeEnv(merged.env),
    key: merged.key ?? '',
    prefix: validatePrefix(merged.prefix ?? DEFAULT_PREFIX),
    cloneStrategy: merged.cloneStrategy ?? 'auto',
    sweepTtlMs: (merged.sweepTtlHours ?? 24) * 3_600_000,
    keepTemplates: merged.keepTemplates ?? 3,
    silent: merged.silent ?? false,
    file,
  }
}

export function resolveMigrator(m: MigrateOption | undefined, baseDir: string): Migrator | undefined {
  if (m === undefined) return undefined
  if (typeof m === 'function') return functionMigrator(m)
  if ('sql' in m) return sqlMigrator(resolve(baseDir, m.sql), baseDir)
  return commandMigrator(m, baseDir)
}

const KEYS: Record<keyof WorkerDbOptions, true> = {
  server: true, migrate: true, env: true, key: true, prefix: true, cloneStrategy: true, sweepTtlHours: true, keepTemplates: true, silent: true,
}

/** Throws E_CONFIG for unknown keys (with a did-you-mean) and wrong types. */
export function validateOptions(o: unknown, where: string): asserts o is WorkerDbOptions {
  const fail = (what: string, fix: string): never => {
    throw new WorkerDbError('E_CONFIG', `${where}: ${what}`, fix)
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) fail('expected an object', 'Export `defineConfig({ … })`.')
  const opts = o as Record<string, unknown>
  for (const k of Object.keys(opts)) {
    if (!(k in KEYS)) {
      const near = closest(k, Object.keys(KEYS))
      fail(`unknown option "${k}"`, near ? `Did you mean "${near}"? Known options: ${Object.keys(KEYS).join(', ')}.` : `Known options: ${Object.keys(KEYS).join(', ')}.`)
    }
  }
  const s = opts.server
  if (s !== undefined && s !== 'auto' && s !== 'embedded') {
    if (typeof s !== 'object' || s === null) fail('`server` must be "auto", "embedded", { url } or { embedded: {…} }', 'Example: server: { url: process.env.DATABASE_ADMIN_URL }')
    const so = s as Record<string, unknown>
    if ('url' in so && typeof so.url !== 'string') fail('`server.url` must be a string (postgresql://user@host:5432/postgres)', 'Set it to a connection URL, or use WORKERDB_URL.')
    if (!('url' in so) && !('embedded' in so)) fail(`\`server\` has no "url" or "embedded" key (got ${Object.keys(so).join(', ') || 'nothing'})`, 'Use { url: "postgresql://…" } or { embedded: {} }.')
  }
  const m = opts.migrate
  if (m !== undefined && typeof m !== 'function') {
    if (typeof m !== 'object' || m === null) fail('`migrate` must be { sql: dir }, { command: "…" } or a function', 'Example: migrate: { sql: "./migrations" }')
    const mo = m as Record<string, unknown>
    if ('sql' in mo && typeof mo.sql !== 'string') fail('`migrate.sql` must be a directory path', 'Example: migrate: { sql: "./migrations" }')
    if ('command' in mo && typeof mo.command !== 'string') fail('`migrate.command` must be a shell command string', 'Example: migrate: { command: "npx kysely migrate:latest" }')
    if ('inputs' in mo && (!Array.isArray(mo.inputs) || mo.inputs.some((x) => typeof x !== 'string'))) fail('`migrate.inputs` must be an array of paths', 'List the files your migrations read, e.g. inputs: ["./migrations"].')
    if ('sql' in mo && 'command' in mo) fail('`migrate` has both sql and command', 'Choose one: { sql: dir } or { command: "…" }.')
    if (!('sql' in mo) && !('command' in mo)) fail(`\`migrate\` has neither sql nor command (got ${Object.keys(mo).join(', ') || 'nothing'})`, 'Example: migrate: { sql: "./migrations" }')
  }
  const e = opts.env
  if (e !== undefined) {
    if (typeof e === 'string') {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e)) fail(`\`env\` ${JSON.stringify(e)} is not a valid variable name`, 'Example: env: "DATABASE_URL"')
    } else if (typeof e === 'object' && e !== null && !Array.isArray(e)) {
      if (Object.keys(e).length === 0) fail('`env` is an empty map, so workers would get no connection settings', 'Map at least one variable, e.g. env: { DATABASE_URL: "url" }.')
      for (const [name, part] of Object.entries(e)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`\`env\` key ${JSON.stringify(name)} is not a valid variable name`, 'Use letters, digits and underscores, e.g. PGDATABASE.')
        if (!CONNECTION_PARTS.includes(part as never)) fail(`\`env.${name}\` is ${JSON.stringify(part)}`, `Map each variable to one of: ${CONNECTION_PARTS.join(', ')}.`)
      }
    } else fail('`env` must be a variable name or a map of names to connection parts', 'Example: env: { PGDATABASE: "database", PGPORT: "port" }')
  }
  if (opts.key !== undefined && typeof opts.key !== 'string') fail('`key` must be a string', 'Example: key: "v2"')
  if (opts.prefix !== undefined && typeof opts.prefix !== 'string') fail('`prefix` must be a string', 'Example: prefix: "shop"')
  if (opts.cloneStrategy !== undefined && !['auto', 'WAL_LOG', 'FILE_COPY'].includes(opts.cloneStrategy as string)) fail('`cloneStrategy` must be "auto", "WAL_LOG" or "FILE_COPY"', 'Leave it unset unless a benchmark says otherwise.')
  if (opts.sweepTtlHours !== undefined && !(typeof opts.sweepTtlHours === 'number' && opts.sweepTtlHours > 0)) fail('`sweepTtlHours` must be a positive number', 'Example: sweepTtlHours: 24')
  if (opts.keepTemplates !== undefined && !(Number.isInteger(opts.keepTemplates) && (opts.keepTemplates as number) >= 1)) fail('`keepTemplates` must be a whole number of at least 1', 'Example: keepTemplates: 3 (templates of the 3 newest migration hashes stay cached)')
  if (opts.silent !== undefined && typeof opts.silent !== 'boolean') fail('`silent` must be true or false', 'Example: silent: true')
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined
  let bestD = 3
  for (const o of options) {
    const d = distance(word.toLowerCase(), o.toLowerCase())
    if (d < bestD) [best, bestD] = [o, d]
  }
  return best
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]
    dp[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return dp[b.length]
}
