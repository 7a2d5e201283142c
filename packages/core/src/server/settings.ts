/**
 * The server settings workerdb starts its own servers with (embedded and container alike): fast and
 * unsafe on purpose, because a test database never needs to survive a crash.
 */
export const FAST_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  // No replicas: a table created and filled in one transaction (every migration's CREATE + seed) is
  // written once instead of twice. minimal needs max_wal_senders=0.
  wal_level: 'minimal',
  max_wal_senders: '0',
  // Every worker has a pool, and the clone step needs a few admin connections on top.
  max_connections: '200',
}

/** `{ fsync: 'off' }` → `['-c', 'fsync=off']`: the command-line form postgres takes. */
export function settingArgs(settings: Readonly<Record<string, string>>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])
}
