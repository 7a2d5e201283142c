#!/usr/bin/env node
/**
 * `npx workerdb status | sweep [--dry-run] | doctor | provision --workers N | teardown <run>`, with `--json` for machines. Reads the same config
 * as the test runs (workerdb.config.* from the working directory upward, WORKERDB_URL first).
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { resolveConfig } from './config.js'
import { connect, listDatabases, listRoles, serverInfo } from './db.js'
import { DURABILITY_FIX } from './clones.js'
import { isWorkerDbError } from './errors.js'
import { parseMarker } from './marker.js'
import { parseRoleName } from './naming.js'
import { checkRoles, type RoleSpec } from './roles.js'
import { chooseServer, localProbe, NO_PROBE, type ServerChoice } from './server/index.js'
import { DEFAULT_TESTCONTAINERS_IMAGE, installHint, NO_RUNTIME_HINT, TESTCONTAINERS_PACKAGE, testcontainersUsable } from './server/testcontainers.js'
import { findEmbeddedBinaries } from './server/embedded/binaries.js'
import { provisionCommand, teardownCommand } from './cli-provision.js'
import { deadManifests, ownerAlive, removeManifests, sweep } from './sweep.js'
import { redactUrl } from './url.js'
import { plural } from './log.js'

const USAGE = `usage: workerdb <command> [--json]

  status            templates, clones and per-worker roles on the server, with their runs and whether those are alive
  sweep [--dry-run] drop clones (and their roles) left by dead runs (only those with workerdb's prefix and marker)
  doctor            check the config, the server, privileges (and roles) and limits; say what to fix
  provision --workers N
                    for runners without a hook (node --test, scripts): build or reuse the template,
                    make N clones, print the manifest to export (tests call claimWorkerDatabase())
  teardown <run>    drop the clones of a run made by \`provision\` (the template stays)`

interface Out {
  json: boolean
  lines: string[]
  data: Record<string, unknown>
}

export async function main(argv: string[], cwd = process.cwd()): Promise<{ code: number; text: string }> {
  const json = argv.includes('--json')
  const args = argv.filter((a) => !a.startsWith('--'))
  const out: Out = { json, lines: [], data: {} }
  try {
    switch (args[0]) {
      case 'status': await status(out, cwd); break
      case 'sweep': await sweepCommand(out, cwd, argv.includes('--dry-run')); break
      case 'provision': await provisionCommand(out, argv, cwd); break
      case 'teardown': await teardownCommand(out, argv, cwd); break
      case 'doctor': {
        const ok = await doctor(out, cwd)
        return finish(out, ok ? 0 : 1)
      }
      default:
        return { code: args[0] ? 2 : 0, text: USAGE }
    }
    return finish(out, 0)
  } catch (err) {
    if (isWorkerDbError(err)) {
      if (json) return { code: 1, text: JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint } }) }
      return { code: 1, text: err.message }
    }
    throw err
  }
}

function finish(out: Out, code: number) {
  return { code, text: out.json ? JSON.stringify(out.data, null, 2) : out.lines.join('\n') }
}

/** status and sweep need a server that outlives a run: a URL. The embedded server exists only during one. */
async function adminUrl(cwd: string): Promise<{ url: string; prefix: string; project: string; ttl: number; keepTemplates: number }> {
  const config = await resolveConfig({}, cwd)
  const choice = chooseServer(config.server, process.env, NO_PROBE)
  if (choice.kind !== 'url') {
    const { WorkerDbError } = await import('./errors.js')
    throw new WorkerDbError('E_CONFIG', 'no server URL: an embedded server or a container lives only as long as a test run, so there is nothing to inspect between runs',
      'Set WORKERDB_URL (or `server: { url }` in workerdb.config) to the server your tests use.')
  }
  return { url: choice.url!, prefix: config.prefix, project: config.project, ttl: config.sweepTtlMs, keepTemplates: config.keepTemplates }
}

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (s < 90) return `${s}s`
  if (s < 90 * 60) return `${Math.round(s / 60)}m`
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86400)}d`
}

/** Pads columns to their widest cell: output that reads in an 80-column terminal. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
}

async function status(out: Out, cwd: string): Promise<void> {
  const { url, prefix } = await adminUrl(cwd)
  const admin = await connect(url, 'WORKERDB_URL / server.url')
  try {
    const info = await serverInfo(admin)
    const rows = await listDatabases(admin, prefix)
    const { rows: sizes } = await admin.query(
      `select datname, pg_database_size(oid)::text as size, (select count(*) from pg_stat_activity a where a.datname = d.datname)::int as sessions
         from pg_database d where starts_with(datname, $1)`, [`${prefix}_`])
    const extra = new Map(sizes.map((r) => [r.datname as string, r]))
    const templates = []
    const clones = []
    const spares = new Map<string, number>()
    for (const row of rows) {
      const m = parseMarker(row.comment)
      const e = extra.get(row.name)
      const base = { name: row.name, sizeBytes: Number(e?.size ?? 0), sessions: e?.sessions ?? 0 }
      if (m?.kind === 'template') templates.push({ ...base, hash: m.hash, state: m.state, createdAt: m.createdAt, sealed: row.isTemplate })
      else if (m?.kind === 'spare') spares.set(m.hash ?? '?', (spares.get(m.hash ?? '?') ?? 0) + 1)
      else if (m?.kind === 'clone') clones.push({ ...base, run: m.run, host: m.host, pid: m.pid, alive: ownerAlive(m), detached: Boolean(m.detached), createdAt: m.createdAt })
      else clones.push({ ...base, run: null, host: null, pid: null, alive: 'not workerdb\'s (no marker): never touched', createdAt: null })
    }
    const withSpares = templates.map((t) => ({ ...t, spares: spares.get(t.hash ?? '?') ?? 0 }))
    const roles = await roleStatus(admin, prefix, new Set(rows.map((r) => r.name)))
    out.data = { server: redactUrl(url), version: info.versionNum, prefix, templates: withSpares, clones, roles }
    out.lines.push(`server ${redactUrl(url)} · PostgreSQL ${info.major} · prefix ${prefix}_`)
    out.lines.push('')
    out.lines.push(templates.length ? `templates (${templates.length})` : 'templates: none')
    if (templates.length) {
      out.lines.push(...table([['  hash', 'state', 'age', 'size', 'spares'], ...withSpares.map((t) => [`  ${String(t.hash ?? '?').slice(0, 10)}`, t.state ?? '?', age(t.createdAt), mb(t.sizeBytes), String(t.spares)])]))
    }
    out.lines.push(clones.length ? `clones (${clones.length})` : 'clones: none')
    if (clones.length) {
      out.lines.push(...table([['  name', 'run', 'process', 'age', 'sessions'], ...clones.map((c) => [
        `  ${c.name}`, c.run ?? '-', c.pid === null ? String(c.alive) : `${c.host}:${c.pid} ${c.alive === true ? 'alive' : c.alive === false ? 'dead (sweepable)' : 'detached' in c && c.detached ? 'no owner (provision; teardown or TTL)' : 'other host'}`,
        c.createdAt ? age(c.createdAt) : '-', String(c.sessions)])]))
    }
    // Only when there are any: most projects never use per-worker roles.
    if (roles.length) {
      out.lines.push(`roles (${roles.length})`)
      out.lines.push(...table([['  name', 'clone', 'run', 'process', 'age', 'sessions'], ...roles.map((r) => [
        `  ${r.name}`, `${r.clone}${r.cloneExists ? '' : ' (gone)'}`, r.run ?? '-',
        r.pid === null ? String(r.alive) : `${r.host}:${r.pid} ${r.alive === true ? 'alive' : r.alive === false ? (r.cloneExists ? 'dead (goes with its clone)' : 'dead (sweepable)') : r.detached ? 'no owner (provision; teardown or TTL)' : 'other host'}`,
        r.createdAt ? age(r.createdAt) : '-', String(r.sessions)])]))
    }
  } finally {
    await admin.end().catch(() => {})
  }
}

/** Roles named like a clone's per-worker role (`<clone>_role_<key>`): ours when marked, untouchable otherwise. */
async function roleStatus(admin: Awaited<ReturnType<typeof connect>>, prefix: string, databases: ReadonlySet<string>) {
  const rows = (await listRoles(admin, prefix)).filter((r) => parseRoleName(prefix, r.name))
  if (!rows.length) return []
  const { rows: sessions } = await admin.query(
    'select usename, count(*)::int as n from pg_stat_activity where starts_with(usename, $1) group by usename', [`${prefix}_`])
  const count = new Map(sessions.map((r) => [r.usename as string, r.n as number]))
  return rows.map((row) => {
    const { clone, key } = parseRoleName(prefix, row.name)!
    const m = parseMarker(row.comment)
    const base = { name: row.name, clone, key, cloneExists: databases.has(clone), sessions: count.get(row.name) ?? 0 }
    return m?.kind === 'role'
      ? { ...base, run: m.run, host: m.host, pid: m.pid, alive: ownerAlive(m), detached: Boolean(m.detached), createdAt: m.createdAt }
      : { ...base, run: null, host: null, pid: null, alive: 'not workerdb\'s (no marker): never touched' as const, detached: false, createdAt: null }
  })
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

async function sweepCommand(out: Out, cwd: string, dryRun: boolean): Promise<void> {
  const { url, prefix, project, ttl, keepTemplates } = await adminUrl(cwd)
  const warnings: string[] = []
  // Manifests of dead runs in the temp dir (a killed run, Jest 29's bail) name what those runs were creating.
  const dead = deadManifests({ ttlMs: ttl })
  const dropped = await sweep(url, { prefix, project, ttlMs: ttl, dryRun, keepTemplates, orphans: dead.flatMap((d) => d.creating), warn: (l) => warnings.push(l) })
  const manifests = dryRun ? [] : removeManifests(dead)
  const databases = dropped.filter((d) => d.kind !== 'role')
  const roles = dropped.filter((d) => d.kind === 'role')
  out.data = { dryRun, databases, roles, manifests, warnings }
  const verb = dryRun ? 'would drop' : 'dropped'
  const counts = [databases.length ? plural(databases.length, 'database') : '', roles.length ? plural(roles.length, 'role') : ''].filter(Boolean).join(' and ')
  out.lines.push(dropped.length ? `${verb} ${counts}:` : 'nothing to sweep')
  // Databases first: a role goes only after its clone.
  for (const d of [...databases, ...roles]) out.lines.push(`  ${d.name}  (${d.reason})`)
  if (manifests.length) out.lines.push(`removed ${plural(manifests.length, 'manifest')} of dead runs`)
  for (const w of warnings) out.lines.push(`note: ${w}`)
}

interface Check {
  check: string
  ok: boolean | 'warn'
  detail: string
  fix?: string
}

const VITEST_CONFIGS = ['vitest.config', 'vite.config', 'vitest.workspace'].flatMap((base) => ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'].map((ext) => base + ext))

/** Pure: does this config text call workerDb with options (`workerDb({ … })`, or any argument)? */
export function passesInlineOptions(text: string): boolean {
  return /\bworkerDb\(\s*[^)\s]/.test(text)
}

/** The Vitest config in `cwd` that passes options inline to the plugin, if any. */
function inlineOptionsFile(cwd: string): string | undefined {
  for (const name of VITEST_CONFIGS) {
    const file = join(cwd, name)
    if (existsSync(file) && passesInlineOptions(readFileSync(file, 'utf8'))) return name
  }
  return undefined
}

async function doctor(out: Out, cwd: string): Promise<boolean> {
  const checks: Check[] = []
  const add = (c: Check) => checks.push(c)
  let config
  try {
    config = await resolveConfig({}, cwd)
    const checked = config.file ?? 'no workerdb.config.* found (defaults: embedded server, empty template)'
    const inline = inlineOptionsFile(cwd)
    add(inline
      ? { check: 'config', ok: 'warn', detail: `${checked}; ${inline} also passes options to workerDb({ … }), which doctor cannot see (it does not run your Vitest config): the checks below do not include them`, fix: 'Move the options into workerdb.config.ts (the plugin reads it too) to have doctor check what your runs use.' }
      : { check: 'config', ok: true, detail: checked })
  } catch (err) {
    add({ check: 'config', ok: false, detail: (err as Error).message, fix: isWorkerDbError(err) ? err.hint : undefined })
  }
  if (config) {
    const choice = chooseServer(config.server, process.env, localProbe([cwd, ...(config.file ? [dirname(config.file)] : [])]))
    if (choice.runtime) add(runtimeCheck(choice))
    if (choice.kind === 'testcontainers') {
      add(testcontainersCheck(choice, config.server))
    } else if (choice.kind === 'embedded') {
      try {
        const b = findEmbeddedBinaries()
        add({ check: 'server', ok: true, detail: `embedded PostgreSQL ${b.version} (${choice.source})` })
      } catch (err) {
        add({ check: 'server', ok: false, detail: (err as Error).message, fix: isWorkerDbError(err) ? err.hint : undefined })
      }
    } else {
      try {
        const admin = await connect(choice.url!, choice.source)
        try {
          const info = await serverInfo(admin)
          add({ check: 'server', ok: true, detail: `${redactUrl(choice.url!)} (from ${choice.source}): PostgreSQL ${info.major}` })
          add(info.canCreateDb
            ? { check: 'privileges', ok: true, detail: `role ${info.user} can create databases` }
            : { check: 'privileges', ok: false, detail: `role ${info.user} lacks CREATEDB`, fix: `ALTER ROLE "${info.user}" CREATEDB;` })
          if (config.roles.length) add(await rolesCheck(admin, info, config.roles))
          const workers = availableParallelism()
          add(info.maxConnections >= workers * 4 + 10
            ? { check: 'max_connections', ok: true, detail: `${info.maxConnections} (≥ 4 per worker on ${workers} cores)` }
            : { check: 'max_connections', ok: 'warn', detail: `${info.maxConnections} for ${workers} cores: tests with connection pools may hit "too many clients"`, fix: 'Raise max_connections or lower maxWorkers / pool sizes.' })
          add({ check: 'clone strategy', ok: true, detail: info.major < 15 ? 'server default (PostgreSQL < 15 has one strategy)' : info.fsync ? 'WAL_LOG for small templates, FILE_COPY above 64 MB (fsync on)' : 'FILE_COPY (fsync off)' })
          add(info.fsync
            ? { check: 'durability', ok: 'warn', detail: 'fsync is on: every migration and every clone waits for the disk (docs/performance.md, the "durability" row, shows what that costs)', fix: DURABILITY_FIX }
            : { check: 'durability', ok: true, detail: 'fsync off: copies do not wait for the disk' })
        } finally {
          await admin.end().catch(() => {})
        }
      } catch (err) {
        add({ check: 'server', ok: false, detail: (err as Error).message.split('\n')[0], fix: isWorkerDbError(err) ? err.hint : undefined })
      }
    }
  }
  const require = createRequire(`${cwd}/`)
  for (const fw of ['vitest', 'jest']) {
    try {
      const v = require(`${fw}/package.json`).version as string
      // Vitest: @workerdb/vitest's peerDependencies (^3.2.0 || ^4.1.0 || ^5.1.0), the lines its e2e runs.
      const supported = fw === 'vitest' ? /^(3\.([2-9]|\d\d)|4\.([1-9]|\d\d)|5\.([1-9]|\d\d))\./.test(v) : /^(29\.7|30\.)/.test(v)
      add({ check: fw, ok: supported ? true : 'warn', detail: `${v}${supported ? '' : ' (outside the tested range)'}`, fix: supported ? undefined : fw === 'vitest' ? 'workerdb is tested with Vitest 3.2, 4.1 and 5.1 (peerDependencies: ^3.2.0 || ^4.1.0 || ^5.1.0).' : 'workerdb is tested with Jest 29.7 and 30.x.' })
    } catch {
      // Not installed here: nothing to say.
    }
  }
  out.data = { ok: checks.every((c) => c.ok !== false), checks }
  for (const c of checks) {
    out.lines.push(`${c.ok === true ? '✓' : c.ok === 'warn' ? '!' : '✗'} ${c.check}: ${c.detail}`)
    if (c.fix && c.ok !== true) out.lines.push(`    → ${c.fix}`)
  }
  return checks.every((c) => c.ok !== false)
}

/** `roles`: what a run would check before building anything (roles.ts), as a check instead of an error. */
async function rolesCheck(admin: Awaited<ReturnType<typeof connect>>, info: Awaited<ReturnType<typeof serverInfo>>, specs: RoleSpec[]): Promise<Check> {
  try {
    await checkRoles(admin, info, specs)
    return { check: 'roles', ok: true, detail: `role ${info.user} can create the per-worker roles (${specs.map((s) => s.key).join(', ')})${specs.some((s) => s.memberOf.length) ? ', and every memberOf role exists' : ''}` }
  } catch (err) {
    return { check: 'roles', ok: false, detail: isWorkerDbError(err) ? err.detail : String(err), fix: isWorkerDbError(err) ? err.hint : undefined }
  }
}

/** Only looks for a runtime (sockets, env): doctor never starts a container. */
function runtimeCheck(choice: ServerChoice): Check {
  const r = choice.runtime!
  if (r.found) return { check: 'container runtime', ok: true, detail: `${r.via} (found, not contacted)` }
  const checked = `checked ${r.checked.join(', ')}`
  return choice.kind === 'testcontainers'
    ? { check: 'container runtime', ok: false, detail: `none found (${checked})`, fix: NO_RUNTIME_HINT }
    : { check: 'container runtime', ok: true, detail: `none found (no DOCKER_HOST, no Docker or Podman socket), so 'auto' uses the embedded server` }
}

function testcontainersCheck(choice: ServerChoice, server: unknown): Check {
  const tc = choice.testcontainers
  if (!tc) return { check: 'server', ok: false, detail: `testcontainers (${choice.source}), but ${TESTCONTAINERS_PACKAGE} is not installed`, fix: `${installHint()}, or remove \`server\` to use the embedded server.` }
  if (!testcontainersUsable(tc.version)) {
    return { check: 'server', ok: false, detail: `${TESTCONTAINERS_PACKAGE}@${tc.version} needs Node >= 22.22 (this is Node ${process.versions.node})`, fix: `npm i -D ${TESTCONTAINERS_PACKAGE}@11, or run on Node 22.22+.` }
  }
  const opts = (server as { testcontainers?: { image?: string } | true }).testcontainers
  const image = (typeof opts === 'object' && opts.image) || DEFAULT_TESTCONTAINERS_IMAGE
  return { check: 'server', ok: choice.runtime?.found ? true : false, detail: `testcontainers ${image} with ${TESTCONTAINERS_PACKAGE}@${tc.version} (${choice.source})` }
}

// Run when executed as the bin (not when imported by tests).
const invokedAs = process.argv[1] ?? ''
if (/cli\.(c?js|ts)$/.test(invokedAs) || /[\\/]workerdb$/.test(invokedAs)) {
  main(process.argv.slice(2)).then(
    ({ code, text }) => { if (text) process.stdout.write(text + '\n'); process.exitCode = code },
    (err) => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exitCode = 1 },
  )
}
