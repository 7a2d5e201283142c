/**
 * The MySQL/MariaDB dialect against one real server, MariaDB (mysql-dialect.test.ts) or MySQL
 * (mysql-server-dialect.test.ts): facts, markers (database comments on MariaDB, the marker procedure on
 * MySQL), listing, sealing, copying a template with foreign keys, views, triggers, routines, generated and
 * invisible columns, AUTO_INCREMENT gaps (and sequences, system-versioned and Aria tables on MariaDB),
 * dropping, sessions, the shared/exclusive locks built of GET_LOCK, and the connection errors. Every
 * database made here carries the suite's prefix and is dropped in afterAll.
 */
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AdminSession } from '../src/catalog/dialect.js'
import { templateLock } from '../src/catalog/locks.js'
import { makeMarker, parseMarker, type Marker } from '../src/catalog/marker.js'
import {
  account, flavourOf, grantsAllowCreate, MYSQL_COPY_LANES, MYSQL_COPY_SESSIONS, mysqlDialect, parseMysqlUrl, productOf, scriptStatements,
} from '../src/catalog/mysql/index.js'
import { orderViews, rebind, recalculated } from '../src/catalog/mysql/template-defs.js'
import { createStatements, isMarkerRoutine, MARKER_ROUTINE, markStatement } from '../src/catalog/mysql/marks.js'
import { ident } from '../src/catalog/mysql/session.js'
import { containerMissing, MARIADB_IMAGE, MYSQL_IMAGE, ownMysqlServer } from '../../../test-support/mysql-server.js'
import { skipWithoutContainer } from '../../../test-support/skips.mjs'
import { eventually, rejectionError, uniquePrefix } from './helpers.js'

type Mysql = typeof import('mysql2/promise')
type Raw = import('mysql2/promise').Connection
const mysql = createRequire(import.meta.url)('mysql2/promise') as Mysql
const HASH = '0123456789abcdef'.repeat(4)

/** The server a suite runs on: its admin URL (root), and which product it is. */
export interface SuiteServer {
  url: () => string
  product: 'MariaDB' | 'MySQL'
}

