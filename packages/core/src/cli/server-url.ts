import { dirname } from 'node:path'
import type { ResolvedConfig } from '../config/options.js'
import { resolveConfig } from '../config/resolve.js'
import { WorkerDbError } from '../errors.js'
import { chooseServer, NO_PROBE } from '../server/index.js'
import { parseServerUrl } from '../server/url.js'

/**
 * The config and server URL of a command that works between runs (status, sweep, provision, teardown):
 * it needs a server that outlives it, and an embedded server or a container lives only as long as the
 * process that started it.
 */
export async function urlServer(cwd: string, command: string): Promise<{ config: ResolvedConfig; url: string }> {
  const config = await resolveConfig({}, cwd)
  const choice = chooseServer(config.server, process.env, NO_PROBE, { dialect: config.dialect, dir: config.file ? dirname(config.file) : cwd })
  if (choice.kind !== 'url') {
    throw new WorkerDbError('E_CONFIG', `\`workerdb ${command}\` needs a server that outlives this command, and an embedded server or a container lives only as long as the process that started it`,
      'Set WORKERDB_URL (or `server: { url }` in workerdb.config) to the server your tests use.')
  }
  parseServerUrl(choice.url!, choice.source)
  return { config, url: choice.url! }
}
