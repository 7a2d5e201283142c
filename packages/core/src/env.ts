/**
 * Which environment variables carry a worker's database. Real suites read a URL, or discrete settings
 * (PGDATABASE, APP_DB_HOST…): the `env` option maps any variable name to one part of the connection.
 */
import { connectionParts, type ConnectionParts } from './url.js'

export type ConnectionPart = keyof ConnectionParts
export type EnvOption = string | Record<string, ConnectionPart>
export type EnvSpec = Record<string, ConnectionPart>

export const CONNECTION_PARTS: readonly ConnectionPart[] = ['url', 'host', 'port', 'user', 'password', 'database']

export function normalizeEnv(option: EnvOption | undefined): EnvSpec {
  if (option === undefined) return { DATABASE_URL: 'url' }
  if (typeof option === 'string') return { [option]: 'url' }
  return { ...option }
}

/** The variables to export for one database URL. */
export function envFor(spec: EnvSpec, url: string): Record<string, string> {
  const parts = connectionParts(url)
  const out: Record<string, string> = {}
  for (const [name, part] of Object.entries(spec)) out[name] = parts[part]
  return out
}
