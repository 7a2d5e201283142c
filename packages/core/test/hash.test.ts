import { describe, expect, it } from 'vitest'
import { templateHash, type HashInputs } from '../src/catalog/hash.js'
import { rng } from './helpers.js'

const base: HashInputs = {
  migrator: [
    ['sql/001_init.sql', 'create table a (id int);'],
    ['sql/002_more.sql', 'create table b (id int);'],
  ],
  serverMajor: 15,
  key: '',
}

const hash = (over: Partial<HashInputs> = {}) => templateHash({ ...base, ...over })

describe('templateHash', () => {
  it('is a sha256 hex digest', () => {
    expect(hash()).toMatch(/^[0-9a-f]{64}$/)
  })

  it('is the same for the same inputs (a warm run can find its template)', () => {
    expect(templateHash({ ...base, migrator: base.migrator.map(([n, c]) => [n, c] as const) })).toBe(hash())
  })

  it('treats a Buffer and a string with the same bytes alike (files are read as Buffers)', () => {
    const asBuffers = base.migrator.map(([n, c]) => [n, Buffer.from(c as string)] as const)
    expect(templateHash({ ...base, migrator: asBuffers })).toBe(hash())
  })

  describe('changes when anything that shapes the schema changes', () => {
    const variants: Record<string, string> = {
      'one byte of a file': hash({ migrator: [base.migrator[0], ['sql/002_more.sql', 'create table b (id int) ;']] }),
      'a trailing newline in a file': hash({ migrator: [base.migrator[0], ['sql/002_more.sql', 'create table b (id int);\n']] }),
      'a file name': hash({ migrator: [base.migrator[0], ['sql/002_other.sql', 'create table b (id int);']] }),
      'an added file': hash({ migrator: [...base.migrator, ['sql/003.sql', '']] }),
      'a removed file': hash({ migrator: [base.migrator[0]] }),
      'the server major': hash({ serverMajor: 16 }),
      'the key': hash({ key: 'v2' }),
      'no migrator inputs at all': hash({ migrator: [] }),
    }

    it.each(Object.keys(variants))('%s', (what) => {
      expect(variants[what]).not.toBe(hash())
    })

    it('and every variant differs from every other', () => {
      expect(new Set(Object.values(variants)).size).toBe(Object.keys(variants).length)
    })
  })

  it('does not depend on the order the migrator lists its inputs in', () => {
    const reversed = [...base.migrator].reverse()
    expect(templateHash({ ...base, migrator: reversed })).toBe(hash())
    const many = Array.from({ length: 20 }, (_, i) => [`f${String(i).padStart(2, '0')}`, `content ${i}`] as const)
    const r = rng(7)
    const shuffled = [...many]
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
    }
    expect(shuffled).not.toEqual(many)
    expect(templateHash({ ...base, migrator: shuffled })).toBe(templateHash({ ...base, migrator: many }))
  })

  it('treats an unset key like an empty one (resolveConfig defaults the key to "")', () => {
    expect(templateHash({ migrator: base.migrator, serverMajor: 15 })).toBe(hash({ key: '' }))
  })

  describe('length-prefixes every field, so shifting bytes between fields changes the hash', () => {
    it('("ab","c") vs ("a","bc") as a name/content pair', () => {
      expect(hash({ migrator: [['ab', 'c']] })).not.toBe(hash({ migrator: [['a', 'bc']] }))
    })

    it('("ab","c") vs ("a","bc") as the contents of two files', () => {
      expect(hash({ migrator: [['f1', 'ab'], ['f2', 'c']] })).not.toBe(hash({ migrator: [['f1', 'a'], ['f2', 'bc']] }))
    })

    it('a file whose content spells out the next field does not collide with two files', () => {
      const twoFiles = hash({ migrator: [['a', 'x'], ['b', 'y']] })
      // Forgeries of a "name:value\n" framing, with and without a length.
      for (const content of ['x\nm:b:y', 'x\nm:b:1:y', 'x\nb:y', 'x\nb\ny', 'x\0b\0y']) {
        expect(hash({ migrator: [['a', content]] }), JSON.stringify(content)).not.toBe(twoFiles)
      }
    })

    it('the key cannot be shifted into the migrator inputs', () => {
      expect(hash({ key: 'k', migrator: [['m', '']] })).not.toBe(hash({ key: '', migrator: [['m', 'k']] }))
    })
  })
})
