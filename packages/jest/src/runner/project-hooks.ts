/**
 * The project's own globalSetup, globalTeardown and testSequencer, when addWorkerDb put workerdb's in their
 * place (add-workerdb.ts names them in env vars): loaded the way Jest loads its own — through the project's
 * transform (TypeScript, ESM) — and run from workerdb's, after provisioning and before dropping.
 */
import { createRequire } from 'node:module'
import { isAbsolute, join } from 'node:path'
import { jestModules } from './jest-modules.js'

interface ScriptTransformer {
  requireAndTranspileModule<T>(path: string, callback: (module: T) => void | Promise<void>): Promise<T>
}
type CreateScriptTransformer = (config: unknown) => Promise<ScriptTransformer>

/** A path addWorkerDb made absolute, or a package name, resolved where the project is. */
function resolveFrom(rootDir: string, path: string): string {
  return isAbsolute(path) ? path : createRequire(join(rootDir, 'package.json')).resolve(path)
}

/** Whether addWorkerDb named a project globalSetup or globalTeardown in `envName`. */
export function hasProjectHook(envName: string): boolean {
  return Boolean(process.env[envName])
}

/** Runs the project's globalSetup or globalTeardown named in `envName`, if any, as Jest would. */
export async function runProjectHook(envName: string, globalConfig: { rootDir: string }, projectConfig: unknown): Promise<void> {
  if (!hasProjectHook(envName)) return
  const path = resolveFrom(globalConfig.rootDir, process.env[envName]!)
  const { createScriptTransformer } = jestModules().load<{ createScriptTransformer: CreateScriptTransformer }>('@jest/transform')
  const transformer = await createScriptTransformer(projectConfig ?? { rootDir: globalConfig.rootDir })
  await transformer.requireAndTranspileModule<unknown>(path, async (hook) => {
    const fn = typeof hook === 'function' ? hook : (hook as { default?: unknown })?.default
    if (typeof fn !== 'function') throw new TypeError(`${path} must export a function (it is the project's ${envName.endsWith('TEARDOWN') ? 'globalTeardown' : 'globalSetup'})`)
    await fn(globalConfig, projectConfig)
  })
}

/** The project's own sequencer class named in `envName`, if any (plain CommonJS or ESM-interop, as Jest requires it). */
export function projectSequencer<T>(envName: string): T | undefined {
  const named = process.env[envName]
  if (!named) return undefined
  const mod = createRequire(join(process.cwd(), 'package.json'))(resolveFrom(process.cwd(), named)) as { default?: T } & T
  return mod.default ?? mod
}
