/** A PostgreSQL server workerdb can create and drop databases on. */
export interface ServerHandle {
  kind: 'url' | 'embedded' | 'testcontainers'
  /** Connection URL for admin work (maintenance database). May carry a password: never print it raw. */
  adminUrl: string
  /** One line for humans, password-free: "embedded PostgreSQL 17 on 127.0.0.1:54873". */
  describe: string
  /** Whether databases outlive this run (false for an embedded server in a temp dir): templates are kept only then. */
  persistent: boolean
  /** Stops the server if workerdb started it; a no-op for servers it only connects to. */
  stop(): Promise<void>
}
