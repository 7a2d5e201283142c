/**
 * PostgreSQL refuses to run as root: when we are root, the server runs as an unprivileged account, which
 * must be able to reach and read everything it uses.
 */
import fs from 'node:fs'
import path from 'node:path'
import { WorkerDbError } from '../../errors.js'

export interface RunAs {
  name: string
  uid: number
  gid: number
}

/** PostgreSQL refuses to run as root: pick an existing unprivileged account to run it as. */
export function unprivilegedUser(): RunAs {
  let passwd = ''
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8')
  } catch {
    // handled below
  }
  const users = new Map<string, RunAs>()
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':')
    if (name && uid && gid) users.set(name, { name, uid: Number(uid), gid: Number(gid) })
  }
  const user = users.get('postgres') ?? users.get('nobody')
  if (!user || user.uid === 0) {
    throw new WorkerDbError(
      'E_EMBEDDED',
      'PostgreSQL cannot run as root, and there is no `postgres` or `nobody` user to run it as',
      'run the tests as a non-root user, create a `postgres` user (`useradd -r postgres`), ' +
        'or use a connection URL',
    )
  }
  return user
}

/** POSIX permission check from mode bits: only the owner's bits apply to the owner, and so on. */
function permits(st: fs.Stats, u: RunAs, want: number): boolean {
  const bits = st.uid === u.uid ? (st.mode >> 6) & 7 : st.gid === u.gid ? (st.mode >> 3) & 7 : st.mode & 7
  return (bits & want) === want
}

/** The first ancestor directory of `p` that `u` cannot enter, if any. */
export function blockedAncestor(p: string, u: RunAs): string | undefined {
  let dir = path.dirname(p)
  for (;;) {
    if (!permits(fs.statSync(dir), u, 1)) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** The first entry in the tree under `dir` that `u` cannot read (and enter / execute where needed). */
export function unreadableEntry(dir: string, u: RunAs): string | undefined {
  const st = fs.statSync(dir)
  if (!permits(st, u, 5)) return dir
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name)
    if (ent.isDirectory()) {
      const bad = unreadableEntry(p, u)
      if (bad) return bad
    } else if (ent.isFile()) {
      // bin/* must be executable; shared libraries only need to be readable to be mapped.
      const want = path.basename(dir) === 'bin' ? 5 : 4
      if (!permits(fs.statSync(p), u, want)) return p
    }
    // symlinks: their targets are checked as files of the same tree
  }
  return undefined
}

export function chownTree(p: string, u: RunAs): void {
  fs.lchownSync(p, u.uid, u.gid)
  if (fs.lstatSync(p).isDirectory()) {
    for (const name of fs.readdirSync(p)) chownTree(path.join(p, name), u)
  }
}
