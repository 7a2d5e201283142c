/** PostgreSQL's advisory locks, on a node-postgres client: the SQL behind PostgresSession's locks (catalog/locks.ts has the keys). */
import type { Client } from './db.js'
import type { AdvisoryLock, LockMode } from '../locks.js'

const LOCK = { exclusive: 'pg_advisory_lock', shared: 'pg_advisory_lock_shared' } as const
const UNLOCK = { exclusive: 'pg_advisory_unlock', shared: 'pg_advisory_unlock_shared' } as const

/** Waits for the lock in `client`'s session. */
export async function lock(client: Client, l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
  await client.query(`select ${LOCK[mode]}($1::bigint)`, [l.key])
}

/** Takes the exclusive lock only if no one holds the lock in any mode; true when taken. */
export async function tryLock(client: Client, l: AdvisoryLock): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [l.key])
  return rows[0]!.locked
}

/** Never throws: a session that broke has released its locks already. */
export async function unlock(client: Client, l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
  await client.query(`select ${UNLOCK[mode]}($1::bigint)`, [l.key]).catch(() => {})
}

