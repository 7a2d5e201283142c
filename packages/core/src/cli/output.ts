/** What a command prints: lines for people, `data` for `--json`; and the small formatting helpers they share. */
export interface CommandOutput {
  json: boolean
  lines: string[]
  data: Record<string, unknown>
}

export function finish(out: CommandOutput, code: number): { code: number; text: string } {
  return { code, text: out.json ? JSON.stringify(out.data, null, 2) : out.lines.join('\n') }
}

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (s < 90) return `${s}s`
  if (s < 90 * 60) return `${Math.round(s / 60)}m`
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86400)}d`
}

/** Pads columns to their widest cell: output that reads in an 80-column terminal. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** `--name value` or `--name=value`. */
export function flag(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1]
    if (argv[i]!.startsWith(`--${name}=`)) return argv[i]!.slice(name.length + 3)
  }
  return undefined
}

/** A value safe to paste into POSIX sh. */
export function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}
