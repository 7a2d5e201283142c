/**
 * Per-worker roles on PostgreSQL (config `roles`; the seam's RoleSupport). Roles are cluster-wide: a clone cannot carry one, and two workers that
 * `ALTER ROLE` one shared role at the same moment fail with "tuple concurrently updated". With
 * `roles: ['app']`, each clone gets a LOGIN role of its own per key, `<clone>_role_<key>` (names.ts),
 * marked as workerdb's like its databases (COMMENT ON ROLE, marker.ts), allowed everything inside its clone
 * and nothing server-wide, and a member of the existing roles its `memberOf` names.
 *
 * A role is dropped after its clone wherever clones are dropped (dropClones, the background dropper,
 * `workerdb teardown`), and the sweep drops those of dead runs once their clone is gone. Only roles with
 * our prefix, a name that parses as a clone's role, AND our marker are ever dropped.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto'
import { connect, listRoles, type Client, type ServerInfo } from './db.js'
import { WorkerDbError } from '../../errors.js'
import type { CloneRoles, RoleSpec } from '../dialect.js'
import { makeMarker, parseMarker, type Marker } from '../marker.js'
import { markRole } from './marks.js'
import { parseRoleName, quoteIdent, quoteLiteral, roleName } from '../names.js'
import { redactText } from '../../url.js'

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677, as libpq's
 * PQencryptPasswordConn makes it): sent instead of the password, so that no server log
 * (log_statement = 'ddl') ever shows it. Works with `scram-sha-256`, `md5` and `password` in pg_hba.conf.
 */
export async function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): Promise<string> {
  const salted = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password, salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key))))
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}

const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ')

/**
 * Before anything is made: the admin role may create roles, and every role a `memberOf` names exists.
 * workerdb never creates those: they are the project's, made once per server (and left alone by every sweep).
 */
export async function checkRoles(admin: Client, info: Pick<ServerInfo, 'canCreateRole' | 'user'>, specs: readonly RoleSpec[]): Promise<void> {
  if (!specs.length) return
  if (!info.canCreateRole) {
    throw new WorkerDbError('E_ROLE',
      `role "${info.user}" cannot create roles, and \`roles\` asks for ${specs.length === 1 ? 'a role' : `${specs.length} roles`} per clone (${quoted(specs.map((s) => s.key))})`,
      `Grant it: ALTER ROLE "${info.user}" CREATEROLE; (or connect as a role that has CREATEROLE), or remove \`roles\` from the workerdb config.`)
  }
  const wanted = [...new Set(specs.flatMap((s) => s.memberOf))]
  if (!wanted.length) return
  const { rows } = await admin.query<{ rolname: string }>('select rolname from pg_roles where rolname = any($1)', [wanted])
  const found = new Set(rows.map((r) => r.rolname))
  const missing = wanted.filter((n) => !found.has(n))
  if (missing.length) {
    const one = missing.length === 1
    throw new WorkerDbError('E_ROLE',
      `\`roles\` makes each clone's role a member of ${quoted(missing)}, which ${one ? 'does' : 'do'} not exist on this server`,
      `Create ${one ? 'it' : 'them'} once per server, with ${one ? 'its' : 'their'} grants (e.g. CREATE ROLE ${quoteIdent(missing[0]!)} NOLOGIN; in your server's setup or a migrator's prepare step), ` +
      'or remove it from `memberOf`. workerdb creates and drops only its own per-worker roles.')
  }
}

export interface CreateRolesOptions {
  adminUrl: string
  clones: ReadonlyArray<{ database: string; url: string }>
  specs: readonly RoleSpec[]
  runId: string
  /** Marker fields over the defaults, as the clones' (project, detached). */
  marker?: Partial<Marker>
  /** How many clones get their grants at once (one session each). */
  concurrency: number
  /** An open admin session to create the roles on (left open). */
  first?: Client
  /** The server's major version: SCRAM verifiers from 10 on, `ALL ROUTINES` from 11. */
  major: number
}

