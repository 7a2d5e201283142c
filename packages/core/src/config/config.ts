/**
 * Configuration: `defineConfig` for type help, `workerdb.config.*` found from the working directory
 * upward (so one file at a monorepo root serves every package), and validation that names the fix.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { Module } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from '../errors.js'
import { redactedCause, redactText } from '../url.js'
import { CONNECTION_PARTS, normalizeEnv, parseRolePart, ROLE_PARTS, type EnvOption, type EnvSpec } from '../env.js'
import type { CloneStrategy } from '../engine/clones.js'
import { MIGRATE_TOOLS, migrateToolOf, resolveMigrator, type MigrateOption } from '../migrate/registry.js'
import type { Migrator } from '../migrate/types.js'
import { DEFAULT_PREFIX, ROLE_KEY_RE, validatePrefix } from '../catalog/names.js'
import type { RoleSpec } from '../engine/roles.js'
import type { EmbeddedOptions } from '../server/embedded.js'
import type { ResetOption, ResetPer } from '../isolation/reset.js'
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

export function findPackageDir(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return resolve(from)
  }
}

export const CONFIG_FILES = ['workerdb.config.ts', 'workerdb.config.mts', 'workerdb.config.cts', 'workerdb.config.js', 'workerdb.config.mjs', 'workerdb.config.cjs', 'workerdb.config.json']

/**
 * The package name nearest `dir` (the config file's folder): the same in every checkout of a project,
 * on every machine; without one, a hash of the folder's path (a marker on a shared server names no path).
 */
export function defaultProject(dir: string): string {
  const pkgDir = findPackageDir(dir)
  try {
    const name = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name?: unknown }).name
    if (typeof name === 'string' && name) return name
  } catch {
    // No package.json, or not JSON: fall back to the folder.
  }
  return `dir:${createHash('sha256').update(resolve(pkgDir)).digest('hex').slice(0, 12)}`
}

export function findConfigFile(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name)
      if (existsSync(file)) return file
    }
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * JavaScript configs load natively, around any require hook the test runner installed: Jest runs globalSetup
 * under the project's transform, and a transform that matches .js (NestJS's ts-jest on `^.+\\.(t|j)s$`)
 * would compile the config through ts-jest on every run. CommonJS is compiled as a fresh module (no
 * `Module._extensions` hook sees it), ESM is imported (the ESM loader has no such hooks), with its mtime in
 * the URL so that a watch-mode rerun sees an edited file. TypeScript, and ESM syntax in a CommonJS .js,
 * go through jiti.
 */
async function loadNative(file: string): Promise<unknown | typeof NOT_NATIVE> {
  const esm = file.endsWith('.mjs') || (file.endsWith('.js') && packageType(dirname(file)) === 'module')
  if (esm) {
    try {
      const mod = await import(`${pathToFileURL(file).href}?mtime=${statSync(file).mtimeMs}`) as { default?: unknown }
      return mod.default ?? mod
    } catch (err) {
      if (needsJiti(err)) return NOT_NATIVE
      throw err
    }
  }
  if (!file.endsWith('.cjs') && !file.endsWith('.js')) return NOT_NATIVE
  const mod = new Module(file)
  mod.filename = file
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file))
  try {
    (mod as unknown as { _compile(code: string, file: string): void })._compile(readFileSync(file, 'utf8'), file)
  } catch (err) {
    if (needsJiti(err)) return NOT_NATIVE
    throw err
  }
  const exported = mod.exports as { default?: unknown; __esModule?: boolean }
  return exported && exported.__esModule && 'default' in exported ? exported.default : exported
}

const NOT_NATIVE = Symbol('not native')

/**
 * What Node cannot load but jiti can: ESM syntax in a CommonJS .js, a TypeScript module the config imports,
 * ESM required from CommonJS. An error the config itself throws is the user's, and is not retried.
 */
function needsJiti(err: unknown): boolean {
  const code = (err as { code?: string })?.code
  return err instanceof SyntaxError || code === 'ERR_UNKNOWN_FILE_EXTENSION' || code === 'ERR_REQUIRE_ESM'
}

