/**
 * Per-worker users on MySQL/MariaDB, the pure parts (catalog/mysql/roles.ts): the statements that make one,
 * which users a clone's marker lets a drop take, and what SHOW GRANTS says about making users. On real
 * servers: dialect-engine.test.ts.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeMarker, rolesInMarker } from '../src/catalog/marker.js'

/** The user names a drop takes from a clone's marker. */
const usersOfClone = (clone: string, comment: string | null) => rolesInMarker(clone, comment).map((r) => r.name)
import { grantsAllowCreateUser, userPassword, userStatements } from '../src/catalog/mysql/roles.js'

describe('per-worker users (pure)', () => {
  const clone = 'wdb_a1b2c3d4_1'

  it('MariaDB gets the password as its hash, never the password; MySQL\'s own logs rewrite IDENTIFIED BY; the grant names the clone alone (`_` escaped)', () => {
    const password = '0123456789abcdef0123456789abcdef'
    const hash = '*' + createHash('sha1').update(createHash('sha1').update(password).digest()).digest('hex').toUpperCase()
    const maria = userStatements({ mariadb: true, clone, name: `${clone}_role_app`, password, memberOf: ['app_base'] })
    expect(maria).toEqual([
      `CREATE USER '${clone}_role_app'@'%' IDENTIFIED BY PASSWORD '${hash}'`,
      `GRANT ALL PRIVILEGES ON \`wdb\\_a1b2c3d4\\_1\`.* TO '${clone}_role_app'@'%'`,
      `GRANT \`app_base\` TO '${clone}_role_app'@'%'`,
      `SET DEFAULT ROLE \`app_base\` FOR '${clone}_role_app'@'%'`,
    ])
    expect(maria.join('\n')).not.toContain(password)
    expect(userStatements({ mariadb: false, clone, name: `${clone}_role_app`, password, memberOf: ['a', 'b'] })).toEqual([
      `CREATE USER '${clone}_role_app'@'%' IDENTIFIED BY '${password}'`,
      `GRANT ALL PRIVILEGES ON \`wdb\\_a1b2c3d4\\_1\`.* TO '${clone}_role_app'@'%'`,
      `GRANT 'a'@'%', 'b'@'%' TO '${clone}_role_app'@'%'`,
      `SET DEFAULT ROLE ALL TO '${clone}_role_app'@'%'`,
    ])
    expect(userStatements({ mariadb: true, clone, name: `${clone}_role_app`, password, memberOf: [] })).toHaveLength(2)
  })

  it('a password any policy takes (both cases, a digit, a symbol), and that a URL carries as it is', () => {
    const passwords = Array.from({ length: 20 }, () => userPassword())
    for (const p of passwords) {
      expect(p).toMatch(/[a-z]/)
      expect(p).toMatch(/[A-Z]/)
      expect(p).toMatch(/[0-9]/)
      expect(p).toMatch(/[^A-Za-z0-9]/)
      expect(encodeURIComponent(p)).toBe(p)
      expect(p.length).toBeGreaterThanOrEqual(24)
    }
    expect(new Set(passwords).size).toBe(20)
  })

  it('a drop takes only the users its clone\'s marker names that are roles of that very clone', () => {
    const marker = (roles: unknown) => JSON.stringify({ ...makeMarker({ kind: 'clone', run: 'a1b2c3d4' }), roles })
    expect(usersOfClone(clone, marker([`${clone}_role_app`, `${clone}_role_ro`]))).toEqual([`${clone}_role_app`, `${clone}_role_ro`])
    // Another clone's role, a person's user, a name that only starts like one, a key roles could not have.
    expect(usersOfClone(clone, marker(['wdb_a1b2c3d4_2_role_app', 'root', `${clone}_role_`, `${clone}_role_App`, `${clone}x_role_app`, 7]))).toEqual([])
    // Not a clone's marker, or none at all: nothing.
    expect(usersOfClone(clone, JSON.stringify({ ...makeMarker({ kind: 'template', run: 'a1b2c3d4' }), roles: [`${clone}_role_app`] }))).toEqual([])
    expect(usersOfClone(clone, null)).toEqual([])
    expect(usersOfClone(clone, marker(undefined))).toEqual([])
  })

  it('reads from SHOW GRANTS whether the user may create users, and says yes when unsure', () => {
    expect(grantsAllowCreateUser(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'])).toBe(true)
    expect(grantsAllowCreateUser(['GRANT SELECT, CREATE USER ON *.* TO `ci`@`%`'])).toBe(true)
    expect(grantsAllowCreateUser(['GRANT USAGE ON *.* TO `ci`@`%`', 'GRANT ALL PRIVILEGES ON `wdb\\_%`.* TO `ci`@`%`'])).toBe(false)
    expect(grantsAllowCreateUser(['GRANT USAGE ON *.* TO `ci`@`%`', 'GRANT `admin` TO `ci`@`%`'])).toBe(true)
  })
})