/**
 * Creates every clone's roles, marked, in one transaction (a run killed midway leaves none, and never an
 * unmarked one), then grants each its clone: everything on the database, and in each schema the admin
 * role can grant in, usage and create, all on its tables and sequences, execute on its routines — and the
 * same by default on what the admin role creates there later (a test's own setup). Returns, per clone,
 * its roles by key.
 */
export async function createRoles(opts: CreateRolesOptions): Promise<Map<string, CloneRoles>> {
  const out = new Map<string, CloneRoles>()
  if (!opts.specs.length || !opts.clones.length) return out
  const made: Array<{ clone: (typeof opts.clones)[number]; spec: RoleSpec; name: string; password: string; secret: string }> = []
  for (const clone of opts.clones) {
    for (const spec of opts.specs) {
      // Hex: nothing a URL or SASLprep changes. 128 bits for a role that lives as long as its clone.
      const password = randomBytes(16).toString('hex')
      made.push({ clone, spec, name: roleName(clone.database, spec.key), password, secret: '' })
    }
  }
  await Promise.all(made.map(async (m) => { m.secret = opts.major >= 10 ? await scramVerifier(m.password) : m.password }))

  const admin = opts.first ?? await connect(opts.adminUrl)
  try {
    await admin.query('begin')
    try {
      for (const m of made) {
        // INHERIT (the default): the role has the privileges of the roles it is made a member of.
        await admin.query(`create role ${quoteIdent(m.name)} login password ${quoteLiteral(m.secret)}`)
        await markRole(admin, m.name, makeMarker({ ...opts.marker, kind: 'role', run: opts.runId }))
        for (const base of m.spec.memberOf) {
          try {
            await admin.query(`grant ${quoteIdent(base)} to ${quoteIdent(m.name)}`)
          } catch (err) {
            throw roleError(err, `cannot make ${m.name} a member of "${base}"`,
              `PostgreSQL 16+ lets a CREATEROLE role grant only roles it has ADMIN OPTION on: GRANT ${quoteIdent(base)} TO <the admin role> WITH ADMIN OPTION; (or use a superuser).`)
          }
        }
      }
      await admin.query('commit')
    } catch (err) {
      await admin.query('rollback').catch(() => {})
      throw err instanceof WorkerDbError ? err : roleError(err, 'creating the per-worker roles failed')
    }
  } finally {
    if (admin !== opts.first) await admin.end().catch(() => {})
  }

  for (const m of made) {
    const url = new URL(m.clone.url)
    url.username = encodeURIComponent(m.name)
    url.password = m.password
    const roles = out.get(m.clone.database) ?? {}
    roles[m.spec.key] = { name: m.name, url: url.toString() }
    out.set(m.clone.database, roles)
  }

  // Grants inside each clone need a session on that clone: a few at once.
  const queue = [...opts.clones]
  const lanes = Math.max(1, Math.min(opts.concurrency, queue.length))
  const results = await Promise.allSettled(Array.from({ length: lanes }, async () => {
    for (let clone = queue.shift(); clone !== undefined; clone = queue.shift()) {
      await grantClone(clone, Object.values(out.get(clone.database)!).map((r) => r.name), opts.major)
    }
  }))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
  return out
}

async function grantClone(clone: { database: string; url: string }, roles: string[], major: number): Promise<void> {
  const client = await connect(clone.url, `clone ${clone.database}`)
  try {
    // Schemas whose owner's privileges the admin role has (all of them for a superuser): the others' GRANTs would fail.
    const { rows } = await client.query<{ nspname: string }>(
      `select nspname from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema' and pg_has_role(nspowner, 'USAGE') order by nspname`)
    const routines = major >= 11 ? 'routines' : 'functions'
    const statements: string[] = []
    for (const role of roles) {
      const r = quoteIdent(role)
      statements.push(`grant all on database ${quoteIdent(clone.database)} to ${r}`)
      for (const { nspname } of rows) {
        const s = quoteIdent(nspname)
        statements.push(
          `grant usage, create on schema ${s} to ${r}`,
          `grant all on all tables in schema ${s} to ${r}`,
          `grant all on all sequences in schema ${s} to ${r}`,
          `grant execute on all ${routines} in schema ${s} to ${r}`,
          `alter default privileges in schema ${s} grant all on tables to ${r}`,
          `alter default privileges in schema ${s} grant all on sequences to ${r}`,
          `alter default privileges in schema ${s} grant execute on ${major >= 11 ? 'routines' : 'functions'} to ${r}`,
        )
      }
    }
    // One round trip (the simple protocol runs them as one implicit transaction).
    await client.query(statements.join(';\n'))
  } catch (err) {
    throw err instanceof WorkerDbError ? err : roleError(err, `granting the per-worker roles their clone ${clone.database} failed`)
  } finally {
    await client.end().catch(() => {})
  }
}

