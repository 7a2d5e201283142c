#!/usr/bin/env node
/**
 * `npx workerdb status | sweep [--dry-run] | doctor | provision --workers N | teardown <run>`, with `--json` for machines. Reads the same config
 * as the test runs (workerdb.config.* from the working directory upward, WORKERDB_URL first).
 */
import { doctor } from './cli/doctor.js'
import { finish, type CommandOutput } from './cli/output.js'
import { provisionCommand, teardownCommand } from './cli/provision.js'
import { status } from './cli/status.js'
import { sweepCommand } from './cli/sweep.js'
import { isWorkerDbError } from './errors.js'

const USAGE = `usage: workerdb <command> [--json]

  status            templates, clones and per-worker roles on the server, with their runs and whether those are alive
  sweep [--dry-run] drop clones (and their roles) left by dead runs (only those with workerdb's prefix and marker)
  doctor            check the config, the server, privileges (and roles) and limits; say what to fix
  provision --workers N
                    for runners without a hook (node --test, scripts): build or reuse the template,
                    make N clones, print the manifest to export (tests call claimWorkerDatabase())
  teardown <run>    drop the clones of a run made by \`provision\` (the template stays)`

export async function main(argv: string[], cwd = process.cwd()): Promise<{ code: number; text: string }> {
  const json = argv.includes('--json')
  const args = argv.filter((a) => !a.startsWith('--'))
  const out: CommandOutput = { json, lines: [], data: {} }
  try {
    switch (args[0]) {
      case 'status': await status(out, cwd); break
      case 'sweep': await sweepCommand(out, cwd, argv.includes('--dry-run')); break
      case 'provision': await provisionCommand(out, argv, cwd); break
      case 'teardown': await teardownCommand(out, argv, cwd); break
      case 'doctor': {
        const ok = await doctor(out, cwd)
        return finish(out, ok ? 0 : 1)
      }
      default:
        return { code: args[0] ? 2 : 0, text: USAGE }
    }
    return finish(out, 0)
  } catch (err) {
    if (isWorkerDbError(err)) {
      if (json) return { code: 1, text: JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint } }) }
      return { code: 1, text: err.message }
    }
    throw err
  }
}

// Run when executed as the bin (not when imported by tests).
const invokedAs = process.argv[1] ?? ''
if (/cli\.(c?js|ts)$/.test(invokedAs) || /[\\/]workerdb$/.test(invokedAs)) {
  main(process.argv.slice(2)).then(
    ({ code, text }) => { if (text) process.stdout.write(text + '\n'); process.exitCode = code },
    (err) => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exitCode = 1 },
  )
}
