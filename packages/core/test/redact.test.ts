import { describe, expect, it } from 'vitest'
import { redactText, redactUrl } from '../src/url.js'

const RAW = 'p@ss:w/rd'
const ENCODED = encodeURIComponent(RAW) // p%40ss%3Aw%2Frd

/** The forms in which p@ss:w/rd leaks: whole, encoded, or the tail left behind when redaction stops at its first `@`. */
function leaks(out: string, password: string): string[] {
  const tail = password.slice(password.indexOf('@') + 1) // ss:w/rd
  const forms = [password, encodeURIComponent(password), tail, encodeURIComponent(tail), 'w/rd', 'w%2Frd']
  return forms.filter((f) => out.includes(f))
}

describe('redactUrl', () => {
  it('leaves a SQLite URL as given: no password, and a relative path stays relative', () => {
    expect(redactUrl('file:./dbs')).toBe('file:./dbs')
    expect(redactUrl('sqlite:rel/dir')).toBe('sqlite:rel/dir')
  })

  it('hides a MariaDB password, in a URL and in free text', () => {
    expect(redactUrl('mysql://root:s3cret@127.0.0.1:3306/app')).toBe('mysql://root:***@127.0.0.1:3306/app')
    expect(redactText('connect to mariadb://app:s3cret@db/x failed')).toBe('connect to mariadb://app:***@db/x failed')
  })

  it('replaces a plain password with *** and keeps the rest', () => {
    const out = redactUrl('postgresql://alice:s3cretpw@db.example:5432/app?sslmode=require')
    expect(out).not.toContain('s3cretpw')
    expect(out).toBe('postgresql://alice:***@db.example:5432/app?sslmode=require')
  })

  it('hides a URL-encoded password with special characters (p@ss:w/rd)', () => {
    const out = redactUrl(`postgresql://alice:${ENCODED}@db.example:5432/app`)
    expect(leaks(out, RAW)).toEqual([])
    expect(out).toContain('db.example:5432/app')
    expect(out).toContain('alice')
  })

  it('hides a password with special characters written raw (not a valid URL)', () => {
    const out = redactUrl(`postgresql://alice:${RAW}@db.example:5432/app`)
    expect(leaks(out, RAW)).toEqual([])
    expect(out).toContain('db.example')
  })

  it('hides the password when the URL has no user name', () => {
    expect(redactUrl('postgresql://:s3cretpw@db.example/app')).not.toContain('s3cretpw')
  })

  it('hides the password of a URL that does not parse (bad port)', () => {
    const out = redactUrl('postgres://alice:s3cretpw@db.example:notaport/app')
    expect(out).not.toContain('s3cretpw')
    expect(out).toContain('alice')
  })

  it('leaves a URL without a password readable', () => {
    expect(redactUrl('postgresql://alice@db.example:5432/app')).toBe('postgresql://alice@db.example:5432/app')
  })
})

describe('redactText', () => {
  it('hides the password of every URL in free text', () => {
    const text = 'connect postgresql://a:pw111@h1/db failed, then postgres://b:pw222@h2:5/x also failed'
    const out = redactText(text)
    expect(out).not.toContain('pw111')
    expect(out).not.toContain('pw222')
    expect(out).toContain('h1/db failed')
    expect(out).toContain('h2:5/x also failed')
  })

  it('hides URL-encoded special characters', () => {
    const out = redactText(`error: postgresql://alice:${ENCODED}@db.example:5432/app refused`)
    expect(leaks(out, RAW)).toEqual([])
    expect(out).toContain('refused')
  })

  it('hides a raw special-character password inside a URL', () => {
    const out = redactText(`error: postgresql://alice:${RAW}@db.example:5432/app refused`)
    expect(leaks(out, RAW)).toEqual([])
    expect(out).toContain('refused')
  })

  it('hides a raw special-character password passed as a secret, wherever it appears', () => {
    const out = redactText(`DATABASE_URL=postgresql://alice:${RAW}@db/app PGPASSWORD=${RAW} and '${RAW}'`, [RAW])
    expect(leaks(out, RAW)).toEqual([])
  })

  it('hides every occurrence of the given secrets, even outside URLs', () => {
    const out = redactText('password s3cretpw was rejected; s3cretpw again', ['s3cretpw'])
    expect(out).not.toContain('s3cretpw')
    expect(out).toBe('password *** was rejected; *** again')
  })

  it('hides a password when the URL has no user name', () => {
    expect(redactText('at postgresql://:s3cretpw@db/app')).not.toContain('s3cretpw')
  })

  it('leaves text without secrets unchanged', () => {
    const text = 'cannot reach postgresql://alice@db.example:5432/app: ECONNREFUSED (mail admin@example.com)'
    expect(redactText(text, [undefined])).toBe(text)
  })
})
