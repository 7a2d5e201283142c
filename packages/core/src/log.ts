/**
 * workerdb's voice: one-line summaries prefixed `workerdb ·`, progress redrawn in place on a TTY.
 * Everything goes to stderr so it never mixes with a test runner's machine-readable stdout.
 */
export interface Logger {
  info(line: string): void
  warn(line: string): void
  /** Shows a transient progress line on a TTY; a no-op elsewhere. Cleared by the next info/warn. */
  progress(line: string): void
}

const PREFIX = 'workerdb ·'

export function createLogger(opts: { silent?: boolean; stream?: NodeJS.WriteStream } = {}): Logger {
  const stream = opts.stream ?? process.stderr
  const tty = Boolean(stream.isTTY) && !process.env.CI
  let dirty = false
  const clear = () => {
    if (dirty) {
      stream.write('\r\x1b[2K')
      dirty = false
    }
  }
  if (opts.silent || process.env.WORKERDB_SILENT === '1') {
    return { info() {}, warn() {}, progress() {} }
  }
  return {
    info(line) {
      clear()
      stream.write(`${PREFIX} ${line}\n`)
    },
    warn(line) {
      clear()
      stream.write(`${PREFIX} warning: ${line}\n`)
    },
    progress(line) {
      if (!tty) return
      stream.write(`\r\x1b[2K${PREFIX} ${line}`)
      dirty = true
    },
  }
}

export function ms(since: number): string {
  const d = performance.now() - since
  return d >= 1000 ? `${(d / 1000).toFixed(1)} s` : `${Math.round(d)} ms`
}

/** `plural(3, 'clone')` → "3 clones"; `plural(1, 'clone')` → "1 clone". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
