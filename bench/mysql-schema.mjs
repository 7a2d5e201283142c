/**
 * The bench's MariaDB schema: the shape of bench/run.mjs's PostgreSQL one (tables t0…, each with two
 * secondary indexes and a foreign key to the one before, rows from the Sequence engine), in MariaDB's words.
 * One statement pair per table, for `pnpm bench`'s mysql row and bench/mysql-clone.mjs alike.
 */
export function mysqlTableSql(t, rows) {
  const ref = t > 0 ? `, parent_id bigint, CONSTRAINT t${t}_parent_fk FOREIGN KEY (parent_id) REFERENCES t${t - 1} (id)` : ''
  return [
    `CREATE TABLE t${t} (id bigint AUTO_INCREMENT PRIMARY KEY, name varchar(255) NOT NULL, email varchar(255), ` +
      `amount decimal(12,2) NOT NULL DEFAULT 0, status varchar(32) NOT NULL DEFAULT 'new', ` +
      `created_at timestamp(6) NOT NULL DEFAULT current_timestamp(6)${ref}, KEY t${t}_name_idx (name), KEY t${t}_status_created_idx (status, created_at));`,
    `INSERT INTO t${t} (name, email, amount${t > 0 ? ', parent_id' : ''}) ` +
      `SELECT concat('row ', seq), concat('u', seq, '@example.test'), seq % 1000${t > 0 ? ', seq' : ''} FROM seq_1_to_${rows};`,
  ]
}
