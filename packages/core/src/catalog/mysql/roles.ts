/**
 * Per-worker roles on MySQL/MariaDB (config `roles`): each clone gets a user of its own per key,
 * `'<clone>_role_<key>'@'%'` (names.ts), with every privilege on its clone and none elsewhere, and the
 * existing roles its `memberOf` names granted and active by default.
 *
 * Users carry no comment on MariaDB, so a user's mark is its clone's: the clone's marker lists its users
 * (Marker.roles), written before they are made. Whatever drops a marked clone (teardown, the background
 * dropper, the sweep, `workerdb teardown`) drops the users its marker lists first (MysqlSession.drop), and
 * only names that are roles of that clone: a user is never dropped on its name alone.
 */
import { createHash, randomBytes } from 'node:crypto'
import { WorkerDbError } from '../../errors.js'
import type { CloneRoles, RoleSpec } from '../dialect.js'
import { parseMarker, rolesInMarker, type Marker } from '../marker.js'
import { roleName } from '../names.js'
import { markersQuery, markStatement, type MarkHome } from './marks.js'
import { ident, lit, redact, rows, statementCause, type Conn } from './session.js'

/** The longest user name MySQL keeps (MariaDB's 80 is past the 63 bytes every name of ours is held to: names.ts). */
export const MYSQL_USER_CHARS = 32

/**
 * A random password that any password policy takes (MySQL's validate_password wants both cases, a digit
 * and a symbol), and that needs no escaping in a URL.
 */
export function userPassword(): string {
  return `${randomBytes(18).toString('base64url')}-Wd1`
}

/** Pure: a user of ours as an account in a statement (any host). */
export function userAccount(name: string): string {
  return `${lit(name)}@'%'`
}

/**
 * Pure: what makes one per-worker user of `clone` and grants it its clone. On MariaDB the password goes as
 * its mysql_native_password hash, so no statement log ever shows it; MySQL's own logs rewrite `IDENTIFIED
 * BY`. MariaDB makes one role active by default (check refuses more in `memberOf`); MySQL all of them.
 */
export function userStatements(opts: { mariadb: boolean; clone: string; name: string; password: string; memberOf: readonly string[] }): string[] {
  const account = userAccount(opts.name)
  const secret = opts.mariadb
    ? `BY PASSWORD ${lit(`*${createHash('sha1').update(createHash('sha1').update(opts.password).digest()).digest('hex').toUpperCase()}`)}`
    : `BY ${lit(opts.password)}`
  // In a database-level GRANT, `_` and `%` are wildcards: escaped, the grant is on the clone alone.
  const database = ident(opts.clone.replace(/[_%]/g, '\\$&'))
  const out = [`CREATE USER ${account} IDENTIFIED ${secret}`, `GRANT ALL PRIVILEGES ON ${database}.* TO ${account}`]
  if (opts.memberOf.length) {
    out.push(`GRANT ${opts.memberOf.map((r) => (opts.mariadb ? ident(r) : userAccount(r))).join(', ')} TO ${account}`)
    out.push(opts.mariadb ? `SET DEFAULT ROLE ${ident(opts.memberOf[0]!)} FOR ${account}` : `SET DEFAULT ROLE ALL TO ${account}`)
  }
  return out
}

/** Pure: whether SHOW GRANTS lets the user create users: CREATE USER or ALL on *.*; true when unsure (a role). */
export function grantsAllowCreateUser(grants: readonly string[]): boolean {
  let unsure = false
  for (const line of grants) {
    const m = /^GRANT\s+(.+?)\s+ON\s+(\S+)\s+TO\s/i.exec(line)
    if (!m) {
      if (/^GRANT\s/i.test(line)) unsure = true
      continue
    }
    if (m[2] === '*.*' && /\bALL(\s+PRIVILEGES)?\b|\bCREATE\s+USER\b/i.test(m[1]!)) return true
  }
  return unsure
}

export interface RoleContext {
  conn: Conn
  mariadb: boolean
  home: MarkHome
  /** The admin user (CURRENT_USER()), for hints. */
  user: string
  password: string
}

/** E_CONFIG when a user of `clone` (the run's longest clone name) would be longer than the server keeps. */
function checkNameLength(ctx: RoleContext, clone: string, specs: readonly RoleSpec[]): void {
  if (ctx.mariadb) return
  const long = specs.map((spec) => roleName(clone, spec.key)).find((name) => name.length > MYSQL_USER_CHARS)
  if (long) {
    throw new WorkerDbError('E_CONFIG', `per-worker user ${JSON.stringify(long)} is ${long.length} characters; MySQL keeps at most ${MYSQL_USER_CHARS}`,
      'Use a shorter `prefix` or a shorter key in `roles`.')
  }
}

