/** An existing server, named by a URL. workerdb connects to the database in the URL only for admin work. */
import { redactUrl } from '../url.js'
import type { ServerHandle } from './types.js'

export function urlServer(url: string, source: string): ServerHandle {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`not a URL (from ${source}): ${redactUrl(url)}`)
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new TypeError(`not a postgresql:// URL (from ${source}): ${redactUrl(url)}`)
  }
  // Without a database in the URL, admin work goes through the maintenance database every server has.
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/postgres'
  return {
    kind: 'url',
    adminUrl: parsed.toString(),
    describe: `server ${redactUrl(parsed.toString())} (from ${source})`,
    persistent: true,
    async stop() {},
  }
}
