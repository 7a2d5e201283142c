/** The MySQL/MariaDB dialect on MariaDB: WORKERDB_TEST_MYSQL_URL, default the machine's 127.0.0.1:3306 (mysql-dialect.suite.ts). */
import { mysqlDialectSuite } from './mysql-dialect.suite.js'

mysqlDialectSuite({ url: () => process.env.WORKERDB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test', product: 'MariaDB' })
