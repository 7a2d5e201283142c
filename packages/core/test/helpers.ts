/**
 * Shared test helpers (not a test file): a unique database prefix per test file, admin connections to
 * the test server, and cleanup that only ever touches databases carrying this file's prefix.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { expect } from 'vitest'
import { WorkerDbError } from '../src/errors.js'
import { connectAdmin } from '../src/catalog/dialects.js'

/** The server the root globalSetup chose (the machine's PostgreSQL, or an embedded one). */
export function testUrl(): string {
  const url = process.env.WORKERDB_TEST_URL
  if (!url) throw new Error('WORKERDB_TEST_URL is not set: run through the root vitest config (test-support/server.ts)')
  return url
}

/** `base` + 4 random lowercase letters: a prefix no other test file (or person) uses. */
export function uniquePrefix(base: string): string {
  const letters = Array.from(randomBytes(4), (b) => String.fromCharCode(97 + (b % 26))).join('')
  const prefix = base + letters
  if (!/^[a-z][a-z0-9]{0,11}$/.test(prefix)) throw new Error(`bad test prefix ${prefix}`)
  return prefix
}

/** Drops every database named `prefix_…` on a server of any kind, marked or not: only for a test's own prefix. */
export async function dropKindPrefix(url: string, prefix: string): Promise<void> {
  const admin = await connectAdmin(url)
  try {
    for (const row of await admin.list(prefix)) await admin.drop(row.name, { template: true })
  } finally {
    await admin.close()
  }
}

/** The URL of another database on the same server. */
export function dbUrl(database: string, base = testUrl()): string {
  const u = new URL(base)
  u.pathname = '/' + encodeURIComponent(database)
  return u.toString()
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => {})
  }
}

export interface DbRow {
  name: string
  isTemplate: boolean
  allowConnections: boolean
  comment: string | null
}

/** Databases named `prefix_…`, with their flags and comments. */
export async function databasesWithPrefix(prefix: string, url = testUrl()): Promise<DbRow[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `select datname as name, datistemplate as "isTemplate", datallowconn as "allowConnections",
              shobj_description(oid, 'pg_database') as comment
         from pg_database where starts_with(datname, $1) order by datname`, [`${prefix}_`])
    return rows as DbRow[]
  })
}

/**
 * Drops every database named `prefix_…` (templates are unmarked first: only they, since ALTER DATABASE on
 * one that a dropper is dropping right now is FATAL). Returns the names dropped.
 */
export async function dropPrefix(prefix: string, url = testUrl()): Promise<string[]> {
  const rows = await databasesWithPrefix(prefix, url)
  await withClient(url, async (c) => {
    for (const { name, isTemplate } of rows) {
      const q = `"${name.replace(/"/g, '""')}"`
      if (isTemplate) await c.query(`alter database ${q} with is_template false`).catch(() => {})
      await c.query(`drop database if exists ${q} with (force)`)
    }
  })
  return rows.map((r) => r.name)
}

/** Whether a process is running (signal 0 only asks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls until `done()` holds or the time is up; returns whether it held. */
export async function eventually(done: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await done()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return done()
}

/** A deterministic PRNG (mulberry32) for property-style loops that must replay identically. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The WorkerDbError `fn` throws (failing the test if it throws nothing, or something else). */
export function thrownError(fn: () => unknown): WorkerDbError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerDbError)
    return err as WorkerDbError
  }
  throw new Error('expected a WorkerDbError, nothing was thrown')
}

/** The WorkerDbError `p` rejects with. */
export async function rejectionError(p: Promise<unknown>): Promise<WorkerDbError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerDbError)
    return err as WorkerDbError
  }
  throw new Error('expected a WorkerDbError, nothing was thrown')
}
