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

/**
 * The variables to export for one database URL. A part the URL does not have (a password on a trust-auth
 * server, a user) is not exported: the variable keeps whatever the environment gave it (a project's .env),
 * rather than being blanked — an empty password or user is never more right than the project's own.
 */
export function envFor(spec: EnvSpec, url: string): Record<string, string> {
  const parts = connectionParts(url)
  const out: Record<string, string> = {}
  for (const [name, part] of Object.entries(spec)) if (parts[part]) out[name] = parts[part]
  return out
}