/** The `type` of the package.json nearest `dir`. */
function packageType(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(findPackageDir(dir), 'package.json'), 'utf8')) as { type?: string }).type
  } catch {
    return undefined
  }
}

export async function loadConfigFile(file: string): Promise<ConfigExport> {
  try {
    if (file.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises')
      return JSON.parse(await readFile(file, 'utf8'))
    }
    const native = await loadNative(file)
    if (native !== NOT_NATIVE) return native as ConfigExport
    // jiti loads TypeScript (and ESM syntax in CommonJS) without a build step.
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
  // After merging: an inline `env` may use the file's `roles`, or the other way round.
  validateRoleParts(merged, inline.env !== undefined || !file ? 'inline options' : file)
  const migrateBase = inline.migrate !== undefined || !file ? cwd : dirname(file)
  return {
    server: merged.server ?? 'auto',
    migrator: resolveMigrator(merged.migrate, migrateBase, inline.migrate === undefined ? file : undefined),
    env: normalizeEnv(merged.env),
    key: merged.key ?? '',
    prefix: validatePrefix(merged.prefix ?? DEFAULT_PREFIX),
    cloneStrategy: merged.cloneStrategy ?? 'auto',
    sweepTtlMs: (merged.sweepTtlHours ?? 24) * 3_600_000,
    keepTemplates: merged.keepTemplates ?? 3,
    spares: merged.spares === true ? 'plan' : merged.spares || 0,
    silent: merged.silent ?? false,
    reset: resolveReset(merged.reset),
    unusedClones: merged.unusedClones ?? 'warn',
    project: merged.project ?? defaultProject(file ? dirname(file) : cwd),
    roles: resolveRoles(merged.roles),
    file,
  }
}

const KEYS: Record<keyof WorkerDbOptions, true> = {
  server: true, migrate: true, env: true, key: true, prefix: true, cloneStrategy: true, sweepTtlHours: true, keepTemplates: true, spares: true, silent: true, reset: true, unusedClones: true, project: true, roles: true,
}

function resolveRoles(r: RolesOption | undefined): RoleSpec[] {
  if (r === undefined) return []
  if (Array.isArray(r)) return r.map((key) => ({ key, memberOf: [] }))
  return Object.entries(r).map(([key, spec]) => ({ key, memberOf: [...(spec?.memberOf ?? [])] }))
}

const ROLES_EXAMPLE = "Example: roles: ['app'], or roles: { app: { memberOf: ['readonly_base'] } }"

function validateRoles(r: unknown, fail: (what: string, fix: string) => never): void {
  if (r === undefined) return
  const keyOk = (k: unknown) => typeof k === 'string' && ROLE_KEY_RE.test(k)
  const badKey = (k: unknown) => fail(`role key ${JSON.stringify(k)} is not a lowercase identifier of 1–20 letters, digits and underscores (it becomes part of each role's name, <clone>_role_<key>)`, ROLES_EXAMPLE)
  if (Array.isArray(r)) {
    for (const k of r) if (!keyOk(k)) badKey(k)
    const twice = r.find((k, i) => r.indexOf(k) !== i)
    if (twice !== undefined) fail(`\`roles\` names ${JSON.stringify(twice)} twice`, ROLES_EXAMPLE)
    return
  }
  if (typeof r !== 'object' || r === null) fail(`\`roles\` must be a list of keys or a map of keys to { memberOf } (got ${JSON.stringify(r)})`, ROLES_EXAMPLE)
  for (const [k, spec] of Object.entries(r as Record<string, unknown>)) {
    if (!keyOk(k)) badKey(k)
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) fail(`\`roles.${k}\` must be an object, { memberOf?: [...] } (got ${JSON.stringify(spec)})`, ROLES_EXAMPLE)
    for (const extra of Object.keys(spec as object)) if (extra !== 'memberOf') fail(`unknown option "roles.${k}.${extra}"`, `Known options: memberOf. ${ROLES_EXAMPLE}`)
    const m = (spec as { memberOf?: unknown }).memberOf
    if (m !== undefined && (!Array.isArray(m) || m.some((x) => typeof x !== 'string' || !x))) {
      fail(`\`roles.${k}.memberOf\` must be a list of existing role names (got ${JSON.stringify(m)})`, ROLES_EXAMPLE)
    }
  }
}

