/**
 * Package quality, for each published package, on the tarball `pnpm pack` makes (what npm would get):
 * publint (strict: warnings fail too; suggestions do not) and Are the Types Wrong (every entry point typed
 * and of the right module kind under node10, node16 from CJS and from ESM, and bundler resolution), plus
 * the framework ranges the peerDependencies promise. Reads dist/ as built: `npm test` rebuilds stale
 * packages first; here only a missing dist/ is built (rebuilding under a concurrent run would pull files
 * from under it).
 */
import { spawnSync } from 'node:child_process'
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
// Core first: the framework packages' declarations import it.
const PACKAGES = ['core', 'vitest', 'jest', 'playwright'] as const

const PEERS: Record<string, Record<string, string>> = {
  vitest: { vitest: '^3.2.0 || ^4.1.0 || ^5.1.0' },
  jest: { jest: '>=29.7.0 <31', '@jest/reporters': '>=29.7.0 <31', '@jest/test-sequencer': '>=29.7.0 <31' },
  playwright: { '@playwright/test': '>=1.49.0 <2' },
}

/** The pinned pnpm (package.json#packageManager), as scripts/bootstrap.mjs picks it. */
function pnpm(): string[] {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1]
  const shell = process.platform === 'win32'
  const r = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell })
  return r.status === 0 && r.stdout.trim() === pinned ? ['pnpm'] : ['npx', '-y', `pnpm@${pinned}`]
}

function run(cmd: string[], cwd: string, stdout: 'pipe' | number = 'pipe') {
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd, encoding: 'utf8', stdio: ['ignore', stdout, 'pipe'], shell: process.platform === 'win32', timeout: 120_000,
  })
  if (r.error) throw r.error
  return r
}

let packDir: string
const tarballs: Record<string, string> = {}

beforeAll(() => {
  const pm = pnpm()
  for (const pkg of PACKAGES) {
    const dir = join(root, 'packages', pkg)
    if (!existsSync(join(dir, 'dist'))) {
      const r = run([...pm, 'run', 'build'], dir)
      if (r.status !== 0) throw new Error(`building @workerdb/${pkg} failed:\n${r.stderr}`)
    }
  }
  packDir = mkdtempSync(join(tmpdir(), 'workerdb-pack-'))
  for (const pkg of PACKAGES) {
    const dest = join(packDir, pkg)
    const r = run([...pm, 'pack', '--pack-destination', dest], join(root, 'packages', pkg))
    if (r.status !== 0) throw new Error(`pnpm pack of @workerdb/${pkg} failed:\n${r.stderr}`)
    const [tgz] = readdirSync(dest).filter((f) => f.endsWith('.tgz'))
    tarballs[pkg] = join(dest, tgz)
  }
}, 180_000)

afterAll(() => {
  if (packDir) rmSync(packDir, { recursive: true, force: true })
})

describe.each(PACKAGES)('@workerdb/%s', (pkg) => {
  const pkgDir = join(root, 'packages', pkg)

  it('passes publint (strict)', async () => {
    // The tarball packed above (what npm would get), not `pack: 'pnpm'`: publint would spawn whatever `pnpm`
    // is on PATH, and a newcomer's machine has none (npm test reaches the pinned pnpm through npx).
    const bytes = readFileSync(tarballs[pkg])
    const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    const { messages, pkg: manifest } = await publint({ strict: true, pack: { tarball } })
    const failing = messages.filter((m) => m.type !== 'suggestion')
    const lines = failing.map((m) => `${m.type}: ${formatMessage(m, manifest, { color: false })}`)
    expect(lines).toEqual([])
  }, 90_000)

  it('passes Are the Types Wrong', () => {
    // stdout into a file: attw exits right after printing, so a pipe can lose the end of a long report.
    const cli = join(root, 'node_modules', '@arethetypeswrong', 'cli')
    const bin = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')).bin.attw as string
    const out = join(packDir, `${pkg}-attw.json`)
    const fd = openSync(out, 'w')
    let r
    try {
      r = run([process.execPath, join(cli, bin), tarballs[pkg], '--format', 'json'], pkgDir, fd)
    } finally {
      closeSync(fd)
    }
    const text = readFileSync(out, 'utf8')
    let report: { problems: Record<string, unknown[]>; analysis: { problems?: unknown[]; entrypoints: Record<string, unknown> } }
    try {
      report = JSON.parse(text)
    } catch {
      throw new Error(`attw printed no JSON (exit ${r.status}):\n${text}\n${r.stderr}`)
    }
    expect(Object.keys(report.analysis.entrypoints).length).toBeGreaterThan(1)
    expect(report.analysis.problems ?? [], JSON.stringify(report.problems, null, 2)).toEqual([])
    expect(r.status, r.stderr).toBe(0)
  }, 90_000)

  it('declares the supported framework ranges as peers', () => {
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'))
    for (const [name, range] of Object.entries(PEERS[pkg] ?? {})) {
      expect(manifest.peerDependencies?.[name], name).toBe(range)
    }
  })
})

