/** Validation of the options, wherever they come from: E_CONFIG naming the option, what was wrong, and the fix (with a did-you-mean). */
import { WorkerDbError } from '../errors.js'
import { CONNECTION_PARTS, parseRolePart, ROLE_PARTS } from '../env.js'
import { MIGRATE_TOOLS, migrateToolOf } from '../migrate/registry.js'
import { ROLE_KEY_RE } from '../catalog/names.js'
import type { WorkerDbOptions } from './options.js'
import { DIALECTS, type DialectName } from '../catalog/dialect.js'

const KEYS: Record<keyof WorkerDbOptions, true> = {
  server: true, dialect: true, migrate: true, env: true, key: true, prefix: true, cloneStrategy: true, sweepTtlHours: true, keepTemplates: true, spares: true, silent: true, reset: true, unusedClones: true, project: true, roles: true,
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
export function validateRoleParts(options: WorkerDbOptions, where: string): void {
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
  if (opts.dialect !== undefined && !DIALECTS.includes(opts.dialect as DialectName)) fail(`\`dialect\` must be ${DIALECTS.map((d) => JSON.stringify(d)).join(', ')} (got ${JSON.stringify(opts.dialect)})`, 'Or leave it unset and let the server URL\'s scheme decide.')
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
    if (k !== 'image' && k !== 'reuse' && k !== 'memory') fail(`unknown option "server.testcontainers.${k}"`, `Known options: image, reuse, memory. ${example}`)
  }
  if (to.image !== undefined && (typeof to.image !== 'string' || !to.image.trim())) fail('`server.testcontainers.image` must be a non-empty image name', example)
  if (to.reuse !== undefined && typeof to.reuse !== 'boolean') fail('`server.testcontainers.reuse` must be true or false', example)
  if (to.memory !== undefined && typeof to.memory !== 'boolean') fail('`server.testcontainers.memory` must be true or false', 'MariaDB and MySQL containers keep their data in memory unless it is false.')
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
