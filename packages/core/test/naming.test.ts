import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkerDbError } from '../src/errors.js'
import {
  MAX_IDENTIFIER_BYTES, checkIdentifier, cloneName, isOwnName, newRunId, parseName, quoteIdent, quoteLiteral, spareName, sparePrefix, templateName, validatePrefix,
} from '../src/catalog/names.js'
import { dbUrl, dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')
const HASH = 'f'.repeat(64)

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(WorkerDbError)
    return (err as WorkerDbError).code
  }
  return undefined
}

describe('database names fit in 63 bytes', () => {
  it('a template name with the longest prefix and a full sha256 fits', () => {
    const name = templateName('abcdefghijkl', HASH)
    expect(bytes(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES)
    expect(name.startsWith('abcdefghijkl_')).toBe(true)
  })

  it('a template name keeps 16 hash chars, so different hashes get different names', () => {
    const a = templateName('wdb', '0123456789abcdef' + '0'.repeat(48))
    const b = templateName('wdb', '0123456789abcdee' + '0'.repeat(48))
    expect(a).toContain('0123456789abcdef')
    expect(a).not.toBe(b)
  })

  it('a clone name with the longest prefix, a run id, the longest pool and a large slot fits', () => {
    const name = cloneName('abcdefghijkl', newRunId(), 99999, 'vmThreads')
    expect(bytes(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES)
  })

  it('clone names differ per slot, per run and per pool', () => {
    const names = new Set([
      cloneName('wdb', 'aaaaaaaa', 1), cloneName('wdb', 'aaaaaaaa', 2), cloneName('wdb', 'aaaaaaaa', 11),
      cloneName('wdb', 'bbbbbbbb', 1), cloneName('wdb', 'aaaaaaaa', 1, 'forks'), cloneName('wdb', 'aaaaaaaa', 1, 'threads'),
    ])
    expect(names.size).toBe(6)
  })

  it('refuses slots that are not positive integers', () => {
    for (const slot of [0, -1, 1.5, Number.NaN]) expect(() => cloneName('wdb', 'aaaaaaaa', slot)).toThrow(RangeError)
  })

  it('refuses to build a clone name that would be truncated', () => {
    expect(codeOf(() => cloneName('wdb', 'aaaaaaaa', 1, 'p'.repeat(60)))).toBe('E_NAME_TOO_LONG')
  })
})

describe('parseName reads back what the names are made of', () => {
  const hash = 'ab'.repeat(32)
  it('templates, spares and clones (with and without a pool) round-trip', () => {
    expect(parseName('wdb', templateName('wdb', hash))).toEqual({ kind: 'template', hash: hash.slice(0, 16) })
    expect(parseName('wdb', spareName('wdb', hash))).toEqual({ kind: 'spare', hash: hash.slice(0, 10) })
    expect(parseName('wdb', cloneName('wdb', 'k3x9q2ab', 7))).toEqual({ kind: 'clone', runId: 'k3x9q2ab', slot: 7 })
    expect(parseName('wdb', cloneName('wdb', 'k3x9q2ab', 2, 'thr'))).toEqual({ kind: 'clone', runId: 'k3x9q2ab', pool: 'thr', slot: 2 })
    expect(spareName('wdb', hash).startsWith(sparePrefix('wdb', hash))).toBe(true)
  })

  it('is null for names workerdb never makes, and for another prefix', () => {
    for (const name of ['wdb', 'wdb_', 'wdb_app', 'wdb_tpl_xyz', 'wdb_k3x9q2ab', 'wdb_k3x9q2ab_x', 'wdbx_k3x9q2ab_1', 'app_k3x9q2ab_1', 'wdb_k3x9q2ab_1_role_app']) {
      expect(parseName('wdb', name), name).toBeNull()
    }
    expect(parseName('shop', cloneName('wdb', 'k3x9q2ab', 1))).toBeNull()
  })
})

describe('checkIdentifier', () => {
  it('accepts exactly 63 bytes and returns the name', () => {
    const name = 'a'.repeat(63)
    expect(checkIdentifier(name)).toBe(name)
  })

  it('throws E_NAME_TOO_LONG at 64 bytes, naming the size and the fix', () => {
    const name = 'a'.repeat(64)
    try {
      checkIdentifier(name)
      expect.unreachable()
    } catch (err) {
      const e = err as WorkerDbError
      expect(e).toBeInstanceOf(WorkerDbError)
      expect(e.code).toBe('E_NAME_TOO_LONG')
      expect(e.message).toContain('64 bytes')
      expect(e.hint).toMatch(/prefix/)
    }
  })

  it('counts multi-byte characters in bytes, not characters', () => {
    const e2 = 'é' // 2 bytes
    expect(codeOf(() => checkIdentifier(e2.repeat(32)))).toBe('E_NAME_TOO_LONG') // 32 chars, 64 bytes
    expect(checkIdentifier(e2.repeat(31) + 'a')).toHaveLength(32) // 63 bytes: fine
    const snow = '☃' // 3 bytes
    expect(codeOf(() => checkIdentifier(snow.repeat(22)))).toBe('E_NAME_TOO_LONG') // 22 chars, 66 bytes
    expect(codeOf(() => checkIdentifier('🐘'.repeat(16)))).toBe('E_NAME_TOO_LONG') // 32 UTF-16 units, 64 bytes
    expect(checkIdentifier('🐘'.repeat(15) + 'abc')).toBeTruthy() // 63 bytes
  })
})

describe('validatePrefix: 1–12 lowercase letters/digits, starting with a letter', () => {
  it.each(['a', 'wdb', 'shop2', 'a1234567890b'])('accepts %j', (p) => {
    expect(validatePrefix(p)).toBe(p)
  })

  it.each(['', 'A', 'Wdb', '1abc', 'a_b', 'a-b', 'a b', 'abcdefghijklm', 'é', 'wdb\n'])('rejects %j with E_CONFIG and a hint', (p) => {
    try {
      validatePrefix(p)
      expect.unreachable()
    } catch (err) {
      const e = err as WorkerDbError
      expect(e).toBeInstanceOf(WorkerDbError)
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain(JSON.stringify(p))
      expect(e.hint.length).toBeGreaterThan(0)
    }
  })
})

describe('isOwnName', () => {
  it('matches names that start with prefix_', () => {
    expect(isOwnName('wdb', 'wdb_abcd1234_1')).toBe(true)
    expect(isOwnName('wdb', templateName('wdb', HASH))).toBe(true)
  })

  it('does not match other prefixes that merely start alike, nor the bare prefix', () => {
    expect(isOwnName('wdb', 'wdbx_abcd1234_1')).toBe(false)
    expect(isOwnName('wdb', 'wdb')).toBe(false)
    expect(isOwnName('wdb', 'xwdb_1')).toBe(false)
  })
})

describe('run ids', () => {
  it('are 8 lowercase base36 characters', () => {
    for (let i = 0; i < 200; i++) expect(newRunId()).toMatch(/^[0-9a-z]{8}$/)
  })

  it('are unique', () => {
    const ids = Array.from({ length: 2000 }, () => newRunId())
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('quoting', () => {
  it('quoteIdent always quotes and doubles embedded double quotes', () => {
    expect(quoteIdent('simple')).toBe('"simple"')
    expect(quoteIdent('MiXed')).toBe('"MiXed"')
    expect(quoteIdent('a"b')).toBe('"a""b"')
    expect(quoteIdent('"')).toBe('""""')
  })

  it('quoteLiteral doubles single quotes and leaves backslashes alone (standard_conforming_strings)', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'")
    expect(quoteLiteral('a\\b')).toBe("'a\\b'")
    expect(quoteLiteral('')).toBe("''")
  })

  it('both refuse NUL bytes, which PostgreSQL cannot store', () => {
    expect(codeOf(() => quoteIdent('a\0b'))).toBe('E_CONFIG')
    expect(codeOf(() => quoteLiteral('a\0b'))).toBe('E_CONFIG')
  })
})

describe('quoting round-trips through a real server', () => {
  const prefix = uniquePrefix('nam')
  const db = `${prefix}_quoting`
  const url = () => dbUrl(db)

  beforeAll(async () => {
    await withClient(testUrl(), (c) => c.query(`create database ${quoteIdent(db)}`))
  })

  afterAll(async () => {
    await dropPrefix(prefix)
  })

  it('an identifier with quotes, spaces, unicode and an injection attempt is one table with exactly that name', async () => {
    const weird = `we"ird 'tbl' ünï ✓; drop table canary; --`
    await withClient(url(), async (c) => {
      await c.query('create table canary (id int)')
      await c.query(`create table ${quoteIdent(weird)} (${quoteIdent('Col "x"')} text)`)
      const { rows } = await c.query(`select relname from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace order by relname`)
      expect(rows.map((r) => r.relname).sort()).toEqual(['canary', weird].sort())
      const cols = await c.query(`select attname from pg_attribute where attrelid = ${quoteLiteral(quoteIdent(weird))}::regclass and attnum > 0`)
      expect(cols.rows.map((r) => r.attname)).toEqual(['Col "x"'])
    })
  })

  it('a literal with quotes, backslashes, dollar quotes, unicode and an injection attempt comes back unchanged', async () => {
    const values = [`it's`, `''`, `\\'; drop table canary; --`, 'back\\slash\\n', '$$ $tag$', '"double"', 'ünïcødé ✓ 🐘', '']
    await withClient(url(), async (c) => {
      for (const v of values) {
        const { rows } = await c.query(`select ${quoteLiteral(v)}::text as v`)
        expect(rows[0].v).toBe(v)
      }
      const { rows } = await c.query(`select count(*)::int as n from pg_class where relname = 'canary'`)
      expect(rows[0].n).toBe(1)
    })
  })

  it('a database name with quotes, spaces and unicode is created and found under exactly that name', async () => {
    const name = `${prefix}_q "x" 'y' ü`
    expect(bytes(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES)
    await withClient(testUrl(), async (c) => {
      await c.query(`create database ${quoteIdent(checkIdentifier(name))}`)
      const { rows } = await c.query('select datname from pg_database where datname = $1', [name])
      expect(rows).toHaveLength(1)
    })
  })
})
