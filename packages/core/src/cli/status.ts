/** `workerdb status`: templates, clones and per-worker roles on the server, with their runs and whether those are alive. */
import { listRoles, type Client } from '../catalog/postgres/db.js'
import type { DatabaseRow } from '../catalog/dialect.js'
import { connectAdmin } from '../catalog/dialects.js'
import { pgClientOf } from '../catalog/postgres/index.js'
import { parseMarker, rolesInMarker } from '../catalog/marker.js'
import { parseRoleName } from '../catalog/names.js'
import { roleSessions } from '../catalog/postgres/roles.js'
import { ownerAlive } from '../runfile/liveness.js'
import { redactUrl } from '../url.js'
import { age, mb, table, type CommandOutput } from './output.js'
import { urlServer } from './server-url.js'

export async function status(out: CommandOutput, cwd: string): Promise<void> {
  const { config, url } = await urlServer(cwd, 'status')
  const { prefix } = config
  const admin = await connectAdmin(url, 'WORKERDB_URL / server.url')
  try {
    const facts = await admin.facts()
    const rows = await admin.list(prefix)
    const sessions = await admin.sessions(prefix)
    const sizes = new Map(await Promise.all(rows.map(async (r) => [r.name, await admin.size(r.name)] as const)))
    const templates = []
    const clones = []
    const spares = new Map<string, number>()
    for (const row of rows) {
      const m = parseMarker(row.comment)
      const base = { name: row.name, sizeBytes: sizes.get(row.name) ?? 0, sessions: sessions.get(row.name) ?? 0 }
      if (m?.kind === 'template') templates.push({ ...base, hash: m.hash, state: m.state, createdAt: m.createdAt, sealed: row.isTemplate })
      // A spare still being made is none yet.
      else if (m?.kind === 'spare') { if (m.state !== 'building') spares.set(m.hash ?? '?', (spares.get(m.hash ?? '?') ?? 0) + 1) }
      else if (m?.kind === 'clone') clones.push({ ...base, run: m.run, host: m.host, pid: m.pid, alive: ownerAlive(m), detached: Boolean(m.detached), createdAt: m.createdAt })
      else clones.push({ ...base, run: null, host: null, pid: null, alive: 'not workerdb\'s (no marker): never touched', createdAt: null })
    }
    const withSpares = templates.map((t) => ({ ...t, spares: spares.get(t.hash ?? '?') ?? 0 }))
    const pg = pgClientOf(admin)
    const roles = pg ? await roleStatus(pg, prefix, new Set(rows.map((r) => r.name))) : usersOfClones(rows)
    out.data = { server: redactUrl(url), product: facts.product, version: facts.major, prefix, templates: withSpares, clones, roles }
    out.lines.push(`server ${redactUrl(url)} · ${facts.product} · prefix ${prefix}_`)
    out.lines.push('')
    out.lines.push(templates.length ? `templates (${templates.length})` : 'templates: none')
    if (templates.length) {
      out.lines.push(...table([['  hash', 'state', 'age', 'size', 'spares'], ...withSpares.map((t) => [`  ${String(t.hash ?? '?').slice(0, 10)}`, t.state ?? '?', age(t.createdAt), mb(t.sizeBytes), String(t.spares)])]))
    }
    out.lines.push(clones.length ? `clones (${clones.length})` : 'clones: none')
    if (clones.length) {
      out.lines.push(...table([['  name', 'run', 'process', 'age', 'sessions'], ...clones.map((c) => [
        `  ${c.name}`, c.run ?? '-', c.pid === null ? String(c.alive) : `${c.host}:${c.pid} ${c.alive === true ? 'alive' : c.alive === false ? 'dead (sweepable)' : 'detached' in c && c.detached ? 'no owner (provision; teardown or TTL)' : 'other host'}`,
        c.createdAt ? age(c.createdAt) : '-', String(c.sessions)])]))
    }
    // Only when there are any: most projects never use per-worker roles.
    if (roles.length) {
      out.lines.push(`roles (${roles.length})`)
      out.lines.push(...table([['  name', 'clone', 'run', 'process', 'age', 'sessions'], ...roles.map((r) => [
        `  ${r.name}`, `${r.clone}${r.cloneExists ? '' : ' (gone)'}`, r.run ?? '-',
        r.pid === null ? String(r.alive) : `${r.host}:${r.pid} ${r.alive === true ? 'alive' : r.alive === false ? (r.cloneExists ? 'dead (goes with its clone)' : 'dead (sweepable)') : r.detached ? 'no owner (provision; teardown or TTL)' : 'other host'}`,
        r.createdAt ? age(r.createdAt) : '-', r.sessions === undefined ? '-' : String(r.sessions)])]))
    }
  } finally {
    await admin.close()
  }
}

/**
 * Where users carry no mark of their own (MySQL/MariaDB), the per-worker users a clone's marker lists
 * (Marker.roles): they live and die with that clone. Their sessions are not counted.
 */
function usersOfClones(rows: readonly DatabaseRow[]) {
  return rows.flatMap((row) => {
    const m = parseMarker(row.comment)
    return m ? rolesInMarker(row.name, row.comment).map(({ name, key }) => ({
      name, clone: row.name, key, cloneExists: true, sessions: undefined, run: m.run, host: m.host, pid: m.pid, alive: ownerAlive(m), detached: Boolean(m.detached), createdAt: m.createdAt,
    })) : []
  })
}

/** Roles named like a clone's per-worker role (`<clone>_role_<key>`): ours when marked, untouchable otherwise. */
async function roleStatus(admin: Client, prefix: string, databases: ReadonlySet<string>) {
  const rows = (await listRoles(admin, prefix)).filter((r) => parseRoleName(prefix, r.name))
  if (!rows.length) return []
  const count = await roleSessions(admin, prefix)
  return rows.map((row) => {
    const { clone, key } = parseRoleName(prefix, row.name)!
    const m = parseMarker(row.comment)
    const base = { name: row.name, clone, key, cloneExists: databases.has(clone), sessions: count.get(row.name) ?? 0 }
    return m?.kind === 'role'
      ? { ...base, run: m.run, host: m.host, pid: m.pid, alive: ownerAlive(m), detached: Boolean(m.detached), createdAt: m.createdAt }
      : { ...base, run: null, host: null, pid: null, alive: 'not workerdb\'s (no marker): never touched' as const, detached: false, createdAt: null }
  })
}
