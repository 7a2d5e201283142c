/**
 * Where a package the user installed lives: the package.json in the nearest node_modules at or above a
 * directory, found by walking up as Node does. Walked by hand rather than with require.resolve, which
 * also honours NODE_PATH (pnpm's bin shims point it at every package in the store) and, through jiti,
 * falls back to workerdb's own location: a copy that happens to sit beside workerdb must not stand in
 * for the version the project pinned, or forgot to install.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export function installedPackageJson(pkg: string, from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', ...pkg.split('/'), 'package.json')
    if (existsSync(file)) return file
    if (dirname(dir) === dir) return undefined
  }
}
