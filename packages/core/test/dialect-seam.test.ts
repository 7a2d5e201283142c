/**
 * The dialect seam holds: one kind's SQL and driver live under catalog/<kind>/ (and, for PostgreSQL, in the
 * modules of the features only it has), never in the shared code above the seam. Read from the sources,
 * comments left out, so a new statement in shared code fails here rather than on another kind's server.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

/** What gives each kind away in code. */
const TELLS: Record<string, RegExp> = {
  postgres: /\bpg_[a-z_]+\s*\(|\bpg_(stat_activity|stat_database|database|roles|authid|class|namespace|depend|constraint)\b|from 'pg'|\bcomment on (database|role)\b|\bis_template\b|\bwith \(force\)/i,
  mysql: /\bget_lock\b|\binformation_schema\.schemata\b|\bschema_comment\b|'mysql2(\/promise)?'/i,
  sqlite: /'better-sqlite3'|\bpragma\b|\bsqlite_(master|sequence|version)\b/i,
  any: /\b(create|drop|alter) database\b/i,
}

/**
 * Where a kind's code may be: its catalog folder (and, for the ORM adapters' drivers, migrate/drivers.ts); for PostgreSQL also its server (embedded, container) and
 * the features only it has so far: the clone-use check, the ORM adapters written against node-postgres, and
 * the pg loader. The reset's SQL is each kind's own (catalog/<kind>/reset.ts).
 */
const HOMES: Record<string, RegExp> = {
  postgres: /^(catalog\/postgres\/|server\/|runfile\/clone-use\.ts$|migrate\/|require-pg\.ts$|runner\.ts$)/,
  mysql: /^(catalog\/mysql\/|migrate\/drivers\.ts$)/,
  sqlite: /^(catalog\/sqlite\/|migrate\/drivers\.ts$)/,
  any: /^catalog\/(postgres|mysql|sqlite)\//,
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : []
  })
}

/** The code without its comments (block comments, and line comments not inside a string or URL). */
export function codeOf(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
}

describe('the dialect seam', () => {
  it('codeOf leaves strings and URLs alone and drops comments', () => {
    expect(codeOf("const a = 'x' // pg_stat_activity\n/* create database */ const u = 'mysql://h/db'")).toBe("const a = 'x' \n const u = 'mysql://h/db'")
  })

  it('no kind\'s SQL or driver outside its home', () => {
    const strays: string[] = []
    for (const file of sources(SRC)) {
      const rel = relative(SRC, file).split('\\').join('/')
      const code = codeOf(readFileSync(file, 'utf8'))
      for (const [kind, tell] of Object.entries(TELLS)) {
        const m = tell.exec(code)
        if (m && !HOMES[kind]!.test(rel)) strays.push(`${rel}: ${kind} (${m[0]})`)
      }
    }
    expect(strays).toEqual([])
  })

  it('the tells would catch a stray statement in shared code', () => {
    const shared = 'engine/template.ts'
    for (const [kind, sample] of [['postgres', "await c.query('select pg_terminate_backend(pid)')"], ['mysql', "await c.query('select get_lock(?, 0)')"], ['sqlite', "db.pragma('journal_mode = wal')"], ['any', "`create database ${name}`"]] as const) {
      expect(TELLS[kind]!.test(codeOf(sample)), kind).toBe(true)
      expect(HOMES[kind]!.test(shared), kind).toBe(false)
    }
  })
})