export async function checkMysqlRoles(ctx: RoleContext, specs: readonly RoleSpec[], opts: { longestClone: string }): Promise<void> {
  if (!specs.length) return
  checkNameLength(ctx, opts.longestClone, specs)
  const grants = (await rows<Record<string, string>>(ctx.conn, 'SHOW GRANTS')).map((g) => String(Object.values(g)[0]))
  if (!grantsAllowCreateUser(grants)) {
    throw new WorkerDbError('E_ROLE', `${ctx.user} cannot create users, and \`roles\` asks for one per clone and key (${specs.map((s) => JSON.stringify(s.key)).join(', ')})`,
      'Grant it: GRANT CREATE USER ON *.* TO …; and the privileges it hands on, WITH GRANT OPTION (or connect as root), or remove `roles` from the workerdb config.')
  }
  const several = specs.find((s) => s.memberOf.length > 1)
  if (ctx.mariadb && several) {
    throw new WorkerDbError('E_CONFIG', `\`roles.${several.key}.memberOf\` names ${several.memberOf.length} roles, and MariaDB makes only one role active by default`,
      'Name one role in memberOf on MariaDB (a role may itself be granted others).')
  }
  const wanted = [...new Set(specs.flatMap((s) => s.memberOf))]
  if (!wanted.length) return
  // mysql.user needs SELECT on the mysql schema: without it, the grant itself says what is missing.
  const found = await rows<{ name: string }>(ctx.conn,
    `SELECT User AS name FROM mysql.user WHERE User IN (${wanted.map(() => '?').join(', ')}) AND ${ctx.mariadb ? "is_role = 'Y'" : "Host = '%'"}`, wanted)
    .then((r) => new Set(r.map((x) => x.name)), () => undefined)
  const missing = found && wanted.filter((n) => !found.has(n))
  if (missing?.length) {
    const one = missing.length === 1
    throw new WorkerDbError('E_ROLE',
      `\`roles\` makes each clone's user a member of ${missing.map((n) => JSON.stringify(n)).join(', ')}, which ${one ? 'is' : 'are'} not a role on this server`,
      `Create ${one ? 'it' : 'them'} once per server, with ${one ? 'its' : 'their'} grants (CREATE ROLE ${ident(missing[0]!)}; …), or remove ${one ? 'it' : 'them'} from memberOf. ` +
      'workerdb creates and drops only its own per-worker users.')
  }
}

/**
 * Makes every clone's users, their names in the clone's marker first; returns per clone its roles by key.
 * On failure drops the users it made (the clone's marker may still list them: dropping a user that is
 * gone is no error) and throws E_ROLE.
 */
export async function createMysqlRoles(ctx: RoleContext, clones: ReadonlyArray<{ database: string; url: string }>, specs: readonly RoleSpec[]): Promise<Map<string, CloneRoles>> {
  const out = new Map<string, CloneRoles>()
  for (const clone of clones) checkNameLength(ctx, clone.database, specs)
  const plans = clones.map((clone) => ({ clone, users: specs.map((spec) => ({ spec, name: roleName(clone.database, spec.key), password: userPassword() })) }))
  const made: string[] = []
  /** The clones whose marker lists users now, with the marker each had before. */
  const listed: Array<{ clone: string; marker: Marker }> = []
  try {
    for (const { clone, users } of plans) {
      const [row] = await rows<{ comment: string | null }>(ctx.conn, markersQuery(ctx.home, 's.SCHEMA_NAME = ?'), [clone.database])
      const marker = parseMarker(row?.comment)
      if (marker?.kind !== 'clone') throw new Error(`clone ${clone.database} carries no clone marker`)
      await ctx.conn.query(markStatement(ctx.home, clone.database, { ...marker, roles: users.map((u) => u.name) }))
      listed.push({ clone: clone.database, marker })
      const roles: CloneRoles = {}
      for (const user of users) {
        const [create, ...grants] = userStatements({ mariadb: ctx.mariadb, clone: clone.database, name: user.name, password: user.password, memberOf: user.spec.memberOf })
        await ctx.conn.query(create!)
        made.push(user.name)
        for (const grant of grants) await ctx.conn.query(grant)
        const url = new URL(clone.url)
        url.username = encodeURIComponent(user.name)
        url.password = user.password
        roles[user.spec.key] = { name: user.name, url: url.toString() }
      }
      out.set(clone.database, roles)
    }
  } catch (err) {
    for (const name of made) await ctx.conn.query(`DROP USER IF EXISTS ${userAccount(name)}`).catch(() => {})
    // A marker lists only users this run made: none now (a name CREATE USER refused may be someone else's).
    for (const { clone, marker } of listed) await ctx.conn.query(markStatement(ctx.home, clone, marker)).catch(() => {})
    throw roleError(err, [ctx.password, ...plans.flatMap((p) => p.users.map((u) => u.password))])
  }
  return out
}

/** ER_NOT_VALID_PASSWORD: a password check plugin refused the password (or, on MariaDB, its hash). */
const PASSWORD_REFUSED = 1819

/** E_ROLE for a failure while making users, its cause without the statement (statementCause: MySQL's holds the password). */
function roleError(err: unknown, secrets: string[]): WorkerDbError {
  const e = err as { errno?: number; code?: string; message?: string }
  const detail = secrets.reduce((text, s) => redact(text, s), e?.message ?? String(err))
  const hint = e?.errno === 1044 || e?.errno === 1227
    ? 'The admin user lacks a privilege this needs (CREATE USER, and the privileges it hands on WITH GRANT OPTION): connect as root, or remove `roles`.'
    : e?.errno === PASSWORD_REFUSED
      ? 'A password check plugin refused the per-worker password: on MariaDB set strict_password_validation=OFF (workerdb sends the password\'s hash), or remove `roles`.'
      : 'Check the server log; or remove `roles` from the workerdb config.'
  return new WorkerDbError('E_ROLE', `creating the per-worker users failed: ${detail}`, hint, { cause: statementCause(err, detail) })
}

/** Drops the users the marker of `clone` lists (rolesInMarker); never throws for one that is gone. */
export async function dropUsersOf(conn: Conn, clone: string, comment: string | null | undefined): Promise<void> {
  for (const { name } of rolesInMarker(clone, comment)) await conn.query(`DROP USER IF EXISTS ${userAccount(name)}`)
}

