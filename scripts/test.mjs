#!/usr/bin/env node
/**
 * `npm test`: bootstrap, then every suite (unit and e2e) in one Vitest run, ending with the one plain
 * line CI reads: `N passed, N failed`. Extra arguments go to Vitest (e.g. `npm test -- --project unit`).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bootstrap } from './bootstrap.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const unitOnly = args.includes('--unit')
const vitestArgs = args.filter((a) => a !== '--unit')
if (unitOnly) vitestArgs.push('--project', 'unit')

bootstrap()

const out = join(root, '.test-results')
mkdirSync(out, { recursive: true })
const report = join(out, 'vitest.json')
rmSync(report, { force: true })

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs], {
  cwd: root,
  stdio: 'inherit',
  // Own process group, so an interrupted `npm test` can take every worker and child run down with it.
  detached: true,
})
const forward = (sig) => {
  try { process.kill(-child.pid, sig) } catch {}
}
process.on('SIGINT', () => forward('SIGINT'))
process.on('SIGTERM', () => forward('SIGTERM'))

child.on('exit', (code, signal) => {
  // The fidelity matrix in README.md, from what the e2e runs just recorded (never changes the exit code).
  spawnSync(process.execPath, [join(root, 'scripts', 'matrix.mjs')], { cwd: root, stdio: 'inherit' })
  // CI: the matrix committed in README.md (HEAD's, not the one just rendered) must have the rows this run produced.
  const matrixStale = Boolean(process.env.CI) && !unitOnly &&
    spawnSync(process.execPath, [join(root, 'scripts', 'matrix.mjs'), '--check', '--ref', 'HEAD'], { cwd: root, stdio: 'inherit' }).status !== 0
  let passed = 0
  let failed = 0
  let skipped = 0
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'))
    passed = r.numPassedTests
    failed = r.numFailedTests
    skipped = r.numPendingTests + (r.numTodoTests ?? 0)
    // A file that failed to load has no tests to count: count it, so a broken file cannot look green.
    failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length
  } catch {
    failed = Math.max(failed, 1)
  }
  if (matrixStale) { failed += 1; code ||= 1 }
  if (code !== 0 && failed === 0) failed = 1
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  process.exit(code ?? (signal ? 1 : 0))
})