function roleError(err: unknown, what: string, hint?: string): WorkerDbError {
  const e = err as { code?: string; message?: string }
  const detail = redactText(e.message ?? String(err))
  return new WorkerDbError('E_ROLE', `${what}: ${detail}`,
    hint ?? (e.code === '42501'
      ? 'The admin role lacks a privilege this needs (CREATEROLE, or ownership of the objects in the template): connect as their owner or a superuser, or remove `roles`.'
      : 'Check the server log; `npx workerdb doctor` checks the usual causes.'),
    { cause: err })
}

/**
 * The per-worker roles of these clones that this run made (their marker names it): a name is never trusted
 * alone. Found by name (`<clone>_role_…`) and checked by marker.
 */
export async function rolesOfClones(admin: Client, clones: readonly string[], runId: string): Promise<string[]> {
  if (!clones.length) return []
  const { rows } = await admin.query<{ name: string; comment: string | null }>(
    `select r.rolname as name, shobj_description(r.oid, 'pg_authid') as comment
       from pg_roles r where not r.rolsuper and exists (select 1 from unnest($1::text[]) c where starts_with(r.rolname, c || '_role_'))
      order by 1`, [clones])
  return rows.filter((r) => { const m = parseMarker(r.comment); return m?.kind === 'role' && m.run === runId }).map((r) => r.name)
}

/** Sessions open now per `prefix_*` role, other than `admin`'s own: a role in use is never dropped. */
export async function roleSessions(admin: Client, prefix: string): Promise<Map<string, number>> {
  const { rows } = await admin.query(
    'select usename, count(*)::int as n from pg_stat_activity where starts_with(usename, $1) and pid <> pg_backend_pid() group by usename', [`${prefix}_`])
  return new Map(rows.map((r) => [r.usename as string, r.n as number]))
}

/** Every per-worker role of one run of this prefix (`workerdb teardown <run>`): by name, and by marker. */
export async function rolesOfRun(admin: Client, prefix: string, runId: string): Promise<string[]> {
  return (await listRoles(admin, `${prefix}_${runId}`))
    .filter((r) => { const m = parseMarker(r.comment); return !r.superuser && parseRoleName(prefix, r.name) && m?.kind === 'role' && m.run === runId })
    .map((r) => r.name)
}

/**
 * Drops roles already known to be ours, after their clones (whatever they owned or were granted there went
 * with the database). What they own or were granted in the admin database goes first (DROP OWNED BY) when
 * the server says something depends on them; a role something still depends on elsewhere is left, and
 * named in `failed`, for a later sweep. A role another session dropped meanwhile counts as dropped.
 */
export async function dropRoles(admin: Client, names: readonly string[]): Promise<{ dropped: string[]; failed: string[] }> {
  const dropped: string[] = []
  const failed: string[] = []
  for (const name of names) {
    try {
      try {
        await admin.query(`drop role if exists ${quoteIdent(name)}`)
      } catch (err) {
        if ((err as { code?: string }).code !== '2BP01') throw err
        await admin.query(`drop owned by ${quoteIdent(name)}`)
        await admin.query(`drop role if exists ${quoteIdent(name)}`)
      }
      dropped.push(name)
    } catch (err) {
      // Two sessions dropping one role ("tuple concurrently deleted"): gone all the same.
      const { rows } = await admin.query('select 1 from pg_roles where rolname = $1', [name]).catch(() => ({ rows: [1] }))
      if (rows.length === 0) dropped.push(name)
      else failed.push(`${name}: ${redactText((err as Error).message ?? String(err))}`)
    }
  }
  return { dropped, failed }
}