/** On the merged options: every role part of `env` names a key of `roles`. */
function validateRoleParts(options: WorkerDbOptions, where: string): void {
  if (typeof options.env !== 'object' || options.env === null) return
  const keys = options.roles === undefined ? [] : Array.isArray(options.roles) ? options.roles : Object.keys(options.roles)
  for (const [name, part] of Object.entries(options.env)) {
    const p = parseRolePart(part)
    if (!p || keys.includes(p.key)) continue
    const wanted = [...keys, p.key].map((k) => `'${k}'`).join(', ')
    throw new WorkerDbError('E_CONFIG', `${where}: \`env.${name}\` is ${JSON.stringify(part)}, but \`roles\` has no key "${p.key}"${keys.length ? ` (it has ${keys.map((k) => `"${k}"`).join(', ')})` : ''}`,
      `Add it: roles: [${wanted}] — each clone then gets a role of its own for it.`)
  }
}

function resolveReset(r: ResetOption | undefined): ResolvedConfig['reset'] {
  if (r === undefined || r === 'none') return undefined
  if (r === 'truncate') return { keep: [], per: 'file' }
  return { keep: [...(r.keep ?? [])], per: r.per ?? 'file' }
}

/** Throws E_CONFIG for unknown keys (with a did-you-mean) and wrong types. */
export function validateOptions(input: unknown, where: string): asserts input is WorkerDbOptions {
  const fail = (what: string, fix: string): never => {
    throw new WorkerDbError('E_CONFIG', `${where}: ${what}`, fix)
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('expected an object', 'Export `defineConfig({ … })`.')
  const opts = input as Record<string, unknown>
  for (const k of Object.keys(opts)) {
    if (!(k in KEYS)) {
      const near = closest(k, Object.keys(KEYS))
      fail(`unknown option "${k}"`, near ? `Did you mean "${near}"? Known options: ${Object.keys(KEYS).join(', ')}.` : `Known options: ${Object.keys(KEYS).join(', ')}.`)
    }
  }
  const s = opts.server
  if (s !== undefined && s !== 'auto' && s !== 'embedded') {
    if (typeof s !== 'object' || s === null) fail('`server` must be "auto", "embedded", { url }, { embedded: {…} } or { testcontainers: {…} }', 'Example: server: { url: process.env.DATABASE_ADMIN_URL }')
    const so = s as Record<string, unknown>
    if ('url' in so && typeof so.url !== 'string') fail('`server.url` must be a string (postgresql://user@host:5432/postgres)', 'Set it to a connection URL, or use WORKERDB_URL.')
    if (!('url' in so) && !('embedded' in so) && !('testcontainers' in so)) fail(`\`server\` has no "url", "embedded" or "testcontainers" key (got ${Object.keys(so).join(', ') || 'nothing'})`, 'Use { url: "postgresql://…" }, { embedded: {} } or { testcontainers: {} }.')
    if ('testcontainers' in so) validateTestcontainers(so, fail)
  }
  const m = opts.migrate
  if (m !== undefined && typeof m !== 'function') validateMigrate(m, fail)
  const e = opts.env
  if (e !== undefined) {
    if (typeof e === 'string') {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e)) fail(`\`env\` ${JSON.stringify(e)} is not a valid variable name`, 'Example: env: "DATABASE_URL"')
    } else if (typeof e === 'object' && e !== null && !Array.isArray(e)) {
      if (Object.keys(e).length === 0) fail('`env` is an empty map, so workers would get no connection settings', 'Map at least one variable, e.g. env: { DATABASE_URL: "url" }.')
      for (const [name, part] of Object.entries(e)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`\`env\` key ${JSON.stringify(name)} is not a valid variable name`, 'Use letters, digits and underscores, e.g. PGDATABASE.')
        const rolePart = typeof part === 'string' ? parseRolePart(part) : undefined
        if (rolePart ? !ROLE_KEY_RE.test(rolePart.key) : !CONNECTION_PARTS.includes(part as never)) {
          fail(`\`env.${name}\` is ${JSON.stringify(part)}`, `Map each variable to one of: ${CONNECTION_PARTS.join(', ')}, or ${ROLE_PARTS.map((p) => `${p}:<key>`).join(', ')} for a key of \`roles\`.`)
        }
      }
    } else fail('`env` must be a variable name or a map of names to connection parts', 'Example: env: { PGDATABASE: "database", PGPORT: "port" }')
  }
  if (opts.key !== undefined && typeof opts.key !== 'string') fail('`key` must be a string', 'Example: key: "v2"')
  if (opts.prefix !== undefined && typeof opts.prefix !== 'string') fail('`prefix` must be a string', 'Example: prefix: "shop"')
  if (opts.cloneStrategy !== undefined && !['auto', 'WAL_LOG', 'FILE_COPY'].includes(opts.cloneStrategy as string)) fail('`cloneStrategy` must be "auto", "WAL_LOG" or "FILE_COPY"', 'Leave it unset unless a benchmark says otherwise.')
  if (opts.sweepTtlHours !== undefined && !(typeof opts.sweepTtlHours === 'number' && opts.sweepTtlHours > 0)) fail('`sweepTtlHours` must be a positive number', 'Example: sweepTtlHours: 24')
  if (opts.keepTemplates !== undefined && !(Number.isInteger(opts.keepTemplates) && (opts.keepTemplates as number) >= 1)) fail('`keepTemplates` must be a whole number of at least 1', 'Example: keepTemplates: 3 (templates of the 3 newest migration hashes stay cached)')
  if (opts.spares !== undefined && typeof opts.spares !== 'boolean' && !(Number.isInteger(opts.spares) && (opts.spares as number) >= 0 && (opts.spares as number) <= 64)) {
    fail('`spares` must be true, false or a whole number from 0 to 64', 'Example: spares: true (as many as each run uses)')
  }
  if (opts.silent !== undefined && typeof opts.silent !== 'boolean') fail('`silent` must be true or false', 'Example: silent: true')
  validateReset(opts.reset, fail)
  validateRoles(opts.roles, fail)
  if (opts.project !== undefined && (typeof opts.project !== 'string' || !opts.project)) fail('`project` must be a non-empty string', 'Example: project: "billing-api" (default: the package name).')
  const u = opts.unusedClones
  if (u !== undefined && u !== 'warn' && u !== 'error' && u !== 'ignore') fail(`\`unusedClones\` must be 'warn', 'error' or 'ignore' (got ${JSON.stringify(u)})`, "Use unusedClones: 'error' in CI to fail a run whose tests never used their clones.")
}