describe('@workerdb/core entry points', () => {
  // Every name the main entry exports is a promise to users: internals go through ./runner (the adapters)
  // and ./worker (test files' processes), so adding one here is a decision, not an accident.
  it('the main entry exports only what a project\'s own code uses', async () => {
    const main = await import(pathToFileURL(join(root, 'packages', 'core', 'dist', 'index.js')).href)
    expect(Object.keys(main).sort()).toEqual([
      // registerTestReset: the reset per test for runners without workerdb's setup files (node:test, scripts).
      'WorkerDbError', 'defineConfig', 'getWorkerDatabase', 'isWorkerDbError', 'registerTestReset', 'resetWorkerDatabase', 'testTransaction', 'useTransaction',
    ])
  })

  it('the runner entry has what the adapters import', async () => {
    const runner = await import(pathToFileURL(join(root, 'packages', 'core', 'dist', 'runner.js')).href)
    for (const name of ['resolveConfig', 'planVitest', 'planJest', 'planPlaywright', 'provision', 'writePendingManifest', 'createLogger']) {
      expect(typeof runner[name], name).toBe('function')
    }
  })
})

describe('@workerdb/jest preset', () => {
  // publint above checks that every export target is in the tarball; this checks what Jest itself needs.
  it('is where `preset: "@workerdb/jest"` looks, and points into the package', () => {
    const dir = join(root, 'packages', 'jest')
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    expect(manifest.exports['./jest-preset']).toMatchObject({ default: './jest-preset.js' })
    const preset = createRequire(import.meta.url)(join(dir, 'jest-preset.js'))
    for (const path of [preset.globalSetup, preset.globalTeardown, preset.testSequencer, ...preset.setupFiles, ...preset.setupFilesAfterEnv, preset.reporters[1]]) {
      expect(existsSync(path), path).toBe(true)
    }
  })
})

