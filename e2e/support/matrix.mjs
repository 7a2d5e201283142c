/**
 * The fidelity matrix's source: every e2e scenario that proves a framework configuration appends one line to
 * `e2e/.results/matrix.jsonl` (git-ignored; append-only, so runs in two terminals cannot lose each other's
 * lines), and `node scripts/matrix.mjs` renders the latest result of each into README.md. Framework-neutral:
 * the Jest e2e records its rows with `framework: 'jest'` through the same function.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const MATRIX_FILE = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '.results', 'matrix.jsonl')

/**
 * @param {{ framework: string, version: string, pool: string, mode: string, scenario: string,
 *           result: 'pass' | 'fail', detail?: string, id?: string }} row  `id`: the recording test's stable
 *           name (file > test), so that a renamed scenario replaces its old row in the matrix.
 */
export function recordMatrix(row) {
  for (const k of ['framework', 'version', 'pool', 'mode', 'scenario', 'result']) {
    if (typeof row[k] !== 'string' || !row[k]) throw new Error(`recordMatrix: ${k} is required`)
  }
  if (row.result !== 'pass' && row.result !== 'fail') throw new Error(`recordMatrix: result must be pass or fail, not ${row.result}`)
  const file = process.env.E2E_MATRIX_FILE || MATRIX_FILE
  mkdirSync(dirname(file), { recursive: true })
  appendFileSync(file, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`)
}

/**
 * Runs `fn` and records its outcome: `pass` when it resolves, `fail` (then rethrows) when it throws.
 * @template T
 * @param {{ framework: string, version: string, pool: string, mode: string, scenario: string, id?: string }} row
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withMatrix(row, fn) {
  try {
    const out = await fn()
    recordMatrix({ ...row, result: 'pass' })
    return out
  } catch (err) {
    recordMatrix({ ...row, result: 'fail', detail: String(err?.message ?? err).split('\n')[0].slice(0, 200) })
    throw err
  }
}
