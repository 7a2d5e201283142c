#!/usr/bin/env node
/**
 * `npm run demo`: on a machine with only Node and npm, install what is needed, start workerdb's embedded
 * PostgreSQL, and run examples/vitest-basic with one cloned database per worker, twice — the second run
 * reuses the template — then print what happened.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bootstrap } from './bootstrap.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const example = join(root, 'examples', 'vitest-basic')
bootstrap()

const scratch = mkdtempSync(join(tmpdir(), 'workerdb-demo-'))
// The embedded server runs as an unprivileged user when we are root: it must be able to enter this dir.
chmodSync(scratch, 0o755)
// One embedded data dir for both runs, so the second finds the template the first built.
const dataDir = join(scratch, 'pgdata')

function runOnce(label) {
  const summaryFile = join(scratch, `${label}.json`)
  const reportFile = join(scratch, `${label}-report.json`)
  process.stderr.write(`\n── ${label} run ─────────────────────────────────────────────\n`)
  const started = Date.now()
  const env = { ...process.env, WORKERDB_SUMMARY_FILE: summaryFile, WORKERDB_EMBEDDED_DATA_DIR: dataDir }
  // The demo is about the zero-config path: an URL in the environment would send it elsewhere.
  delete env.WORKERDB_URL
  const r = spawnSync(process.execPath, [join(example, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`], {
    cwd: example, env, stdio: 'inherit',
  })
  const wallMs = Date.now() - started
  if (r.status !== 0) {
    process.stderr.write(`\nThe demo's tests failed (exit ${r.status ?? r.signal}); the output above says why.\n`)
    rmSync(scratch, { recursive: true, force: true })
    process.exit(r.status ?? 1)
  }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'))
  const report = JSON.parse(readFileSync(reportFile, 'utf8'))
  const testMs = report.testResults.reduce((n, f) => n + (f.endTime - f.startTime), 0)
  return { summary, report, wallMs, testMs }
}

const runs = [runOnce('first'), runOnce('second')]
rmSync(scratch, { recursive: true, force: true })

const rows = [
  ['', 'first run', 'second run'],
  ['test files / tests', ...runs.map((r) => `${r.report.testResults.length} / ${r.report.numPassedTests} passed`)],
  ['workers planned', ...runs.map((r) => `${r.summary.plan.count} (${r.summary.plan.reason.split(', ').slice(2).join(', ')})`)],
  ['clones made / dropped', ...runs.map((r) => `${r.summary.clones} / ${r.summary.dropped ?? '?'}`)],
  ['template', ...runs.map((r) => (r.summary.template.reused ? 'reused (0 migrations)' : `built (${r.summary.template.migrationsRun} migrations, ${Math.round(r.summary.template.ms)} ms)`))],
  ['server start', ...runs.map((r) => `${Math.round(r.summary.serverMs)} ms`)],
  ['cloning', ...runs.map((r) => `${Math.round(r.summary.clonesMs)} ms (${r.summary.strategy})`)],
  ['test time, summed over files', ...runs.map((r) => `${(r.testMs / 1000).toFixed(2)} s`)],
  ['wall time, whole run', ...runs.map((r) => `${(r.wallMs / 1000).toFixed(2)} s`)],
]
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
process.stdout.write(`\nworkerdb demo · ${runs[0].summary.server}\n`)
for (const [i, row] of rows.entries()) {
  process.stdout.write(row.map((cell, j) => cell.padEnd(widths[j])).join('  │  ') + '\n')
  if (i === 0) process.stdout.write(widths.map((w) => '─'.repeat(w)).join('──┼──') + '\n')
}
// What the runs recorded, not what they should have done.
const made = runs.reduce((n, r) => n + r.summary.clones, 0)
const dropped = runs.reduce((n, r) => n + (r.summary.dropped ?? 0), 0)
process.stdout.write('\nEach worker ran against its own clone of the migrated template (the example\'s tests check it).\n')
if (dropped === made) {
  process.stdout.write(`The runs recorded ${dropped} of ${made} clones dropped at the end.\n`)
} else {
  process.stdout.write(`The runs recorded only ${dropped} of ${made} clones dropped at the end (see "clones made / dropped" above).\n`)
  process.exitCode = 1
}
