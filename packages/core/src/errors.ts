/**
 * Every failure workerdb reports on purpose is a WorkerDbError: a stable `code` a program can switch on,
 * a message that says what happened, and a `hint` that says what to do about it.
 */
export type WorkerDbErrorCode =
  | 'E_CONFIG'
  | 'E_CONFIG_NOT_FOUND'
  | 'E_SERVER_UNREACHABLE'
  | 'E_AUTH'
  | 'E_NO_CREATEDB'
  | 'E_MIGRATION'
  | 'E_NAME_TOO_LONG'
  | 'E_NO_CLONE'
  | 'E_NO_MANIFEST'
  | 'E_EMBEDDED'
  | 'E_MIXED_POOLS'
  | 'E_SEQUENCE_GROUPS'
  | 'E_CLONE'
  | 'E_NO_RUNTIME'
  | 'E_RESET'
  | 'E_TRANSACTION'
  | 'E_CLONES_UNUSED'
  | 'E_ROLE'

export class WorkerDbError extends Error {
  readonly code: WorkerDbErrorCode
  readonly hint: string
  /** What happened, without the code and the hint: to carry the error elsewhere (a failed run's manifest). */
  readonly detail: string

  constructor(code: WorkerDbErrorCode, message: string, hint: string, options?: { cause?: unknown }) {
    // The hint is part of the message too: test runners print `message`, rarely custom fields.
    super(`${code}: ${message}${hint ? `\n  → ${hint}` : ''}`, options)
    this.name = 'WorkerDbError'
    this.code = code
    this.hint = hint
    this.detail = message
  }
}

export function isWorkerDbError(err: unknown): err is WorkerDbError {
  return err instanceof Error && (err as { name?: string }).name === 'WorkerDbError' && 'code' in err
}
