/** `workerdb doctor`: the config, the server, privileges, roles and limits checked, each with what to fix. */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { DURABILITY_FIX } from '../catalog/postgres/strategy.js'
import { resolveConfig } from '../config/resolve.js'
import { dialectFor } from '../catalog/dialects.js'
import { PostgresSession } from '../catalog/postgres/index.js'
import { isWorkerDbError } from '../errors.js'
import type { AdminSession, RoleSpec, ServerFacts } from '../catalog/dialect.js'
import { cloneName, newRunId } from '../catalog/names.js'
import { findEmbeddedBinaries } from '../server/embedded/binaries.js'
import { chooseServer, localProbe, type ServerChoice } from '../server/index.js'
import { defaultImage, noRuntimeHint } from '../server/testcontainers.js'
import { CONTAINER_MODULES, installHint, testcontainersUsable, type ContainerKind } from '../server/testcontainers/package.js'
import { redactUrl } from '../url.js'
import type { CommandOutput } from './output.js'

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

export async function doctor(out: CommandOutput, cwd: string): Promise<boolean> {
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
    const choice = chooseServer(config.server, process.env, localProbe([cwd, ...(config.file ? [dirname(config.file)] : [])]), { dialect: config.dialect, dir: config.file ? dirname(config.file) : cwd })
    const kind = choice.container ?? 'postgres'
    if (choice.runtime) add(runtimeCheck(choice, kind))
    if (choice.kind === 'testcontainers') {
      add(testcontainersCheck(choice, config.server, kind))
    } else if (choice.kind === 'embedded') {
      try {
        const b = findEmbeddedBinaries()
        add({ check: 'server', ok: true, detail: `embedded PostgreSQL ${b.version} (${choice.source})` })
      } catch (err) {
        add({ check: 'server', ok: false, detail: (err as Error).message, fix: isWorkerDbError(err) ? err.hint : undefined })
      }
    } else {
      try {
        const dialect = dialectFor(choice.url!)
        const admin = await dialect.connect(choice.url!, choice.source)
        try {
          const facts = await admin.facts()
          add({ check: 'server', ok: true, detail: `${redactUrl(choice.url!)} (from ${choice.source}): ${facts.product}` })
          add(facts.canCreate
            ? { check: 'privileges', ok: true, detail: `${facts.user} can create databases` }
            : { check: 'privileges', ok: false, detail: `${facts.user} cannot create databases`, fix: dialect.grantCreate(facts.user) })
          const workers = availableParallelism()
          const max = facts.connections?.max
          if (max !== undefined) {
            add(max >= workers * 4 + 10
              ? { check: 'max_connections', ok: true, detail: `${max} (≥ 4 per worker on ${workers} cores)` }
              : { check: 'max_connections', ok: 'warn', detail: `${max} for ${workers} cores: tests with connection pools may hit "too many clients"`, fix: 'Raise max_connections or lower maxWorkers / pool sizes.' })
          }
          if (config.roles.length) add(await rolesCheck(admin, facts, config.roles, config.prefix))
          if (admin instanceof PostgresSession) {
            const info = await admin.serverInfo()
            add({ check: 'clone strategy', ok: true, detail: info.major < 15 ? 'server default (PostgreSQL < 15 has one strategy)' : info.fsync ? 'WAL_LOG for small templates, FILE_COPY above 64 MB (fsync on)' : 'FILE_COPY (fsync off)' })
            add(info.fsync
              ? { check: 'durability', ok: 'warn', detail: 'fsync is on: every migration and every clone waits for the disk (docs/performance.md, the "durability" row, shows what that costs)', fix: DURABILITY_FIX }
              : { check: 'durability', ok: true, detail: 'fsync off: copies do not wait for the disk' })
          }
        } finally {
          await admin.close()
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

/** `roles`: what a run would check before building anything (RoleSupport.check), as a check instead of an error. */
async function rolesCheck(admin: AdminSession, facts: ServerFacts, specs: RoleSpec[], prefix: string): Promise<Check> {
  if (!admin.roles) return { check: 'roles', ok: false, detail: `${facts.product} has no users, so no per-worker roles`, fix: 'Remove `roles` from the workerdb config for this database kind.' }
  try {
    // A run's longest clone name on this machine: its id is 8 characters, a worker per core.
    await admin.roles.check(specs, { longestClone: cloneName(prefix, newRunId(), availableParallelism()) })
    return { check: 'roles', ok: true, detail: `${facts.user} can create the per-worker roles (${specs.map((s) => s.key).join(', ')})${specs.some((s) => s.memberOf.length) ? ', and every memberOf role exists' : ''}` }
  } catch (err) {
    return { check: 'roles', ok: false, detail: isWorkerDbError(err) ? err.detail : String(err), fix: isWorkerDbError(err) ? err.hint : undefined }
  }
}

/** Only looks for a runtime (sockets, env): doctor never starts a container. */
function runtimeCheck(choice: ServerChoice, kind: ContainerKind): Check {
  const r = choice.runtime!
  if (r.found) return { check: 'container runtime', ok: true, detail: `${r.via} (found, not contacted)` }
  const checked = `checked ${r.checked.join(', ')}`
  return choice.kind === 'testcontainers'
    ? { check: 'container runtime', ok: false, detail: `none found (${checked})`, fix: noRuntimeHint(kind) }
    : { check: 'container runtime', ok: true, detail: `none found (no DOCKER_HOST, no Docker or Podman socket), so 'auto' uses the embedded server` }
}

function testcontainersCheck(choice: ServerChoice, server: unknown, kind: ContainerKind): Check {
  const tc = choice.testcontainers
  const { name, otherwise } = CONTAINER_MODULES[kind]
  if (!tc) return { check: 'server', ok: false, detail: `testcontainers (${choice.source}), but ${name} is not installed`, fix: `${installHint(undefined, name)}, ${otherwise}.` }
  if (!testcontainersUsable(tc.version)) {
    return { check: 'server', ok: false, detail: `${name}@${tc.version} needs Node >= 22.22 (this is Node ${process.versions.node})`, fix: `npm i -D ${name}@11, or run on Node 22.22+.` }
  }
  const opts = (server as { testcontainers?: { image?: string } | true }).testcontainers
  const image = (typeof opts === 'object' && opts.image) || defaultImage(kind)
  return { check: 'server', ok: choice.runtime?.found ? true : false, detail: `testcontainers ${image} with ${name}@${tc.version} (${choice.source})` }
}
