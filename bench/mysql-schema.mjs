/**
 * The bench's MariaDB and MySQL schema: the shape of bench/run.mjs's PostgreSQL one (tables t0…, each with two
 * secondary indexes and a foreign key to the one before), in their words. One statement pair per table, for
 * `pnpm bench`'s mysql row and bench/mysql-clone.mjs alike. The rows come from MariaDB's Sequence engine, or on
 * MySQL (which has none) from a recursive CTE, whose depth limit (1,000 by default) `mysqlSessionSql` raises.
 */
export function mysqlTableSql(t, rows, { mariadb = true } = {}) {
  const ref = t > 0 ? `, parent_id bigint, CONSTRAINT t${t}_parent_fk FOREIGN KEY (parent_id) REFERENCES t${t - 1} (id)` : ''
  const from = mariadb ? `FROM seq_1_to_${rows}` : 'FROM seq'
  return [
    `CREATE TABLE t${t} (id bigint AUTO_INCREMENT PRIMARY KEY, name varchar(255) NOT NULL, email varchar(255), ` +
      `amount decimal(12,2) NOT NULL DEFAULT 0, status varchar(32) NOT NULL DEFAULT 'new', ` +
      `created_at timestamp(6) NOT NULL DEFAULT current_timestamp(6)${ref}, KEY t${t}_name_idx (name), KEY t${t}_status_created_idx (status, created_at));`,
    `INSERT INTO t${t} (name, email, amount${t > 0 ? ', parent_id' : ''}) ` +
      (mariadb ? '' : `WITH RECURSIVE seq (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM seq WHERE seq < ${rows}) `) +
      `SELECT concat('row ', seq), concat('u', seq, '@example.test'), seq % 1000${t > 0 ? ', seq' : ''} ${from};`,
  ]
}

/** What a script of those statements starts with: on MySQL, a CTE deep enough for `rows`. */
export function mysqlSessionSql(rows, { mariadb = true } = {}) {
  return mariadb ? [] : [`SET SESSION cte_max_recursion_depth = ${Math.max(1000, rows)};`]
}
