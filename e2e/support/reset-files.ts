/**
 * What the two reset suites (reset.test.ts: per file, reset-per-test.test.ts: per test) write into their
 * scenarios: one schema with a foreign key, serial and identity columns, a kept table and a migration
 * ledger, and the head of their test files under either framework.
 */

/** Applied after the scenario's own seed migration. `countries` is kept by the config; knex_migrations is a ledger. */
export const RESET_MIGRATION = `create table items (id int generated always as identity primary key, name text not null);
create table tags (id serial primary key, item_id int not null references items (id), tag text);
create table countries (code text primary key);
insert into countries values ('de'), ('fr');
create table knex_migrations (id serial primary key, name text not null);
insert into knex_migrations (name) values ('0002_app.js');
`

export type FileKind = 'vitest' | 'jest'

/** The imports of a test file: Vitest's hooks, or under Jest its globals (from `@jest/globals` when `jestGlobals`). */
export function fileHead(kind: FileKind, opts: { jestGlobals?: boolean } = {}): string {
  return kind === 'vitest'
    ? `import { appendFileSync } from 'node:fs'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import { useTransaction } from '@workerdb/vitest'
`
    : `const { appendFileSync } = require('node:fs')
const pg = require('pg')
${opts.jestGlobals ? "const { afterAll, afterEach, beforeAll, beforeEach, expect, test } = require('@jest/globals')\n" : ''}const { useTransaction } = require('@workerdb/jest')
`
}
