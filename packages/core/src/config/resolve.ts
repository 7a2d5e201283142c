/** The effective config of a run: the file's options and the inline ones, validated, with every default applied. */
import { dirname, resolve } from 'node:path'
import { normalizeEnv } from '../env.js'
import { resolveMigrator } from '../migrate/registry.js'
import { DEFAULT_PREFIX, validatePrefix } from '../catalog/names.js'
import type { RoleSpec } from '../catalog/dialect.js'
import type { ResetOption } from '../isolation/reset-plan.js'
import { defaultProject, findConfigFile, findPackageDir, loadConfigFile } from './load.js'
import type { ResolvedConfig, RolesOption, WorkerDbOptions } from './options.js'
import { validateOptions, validateRoleParts } from './validate.js'

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
    ...(merged.dialect ? { dialect: merged.dialect } : {}),
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

function resolveRoles(r: RolesOption | undefined): RoleSpec[] {
  if (r === undefined) return []
  if (Array.isArray(r)) return r.map((key) => ({ key, memberOf: [] }))
  return Object.entries(r).map(([key, spec]) => ({ key, memberOf: [...(spec?.memberOf ?? [])] }))
}

function resolveReset(r: ResetOption | undefined): ResolvedConfig['reset'] {
  if (r === undefined || r === 'none') return undefined
  if (r === 'truncate') return { keep: [], per: 'file' }
  return { keep: [...(r.keep ?? [])], per: r.per ?? 'file' }
}
