/** The guard: an embedded server never outlives the runner that started it, however the runner dies. */
import { startGuardProcess } from '../guard-process.js'

/**
 * A test runner killed with SIGKILL (CI timeouts, the OOM killer, `kill -9`) runs no exit hook, and Linux
 * gives a Node process no way to have its children signalled when it dies. So every embedded server gets
 * a guard: a tiny `sh` in a session of its own (a kill of the runner's process group does not reach it)
 * whose stdin is a pipe from the runner. The runner tells it which process to watch (initdb, then
 * postgres); when the pipe closes without a `done` line, the runner is gone however it died: the guard
 * stops that process (fast shutdown, then harder) and removes the scratch dir (the throwaway data dir).
 * A zombie counts as gone: a killed child's new parent may never reap it.
 */
const GUARD_SCRIPT = `
pid=
while IFS= read -r line; do
  case "$line" in
    "pid "*) pid=\${line#pid } ;;
    nopid) pid= ;;
    done) exit 0 ;;
  esac
done
gone() { ! kill -0 "$1" 2>/dev/null || case "$(cat /proc/$1/stat 2>/dev/null)" in *") Z "*) true ;; *) false ;; esac; }
if [ -n "$pid" ]; then
  for sig in INT QUIT KILL; do
    gone "$pid" && break
    kill -$sig "$pid" 2>/dev/null
    n=0
    while ! gone "$pid" && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n+1)); done
  done
fi
rm -rf "$1"
`

export interface Guard {
  /** The process to stop if the runner dies (undefined: none right now). */
  watch(pid: number | undefined): void
  /** The runner cleaned up itself: the guard exits and touches nothing. */
  release(): void
}

/** Starts the guard of one scratch dir; undefined where there is no POSIX shell (Windows). */
export function startGuard(scratch: string, env: NodeJS.ProcessEnv = process.env): Guard | undefined {
  if (process.platform === 'win32') return undefined
  const pipe = startGuardProcess('/bin/sh', ['-c', GUARD_SCRIPT, 'workerdb-guard', scratch], env)
  if (!pipe) return undefined
  return {
    watch: (pid) => pipe.send(pid === undefined ? 'nopid' : `pid ${pid}`),
    release: () => pipe.close('done'),
  }
}
