#!/usr/bin/env node
/**
 * The record `pnpm stress` (scripts/stress.mjs) leaves of its last run, and the README text rendered from
 * it, between `<!-- stress:start -->` and `<!-- stress:end -->`: the README states what a recorded run
 * found, never a number typed by hand.
 *
 *   node scripts/stress-record.mjs [--record scripts/stress-results.json] [--readme docs/fidelity.md] [--check]
 *
 * Renders the record into the README (stress.mjs does this itself after writing the committed record);
 * --check: exit 1 if the README's section is not what the record renders to.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { option, readmeSection } from './readme-section.mjs'


const root = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The committed record; WORKERDB_STRESS_RECORD or --record puts a run's record elsewhere (the e2e test does). */
export const DEFAULT_RECORD = join(root, 'scripts', 'stress-results.json')
const section = readmeSection('stress')
export const { START, END } = section

/** What the machine was doing: CPUs and the load averages (1, 5, 15 min) at this moment. */
export function machineNow() {
  return { cpus: cpus().length, load: loadavg().map((l) => Math.round(l * 100) / 100) }
}

/**
 * Pure: a finished stress run → its record.
 * @param {{ startedAt: Date, finishedAt: Date, git: { commit: string, dirty: boolean }, runsPerRow: number,
 *   rows: Array<{ name: string, framework: string, version: string, label: string, runs: number, failed: number, ids: string, msPerRun: number }>,
 *   aborted?: string, machine: { cpus: number, node: string, platform: string, server: string, loadAtStart: number[], loadAtEnd: number[] } }} o
 */
export function makeRecord(o) {
  const runs = o.rows.reduce((n, r) => n + r.runs, 0)
  const failed = o.rows.reduce((n, r) => n + r.failed, 0)
  return {
    about: 'Written by `pnpm stress` (scripts/stress.mjs) at the end of each run; docs/fidelity.md quotes it (scripts/stress-record.mjs). Do not edit by hand.',
    commit: o.git.commit,
    dirty: o.git.dirty,
    startedAt: o.startedAt.toISOString(),
    finishedAt: o.finishedAt.toISOString(),
    durationMs: o.finishedAt.getTime() - o.startedAt.getTime(),
    runsPerRow: o.runsPerRow,
    rowCount: o.rows.length,
    runs,
    failed,
    ...(o.aborted ? { aborted: o.aborted } : {}),
    machine: o.machine,
    rows: o.rows,
  }
}

const fmtDuration = (ms) => {
  const s = Math.round(ms / 1000)
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`
}
const thousands = (n) => n.toLocaleString('en-US')

/** Pure: the record → the markdown between the markers. */
export function renderStress(record) {
  const lines = ['_Generated from `scripts/stress-results.json`, the record `pnpm stress` writes at the end of a run. Do not edit by hand._', '']
  if (!record) {
    lines.push('_No recorded stress run yet: run `pnpm stress`._')
    return lines.join('\n')
  }
  const m = record.machine
  const verdict = record.aborted ? `**aborted** (${record.aborted})` : `**${thousands(record.failed)} failed**`
  lines.push(
    `Last recorded run: ${record.rowCount} row${record.rowCount === 1 ? '' : 's'} × ${thousands(record.runsPerRow)} run${record.runsPerRow === 1 ? '' : 's'} = ` +
    `${thousands(record.runs)} runs, ${verdict} — on commit \`${record.commit.slice(0, 12)}\`${record.dirty ? ' with uncommitted changes' : ''}, ` +
    `${record.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${fmtDuration(record.durationMs)}; ${m.cpus} CPUs, load ${m.loadAtStart[0]} at the start and ` +
    `${m.loadAtEnd[0]} at the end (1-minute average), Node ${m.node}, ${m.server}. A run passes when every file ran on the clone of its ` +
    'own worker id and never shared a database with another file at once, nothing was left running, no clone was left on the server, and ' +
    'the template was reused after the first run (Jest rows: also the planned clone count, and worker processes, never in band; Playwright rows, ' +
    'counted per test: every test on the clone of its parallelIndex + 1, and in the restart row only the failing test failed and its replacement got the same clone, emptied).',
    '',
    '| row | version | runs | failed | worker ids used (id×files) | ms/run |',
    '|---|---|---|---|---|---|',
    ...record.rows.map((r) => `| ${r.name} | ${r.version} | ${r.runs} | ${r.failed} | ${r.ids || '-'} | ${r.msPerRun} |`),
  )
  return lines.join('\n')
}

export function readRecord(file = DEFAULT_RECORD) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined
}

export function writeRecord(file, record) {
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`)
}

/** Pure: README text with the section between the markers replaced. */
export const replaceStressSection = (readme, body) => section.replace(readme, body)

/** Renders the record into the README; returns whether the README changed. */
export function renderIntoReadme(recordFile = DEFAULT_RECORD, readmePath = join(root, 'docs', 'fidelity.md')) {
  return section.write(readmePath, renderStress(readRecord(recordFile)))
}

function main(argv) {
  const recordFile = option(argv, '--record', DEFAULT_RECORD)
  const readmePath = option(argv, '--readme', join(root, 'docs', 'fidelity.md'))
  const where = relative(process.cwd(), readmePath) || readmePath
  if (argv.includes('--check')) {
    if (!section.isCurrent(readmePath, renderStress(readRecord(recordFile)))) {
      process.stderr.write(`stress: ${where} does not quote ${relative(process.cwd(), recordFile)}: run node scripts/stress-record.mjs\n`)
      process.exit(1)
    }
    return
  }
  const changed = renderIntoReadme(recordFile, readmePath)
  process.stdout.write(`stress: ${relative(process.cwd(), recordFile)} → ${where}${changed ? '' : ' (unchanged)'}\n`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`stress: ${err.message}\n`)
    process.exit(1)
  }
}
