/**
 * Did the tests use their clones? A project whose own test setup overwrites the env vars workerdb set
 * runs every test against its shared database while workerdb reports clones ready: nothing fails, and
 * nothing is isolated. The server counts sessions per database (pg_stat_database.sessions, PostgreSQL
 * 14+), so a run compares its clones' sessions, less workerdb's own, with the rest of the server's.
 *
 * workerdb's own sessions: the runner's (counted by db.ts's connect) and the ones a worker opens to reset
 * its clone, which the worker appends to a file beside the manifest (written here and read here).
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs'
import type pg from 'pg'
import { plural } from '../log.js'

/** The file beside the manifest where workers note the sessions they open themselves: one database name a line. */
export function ownSessionsFile(manifestPath: string): string {
  return manifestPath.replace(/\.json$/, '') + '.sessions'
}

/** Worker side: one session workerdb opened to `database` (a reset). Never fails the test file it serves. */
export function noteOwnSession(manifestPath: string | undefined, database: string): void {
  if (!manifestPath) return
  try {
    appendFileSync(ownSessionsFile(manifestPath), `${database}\n`, { mode: 0o600 })
  } catch {
    // A missing note can only make a clone look used: the check stays quiet rather than wrong.
  }
}

export function readOwnSessions(manifestPath: string): Map<string, number> {
  const counts = new Map<string, number>()
  let text = ''
  try {
    text = readFileSync(ownSessionsFile(manifestPath), 'utf8')
  } catch {
    return counts
  }
  for (const name of text.split('\n')) if (name) counts.set(name, (counts.get(name) ?? 0) + 1)
  return counts
}

export function removeOwnSessions(manifestPath: string): void {
  rmSync(ownSessionsFile(manifestPath), { force: true })
}

export const UNUSED_CLONES_HINT = 'Let the variables workerdb sets win: set your own defaults only where they are unset (e.g. process.env.DATABASE_URL ??= …), load .env without override, and read connection settings when the code under test connects, not at import time of a module loaded before the setup file.'

/** Sessions per database since the server started: PostgreSQL 14+ counts them (undefined before, where the check is off). */
export async function readSessions(client: pg.Client, info: { major: number }): Promise<Map<string, number> | undefined> {
  if (info.major < 14) return undefined
  const { rows } = await client.query<{ datname: string; sessions: number }>('select datname, sessions::float8 as sessions from pg_stat_database where datname is not null')
  return new Map(rows.map((r) => [r.datname, Number(r.sessions)]))
}

export interface CloneUse {
  /** Clones that saw a session workerdb did not open. */
  used: string[]
  unused: string[]
  /** Databases outside this run that gained sessions nobody in this process opened, while it ran. */
  elsewhere: Array<{ database: string; sessions: number }>
}

/**
 * Pure: `before`/`after` are sessions per database at the start and end of the run, `own` the sessions
 * workerdb opened itself. `ours(name)` tells workerdb's databases (any run's clones, templates, spares)
 * from the project's: sessions to another run's clone are that run's.
 */
export function cloneUse(input: {
  clones: readonly string[]
  before: ReadonlyMap<string, number>
  after: ReadonlyMap<string, number>
  own: ReadonlyMap<string, number>
  ours: (database: string) => boolean
}): CloneUse {
  const gained = (name: string) => (input.after.get(name) ?? 0) - (input.before.get(name) ?? 0) - (input.own.get(name) ?? 0)
  const clones = new Set(input.clones)
  const used = input.clones.filter((name) => gained(name) > 0)
  const elsewhere = [...input.after.keys()]
    .filter((name) => !clones.has(name) && !input.ours(name) && gained(name) > 0)
    .map((database) => ({ database, sessions: gained(database) }))
    .sort((a, b) => b.sessions - a.sessions || a.database.localeCompare(b.database))
  return { used, unused: input.clones.filter((name) => !used.includes(name)), elsewhere }
}

/**
 * The warning for a run whose clones nobody used while other databases on the server were: the tests
 * went elsewhere. Undefined when a clone was used, or nothing was (a suite that touches no database).
 */
export function unusedClonesMessage(use: CloneUse, envNames: readonly string[]): string | undefined {
  if (use.used.length > 0 || use.unused.length === 0 || use.elsewhere.length === 0) return undefined
  const n = use.unused.length
  const where = use.elsewhere.slice(0, 3).map((e) => `${e.database} (${plural(e.sessions, 'session')})`).join(', ')
  return `none of this run's ${plural(n, 'clone')} saw a connection from the tests, while other databases on the server did: ${where}. ` +
    `The tests did not use the databases workerdb made for them: something replaced ${envNames.join(', ')} after workerdb set ${envNames.length === 1 ? 'it' : 'them'} — ` +
    'a test setup that assigns its own values, dotenv with override, or a config module read before workerdb\'s setup file.'
}
