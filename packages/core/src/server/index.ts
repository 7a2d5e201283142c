/**
 * Which server a run uses. 'auto': an explicit URL wins (WORKERDB_URL, then `server.url`); otherwise
 * workerdb starts its embedded server, so nothing has to be set up by hand.
 */
import { WorkerDbError } from '../errors.js'
import type { ServerOption } from '../config.js'
import type { Logger } from '../log.js'
import { startEmbedded } from './embedded.js'
import type { ServerHandle } from './types.js'
import { urlServer } from './url.js'

export type { ServerHandle } from './types.js'

export interface ServerChoice {
  kind: 'url' | 'embedded'
  url?: string
  source: string
}

/** Pure: the decision, for summaries and `doctor`, before anything starts. */
export function chooseServer(option: ServerOption, env: NodeJS.ProcessEnv = process.env): ServerChoice {
  if (env.WORKERDB_URL) return { kind: 'url', url: env.WORKERDB_URL, source: 'WORKERDB_URL' }
  if (typeof option === 'object' && 'url' in option) {
    if (!option.url) {
      throw new WorkerDbError('E_CONFIG', '`server.url` is empty', 'Set it to a postgresql:// URL, or remove `server` to use the embedded server.')
    }
    return { kind: 'url', url: option.url, source: 'server.url in the workerdb config' }
  }
  return { kind: 'embedded', source: option === 'auto' ? 'default (no WORKERDB_URL or server.url)' : 'server.embedded in the workerdb config' }
}

export async function startServer(option: ServerOption, log: Logger): Promise<ServerHandle> {
  const choice = chooseServer(option)
  if (choice.kind === 'url') {
    try {
      return urlServer(choice.url!, choice.source)
    } catch (err) {
      throw new WorkerDbError('E_CONFIG', (err as Error).message, 'Use a URL like postgresql://user@127.0.0.1:5432/postgres.')
    }
  }
  const opts = typeof option === 'object' && 'embedded' in option && option.embedded !== true ? { ...option.embedded } : {}
  // A kept data dir keeps templates between runs, so warm runs reuse them even on the embedded server.
  opts.dataDir ??= process.env.WORKERDB_EMBEDDED_DATA_DIR || undefined
  return startEmbedded(opts, log)
}