function validateTestcontainers(so: Record<string, unknown>, fail: (what: string, fix: string) => never): void {
  const example = 'Example: server: { testcontainers: { image: "postgres:17-alpine", reuse: true } }, or { testcontainers: true }.'
  const others = Object.keys(so).filter((k) => k !== 'testcontainers')
  if (others.length) fail(`\`server\` has "testcontainers" and ${others.map((k) => `"${k}"`).join(', ')}`, 'Choose one server: { testcontainers: {…} }, { embedded: {…} } or { url }.')
  const t = so.testcontainers
  if (t === true) return
  if (typeof t !== 'object' || t === null || Array.isArray(t)) fail('`server.testcontainers` must be an object or true', example)
  const to = t as Record<string, unknown>
  for (const k of Object.keys(to)) {
    if (k !== 'image' && k !== 'reuse') fail(`unknown option "server.testcontainers.${k}"`, `Known options: image, reuse. ${example}`)
  }
  if (to.image !== undefined && (typeof to.image !== 'string' || !to.image.trim())) fail('`server.testcontainers.image` must be a non-empty image name', example)
  if (to.reuse !== undefined && typeof to.reuse !== 'boolean') fail('`server.testcontainers.reuse` must be true or false', example)
}

function validateMigrate(m: unknown, fail: (what: string, fix: string) => never): void {
  const keys = MIGRATE_TOOLS.map((t) => t.key)
  const example = `Example: ${MIGRATE_TOOLS[0]!.example} (or ${MIGRATE_TOOLS.slice(1).map((t) => `${t.key}: a ${t.takes}`).join(', ')}; inputs: more files that shape the schema)`
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail(`\`migrate\` must be { ${keys.join(' | ')}: … } or a function`, example)
  const mo = m as Record<string, unknown>
  const named = keys.filter((k) => k in mo)
  if (named.length > 1) fail(`\`migrate\` names ${named.join(' and ')}`, `Choose one migration tool per config: ${named.map((k) => `{ ${k}: … }`).join(' or ')}.`)
  const tool = migrateToolOf(mo)
  if (!tool) {
    const near = Object.keys(mo).map((k) => closest(k, keys)).find(Boolean)
    return fail(`\`migrate\` names no migration tool (got ${Object.keys(mo).join(', ') || 'nothing'})`, near ? `Did you mean "${near}"? ${example}` : example)
  }
  const value = mo[tool.key]
  if (tool.takes === 'function' ? typeof value !== 'function' : typeof value !== 'string' || !value) {
    const what = { path: 'a path (relative to the config file)', command: 'a shell command string', function: 'a function (url) => …' }[tool.takes]
    fail(`\`migrate.${tool.key}\` must be ${what}`, `Example: ${tool.example}`)
  }
  if ('inputs' in mo && (!Array.isArray(mo.inputs) || mo.inputs.some((x) => typeof x !== 'string'))) fail('`migrate.inputs` must be an array of paths', 'List the files your migrations read, e.g. inputs: ["./migrations"].')
  for (const key of Object.keys(mo)) {
    if (key === tool.key || key === 'inputs') continue
    const extra = tool.extraKeys?.[key]
    const owner = MIGRATE_TOOLS.find((t) => t.extraKeys && key in t.extraKeys)
    if (!extra) fail(`\`migrate.${key}\` is not an option of ${tool.key}${owner ? ` (it is ${owner.key}'s)` : ''}`, `Example: ${tool.example}`)
    else if (!extra.check(mo[key])) fail(`\`migrate.${key}\` must be ${extra.hint}`, `Example: ${tool.example}`)
  }
}

function validateReset(r: unknown, fail: (what: string, fix: string) => never): void {
  if (r === undefined || r === 'none' || r === 'truncate') return
  const example = "Example: reset: 'truncate' (before every test file), or reset: { truncate: true, per: 'test' } (before every test too); keep: ['countries'] lists tables whose rows survive"
  // A string that asks for a reset per test ('per-test', 'truncate each test', …): show the form that says it.
  const perTest = typeof r === 'string' && /test|each/i.test(r)
  const hint = perTest ? `For a reset before every test, write reset: { truncate: true, per: 'test' }. ${example}` : example
  if (typeof r !== 'object' || r === null || Array.isArray(r)) fail(`\`reset\` must be "none", "truncate" or { truncate: true, per?, keep? } (got ${JSON.stringify(r)})`, hint)
  const ro = r as Record<string, unknown>
  const extra = Object.keys(ro).filter((k) => k !== 'truncate' && k !== 'keep' && k !== 'per')
  if (extra.length) fail(`\`reset\` has unknown key${extra.length === 1 ? '' : 's'} ${extra.map((k) => JSON.stringify(k)).join(', ')}`, example)
  if (ro.truncate !== true) fail('`reset` as an object needs truncate: true', example)
  if (ro.per !== undefined && ro.per !== 'file' && ro.per !== 'test') {
    const near = typeof ro.per === 'string' ? closest(ro.per, ['file', 'test']) : undefined
    fail(`\`reset.per\` must be 'file' or 'test' (got ${JSON.stringify(ro.per)})`, `${near ? `Did you mean per: '${near}'? ` : ''}${example}`)
  }
  const keep = ro.keep
  if (keep === undefined) return
  if (!Array.isArray(keep) || keep.some((k) => typeof k !== 'string' || k === '' || k.startsWith('.') || k.endsWith('.'))) {
    fail('`reset.keep` must be an array of table names ("table" for schema public, or "schema.table")', example)
  }
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined
  let bestD = 3
  for (const candidate of options) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestD) [best, bestD] = [candidate, d]
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
