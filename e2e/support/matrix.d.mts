export interface MatrixRow {
  /** 'vitest' | 'jest' | … */
  framework: string
  /** The exact framework version run, e.g. '4.1.12'. */
  version: string
  /** Pool / runner, e.g. 'forks', 'threads', 'forks+threads', 'workers', 'in band'. */
  pool: string
  /** How it was invoked: 'run', 'watch', 'shard 2', 'projects', 'stress', … */
  mode: string
  /** What was proven, short: 'seed ×30', '1/3/7 files', 'E_MIXED_POOLS'. */
  scenario: string
  /** The recording test's stable name (file > test): a renamed scenario replaces its old row. */
  id?: string
}

export declare const MATRIX_FILE: string
export declare function recordMatrix(row: MatrixRow & { result: 'pass' | 'fail'; detail?: string }): void
export declare function withMatrix<T>(row: MatrixRow, fn: () => Promise<T>): Promise<T>