export function mysqlDialectSuite(server: SuiteServer): void {
const mariadb = server.product === 'MariaDB'
// A server of a test's own (ownMysqlServer) needs a container engine and the kind's image: without them such
// a test skips, recorded, unless containers are required (then it fails, saying why).
const skipOwnServer = skipWithoutContainer(import.meta.url, containerMissing(mariadb ? MARIADB_IMAGE : MYSQL_IMAGE), `${server.product}: the test on a server of its own`)
let URL_ = ''
const prefix = uniquePrefix(mariadb ? 'my' : 'om')
/** `n` rows of one column `seq`, 1 to n, as a table expression (MariaDB's sequence engine; a recursive CTE on MySQL). */
const series = (n: number) => mariadb ? `seq_1_to_${n}` : `(WITH RECURSIVE r (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM r WHERE seq < ${n}) SELECT seq FROM r) AS numbers`

const opened: AdminSession[] = []
const raws: Raw[] = []
const users: string[] = []

async function session(url = URL_): Promise<AdminSession> {
  const s = await mysqlDialect.connect(url)
  opened.push(s)
  return s
}

/** A plain mysql2 connection, outside the dialect: to check what the dialect did. */
async function raw(database?: string, url = URL_): Promise<Raw> {
  const o = parseMysqlUrl(url)
  const conn = await mysql.createConnection({ host: o.host, port: o.port, user: o.user, password: o.password, database, multipleStatements: true })
  conn.on('error', () => {})
  if (!mariadb) await conn.query('SET SESSION cte_max_recursion_depth = 1000000')
  raws.push(conn)
  return conn
}

async function q<T = Record<string, unknown>>(conn: Raw, sql: string, values?: unknown[]): Promise<T[]> {
  const [rows] = await conn.query(sql, values)
  return rows as T[]
}

let admin: Raw

async function exists(name: string): Promise<boolean> {
  return (await q(admin, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length === 1
}

async function alive(conn: Raw): Promise<boolean> {
  return conn.query('SELECT 1').then(() => true, () => false)
}

const marker = (over: Partial<Marker> = {}) => makeMarker({ kind: 'template', state: 'building', run: 'testrun1', hash: HASH, ...over })

beforeAll(async () => {
  URL_ = server.url()
  admin = await raw()
})

afterAll(async () => {
  // The plain connections go first: one a failed test left holding a lock (LOCK TABLES) would keep a
  // session's statement, and so its close, waiting. `admin` stays, to drop with.
  for (const c of raws) if (c !== admin) c.destroy()
  await Promise.allSettled(opened.map((s) => s.close()))
  const left = await q<{ name: string }>(admin, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, ?) = ?', [prefix.length + 1, `${prefix}_`])
  for (const { name } of left) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``)
  for (const user of users) await admin.query(`DROP USER IF EXISTS '${user}'@'%'`)
  await admin.end().catch(() => admin.destroy())
})

describe('pure parts', () => {
  it('reads mysql:// and mariadb:// URLs, port 3306 unless given, the database optional', () => {
    expect(parseMysqlUrl('mysql://app:p%40ss@db.example:3307/shop')).toEqual({ host: 'db.example', port: 3307, user: 'app', password: 'p@ss', database: 'shop' })
    expect(parseMysqlUrl('mariadb://root@[::1]')).toEqual({ host: '::1', port: 3306, user: 'root', password: '' })
    expect(() => parseMysqlUrl('postgresql://x@y/z')).toThrow(/E_CONFIG/)
  })

  it('derives a database URL keeping scheme, credentials and query; the admin URL is the URL', () => {
    expect(mysqlDialect.databaseUrl('mariadb://u:pw@h:3307/?ssl=true', 'wdb_a_1')).toBe('mariadb://u:pw@h:3307/wdb_a_1?ssl=true')
    expect(mysqlDialect.databaseUrl('mysql://u@h', 'wdb_a_1')).toBe('mysql://u@h/wdb_a_1')
    expect(mysqlDialect.adminUrl('mysql://u@h')).toBe('mysql://u@h')
    expect(mysqlDialect.dropByHand('wdb_a_1')).toBe('DROP DATABASE `wdb_a_1`;')
    expect(mysqlDialect.grantCreate('app@%')).toContain("TO 'app'@'%'")
    expect(account('root@127.0.0.1')).toBe("'root'@'127.0.0.1'")
  })

  it('names the product and its major version', () => {
    expect(productOf('10.11.19-MariaDB-0+deb12u1')).toEqual({ product: 'MariaDB 10.11', major: 10, minor: 11, mariadb: true })
    expect(productOf('8.0.36')).toEqual({ product: 'MySQL 8.0', major: 8, minor: 0, mariadb: false })
    expect(productOf('9.7.4-2')).toEqual({ product: 'MySQL 9.7', major: 9, minor: 7, mariadb: false })
  })

  it('keeps markers in the database comment on MariaDB, in the marker procedure on MySQL, and refuses older servers', () => {
    expect(flavourOf('10.5.0-MariaDB')).toEqual({ mariadb: true, home: 'comment' })
    expect(flavourOf('8.0.36')).toEqual({ mariadb: false, home: 'routine' })
    expect(() => flavourOf('10.4.34-MariaDB')).toThrow(/MariaDB 10\.4 is not supported; MariaDB ≥ 10\.5 and MySQL ≥ 8\.0 are/)
    expect(() => flavourOf('5.7.44')).toThrow(/MySQL 5\.7 is not supported/)
    const m = marker()
    expect(createStatements('comment', 'wdb_x', 'CHARACTER SET utf8mb4', m)).toEqual({ create: `CREATE DATABASE \`wdb_x\` CHARACTER SET utf8mb4 COMMENT '${JSON.stringify(m)}'` })
    expect(createStatements('routine', 'wdb_x', '', m)).toEqual({
      create: 'CREATE DATABASE `wdb_x`',
      mark: `CREATE PROCEDURE \`wdb_x\`.\`${MARKER_ROUTINE}\`() COMMENT '${JSON.stringify(m)}' BEGIN END`,
    })
    expect(createStatements('routine', 'wdb_x', '')).toEqual({ create: 'CREATE DATABASE `wdb_x`' })
    expect(markStatement('routine', 'wdb_x', m)).toBe(`ALTER PROCEDURE \`wdb_x\`.\`${MARKER_ROUTINE}\` COMMENT '${JSON.stringify(m)}'`)
    expect(isMarkerRoutine('routine', { name: MARKER_ROUTINE, type: 'PROCEDURE' })).toBe(true)
    expect(isMarkerRoutine('comment', { name: MARKER_ROUTINE, type: 'PROCEDURE' })).toBe(false)
    expect(isMarkerRoutine('routine', { name: MARKER_ROUTINE, type: 'FUNCTION' })).toBe(false)
  })

  it('reads from SHOW GRANTS whether the user may create databases, and says yes when unsure', () => {
    expect(grantsAllowCreate(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'])).toBe(true)
    expect(grantsAllowCreate(['GRANT SELECT, CREATE, DROP ON *.* TO `u`@`%`'])).toBe(true)
    expect(grantsAllowCreate(['GRANT USAGE ON *.* TO `u`@`%`', 'GRANT SELECT, INSERT ON `app`.* TO `u`@`%`'])).toBe(false)
    // CREATE VIEW / CREATE ROUTINE / CREATE TEMPORARY TABLES are not CREATE.
    expect(grantsAllowCreate(['GRANT CREATE VIEW, CREATE ROUTINE, CREATE TEMPORARY TABLES ON *.* TO `u`@`%`'])).toBe(false)
    expect(grantsAllowCreate(['GRANT USAGE ON *.* TO `u`@`%`', 'GRANT ALL PRIVILEGES ON `wdb\\_%`.* TO `u`@`%`'])).toBe(true)
    expect(grantsAllowCreate(['GRANT USAGE ON *.* TO `u`@`%`', 'GRANT `dev` TO `u`@`%`'])).toBe(true)
  })

  it('undoes the mysql client\'s DELIMITER lines in migration scripts', () => {
    expect(scriptStatements('CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);')).toEqual(['CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);'])
    expect(scriptStatements('CREATE TABLE a (id int);\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nCREATE PROCEDURE q() BEGIN SELECT 3; END //\nDELIMITER ;\nDROP TABLE a;'))
      .toEqual(['CREATE TABLE a (id int);', 'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END', 'CREATE PROCEDURE q() BEGIN SELECT 3; END', 'DROP TABLE a;'])
  })

  it('orders views after the views they read, and rebinds only the template\'s own qualifier', () => {
    const views = [
      { name: 'a', ddl: 'CREATE VIEW `t`.`a` AS select `b`.`x` AS `x` from `t`.`b`' },
      { name: 'b', ddl: 'CREATE VIEW `t`.`b` AS select `c`.`x` AS `x` from `t`.`c`' },
      { name: 'c', ddl: 'CREATE VIEW `t`.`c` AS select 1 AS `x`' },
    ]
    expect(orderViews(views).map((v) => v.name)).toEqual(['c', 'b', 'a'])
    expect(rebind('select `tpl`.`t`.`a` from `tpl`.`t`, `tpl2`.`t`', 'tpl', 'c1')).toBe('select `c1`.`t`.`a` from `c1`.`t`, `tpl2`.`t`')
  })

  it('tells the tables whose statistics the server keeps and recalculates itself (InnoDB, persistent, auto recalc)', () => {
    expect(recalculated({ type: 'BASE TABLE', engine: 'InnoDB', options: '' })).toBe(true)
    expect(recalculated({ type: 'BASE TABLE', engine: 'InnoDB', options: null })).toBe(true)
    expect(recalculated({ type: 'BASE TABLE', engine: 'InnoDB', options: 'stats_auto_recalc=1' })).toBe(true)
    expect(recalculated({ type: 'BASE TABLE', engine: 'InnoDB', options: 'partitioned' })).toBe(true)
    expect(recalculated({ type: 'SYSTEM VERSIONED', engine: 'InnoDB', options: '' })).toBe(true)
    expect(recalculated({ type: 'BASE TABLE', engine: 'InnoDB', options: 'stats_auto_recalc=0' })).toBe(false)
    expect(recalculated({ type: 'BASE TABLE', engine: 'InnoDB', options: 'stats_persistent=0 stats_auto_recalc=1' })).toBe(false)
    expect(recalculated({ type: 'SEQUENCE', engine: 'InnoDB', options: '' })).toBe(false)
    expect(recalculated({ type: 'BASE TABLE', engine: 'Aria', options: 'transactional=1' })).toBe(false)
  })
})

describe('the server', () => {
  it('says what it is, who we are, whether it is durable and how many sessions it takes', async () => {
    const s = await session()
    const f = await s.facts()
    const [v] = await q<{ v: string; u: string; flush: number; max: number }>(admin,
      'SELECT VERSION() AS v, CURRENT_USER() AS u, @@innodb_flush_log_at_trx_commit AS flush, @@max_connections AS max')
    expect(f.product).toMatch(new RegExp(`^${server.product} \\d+\\.\\d+$`))
    expect(v!.v.startsWith(f.product.replace(`${server.product} `, ''))).toBe(true)
    expect(f.major).toBe(Number(v!.v.split('.')[0]))
    expect(f.user).toBe(v!.u)
    expect(f.durable).toBe(Number(v!.flush) === 1)
    expect(f.canCreate).toBe(true)
    expect(f.connections).toMatchObject({ max: Number(v!.max), reserved: 0 })
    expect(f.connections!.inUse).toBeGreaterThanOrEqual(2)
    expect(s.dialect).toBe('mysql')
  })

  it('turns a refused connection into E_SERVER_UNREACHABLE', async () => {
    const err = await rejectionError(mysqlDialect.connect('mysql://root@127.0.0.1:1/', 'WORKERDB_URL'))
    expect(err.code).toBe('E_SERVER_UNREACHABLE')
    expect(err.message).toContain('WORKERDB_URL')
  })

  it('turns bad credentials into E_AUTH without showing the password', async () => {
    const password = 'Sekr1t-pw-42'
    const u = new URL(URL_)
    u.username = 'wdb_nobody'
    u.password = password
    const err = await rejectionError(mysqlDialect.connect(u.toString(), 'server.url'))
    expect(err.code).toBe('E_AUTH')
    expect(err.message).toContain('wdb_nobody')
    expect(err.message).toContain('server.url')
    expect(err.message).not.toContain(password)
    expect(String((err.cause as Error)?.message ?? '')).not.toContain(password)
  })

  it('a user without CREATE: facts say so, and create and copy fail with E_NO_CREATEDB naming the grant', async () => {
    const user = `${prefix}_limited`
    const password = `pw-${prefix}-x`
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`)
    users.push(user)
    const template = `${prefix}_tpl_limited`
    await admin.query(`CREATE DATABASE \`${template}\`; CREATE TABLE \`${template}\`.t (id INT)`)
    await admin.query(`GRANT SELECT, SHOW VIEW ON \`${template}\`.* TO '${user}'@'%'`)
    const u = new URL(URL_)
    u.username = user
    u.password = password
    // Not even the URL's database is this user's: E_AUTH, naming the way out.
    u.pathname = '/mysql'
    const denied = await rejectionError(mysqlDialect.connect(u.toString()))
    expect(denied.code).toBe('E_AUTH')
    expect(denied.hint).toMatch(/or none/)
    u.pathname = '/'
    const s = await session(u.toString())
    const facts = await s.facts()
    expect(facts.canCreate).toBe(false)
    expect(facts.user).toBe(`${user}@%`)
    expect(mysqlDialect.grantCreate(facts.user)).toContain(`TO '${user}'@'%'`)
    expect((await rejectionError(s.create(`${prefix}_nocreate`, marker()))).code).toBe('E_NO_CREATEDB')
    const err = await rejectionError(s.copy(template, `${prefix}_nocopy`, await s.copyPlan(template)))
    expect(err.code).toBe('E_NO_CREATEDB')
    expect(await exists(`${prefix}_nocopy`)).toBe(false)
    // A wrong password for a user that exists: E_AUTH too, the password not shown.
    u.password = 'Wr0ng-pw-99'
    const auth = await rejectionError(mysqlDialect.connect(u.toString()))
    expect(auth.code).toBe('E_AUTH')
    expect(auth.message).not.toContain('Wr0ng-pw-99')
  })

  if (!mariadb) it('a password over plain TCP before the server has it cached: E_AUTH naming ?allowPublicKeyRetrieval=true and TLS; with it, connects', async () => {
    const user = `${prefix}_sha2`
    const password = `pw-${prefix}-sha2`
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'; GRANT ALL ON \`${prefix}\\_%\`.* TO '${user}'@'%'`)
    users.push(user)
    const u = new URL(URL_)
    u.username = user
    u.password = password
    u.pathname = '/'
    u.search = ''
    const err = await rejectionError(mysqlDialect.connect(u.toString(), 'WORKERDB_URL'))
    expect(err.code).toBe('E_AUTH')
    expect(err.hint).toContain('?allowPublicKeyRetrieval=true')
    expect(err.hint).toContain('?ssl=insecure')
    expect(err.message).not.toContain(password)
    u.searchParams.set('allowPublicKeyRetrieval', 'true')
    expect((await (await session(u.toString())).facts()).user).toBe(`${user}@%`)
  })

  it('turns an unknown database in the URL into E_SERVER_UNREACHABLE naming the fix', async () => {
    const err = await rejectionError(mysqlDialect.connect(mysqlDialect.databaseUrl(URL_, `${prefix}_nosuchdb`)))
    expect(err.code).toBe('E_SERVER_UNREACHABLE')
    expect(err.hint).toMatch(/existing database/)
  })
})

describe('markers and listing', () => {
  it('creates a database with its marker, reads it back, and replaces it', async () => {
    const s = await session()
    const name = `${prefix}_tpl_${HASH.slice(0, 16)}`
    const m = marker()
    await s.create(name, m)
    let row = (await s.list(prefix)).find((r) => r.name === name)
    expect(parseMarker(row?.comment)).toEqual(m)
    expect(row?.isTemplate).toBe(false)
    await s.mark(name, { ...m, state: 'ready' })
    row = (await s.list(prefix)).find((r) => r.name === name)
    expect(parseMarker(row?.comment)?.state).toBe('ready')
    expect(row?.isTemplate).toBe(true)
    await s.drop(name)
    expect(await exists(name)).toBe(false)
  })

  it('lists look-alikes with a null comment, but not names that only match `prefix_` as a LIKE pattern', async () => {
    const s = await session()
    await admin.query(`CREATE DATABASE \`${prefix}_lookalike\`; CREATE DATABASE \`${prefix}xlike\``)
    const rows = await s.list(prefix)
    expect(rows.find((r) => r.name === `${prefix}_lookalike`)).toEqual({ name: `${prefix}_lookalike`, isTemplate: false, comment: null })
    expect(rows.map((r) => r.name)).not.toContain(`${prefix}xlike`)
    expect(rows.every((r) => r.name.startsWith(`${prefix}_`))).toBe(true)
    await admin.query(`DROP DATABASE \`${prefix}xlike\``)
  })

  it('never lists the database the session\'s URL names (the user\'s), whatever its name', async () => {
    const home = `${prefix}_home`
    await admin.query(`CREATE DATABASE \`${home}\``)
    expect((await (await session()).list(prefix)).map((r) => r.name)).toContain(home)
    expect((await (await session(mysqlDialect.databaseUrl(URL_, home))).list(prefix)).map((r) => r.name)).not.toContain(home)
    expect((await (await session()).list('test')).map((r) => r.name)).not.toContain('test')
  })

  it('a copy carries its own marker from the start, never the template\'s, and the template\'s own routines', async () => {
    const s = await session()
    const template = `${prefix}_tpl_marked`
    const ready = marker({ state: 'ready' })
    await s.create(template, ready)
    await admin.query(`CREATE TABLE \`${template}\`.t (id INT PRIMARY KEY); INSERT INTO \`${template}\`.t VALUES (1);
      CREATE PROCEDURE \`${template}\`.users_proc() COMMENT 'the user''s' SELECT 1`)
    const clone = `${prefix}_marked_c1`
    const mine = makeMarker({ kind: 'clone', run: 'testrun2', hash: HASH })
    await s.copy(template, clone, await s.copyPlan(template), mine)
    const rows = await s.list(prefix)
    expect(parseMarker(rows.find((r) => r.name === clone)?.comment)).toEqual(mine)
    expect(parseMarker(rows.find((r) => r.name === template)?.comment)).toEqual(ready)
    const routines = await q<{ name: string; comment: string }>(admin,
      'SELECT ROUTINE_NAME AS name, ROUTINE_COMMENT AS comment FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME', [clone])
    expect(routines).toEqual([
      { name: 'users_proc', comment: "the user's" },
      ...(mariadb ? [] : [{ name: MARKER_ROUTINE, comment: JSON.stringify(mine) }]),
    ])
    expect(await dump(clone, 't')).toEqual([{ id: 1 }])
  })

  it('a database with a procedure of the marker\'s name that holds no marker of ours is a look-alike', async () => {
    const s = await session()
    const name = `${prefix}_fake`
    await admin.query(`CREATE DATABASE \`${name}\`; CREATE PROCEDURE \`${name}\`.\`${MARKER_ROUTINE}\`() COMMENT '{"workerdb":"not quite"}' SELECT 1`)
    const row = (await s.list(prefix)).find((r) => r.name === name)
    expect(row).toBeDefined()
    expect(parseMarker(row!.comment)).toBeNull()
    expect(row!.isTemplate).toBe(false)
  })

  it('refuses a marker longer than MariaDB keeps, rather than storing it cut short', async () => {
    const s = await session()
    const err = await rejectionError(s.create(`${prefix}_toolong`, marker({ project: 'p'.repeat(1100) })))
    expect(err.code).toBe('E_CONFIG')
    expect(await exists(`${prefix}_toolong`)).toBe(false)
  })
})

describe('sessions, seal, drop', () => {
  it('counts other sessions per prefix database, never its own', async () => {
    const s = await session()
    const name = `${prefix}_busy`
    await s.create(name, marker({ kind: 'clone' }))
    expect((await s.sessions(prefix)).has(name)).toBe(false)
    await raw(name)
    await raw(name)
    expect((await s.sessions(prefix)).get(name)).toBe(2)
    await s.drop(name)
    expect((await s.sessions(prefix)).has(name)).toBe(false)
  })

  it('seal ends the sessions on the template', async () => {
    const s = await session()
    const name = `${prefix}_sealme`
    await s.create(name, marker())
    const straggler = await raw(name)
    expect(await alive(straggler)).toBe(true)
    await s.seal(name)
    expect(await alive(straggler)).toBe(false)
    expect((await s.sessions(prefix)).has(name)).toBe(false)
    expect(await exists(name)).toBe(true)
  })

  it('drop ends the sessions on a database and drops it; dropping one that is gone is no error', async () => {
    const s = await session()
    const name = `${prefix}_dropme`
    await s.create(name, marker({ kind: 'clone' }))
    const user = await raw(name)
    await q(user, 'CREATE TABLE t (id int); BEGIN; INSERT INTO t VALUES (1)')
    await s.drop(name)
    expect(await exists(name)).toBe(false)
    expect(await alive(user)).toBe(false)
    await s.drop(name)
  })

  it('dropTemplateIfIdle drops only while nobody is on the template', async () => {
    const s = await session()
    const name = `${prefix}_idle`
    await s.create(name, marker({ state: 'ready' }))
    const user = await raw(name)
    expect(await s.dropTemplateIfIdle(name)).toBe(false)
    expect(await exists(name)).toBe(true)
    await user.end()
    expect(await eventually(async () => !(await s.sessions(prefix)).has(name), 5_000)).toBe(true)
    expect(await s.dropTemplateIfIdle(name)).toBe(true)
    expect(await exists(name)).toBe(false)
  })
})

const TEMPLATE_SQL = `
CREATE TABLE b_parent (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, shout VARCHAR(41) AS (CONCAT(name, '!')) VIRTUAL);
CREATE TABLE a_child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, note VARCHAR(40),
  CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES b_parent (id));
${mariadb
    ? 'CREATE SEQUENCE z_seq START WITH 500;\nCREATE TABLE c_orders (id INT AUTO_INCREMENT PRIMARY KEY, ref BIGINT NOT NULL DEFAULT NEXTVAL(z_seq), hidden INT INVISIBLE DEFAULT 7, zero INT);'
    : 'CREATE TABLE c_orders (id INT AUTO_INCREMENT PRIMARY KEY, ref BIGINT NOT NULL DEFAULT 500, hidden INT INVISIBLE DEFAULT 7, zero INT);'}
INSERT INTO b_parent (name) VALUES ('ann'), ('bob'), ('cy'), ('dee'), ('eve');
DELETE FROM b_parent WHERE id IN (4, 5);
INSERT INTO a_child (parent_id, note) VALUES (1, 'x'), (2, 'y'), (3, 'z');
INSERT INTO c_orders (ref, hidden, zero) VALUES (1, 41, 0), (2, 42, 0);
SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO');
INSERT INTO c_orders (id, ref, hidden, zero) VALUES (0, 3, 43, 1);
INSERT INTO a_child (id, parent_id, note) VALUES (0, 1, 'zero');
`

async function buildTemplate(name: string): Promise<void> {
  const conn = await raw()
  await conn.query(`CREATE DATABASE \`${name}\`; USE \`${name}\``)
  await conn.query(TEMPLATE_SQL)
  // A view on a view: a_named reads z_base, so in name order a copy would make a_named first, and fail.
  await conn.query('CREATE VIEW z_base AS SELECT id, parent_id, note FROM a_child')
  await conn.query('CREATE VIEW a_named AS SELECT c.id, c.note, p.name FROM z_base c JOIN b_parent p ON p.id = c.parent_id')
  // After the rows: the trigger would upper-case them if a copy fired it.
  await conn.query('CREATE TRIGGER parent_upper BEFORE INSERT ON b_parent FOR EACH ROW SET NEW.name = UPPER(NEW.name)')
  await conn.query('CREATE FUNCTION parents() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM b_parent)')
  await conn.end()
}

async function dump(db: string, table: string): Promise<unknown[]> {
  return q(admin, `SELECT * FROM ${ident(db)}.${ident(table)} ORDER BY 1`)
}

async function definition(db: string, table: string): Promise<string> {
  const [r] = await q<{ ddl: string }>(admin, `SHOW CREATE TABLE ${ident(db)}.${ident(table)}`)
  return Object.values(r!)[1] as string
}

async function autoIncrement(db: string, table: string): Promise<number> {
  return Number(/AUTO_INCREMENT=(\d+)/.exec(await definition(db, table))?.[1] ?? 1)
}

/** A session copying rows into a database: by INSERT … SELECT, or by CREATE TABLE … SELECT (copy.ts TableFill). */
const COPYING_ROWS = "(INFO LIKE 'INSERT INTO%' OR INFO LIKE 'CREATE TABLE%SELECT%')"

/**
 * What a copy of buildTemplate's template must be: the same rows (invisible columns, a 0 id), counters, a
 * trigger that fires, views and routines that read the copy, its own sequence, foreign keys enforced.
 * Returns a connection on the copy.
 */
async function expectWholeCopy(template: string, clone: string): Promise<Raw> {
  for (const t of ['a_child', 'b_parent', 'c_orders']) {
    // The same columns in the same order (a generated one, an invisible one), keys, foreign keys and
    // counters; a default that names the template's sequence names the copy's own.
    expect(rebind(await definition(clone, t), clone, template)).toBe(await definition(template, t))
    expect(await dump(clone, t)).toEqual(await dump(template, t))
  }
  // Invisible columns are copied too, and a 0 in an AUTO_INCREMENT column stays 0, in a table made and then
  // filled (c_orders) as in one made with its rows (a_child: CREATE TABLE … SELECT on MariaDB).
  expect(await q(admin, `SELECT id, note FROM \`${clone}\`.a_child WHERE id = 0`)).toEqual([{ id: 0, note: 'zero' }])
  expect(await q(admin, `SELECT id, hidden FROM \`${clone}\`.c_orders ORDER BY id`)).toEqual([{ id: 0, hidden: 43 }, { id: 1, hidden: 41 }, { id: 2, hidden: 42 }])
  // The gap (ids 4 and 5 deleted) is kept: the next id is 6 in both.
  expect(await autoIncrement(clone, 'b_parent')).toBe(await autoIncrement(template, 'b_parent'))
  expect(await autoIncrement(template, 'b_parent')).toBe(6)

  const c = await raw(clone)
  // The trigger fires in the copy (and did not fire on the copied rows, checked above).
  await q(c, "INSERT INTO b_parent (name) VALUES ('fay')")
  expect(await q(c, 'SELECT id, name, shout FROM b_parent WHERE id = 6')).toEqual([{ id: 6, name: 'FAY', shout: 'FAY!' }])
  // Views and routines read the copy's tables, not the template's.
  await q(c, "INSERT INTO a_child (parent_id, note) VALUES (6, 'w')")
  expect(await q(c, 'SELECT name FROM a_named WHERE note = ?', ['w'])).toEqual([{ name: 'FAY' }])
  expect(await q(admin, `SELECT COUNT(*) AS n FROM \`${template}\`.a_named`)).toEqual([{ n: 4 }])
  expect(await q(c, 'SELECT parents() AS n')).toEqual([{ n: 4 }])
  if (mariadb) {
    // The default NEXTVAL draws on the copy's own sequence, not the template's.
    const seq = () => q(admin, `SELECT next_not_cached_value AS n FROM \`${template}\`.z_seq`)
    const before = await seq()
    await q(c, 'INSERT INTO c_orders (zero) VALUES (5)')
    expect(await seq()).toEqual(before)
    const [{ ref }] = await q<{ ref: number }>(c, 'SELECT ref FROM c_orders WHERE zero = 5')
    expect(Number(ref)).toBeGreaterThanOrEqual(500)
    expect(await q(admin, `SELECT COUNT(*) AS n FROM \`${template}\`.c_orders`)).toEqual([{ n: 3 }])
  }
  // Foreign keys are enforced again.
  await expect(c.query('INSERT INTO a_child (parent_id) VALUES (99)')).rejects.toMatchObject({ errno: 1452 })
  return c
}

describe('copy', () => {
  const template = `${prefix}_tpl_copy`

  beforeAll(async () => {
    await buildTemplate(template)
  })

  it('copies tables, rows, foreign keys, AUTO_INCREMENT counters, sequences, views, triggers and routines', async () => {
    const s = await session()
    const plan = await s.copyPlan(template)
    expect(plan).toEqual({ label: 'table copy', maxLanes: MYSQL_COPY_LANES, sessionsPerCopy: MYSQL_COPY_SESSIONS })
    const clone = `${prefix}_c1`
    await s.copy(template, clone, plan)

    const c = await expectWholeCopy(template, clone)

    // The session is not left on the copy: another session does not see it there, and drop is not held up.
    const other = await session()
    expect((await other.sessions(prefix)).get(clone)).toBe(1)
    await c.end()
    expect(await eventually(async () => !(await other.sessions(prefix)).has(clone), 5_000)).toBe(true)
    expect((await s.list(prefix)).map((r) => r.name)).toContain(clone)
  })

  it(`keeps each table's definition (${mariadb ? 'Aria, system-versioned' : 'MyISAM'}, partitioned), its statistics options included, and the copy's statistics are its rows' when it returns`, async () => {
    const tpl = `${prefix}_tpl_stats`
    const conn = await raw()
    await conn.query(`CREATE DATABASE \`${tpl}\`; USE \`${tpl}\``)
    await conn.query(`
      CREATE TABLE plain (id INT AUTO_INCREMENT PRIMARY KEY, v INT, KEY v_idx (v));
      CREATE TABLE recalc_on (id INT PRIMARY KEY) COMMENT 'stats on' STATS_AUTO_RECALC=1;
      CREATE TABLE recalc_off (id INT PRIMARY KEY) STATS_AUTO_RECALC=0;
      CREATE TABLE transient (id INT PRIMARY KEY) STATS_PERSISTENT=0;
      CREATE TABLE other (id INT PRIMARY KEY) ENGINE=${mariadb ? 'Aria' : 'MyISAM'};
      CREATE TABLE parts (id INT PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2;
      INSERT INTO plain (v) SELECT seq % 7 FROM ${series(50000)};
      INSERT INTO recalc_on SELECT seq FROM ${series(5000)};
      INSERT INTO recalc_off SELECT seq FROM ${series(50)};
      INSERT INTO transient SELECT seq FROM ${series(50)};
      INSERT INTO other SELECT seq FROM ${series(50)};
      INSERT INTO parts SELECT seq FROM ${series(50)};`)
    if (mariadb) await conn.query(`CREATE TABLE versioned (id INT PRIMARY KEY) WITH SYSTEM VERSIONING; INSERT INTO versioned SELECT seq FROM ${series(50)}`)
    // Definitions a copy must make as they are, whether it makes a table with its rows (CREATE TABLE …
    // SELECT) or then fills it: a full-text index (its hidden column), a spatial one, checks, a default
    // expression, ON UPDATE, a foreign key to its own table, a name to quote, a comment saying SELECT.
    await conn.query(`
      CREATE TABLE ft (id INT PRIMARY KEY, body TEXT, FULLTEXT KEY body_ft (body));
      CREATE TABLE sp (id INT PRIMARY KEY, g POINT NOT NULL, SPATIAL KEY g_idx (g));
      CREATE TABLE ck (id INT PRIMARY KEY, n INT CHECK (n > 0), e ENUM('a', 'b') DEFAULT 'b', s SET('x', 'y'),
        CONSTRAINT n_small CHECK (n < 1000)) COMMENT 'a SELECT in a comment';
      CREATE TABLE selfref (id INT PRIMARY KEY, parent INT, CONSTRAINT selfref_fk FOREIGN KEY (parent) REFERENCES selfref (id));
      CREATE TABLE dflt (id INT AUTO_INCREMENT PRIMARY KEY, d VARCHAR(20) DEFAULT (CONCAT('x', 'y')),
        t TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, cs VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin) AUTO_INCREMENT=100;
      CREATE TABLE \`we\`\`ird\` (\`col\`\`x\` INT PRIMARY KEY, \`select\` INT);
      INSERT INTO ft VALUES (1, 'hello world'), (2, 'select from');
      INSERT INTO sp VALUES (1, POINT(1, 2)), (2, POINT(3, 4));
      INSERT INTO ck VALUES (1, 5, 'a', 'x,y'), (2, 7, 'b', '');
      INSERT INTO selfref VALUES (1, NULL), (2, 1), (3, 2);
      INSERT INTO dflt (d, t, cs) VALUES ('q', '2020-01-01 00:00:00', 'é'), (NULL, '2020-01-02 00:00:00', NULL);
      INSERT INTO \`we\`\`ird\` VALUES (1, 2);`)
    if (mariadb) await conn.query("CREATE TABLE per (id INT, s DATE, e DATE, PERIOD FOR p (s, e), PRIMARY KEY (id, p WITHOUT OVERLAPS)); INSERT INTO per VALUES (1, '2020-01-01', '2020-02-01')")
    const s = await session()
    const clone = `${prefix}_stats1`
    await s.copy(tpl, clone, await s.copyPlan(tpl))

    // What the server computed from the copy's rows is there already, not left to its background thread.
    const stats = await q<{ t: string; n: number }>(admin,
      'SELECT table_name AS t, n_rows AS n FROM mysql.innodb_table_stats WHERE database_name = ? ORDER BY table_name', [clone])
    // n_rows is the server's estimate from sampled pages: near the rows copied, not a count taken part way.
    const estimate = (t: string) => Number(stats.find((r) => r.t === t)?.n)
    expect(estimate('plain')).toBeGreaterThan(50000 * 0.9)
    expect(estimate('plain')).toBeLessThan(50000 * 1.1)
    expect(estimate('recalc_on')).toBeGreaterThan(5000 * 0.9)
    for (const t of ['plain', 'recalc_on', 'recalc_off', 'transient', 'other', 'parts', 'ft', 'sp', 'ck', 'selfref', 'dflt', 'we`ird', ...(mariadb ? ['versioned', 'per'] : [])]) {
      expect(await definition(clone, t)).toBe(await definition(tpl, t))
      expect(await dump(clone, t)).toEqual(await dump(tpl, t))
    }
  })

  // The global goes off on a server of this test's own: the suite's server is shared with other files and runs.
  it.skipIf(skipOwnServer)('computes the copy\'s statistics itself when the server would not have by the time it returns (innodb_stats_auto_recalc off, on a server of its own)', async () => {
    const own = await ownMysqlServer(server.product)
    let conn: Raw | undefined
    let s: AdminSession | undefined
    try {
      const url = mariadb ? own.url : `${own.url}?allowPublicKeyRetrieval=true`
      conn = await raw(undefined, url)
      const tpl = `${prefix}_tpl_norecalc`
      await conn.query(`CREATE DATABASE \`${tpl}\`; USE \`${tpl}\``)
      await conn.query(`CREATE TABLE a (id INT PRIMARY KEY, v INT, KEY v_idx (v)); CREATE TABLE b (id INT PRIMARY KEY);
        INSERT INTO a SELECT seq, seq % 7 FROM ${series(3000)}; INSERT INTO b SELECT seq FROM ${series(2000)}`)
      s = await session(url)
      const plan = await s.copyPlan(tpl)
      // Off, the server leaves the copy's tables with the statistics of empty ones: only the copy's own
      // ANALYZE computes them (on MariaDB of the tables still behind, on MySQL of each table).
      await conn.query('SET GLOBAL innodb_stats_auto_recalc = OFF')
      const clone = `${prefix}_norecalc1`
      await s.copy(tpl, clone, plan)
      const stats = await q<{ t: string; n: number }>(conn,
        'SELECT table_name AS t, n_rows AS n FROM mysql.innodb_table_stats WHERE database_name = ? ORDER BY table_name', [clone])
      expect(stats.map((r) => r.t)).toEqual(['a', 'b'])
      expect(Number(stats[0]!.n)).toBeGreaterThan(3000 * 0.9)
      expect(Number(stats[1]!.n)).toBeGreaterThan(2000 * 0.9)
      const keys = await q<{ t: string; i: string; c: number }>(conn,
        'SELECT TABLE_NAME AS t, INDEX_NAME AS i, CARDINALITY AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY 1, 2', [clone])
      expect(keys.map((k) => [k.t, k.i])).toEqual([['a', 'PRIMARY'], ['a', 'v_idx'], ['b', 'PRIMARY']])
      expect(Number(keys[0]!.c)).toBeGreaterThan(3000 * 0.9)
      expect(Number(keys[1]!.c)).toBeGreaterThanOrEqual(5)
      expect(Number(keys[2]!.c)).toBeGreaterThan(2000 * 0.9)
    } finally {
      // Its sessions end before it goes, and everything on it goes with it.
      conn?.destroy()
      await s?.close().catch(() => {})
      own.remove()
    }
  }, 120_000)

  it('copies the rows over several sessions, and over one when the server takes no more connections from the user', async () => {
    const tpl = `${prefix}_tpl_wide`
    const conn = await raw()
    await conn.query(`CREATE DATABASE \`${tpl}\`; USE \`${tpl}\``)
    for (let t = 0; t < 6; t++) {
      await conn.query(`CREATE TABLE w${t} (id INT PRIMARY KEY, parent INT${t ? `, CONSTRAINT w${t}_fk FOREIGN KEY (parent) REFERENCES w${t - 1} (id)` : ''});
        INSERT INTO w${t} SELECT seq, ${t ? 1 : 'NULL'} FROM ${series((t + 1) * 1000)}`)
    }
    const user = `${prefix}_onecon`
    const password = `pw-${prefix}-one`
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}' WITH MAX_USER_CONNECTIONS 1`)
    users.push(user)
    await admin.query(`GRANT ALL ON \`${prefix}\_%\`.* TO '${user}'@'%'`)
    const u = new URL(URL_)
    u.username = user
    u.password = password
    u.pathname = '/'
    const seen = new Set<number>()
    const watch = setInterval(() => {
      void q<{ n: number }>(admin, `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB LIKE ? AND ${COPYING_ROWS}`, [`${prefix}\\_wide%`])
        .then(([r]) => seen.add(Number(r!.n)), () => {})
    }, 2)
    try {
      for (const [url, clone] of [[URL_, `${prefix}_wide_many`], [u.toString(), `${prefix}_wide_one`]] as const) {
        const s = await session(url)
        await s.copy(tpl, clone, { ...(await s.copyPlan(tpl)), sessionsPerCopy: 3 })
        for (let t = 0; t < 6; t++) expect(await dump(clone, `w${t}`)).toEqual(await dump(tpl, `w${t}`))
        // Tables made by different sessions at once still hold their foreign keys both ways: a row another
        // table names cannot go (ER_ROW_IS_REFERENCED_2), and a row naming a missing one cannot come in.
        const c = await raw(clone)
        for (let t = 0; t < 5; t++) await expect(c.query(`DELETE FROM w${t} WHERE id = 1`)).rejects.toMatchObject({ errno: 1451 })
        await expect(c.query('INSERT INTO w5 VALUES (999999, 999999)')).rejects.toMatchObject({ errno: 1452 })
        await c.end()
        // No helper is left on the copy.
        expect(await eventually(async () => !(await s.sessions(prefix)).has(clone), 5_000)).toBe(true)
      }
    } finally {
      clearInterval(watch)
    }
    expect(Math.max(...seen)).toBeGreaterThan(1)
  })

  it('copies several at once, each from one session of its own', async () => {
    const sessions = await Promise.all([1, 2, 3].map(() => session()))
    const plan = await sessions[0]!.copyPlan(template)
    await Promise.all(sessions.map((s, i) => s.copy(template, `${prefix}_m${i}`, plan)))
    for (let i = 0; i < 3; i++) expect(await dump(`${prefix}_m${i}`, 'b_parent')).toEqual(await dump(template, 'b_parent'))
  })

  it('a missing template is E_CLONE, and nothing is left behind', async () => {
    const s = await session()
    const err = await rejectionError(s.copy(`${prefix}_tpl_missing`, `${prefix}_c2`, {}))
    expect(err.code).toBe('E_CLONE')
    expect(await exists(`${prefix}_c2`)).toBe(false)
    expect((await rejectionError(s.copyPlan(`${prefix}_tpl_missing`))).code).toBe('E_CLONE')
  })

  it('a copy that fails half way drops the half-made database and puts the session back where it was', async () => {
    const home = `${prefix}_home2`
    await admin.query(`CREATE DATABASE \`${home}\``)
    const s = await session(mysqlDialect.databaseUrl(URL_, home))
    const [{ id }] = await q<{ id: number }>(admin, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ?', [home])
    const where = async () => (await q<{ db: string }>(admin, 'SELECT DB AS db FROM information_schema.PROCESSLIST WHERE ID = ?', [id]))[0]?.db
    const gone = `${prefix}_tpl_gone`
    await buildTemplate(gone)
    const plan = await s.copyPlan(gone)
    await admin.query(`DROP TABLE \`${gone}\`.c_orders`)
    const err = await rejectionError(s.copy(gone, `${prefix}_c3`, plan))
    expect(err.code).toBe('E_CLONE')
    expect(err.message).toContain('c_orders')
    expect(await exists(`${prefix}_c3`)).toBe(false)
    expect(await where()).toBe(home)
    // …and after a copy that worked, too.
    await s.copy(template, `${prefix}_c4`, await s.copyPlan(template))
    expect(await where()).toBe(home)
    await expect((await raw(`${prefix}_c4`)).query('INSERT INTO a_child (parent_id) VALUES (99)')).rejects.toMatchObject({ errno: 1452 })
  })

  it('reads a template made again under the same name afresh', async () => {
    const s = await session()
    const name = `${prefix}_tpl_again`
    await s.create(name, marker({ run: 'first111' }))
    await admin.query(`CREATE TABLE \`${name}\`.old_t (id INT)`)
    await s.copy(name, `${prefix}_a1`, await s.copyPlan(name))
    await s.drop(name)
    await s.create(name, marker({ run: 'second22' }))
    await admin.query(`CREATE TABLE \`${name}\`.new_t (id INT)`)
    await s.copy(name, `${prefix}_a2`, await s.copyPlan(name))
    const tables = await q<{ t: string }>(admin, 'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [`${prefix}_a2`])
    expect(tables.map((r) => r.t)).toEqual(['new_t'])
  })
})

describe('spares', () => {
  const template = `${prefix}_tpl_spare`
  const spareMarker = () => makeMarker({ kind: 'spare', run: 'testrun1', hash: HASH })
  /** The template's tables (its sequence on MariaDB), not its views. */
  const SPARE_TABLES = mariadb ? ['a_child', 'b_parent', 'c_orders', 'z_seq'] : ['a_child', 'b_parent', 'c_orders']
  const tables = async (db: string) =>
    (await q<{ t: string }>(admin, 'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [db])).map((r) => r.t)

  beforeAll(async () => {
    await buildTemplate(template)
  })

  it('a spare holds the tables and rows, marked a spare once whole; taking it moves them into a whole clone and drops the spare', async () => {
    const s = await session()
    const spare = `${prefix}_sp_1`
    await s.spares!.make(template, spare, await s.copyPlan(template), spareMarker())
    const row = (await s.list(prefix)).find((r) => r.name === spare)
    expect(parseMarker(row?.comment)).toMatchObject({ kind: 'spare', hash: HASH })
    expect(parseMarker(row?.comment)?.state).toBeUndefined()
    // Tables only: views cannot move to another database, so the take makes them.
    expect(await tables(spare)).toEqual(SPARE_TABLES)

    const clone = `${prefix}_from_spare`
    expect(await s.spares!.take(template, spare, clone, makeMarker({ kind: 'clone', run: 'takerun1' }))).toBe('taken')
    expect(await exists(spare)).toBe(false)
    expect(parseMarker((await s.list(prefix)).find((r) => r.name === clone)?.comment)).toMatchObject({ kind: 'clone', run: 'takerun1' })
    await expectWholeCopy(template, clone)
  })

  it('a spare short of a table (a take killed half way) is unfit: dropped, and no clone is made', async () => {
    const s = await session()
    const spare = `${prefix}_sp_2`
    await s.spares!.make(template, spare, await s.copyPlan(template), spareMarker())
    await admin.query(`DROP TABLE \`${spare}\`.a_child`)
    expect(await s.spares!.take(template, spare, `${prefix}_unfit`, makeMarker({ kind: 'clone', run: 'takerun2' }))).toBe('unfit')
    expect(await exists(spare)).toBe(false)
    expect(await exists(`${prefix}_unfit`)).toBe(false)
  })

  it('a spare whose table an open transaction holds is busy: left whole, and no clone is made', async () => {
    const s = await session()
    const spare = `${prefix}_sp_3`
    await s.spares!.make(template, spare, await s.copyPlan(template), spareMarker())
    const holder = await raw(spare)
    await holder.query('BEGIN')
    await holder.query('SELECT COUNT(*) FROM b_parent')
    expect(await s.spares!.take(template, spare, `${prefix}_busy`, makeMarker({ kind: 'clone', run: 'takerun3' }))).toBe('busy')
    expect(await exists(`${prefix}_busy`)).toBe(false)
    await holder.query('ROLLBACK')
    expect(await tables(spare)).toEqual(SPARE_TABLES)
    // Free again: taken.
    expect(await s.spares!.take(template, spare, `${prefix}_busy`, makeMarker({ kind: 'clone', run: 'takerun3' }))).toBe('taken')
  })

  it('cancel ends a spare under way: the half-made spare is dropped', async () => {
    const held = `${prefix}_tpl_held`
    await admin.query(`CREATE DATABASE \`${held}\``)
    await admin.query(`CREATE TABLE \`${held}\`.t (id INT PRIMARY KEY)`)
    const s = await session()
    const plan = await s.copyPlan(held)
    // Another session writes to the template's table, so the spare's copy of its rows waits: cancel ends that wait.
    const holder = await raw()
    await holder.query(`LOCK TABLES \`${held}\`.t WRITE`)
    const spare = `${prefix}_sp_cancel`
    const making = s.spares!.make(held, spare, plan, spareMarker())
    const waiting = async () => (await q(admin, `SELECT 1 FROM information_schema.PROCESSLIST WHERE DB = ? AND ${COPYING_ROWS}`, [spare])).length === 1
    expect(await eventually(waiting, 10_000)).toBe(true)
    await s.spares!.cancel()
    const err = await rejectionError(making)
    await holder.query('UNLOCK TABLES')
    expect(err.code).toBe('E_CLONE')
    expect(await exists(spare)).toBe(false)
  })
})

describe('locks', () => {
  const l = templateLock('f'.repeat(16) + HASH.slice(16))

  it('lets shared holders in together and keeps the exclusive one out until the last lets go', async () => {
    const [a, b, c] = await Promise.all([session(), session(), session()])
    await a.lock(l, 'shared')
    await b.lock(l, 'shared')
    expect(await c.tryLock(l)).toBe(false)
    let got = false
    const exclusive = c.lock(l).then(() => { got = true })
    await new Promise((r) => setTimeout(r, 200))
    expect(got).toBe(false)
    await a.unlock(l, 'shared')
    await new Promise((r) => setTimeout(r, 200))
    expect(got).toBe(false)
    await b.unlock(l, 'shared')
    await exclusive
    expect(got).toBe(true)
    // While it is held exclusively, a shared taker waits too.
    let shared = false
    const waiting = a.lock(l, 'shared').then(() => { shared = true })
    await new Promise((r) => setTimeout(r, 200))
    expect(shared).toBe(false)
    await c.unlock(l)
    await waiting
    expect(shared).toBe(true)
    expect(await b.tryLock(l)).toBe(false)
    await a.unlock(l, 'shared')
    expect(await b.tryLock(l)).toBe(true)
    expect(await a.tryLock(l)).toBe(false)
    await b.unlock(l)
  })

  it('a session holding it exclusively may take it shared and then let go of the exclusive part', async () => {
    const [a, b] = await Promise.all([session(), session()])
    await a.lock(l)
    await a.lock(l, 'shared')
    await a.unlock(l)
    expect(await b.tryLock(l)).toBe(false)
    await b.lock(l, 'shared')
    await b.unlock(l, 'shared')
    // Shared twice in one session, released twice.
    await a.lock(l, 'shared')
    await a.unlock(l, 'shared')
    expect(await b.tryLock(l)).toBe(false)
    await a.unlock(l, 'shared')
    expect(await b.tryLock(l)).toBe(true)
    await b.unlock(l)
  })

  it('goes with a session that is closed or killed', async () => {
    const [a, c] = await Promise.all([session(), session()])
    await a.lock(l, 'shared')
    expect(await c.tryLock(l)).toBe(false)
    await a.close()
    expect(await eventually(() => c.tryLock(l), 5_000)).toBe(true)
    await c.unlock(l)

    const home = `${prefix}_lockhome`
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${home}\``)
    const k = await session(mysqlDialect.databaseUrl(URL_, home))
    await k.lock(l)
    expect(await c.tryLock(l)).toBe(false)
    const [{ id }] = await q<{ id: number }>(admin, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ?', [home])
    await admin.query(`KILL CONNECTION ${Number(id)}`)
    expect(await eventually(() => c.tryLock(l), 5_000)).toBe(true)
    await c.unlock(l)
    // Unlocking on the killed session does not throw.
    await k.unlock(l)
    await k.unlock(l, 'shared')
  })
})

describe('migration scripts', () => {
  it('runs a script, DELIMITER blocks included, on the database the URL names', async () => {
    const name = `${prefix}_scripts`
    await admin.query(`CREATE DATABASE \`${name}\``)
    const runner = await mysqlDialect.openScripts(mysqlDialect.databaseUrl(URL_, name))
    try {
      await runner.run('CREATE TABLE t (id INT);\nDELIMITER //\nCREATE PROCEDURE fill() BEGIN INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END//\nDELIMITER ;\nCALL fill();')
      await expect(runner.run('INSERT INTO t VALUES (3); INSERT INTO nope VALUES (1);')).rejects.toMatchObject({ errno: 1146 })
    } finally {
      await runner.close()
    }
    // The failed script's insert was rolled back.
    expect(await q(admin, `SELECT id FROM \`${name}\`.t ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }])
  })
})
}
