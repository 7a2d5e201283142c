/** How PostgreSQL copies a template, and how a test-only server stops waiting for its disk. */
import type { ServerInfo } from './db.js'

export type CloneStrategy = 'auto' | 'WAL_LOG' | 'FILE_COPY'

/**
 * FILE_COPY checkpoints twice per clone: cheap with fsync off, costly with fsync on, where WAL_LOG wins
 * for small templates (docs/performance.md, the clone strategy rows). Large templates favour FILE_COPY again, and so
 * does PostgreSQL 18 with `file_copy_method = clone`, where the copy is a reflink of each file (near free
 * on XFS, Btrfs, APFS; the server's setting, which workerdb reads but never changes).
 * Before PostgreSQL 15 there is no choice to make.
 */
export function chooseStrategy(info: Pick<ServerInfo, 'major' | 'fsync' | 'fileCopyMethod'>, templateBytes: number, requested: CloneStrategy = 'auto'): 'WAL_LOG' | 'FILE_COPY' | undefined {
  if (info.major < 15) return undefined
  if (requested !== 'auto') return requested
  if (!info.fsync) return 'FILE_COPY'
  if (info.major >= 18 && info.fileCopyMethod === 'clone') return 'FILE_COPY'
  return templateBytes > 64 * 1024 * 1024 ? 'FILE_COPY' : 'WAL_LOG'
}

/** How to make a test-only server stop waiting for its disk; `workerdb doctor` prints it. */
export const DURABILITY_FIX = 'For a server that only runs tests: start it with `-c fsync=off -c full_page_writes=off -c synchronous_commit=off` ' +
  '(`docker run … postgres -c fsync=off …`), or on a running one `ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET full_page_writes = off; ' +
  'ALTER SYSTEM SET synchronous_commit = off; SELECT pg_reload_conf();` (no restart). Its data on tmpfs (`--tmpfs /var/lib/postgresql/data`) ' +
  'saves more. Never on a server whose data must survive a crash.'
