/**
 * The MySQL/MariaDB dialect on Oracle's MySQL (mysql-dialect.suite.ts): the server test-support/mysql-server.ts
 * provides, a container of Debian's MySQL unless WORKERDB_TEST_ORACLE_MYSQL_URL names one. Without it this
 * file skips, saying why, unless WORKERDB_TEST_CONTAINERS=required: then it fails with the reason.
 */
import { beforeAll, describe } from 'vitest'
import { oracleMysqlUrl, skipOracleMysql } from '../../../test-support/mysql-server.js'
import { mysqlDialectSuite } from './mysql-dialect.suite.js'

describe.skipIf(skipOracleMysql(import.meta.url))('MySQL', () => {
  let url = ''
  beforeAll(async () => {
    url = await oracleMysqlUrl()
  }, 120_000)
  mysqlDialectSuite({ url: () => `${url}?allowPublicKeyRetrieval=true`, product: 'MySQL' })
})
