/**
 * Skips for want of something on the machine, written by the tests and read by `npm test`. A test that
 * cannot run without a capability beyond Node and a PostgreSQL server asks `lacks()`, which records the
 * skip (file and capability) in the file named by WORKERDB_TEST_SKIPS. scripts/test.mjs names every skip
 * in its summary, and under CI counts one as failed unless .ci/run declares its capability absent on CI's
 * machine kind — so a machine that could run a test never passes by skipping it.
 */
import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const SKIPS_ENV = 'WORKERDB_TEST_SKIPS'

/** @typedef {'linux' | 'script(1)' | 'trust auth' | 'container engine'} Capability */

/** @type {Record<Capability, () => boolean>} */
const DETECT = {
  linux: () => process.platform === 'linux',
  // script(1) gives `vitest watch` the pseudo-terminal it reads its keys from.
  'script(1)': () => process.platform !== 'win32' && spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0,
  // Known only by connecting: callers pass what they found.
  'trust auth': () => true,
  // A Docker engine that answers, with the PostgreSQL image the container e2e runs: callers pass what they found.
  'container engine': () => true,
}

/**
 * True when the machine lacks `capability` (detected here, or `missing` as the caller found it); then
 * the skip is recorded for `file` (the test file's `import.meta.url`).
 * @param {Capability} capability
 * @param {string} file
 * @param {boolean} [missing]
 */
export function lacks(capability, file, missing = !DETECT[capability]()) {
  const record = process.env[SKIPS_ENV]
  if (missing && record) {
    const path = file.startsWith('file:') ? fileURLToPath(file) : file
    appendFileSync(record, `${JSON.stringify({ file: path, capability })}\n`)
  }
  return missing
}

/**
 * In a test file: true when its tests that need a container are to be skipped (`missing` says why none can
 * start; undefined when one can), recorded and said; under WORKERDB_TEST_CONTAINERS=required they run, and
 * fail with the reason.
 * @param {string} file the test file's `import.meta.url`
 * @param {string | undefined} missing
 * @param {string} what the tests, as the skip line names them
 */
export function skipWithoutContainer(file, missing, what) {
  const skip = process.env.WORKERDB_TEST_CONTAINERS !== 'required' && lacks('container engine', file, missing !== undefined)
  if (skip) console.log(`${file.split('/').at(-1)}: ${what} skipped: ${missing}`)
  return skip
}

/**
 * @param {string} path
 * @returns {{ file: string, capability: string }[]}
 */
export function readSkipRecords(path) {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
}

/**
 * Pure: every skipped test of a Vitest JSON report, with the capabilities its file said it lacks, and
 * whether CI accepts it (it lacks something, and all of that is declared absent on CI's machine kind).
 * @param {{ name: string, assertionResults: { status: string, fullName: string }[] }[]} testResults
 * @param {{ file: string, capability: string }[]} records
 * @param {string[]} mayLack
 */
export function explainSkips(testResults, records, mayLack) {
  /** @type {Map<string, Set<string>>} */
  const lacking = new Map()
  for (const { file, capability } of records) {
    if (!lacking.has(file)) lacking.set(file, new Set())
    lacking.get(file)?.add(capability)
  }
  const skips = []
  for (const file of testResults) {
    for (const t of file.assertionResults) {
      if (t.status !== 'pending' && t.status !== 'skipped' && t.status !== 'todo') continue
      const capabilities = [...(lacking.get(file.name) ?? [])].sort()
      skips.push({ file: file.name, test: t.fullName, capabilities, accepted: capabilities.length > 0 && capabilities.every((c) => mayLack.includes(c)) })
    }
  }
  return skips
}
