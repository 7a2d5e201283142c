#!/usr/bin/env node
/**
 * Makes a fresh clone runnable with nothing but Node and npm: brings the pinned pnpm (through npm, since
 * corepack cannot always verify signatures), installs the workspace, and builds the packages whose
 * sources changed since their last build. Cheap when everything is already in place.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1]

function say(line) {
  process.stderr.write(`bootstrap · ${line}\n`)
}

/** The pinned pnpm: the global one when it matches, else run through npx (fetched once, then cached). */
export function pnpmCommand() {
  const r = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' })
  if (r.status === 0 && r.stdout.trim() === pnpmVersion) return ['pnpm']
  return ['npx', '-y', `pnpm@${pnpmVersion}`]
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', ...opts })
  if (r.status !== 0) {
    say(`failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`)
    process.exit(r.status ?? 1)
  }
}

function newestMtime(dir) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

export function bootstrap({ buildOnly = false } = {}) {
  const pnpm = pnpmCommand()
  if (!buildOnly) {
    const started = Date.now()
    run(pnpm[0], [...pnpm.slice(1), 'install', '--frozen-lockfile', '--prefer-offline', '--reporter=silent'])
    say(`dependencies ready (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  }
  // core first: the framework packages' type declarations import it.
  for (const pkg of ['core', 'vitest', 'jest', 'playwright']) {
    const dir = join(root, 'packages', pkg)
    if (!existsSync(join(dir, 'package.json'))) continue
    const dist = join(dir, 'dist')
    const stale = !existsSync(dist) || newestMtime(join(dir, 'src')) > newestMtime(dist) ||
      ['package.json', 'tsup.config.ts'].some((f) => existsSync(join(dir, f)) && statSync(join(dir, f)).mtimeMs > newestMtime(dist))
    if (stale || buildOnly) {
      say(`building @workerdb/${pkg}`)
      // tsup does not clean (so a rebuild never breaks a run in progress): start from nothing here instead.
      rmSync(dist, { recursive: true, force: true })
      run(pnpm[0], [...pnpm.slice(1), '--filter', `@workerdb/${pkg}`, 'run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bootstrap({ buildOnly: process.argv.includes('--build-only') })
}
