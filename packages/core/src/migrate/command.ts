/**
 * `{ command: 'npx kysely migrate:latest' }`: any migration tool, run once in a shell against the
 * template, with the template's connection in the same env vars the tests read. Its output is kept and
 * shown only when it fails.
 */
import { spawn } from 'node:child_process'
import { relative, resolve } from 'node:path'
import { WorkerDbError } from '../errors.js'
import { redactText } from '../url.js'
import { hashFiles } from './files.js'
import type { Migrator } from './types.js'

export interface CommandMigrateOptions {
  command: string
  /** Files or folders whose contents shape the schema (migrations dir, schema file). Hashed; relative to the config. */
  inputs?: string[]
  cwd?: string
}

export function commandMigrator(opts: CommandMigrateOptions, baseDir: string): Migrator {
  const cwd = resolve(baseDir, opts.cwd ?? '.')
  return {
    describe: `command ${opts.command}`,
    async hashInputs() {
      const inputs = (opts.inputs ?? []).map((input) => resolve(baseDir, input))
      return [['command', opts.command], ['cwd', relative(baseDir, cwd)], ...(await hashFiles(inputs, baseDir, 'migrate.inputs'))]
    },
    async migrate(_url, { env, log, secrets }) {
      log.progress(`migrating: ${opts.command}`)
      const { code, output } = await run(opts.command, cwd, { ...process.env, ...env })
      if (code !== 0) {
        const tail = redactText(output.trim().split('\n').slice(-40).join('\n'), secrets)
        throw new WorkerDbError('E_MIGRATION', `migration command \`${opts.command}\` exited with ${code}:\n${tail}`,
          'Fix the migration and run again; the template was not kept, so the next run rebuilds it.')
      }
      return undefined
    },
  }
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('error', (err) => resolvePromise({ code: 127, output: output + String(err) }))
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), output }))
  })
}
