/**
 * The transaction per test beyond node-postgres, on real servers: a mysql2 connection and pool on MariaDB
 * (WORKERDB_TEST_MYSQL_URL, default the machine's 127.0.0.1:3306), and better-sqlite3 on a file. Each test's
 * rows are rolled back; the code's own BEGIN/COMMIT/ROLLBACK (and mysql2's beginTransaction/commit/rollback,
 * better-sqlite3's db.transaction) become savepoints inside it, so a COMMIT commits nothing for good.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testTransaction } from '../src/isolation/transaction.js'
import { uniquePrefix } from './helpers.js'

const require = createRequire(import.meta.url)
const mysql = require('mysql2/promise') as typeof import('mysql2/promise')
const Database = require('better-sqlite3') as typeof import('better-sqlite3')

const MYSQL_URL = process.env.WORKERDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const DB = `${uniquePrefix('txk')}_db`
const dir = mkdtempSync(join(tmpdir(), 'workerdb-tx-kinds-'))

describe('mysql2 on MariaDB', () => {
  const url = `${MYSQL_URL.replace(/\/$/, '')}/${DB}`
  let admin: import('mysql2/promise').Connection
  beforeAll(async () => {
    admin = await mysql.createConnection(MYSQL_URL)
    await admin.query(`create database \`${DB}\``)
    await admin.query(`create table \`${DB}\`.items (id integer primary key auto_increment, name varchar(20) not null)`)
  })
  afterAll(async () => {
    await admin.query(`drop database if exists \`${DB}\``)
    await admin.end()
  })
  const count = async () => Number(((await admin.query(`select count(*) as n from \`${DB}\`.items`))[0] as Array<{ n: number }>)[0]!.n)

  it("a connection: the test's rows, its own COMMITs and beginTransaction/commit included, are gone after the rollback", async () => {
    const conn = await mysql.createConnection(url)
    try {
      const tx = testTransaction(conn)
      await tx.begin()
      await conn.query("insert into items (name) values ('a')")
      await conn.query('BEGIN')
      await conn.query("insert into items (name) values ('b')")
      await conn.query('COMMIT')
      await conn.beginTransaction()
      await conn.query("insert into items (name) values ('c')")
      await conn.rollback()
      await conn.beginTransaction()
      await conn.execute("insert into items (name) values ('d')")
      await conn.commit()
      // A COMMIT outside any BEGIN of the code's own does nothing (it would commit the test's transaction).
      await conn.query('COMMIT')
      const [rows] = await conn.query('select name from items order by id')
      expect((rows as Array<{ name: string }>).map((r) => r.name)).toEqual(['a', 'b', 'd'])
      // Nothing committed: another session sees none of it.
      expect(await count()).toBe(0)
      await tx.rollback()
      expect(await count()).toBe(0)
      // And the connection is itself again: a COMMIT commits.
      await conn.query('BEGIN')
      await conn.query("insert into items (name) values ('kept')")
      await conn.query('COMMIT')
      expect(await count()).toBe(1)
      await admin.query(`delete from \`${DB}\`.items`)
    } finally {
      await conn.end()
    }
  })

  it('a pool: every pool.query and getConnection() of the test reaches its one connection, rolled back after', async () => {
    const pool = mysql.createPool({ uri: url, connectionLimit: 3 })
    try {
      const tx = testTransaction(pool)
      await tx.begin()
      await pool.query("insert into items (name) values ('x')")
      const conn = await pool.getConnection()
      const [rows] = await conn.query('select count(*) as n from items')
      conn.release()
      expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(1)
      await pool.execute("insert into items (name) values ('y')")
      expect(await count()).toBe(0)
      await tx.rollback()
      const [after] = await pool.query('select count(*) as n from items')
      expect(Number((after as Array<{ n: number }>)[0]!.n)).toBe(0)
    } finally {
      await pool.end()
    }
  })
})

describe('better-sqlite3', () => {
  const file = join(dir, 'tx.db')
  let db: import('better-sqlite3').Database
  beforeAll(() => {
    db = new Database(file)
    db.exec('create table items (id integer primary key autoincrement, name text not null)')
  })
  afterAll(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const count = () => {
    const other = new Database(file, { readonly: true })
    try {
      return (other.prepare('select count(*) as n from items').get() as { n: number }).n
    } finally {
      other.close()
    }
  }

  it("the test's rows, through its own BEGIN/COMMIT and db.transaction() too, are gone after the rollback", async () => {
    const tx = testTransaction(db)
    await tx.begin()
    db.prepare("insert into items (name) values ('a')").run()
    // Whole statements only: a script of several ("BEGIN; …; COMMIT") is sent as it is.
    db.exec('BEGIN')
    db.exec("insert into items (name) values ('b')")
    db.exec('COMMIT')
    db.exec('BEGIN')
    db.prepare("insert into items (name) values ('c')").run()
    db.prepare('ROLLBACK').run()
    db.transaction(() => db.prepare("insert into items (name) values ('d')").run())()
    expect(() => db.transaction(() => {
      db.prepare("insert into items (name) values ('e')").run()
      throw new Error('undone')
    })()).toThrow('undone')
    expect((db.prepare('select group_concat(name) as names from items').get() as { names: string }).names).toBe('a,b,d')
    await tx.rollback()
    expect(db.inTransaction).toBe(false)
    expect(count()).toBe(0)
    // And the database is itself again: a COMMIT commits.
    db.exec("BEGIN; insert into items (name) values ('kept'); COMMIT")
    expect(count()).toBe(1)
  })
})
