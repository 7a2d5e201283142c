/**
 * Cleanup that survives the runner: a detached process in a session of its own (a kill of the runner's
 * process group does not reach it) whose stdin is a pipe from the runner. Linux gives a Node process no
 * way to have its children signalled when it dies, but a pipe always closes: the guard reads that as "the
 * runner is gone, however it died" unless the runner said `done` first. Each guard (the embedded server's,
 * the container's) is a program of its own; this module starts it and holds the pipe.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import os from 'node:os'

export interface GuardPipe {
  /** One line to the guard; nothing once the pipe is closed. */
  send(line: string): void
  /** Closes the pipe, after `lastLine` if given: `done` releases the guard, anything else sets it off. */
  close(lastLine?: string): void
}

/** Undefined when the process cannot be started: the run then has no protection against SIGKILL. */
export function startGuardProcess(command: string, args: string[], env: NodeJS.ProcessEnv): GuardPipe | undefined {
  let child: ChildProcess
  try {
    child = spawn(command, args, { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env, cwd: os.tmpdir(), windowsHide: true })
  } catch {
    return undefined
  }
  child.once('error', () => {})
  const stdin = child.stdin!
  stdin.on('error', () => {})
  // Neither the guard nor its pipe may keep the runner alive.
  child.unref()
  ;(stdin as unknown as { unref?: () => void }).unref?.()
  let closed = false
  return {
    send(line) {
      if (!closed && stdin.writable) stdin.write(`${line}\n`)
    },
    close(lastLine) {
      if (closed) return
      closed = true
      if (stdin.writable) stdin.end(lastLine === undefined ? undefined : `${lastLine}\n`)
    },
  }
}
