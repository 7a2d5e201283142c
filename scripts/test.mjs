#!/usr/bin/env node
/**
 * `npm test`: bootstrap, the type check (packages, their tests, e2e), then every suite (unit and e2e) in
 * one Vitest run, ending with the one plain line CI reads: `N passed, N failed[, N skipped]`. The type
 * check counts as one test. Extra arguments go to Vitest (e.g. `npm test -- --project unit`).
 *
 * `--full` (`npm run test:full`): every e2e scenario on every framework major, seed loops three times
 * (E2E_FULL, e2e/support/tier.ts); without it, what CI runs. The fidelity matrix in docs/fidelity.md is
 * rendered from a run without it only, since that is the run CI checks it against.
 *
 * Skips: a test that cannot run for want of something on this machine says which (test-support/
 * skips.mjs); they are named above the last line. Under CI (CI=true) every skip counts as failed unless
 * WORKERDB_TEST_MAY_LACK (comma-separated) declares its capability absent on CI's machine kind.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NODE22_ENV, resolveNode22 } from '../test-support/node22.mjs'
import { explainSkips, readSkipRecords, SKIPS_ENV } from '../test-support/skips.mjs'
import { bootstrap } from './bootstrap.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const unitOnly = args.includes('--unit')
const full = args.includes('--full')
const ci = Boolean(process.env.CI) && process.env.CI !== 'false'
const vitestArgs = args.filter((a) => a !== '--unit' && a !== '--full')
if (unitOnly) vitestArgs.push('--project', 'unit')

bootstrap()

const out = join(root, '.test-results')
mkdirSync(out, { recursive: true })
const report = join(out, 'vitest.json')
const skipsFile = join(out, 'skips.jsonl')
rmSync(report, { force: true })
rmSync(skipsFile, { force: true })

// Node 22 for the e2e runs that need it, fetched beside the type check; a failure here is reported, and the
// tests that need it then fail with the same error.
const node22 = unitOnly ? Promise.resolve(undefined) : resolveNode22().catch((err) => {
  process.stdout.write(`node 22: ${err.message}\n`)
  return undefined
})

const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' })
const typecheckOk = tsc.status === 0
process.stdout.write(typecheckOk ? 'typecheck: passed\n' : `typecheck: FAILED (tsc exit ${tsc.status ?? tsc.signal})\n`)

const node22Binary = await node22
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const child = spawn(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, [SKIPS_ENV]: skipsFile, ...(node22Binary ? { [NODE22_ENV]: node22Binary } : {}), ...(full ? { E2E_FULL: '1' } : {}) },
  // Own process group, so an interrupted `npm test` can take every worker and child run down with it.
  detached: true,
})
const forward = (sig) => {
  try { process.kill(-child.pid, sig) } catch {}
}
process.on('SIGINT', () => forward('SIGINT'))
process.on('SIGTERM', () => forward('SIGTERM'))

child.on('exit', (code, signal) => {
  // The fidelity matrix in docs/fidelity.md, from what the e2e runs just recorded (never changes the exit code).
  if (full) process.stdout.write('matrix: a full run; docs/fidelity.md is rendered from `npm test` runs only\n')
  else spawnSync(process.execPath, [join(root, 'scripts', 'matrix.mjs')], { cwd: root, stdio: 'inherit' })
  // CI: the matrix committed in docs/fidelity.md (HEAD's, not the one just rendered) must have the rows this run produced.
  const matrixStale = ci && !unitOnly && !full &&
    spawnSync(process.execPath, [join(root, 'scripts', 'matrix.mjs'), '--check', '--ref', 'HEAD'], { cwd: root, stdio: 'inherit' }).status !== 0
  let passed = 0
  let failed = 0
  let skipped = 0
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'))
    passed = r.numPassedTests
    failed = r.numFailedTests
    // A file that failed to load has no tests to count: count it, so a broken file cannot look green.
    failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length
    const records = readSkipRecords(skipsFile)
    const mayLack = (process.env.WORKERDB_TEST_MAY_LACK ?? '').split(',').map((s) => s.trim()).filter(Boolean)
    const skips = explainSkips(r.testResults, records, mayLack)
    for (const s of skips) {
      const why = s.capabilities.length ? `lacks ${s.capabilities.join(', ')}` : 'no reason recorded'
      const verdict = ci && !s.accepted ? ' — counted as failed: CI runs on a machine that should have it' : ''
      process.stdout.write(`skipped: ${s.test} (${s.file.slice(root.length + 1)}: ${why})${verdict}\n`)
    }
    const refused = ci ? skips.filter((s) => !s.accepted).length : 0
    failed += refused
    skipped = skips.length - refused
  } catch (err) {
    process.stdout.write(`npm test: cannot read the Vitest report (${err.message})\n`)
    failed = Math.max(failed, 1)
  }
  if (matrixStale) { failed += 1; code ||= 1 }
  if (code !== 0 && failed === 0) failed = 1
  if (typecheckOk) passed += 1
  else failed += 1
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  process.exit(failed ? 1 : (code ?? (signal ? 1 : 0)))
})
