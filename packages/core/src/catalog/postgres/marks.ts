/** PostgreSQL keeps markers (marker.ts) as comments: on the database, and on a per-worker role. */
import type { Client } from './db.js'
import type { Marker } from '../marker.js'
import { quoteIdent, quoteLiteral } from '../names.js'

/** Writes `marker` as the database's comment: the one way a marker reaches the server. */
export async function markDatabase(client: Client, name: string, marker: Marker): Promise<void> {
  await client.query(`comment on database ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
}

/** Writes `marker` as a per-worker role's comment (roles.ts): the same marker, on the role. */
export async function markRole(client: Client, name: string, marker: Marker): Promise<void> {
  await client.query(`comment on role ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
}
