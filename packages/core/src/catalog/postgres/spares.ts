/**
 * Spare clones on PostgreSQL (engine/spares.ts decides which and when): a spare is made by
 * `CREATE DATABASE … TEMPLATE` and taken by `ALTER DATABASE … RENAME`, which costs milliseconds where a
 * copy costs tens to hundreds. The rename and the new marker commit together, so a spare is a spare or a
 * clone, never a clone-named database with a spare's marker.
 */
import { connect, type Client } from './db.js'
import { markDatabase } from './marks.js'
import type { CopyPlan, SpareSupport } from '../dialect.js'
import type { Marker } from '../marker.js'
import { quoteIdent } from '../names.js'

/** SQLSTATE 55006: someone is connected to the database. */
const IN_USE = '55006'

export function postgresSpares(client: Client, url: string): SpareSupport {
  return {
    async make(template: string, name: string, plan: CopyPlan, marker: Marker): Promise<void> {
      await client.query(`create database ${quoteIdent(name)} template ${quoteIdent(template)}${plan.label ? ` strategy ${plan.label}` : ''}`)
      try {
        await markDatabase(client, name, marker)
      } catch (err) {
        // Unmarked, no sweep would ever take it: drop it now, while it is certainly ours.
        await client.query(`drop database if exists ${quoteIdent(name)}`).catch(() => {})
        throw err
      }
    },

    async take(_template: string, spare: string, name: string, marker: Marker) {
      await client.query('begin')
      try {
        await client.query(`alter database ${quoteIdent(spare)} rename to ${quoteIdent(name)}`)
        await markDatabase(client, name, marker)
        await client.query('commit')
        return 'taken'
      } catch (err) {
        await client.query('rollback').catch(() => {})
        // Someone is connected to it (nobody should be, but a person may look): the next spare, quietly.
        if ((err as { code?: string }).code === IN_USE) return 'busy'
        throw err
      }
    },

    async cancel(): Promise<void> {
      // The backend's pid, from the server's greeting (node-postgres keeps it for its own cancel requests).
      const backend = (client as unknown as { processID?: number | null }).processID
      if (typeof backend !== 'number') return
      const other = await connect(url).catch(() => undefined)
      await other?.query('select pg_cancel_backend($1)', [backend]).catch(() => {})
      await other?.end().catch(() => {})
    },
  }
}