describe('@workerdb/core/worker, loaded afresh by every test file', () => {
  // Each test file's process imports it (bench: overhead per file): every extra ESM module cost ~2 ms
  // there, node:crypto ~5 ms, and pg far more.
  const file = join(root, 'packages', 'core', 'dist', 'worker.js')

  // The Vitest setup file bundles the part of it that it uses, in two halves (see its setup.ts).
  const vitestSetup = join(root, 'packages', 'vitest', 'dist', 'setup.js')
  const vitestSetupWait = join(root, 'packages', 'vitest', 'dist', 'setup-wait.js')

  it.each([file, vitestSetup, vitestSetupWait])('%s is a single file that imports only a few node builtins', (path) => {
    const imported = [...readFileSync(path, 'utf8').matchAll(/(?:\bfrom|^import)\s*"([^"]+)"/gm)].map((m) => m[1])
    expect(imported.length).toBeGreaterThan(0)
    const builtins = new Set(imported.map((s) => s.replace(/^node:/, '')))
    // url: SQLite's file: URLs (catalog/sqlite/url.ts); Node has it loaded before any user code runs.
    for (const name of builtins) expect(['fs', 'os', 'path', 'util', 'module', 'url']).toContain(name)
  })

  it('the Vitest setup file maps a ready run without loading its other half', () => {
    const lonely = mkdtempSync(join(tmpdir(), 'workerdb-setup-half-'))
    try {
      copyFileSync(vitestSetup, join(lonely, 'setup.js')) // and no setup-wait.js beside it
      writeFileSync(join(lonely, 'package.json'), '{"type":"module"}')
      const url = 'postgresql://postgres@127.0.0.1:5432/wdb_run12345_2'
      writeFileSync(join(lonely, 'manifest.json'), JSON.stringify({
        version: 1, runId: 'run12345', framework: 'vitest 4.1.12', plan: { count: 2, reason: 'test' }, server: 's', env: { DATABASE_URL: 'url' },
        workerIdVar: 'VITEST_POOL_ID', template: null, clones: [1, 2].map((slot) => ({ slot, database: `wdb_run12345_${slot}`, url: url.replace(/_2$/, `_${slot}`) })),
      }))
      const probe = `await import(${JSON.stringify(pathToFileURL(join(lonely, 'setup.js')).href)}); console.log(process.env.DATABASE_URL)`
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', cwd: lonely, env: { ...process.env, WORKERDB_MANIFEST: join(lonely, 'manifest.json'), VITEST_POOL_ID: '2' } })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout.trim()).toBe(url)
    } finally {
      rmSync(lonely, { recursive: true, force: true })
    }
  })

  it('loads neither node:crypto nor pg when imported', () => {
    const probe = `await import(${JSON.stringify(pathToFileURL(file).href)})
const req = (await import('node:module')).createRequire(import.meta.url)
console.log(JSON.stringify({ crypto: process.moduleLoadList.includes('NativeModule crypto'), pg: Object.keys(req.cache).some((k) => /[\\\\/]pg[\\\\/]/.test(k)) }))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', cwd: dirname(file) })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ crypto: false, pg: false })
  })
})

describe('the plugin and pg', () => {
  it('loads pg without Node loading its fetch implementation, and leaves no navigator global behind', () => {
    // pg's Cloudflare probe built a Response where there is no navigator (Node 20): ~20 ms of undici.
    const core = join(root, 'packages', 'core', 'dist', 'runner.js')
    const probe = `const hadNavigator = 'navigator' in globalThis
const { loadDriver } = await import(${JSON.stringify(pathToFileURL(core).href)})
const pg = await loadDriver()
console.log(JSON.stringify({
  client: typeof pg.Client, undici: process.moduleLoadList.some((m) => m.includes('undici')),
  navigator: 'navigator' in globalThis === hadNavigator,
}))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', cwd: dirname(core) })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ client: 'function', undici: false, navigator: true })
  })

  // Importing the plugin (any tool that reads vitest.config) costs no driver; a Vitest run starts loading it
  // at once, before its workers boot and would share the cores with it.
  it('imports without pg, and starts loading it when Vitest configures the run', () => {
    const plugin = join(root, 'packages', 'vitest', 'dist', 'index.js')
    const probe = `const { createRequire } = await import('node:module')
const req = createRequire(import.meta.url)
const loaded = () => Object.keys(req.cache).some((k) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(k))
const { workerDb } = await import(${JSON.stringify(pathToFileURL(plugin).href)})
const onImport = loaded()
const project = { config: { setupFiles: [] } }
workerDb().configureVitest({ vitest: { config: { root: process.cwd(), reporters: [] } }, project })
for (let i = 0; i < 200 && !loaded(); i++) await new Promise((r) => setTimeout(r, 10))
console.log(JSON.stringify({ onImport, afterConfigure: loaded() }))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', cwd: dirname(plugin) })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ onImport: false, afterConfigure: true })
  })
})
