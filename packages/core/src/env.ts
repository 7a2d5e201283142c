/**
 * Which environment variables carry a worker's database. Real suites read a URL, or discrete settings
 * (PGDATABASE, APP_DB_HOST…): the `env` option maps any variable name to one part of the connection, or
 * to a part of one of the clone's per-worker roles (`role:<key>`, `roleUrl:<key>`, `rolePassword:<key>`).
 */
import { connectionParts, type ConnectionParts } from './url.js'

export type ConnectionPart = keyof ConnectionParts
/** A per-worker role's name, its clone's URL as that role, or its password; `<key>` is a key of `roles`. */
export type RolePart = `role:${string}` | `roleUrl:${string}` | `rolePassword:${string}`
export type EnvPart = ConnectionPart | RolePart
export type EnvOption = string | Record<string, EnvPart>
export type EnvSpec = Record<string, EnvPart>

export const CONNECTION_PARTS: readonly ConnectionPart[] = ['url', 'host', 'port', 'user', 'password', 'database']
export const ROLE_PARTS = ['role', 'roleUrl', 'rolePassword'] as const

/** `role:app` → { part: 'role', key: 'app' }; undefined for a connection part (or anything else). */
export function parseRolePart(part: string): { part: typeof ROLE_PARTS[number]; key: string } | undefined {
  const m = /^(role|roleUrl|rolePassword):(.*)$/.exec(part)
  return m ? { part: m[1] as typeof ROLE_PARTS[number], key: m[2]! } : undefined
}

export function normalizeEnv(option: EnvOption | undefined): EnvSpec {
  if (option === undefined) return { DATABASE_URL: 'url' }
  if (typeof option === 'string') return { [option]: 'url' }
  return { ...option }
}

/**
 * The variables to export for one database URL (and its clone's roles, by key). A part the URL does not
 * have (a password on a trust-auth server, a user), or a role the clone does not have (the template's
 * migration env), is not exported: the variable keeps whatever the environment gave it (a project's
 * .env), rather than being blanked — an empty password or user is never more right than the project's own.
 */
export function envFor(spec: EnvSpec, url: string, roles?: Record<string, { name: string; url: string }>): Record<string, string> {
  const parts = connectionParts(url)
  const out: Record<string, string> = {}
  for (const [name, part] of Object.entries(spec)) {
    const rolePart = parseRolePart(part)
    if (!rolePart) {
      if (parts[part as ConnectionPart]) out[name] = parts[part as ConnectionPart]
      continue
    }
    const role = roles?.[rolePart.key]
    if (!role) continue
    const value = rolePart.part === 'role' ? role.name : rolePart.part === 'roleUrl' ? role.url : connectionParts(role.url).password
    if (value) out[name] = value
  }
  return out
}
