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
  /** The recording test's stable name (file > test). */
  id?: string
}

export declare const RESULTS_DIR: string
export declare const RUNS_DIR: string
export declare const LATEST_FILE: string
export declare const SCENARIOS_FILE: string
export declare function gitState(cwd?: string): { commit: string; dirty: boolean }
export declare function startMatrixRun(o?: { runsDir?: string; latestFile?: string; now?: Date }): string
export declare function latestRunFile(latestFile?: string): string | undefined
export declare function recordMatrix(row: MatrixRow & { result: 'pass' | 'fail' | 'skip'; detail?: string }): void
export declare function withMatrix<T>(row: MatrixRow, fn: () => Promise<T>): Promise<T>
