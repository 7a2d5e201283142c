/**
 * Node 22 for the e2e runs that need it (Vitest 5 wants ^22.12) on a machine whose Node is older: the binary
 * `npx -y -p node@22` installs into npx's cache (a download the first time). `npm test` resolves it once,
 * beside the type check, and hands it to every e2e file through E2E_NODE22, so no test waits on the
 * download inside its own timeout; a file run on its own resolves it itself (e2e/support/scenario.ts).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'

export const NODE22_ENV = 'E2E_NODE22'
export const NODE22_NPX_ARGS = ['-y', '-p', 'node@22', 'node', '-p', 'process.execPath']

/** The binary's path from what `npx … node -p process.execPath` printed, or an Error saying what came instead. */
export function node22FromOutput(out) {
  const path = out.trim().split('\n').pop()
  return path && existsSync(path) ? path : new Error(`npx ${NODE22_NPX_ARGS.join(' ')} did not give a node binary (got ${JSON.stringify(out)})`)
}

/**
 * The Node 22 binary: this Node when it is 22 or later, else npx's, tried `attempts` times (a registry that
 * stalls once should not fail the run). Rejects with the last attempt's error.
 */
export async function resolveNode22({ attempts = 3, timeoutMs = 240_000 } = {}) {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  let last
  for (let attempt = 1; attempt <= attempts; attempt++) {
    last = await new Promise((resolve) => {
      execFile('npx', NODE22_NPX_ARGS, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
        resolve(err ? new Error(`npx ${NODE22_NPX_ARGS.join(' ')}: ${err.message}${stderr ? `\n${stderr.trim()}` : ''}`) : node22FromOutput(stdout))
      })
    })
    if (typeof last === 'string') return last
  }
  throw last
}
