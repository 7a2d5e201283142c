/**
 * The seam between workerdb and a database kind. Everything above it (planning, the manifest, the sweep's
 * rules, the reporter line, the CLI) works on these operations only; every statement of one kind's SQL
 * lives behind them, in catalog/<kind>/. A kind is picked by the URL's scheme (dialectOf).
 */
import { WorkerDbError } from '../errors.js'
import type { AdvisoryLock, LockMode } from './locks.js'
import type { Marker } from './marker.js'

export type DialectName = 'postgres' | 'mysql' | 'sqlite'

export const DIALECTS: readonly DialectName[] = ['postgres', 'mysql', 'sqlite']

/** Each kind's name for people, in messages. */
export const DIALECT_LABELS: Record<DialectName, string> = { postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB', sqlite: 'SQLite' }

/** What a run needs to know about the server before it builds anything. */
export interface ServerFacts {
  /** For people: "PostgreSQL 15", "MariaDB 10.11", "SQLite 3.46". */
  product: string
  /** Goes into the template hash: a template made on one major version is not one for another. */
  major: number
  user: string
  /** Every commit waits for the disk (fsync on, innodb_flush_log_at_trx_commit=1): slow copies then get a hint. */
  durable: boolean
  /** The user may create databases (CREATEDB, the CREATE privilege, a writable directory). */
  canCreate: boolean
  /** The server's session limit and its use now; undefined where there is none (SQLite). */
  connections?: { max: number; reserved: number; inUse: number }
}

/** One database whose name has our prefix, as the sweep rules and `status` read it. */
export interface DatabaseRow {
  name: string
  /** Sealed after its build: no new sessions, safe to copy (PostgreSQL's IS_TEMPLATE). */
  isTemplate: boolean
  /** The ownership marker's text as stored (marker.ts parses it), or null: not ours. */
  comment: string | null
}

/** How the run copies the template, chosen once per run (AdminSession.copyPlan). */
export interface CopyPlan {
  /** Shown in the summary line ("WAL_LOG"); undefined: the server's default way. */
  label?: string
  /** Copies at once never exceed this (a kind whose copies contend on one lock or file). */
  maxLanes?: number
  /**
   * Sessions one copy may use (a kind that copies several tables at once; 1 when unset). createClones
   * passes each copy its share of the run's lanes: never more than this, nor than the lanes left free.
   */
  sessionsPerCopy?: number
}

/** An open admin session on one server. Its locks die with it: a killed run releases everything it held. */
export interface AdminSession {
  readonly dialect: DialectName
  facts(): Promise<ServerFacts>
  /** `prefix_*` databases with their markers, never the database this session is connected to (the user's). */
  list(prefix: string): Promise<DatabaseRow[]>
  /** Sessions open now per `prefix_*` database, other than this one (only databases that have any); empty where the kind cannot tell. */
  sessions(prefix: string): Promise<Map<string, number>>
  size(name: string): Promise<number>
  /** An empty database carrying `marker`. */
  create(name: string, marker: Marker): Promise<void>
  /** Replaces `name`'s marker. */
  mark(name: string, marker: Marker): Promise<void>
  /** After its build: no new sessions, stragglers ended, ready to be copied. */
  seal(name: string): Promise<void>
  /** Chooses how this run copies `template` (`requested`: config cloneStrategy). */
  copyPlan(template: string, requested?: string): Promise<CopyPlan>
  /**
   * Copies the sealed template into a new database `name`, carrying `marker` when it returns — from the
   * statement that creates it where the kind can, so a run killed mid-copy leaves a database its sweep
   * recognises. Without `marker`, unmarked. Throws E_CLONE / E_NO_CREATEDB.
   */
  copy(template: string, name: string, plan: CopyPlan, marker?: Marker): Promise<void>
  /** Drops a database already known to be ours, sessions or not. `template`: unseal it first. No error if it is gone. */
  drop(name: string, opts?: { template?: boolean }): Promise<void>
  /** Caller holds the template's lock exclusively: drops the sealed template only while nobody uses it; false leaves it as it was. */
  dropTemplateIfIdle(name: string): Promise<boolean>
  /** Waits for the lock. */
  lock(lock: AdvisoryLock, mode?: LockMode): Promise<void>
  /** Takes the exclusive lock only if nobody holds it in any mode; true when taken. */
  tryLock(lock: AdvisoryLock): Promise<boolean>
  /** Never throws: a session that broke has released its locks already. */
  unlock(lock: AdvisoryLock, mode?: LockMode): Promise<void>
  /** Spare clones (engine/spares.ts), where the kind has them. */
  readonly spares?: SpareSupport
  /** Per-worker roles (config `roles`), where the kind has users. */
  readonly roles?: RoleSupport
  close(): Promise<void>
}

/** One key of config `roles`. */
export interface RoleSpec {
  /** Part of the role's name, and of the env parts `role:<key>`, `roleUrl:<key>`, `rolePassword:<key>`. */
  key: string
  /** Existing roles the per-worker role is granted membership in (and so gets the privileges of). */
  memberOf: string[]
}

/** One clone's role for one key: its name, and its clone's URL as that role (with its password). */
export interface CloneRole {
  name: string
  url: string
}

export type CloneRoles = Record<string, CloneRole>

/**
 * A kind's per-worker roles: a login of its own per clone and key (`<clone>_role_<key>`, names.ts), allowed
 * everything in its clone and nothing server-wide, marked as workerdb's, and gone with its clone.
 */
export interface RoleSupport {
  /**
   * Before anything is built: E_ROLE (or E_CONFIG) naming the fix when these roles cannot be made here.
   * `longestClone`: the longest clone name the run plans, for a server that keeps short names.
   */
  check(specs: readonly RoleSpec[], opts: { longestClone: string }): Promise<void>
  /** Makes and grants every clone's roles; per clone, its roles by key. Throws E_ROLE, leaving none half made. */
  create(clones: ReadonlyArray<{ database: string; url: string }>, specs: readonly RoleSpec[], opts: { runId: string; marker?: Partial<Marker>; concurrency: number }): Promise<Map<string, CloneRoles>>
}

/**
 * A kind's part of spare clones: fresh copies of a template made ahead of time, which a later run turns
 * into its clones for far less than a copy costs. engine/spares.ts decides which and when, under its locks.
 */
export interface SpareSupport {
  /**
   * Copies the sealed template into spare `name`. Listed as a spare (`marker`) only once it is whole: a
   * kind that marks a database as it creates it marks it `state: 'building'` until then.
   */
  make(template: string, name: string, plan: CopyPlan, marker: Marker): Promise<void>
  /**
   * Turns spare `spare` into clone `name` carrying `marker`: whole or not at all ('busy': someone uses the
   * spare, which stays as it was; 'unfit': the spare is not a whole copy of the template, and is dropped).
   * Throws for anything that would repeat on every run.
   */
  take(template: string, spare: string, name: string, marker: Marker): Promise<'taken' | 'busy' | 'unfit'>
  /** Ends the statement this session runs now (a copy under way), from another session; never throws. */
  cancel(): Promise<void>
}

/**
 * A table the reset empties: `schema` is PostgreSQL's; on MariaDB/MySQL and SQLite it is '' (the clone is
 * its own database, which each worker names differently, so their statements name tables alone).
 */
export interface TableRef {
  schema: string
  name: string
}

/** What `reset: 'truncate'` plans from (isolation/reset-plan.ts), read from a database built from the template. */
export interface ResetCatalog {
  /** User tables: not the kind's own, not a partition (PostgreSQL) nor a virtual table's shadow (SQLite). */
  tables: TableRef[]
  /** Foreign keys among them (partitions folded into their root table). */
  foreignKeys: Array<{ name: string; from: TableRef; to: TableRef }>
  /**
   * What counts a table's identities: PostgreSQL's owned sequences (serial, identity); on MariaDB/MySQL a
   * table with an AUTO_INCREMENT column, on SQLite one declared AUTOINCREMENT, counts its own.
   */
  counters: Array<{ table: TableRef; counter: TableRef }>
}

/** One connection to a clone, through which a worker's reset runs. */
export interface ResetConnection {
  /** Runs the dirty check; its `dirty` value (an array, or a comma-separated list). */
  dirty(check: string): Promise<unknown>
  run(statement: string): Promise<void>
  /** False once the server ended it: the next reset opens another. */
  usable(): boolean
  /** Whether its socket may keep the process alive: only while it works, so an idle one never holds a worker open. */
  hold(on: boolean): void
  /** Ends it; never throws. */
  close(): Promise<void>
}

/**
 * A kind's part of `reset: 'truncate'` both sides use, in catalog/<kind>/reset.ts (with the reader of its
 * catalog that Dialect.readResetCatalog runs): the runner builds the statements once; workers load it too,
 * so it stays light (its driver loaded when a connection opens).
 */
export interface ResetDialect {
  /** Pure: what empties `tables` and puts their identities back; undefined for none. `counters`: the schema counts identities (SQLite's sqlite_sequence). */
  empty(tables: readonly TableRef[], counters?: boolean): string | undefined
  /** Pure: one query whose `dirty` names the indexes of `tables` holding rows or whose counters (same order) have advanced. */
  dirtyCheck(tables: readonly TableRef[], counters: ReadonlyArray<readonly TableRef[]>): string
  /** A connection whose statements wait at most `lockTimeoutMs` for a lock. */
  open(url: string, opts: { lockTimeoutMs: number; driver?: string }): Promise<ResetConnection>
  /**
   * Pure: why a reset failed, for the hint: a lock waited for in vain, a table outside the reset that
   * references an emptied one, a table gone; undefined for anything else.
   */
  failure(err: unknown): ResetFailure | undefined
}

export type ResetFailure = 'lock' | 'referenced' | 'missing'

/** Runs migration scripts (`migrate: { sql }`) on one database. */
export interface ScriptRunner {
  /** One script, all of it or none where the kind allows (MySQL commits each DDL statement as it runs). */
  run(sql: string): Promise<void>
  close(): Promise<void>
}

/** One database kind. */
export interface Dialect {
  readonly name: DialectName
  /** For people: DIALECT_LABELS. */
  readonly label: string
  /** The admin URL for a configured server URL (PostgreSQL: /postgres when the URL names no database). */
  adminUrl(url: string): string
  /** The URL of database `name` on the server `adminUrl` names. */
  databaseUrl(adminUrl: string, name: string): string
  /** An admin session; the classic failures become E_AUTH / E_SERVER_UNREACHABLE naming the fix. `source`: where the URL came from. */
  connect(url: string, source?: string): Promise<AdminSession>
  /** A session on database `url` that runs migration scripts. */
  openScripts(url: string): Promise<ScriptRunner>
  /** What `reset` plans from, read from database `url` (the run's first clone) on a session the run counts as its own. */
  readResetCatalog(url: string): Promise<ResetCatalog>
  /** The statement a person runs to drop one of these databases by hand. */
  dropByHand(name: string): string
  /** What gives `user` the right to create databases (ServerFacts.canCreate). */
  grantCreate(user: string): string
}

/** E_NO_CREATEDB before anything is built, naming the grant that fixes it. */
export function requireCreate(dialect: Dialect, facts: ServerFacts): void {
  if (!facts.canCreate) {
    throw new WorkerDbError('E_NO_CREATEDB',
      `${facts.user} cannot create databases on this ${facts.product} server, and workerdb needs to create the template and its clones`,
      `Grant it: ${dialect.grantCreate(facts.user)} (or connect as a user that can).`)
  }
}

const SCHEMES: Record<string, DialectName> = {
  'postgres:': 'postgres', 'postgresql:': 'postgres',
  'mysql:': 'mysql', 'mariadb:': 'mysql',
  'sqlite:': 'sqlite', 'file:': 'sqlite',
}

/** Pure: the kind a URL names by its scheme, or undefined for a scheme no kind has. */
export function dialectOf(url: string): DialectName | undefined {
  try {
    return SCHEMES[new URL(url).protocol]
  } catch {
    return undefined
  }
}
