/**
 * Database names. PostgreSQL silently truncates identifiers to 63 bytes, so two long names that share a
 * prefix would collide without anyone noticing: every name here is built to fit, and checked.
 */
import { WorkerDbError } from '../errors.js'

export const MAX_IDENTIFIER_BYTES = 63
export const DEFAULT_PREFIX = 'wdb'
const PREFIX_RE = /^[a-z][a-z0-9]{0,11}$/

export function validatePrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new WorkerDbError(
      'E_CONFIG',
      `prefix ${JSON.stringify(prefix)} is not a valid workerdb prefix`,
      'Use 1–12 lowercase letters and digits, starting with a letter (e.g. "wdb" or "shop").',
    )
  }
  return prefix
}

/** A run id is unique per test-runner process: clone names of concurrent runs (shards, terminals) never meet. */
export const RUN_ID_PATTERN = '[0-9a-z]{8}'
/** What follows `<prefix>_` in a spare's, a clone's and a role's name; the names are made below. */
const SPARE_REST = new RegExp(`^sp_([0-9a-f]{10})_${RUN_ID_PATTERN}$`)
const CLONE_REST = new RegExp(`^(${RUN_ID_PATTERN})_(?:([a-z0-9]+)_)?(\\d+)$`)
const ROLE_REST = new RegExp(`^(${RUN_ID_PATTERN}_(?:[A-Za-z0-9]+_)?\\d+)_role_([a-z][a-z0-9_]{0,19})$`)

export function newRunId(): string {
  // 8 base36 chars ≈ 41 bits: collisions between concurrent runs on one server are not a practical concern.
  // Web Crypto, not node:crypto: the worker side imports this module for quoting, and every fresh
  // test-file process would pay for loading node:crypto (docs/how-it-works.md, measured choices).
  const n = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).readUIntBE(0, 6)
  return n.toString(36).padStart(8, '0').slice(-8)
}

export function templateName(prefix: string, hash: string): string {
  return checkIdentifier(`${prefix}_tpl_${hash.slice(0, 16)}`)
}

/** `wdb_sp_<hash10>_<random8>`: the hash says which template it is a copy of; the rest keeps makers apart. */
export function spareName(prefix: string, hash: string): string {
  return checkIdentifier(`${sparePrefix(prefix, hash)}${newRunId()}`)
}

/** What every spare of one template's name starts with. */
export function sparePrefix(prefix: string, hash: string): string {
  return `${prefix}_sp_${hash.slice(0, 10)}_`
}

export type ParsedName =
  | { kind: 'template'; hash: string }
  | { kind: 'spare'; hash: string }
  | { kind: 'clone'; runId: string; pool?: string; slot: number }

/**
 * What a database of this prefix is by its name alone (`hash`: as much of the hash as the name keeps), or
 * null for a name workerdb would never make. A name is never proof of ownership: markers are.
 */
export function parseName(prefix: string, name: string): ParsedName | null {
  if (!name.startsWith(`${prefix}_`) || Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) return null
  const rest = name.slice(prefix.length + 1)
  const template = /^tpl_([0-9a-f]{16})$/.exec(rest)
  if (template) return { kind: 'template', hash: template[1]! }
  const spare = SPARE_REST.exec(rest)
  if (spare) return { kind: 'spare', hash: spare[1]! }
  const clone = CLONE_REST.exec(rest)
  if (clone) return { kind: 'clone', runId: clone[1]!, ...(clone[2] ? { pool: clone[2] } : {}), slot: Number(clone[3]) }
  return null
}

/** Clone names carry the run id and the worker slot, and for Vitest 3 mixed pools, the pool's short key. */
export function cloneName(prefix: string, runId: string, slot: number, pool?: string): string {
  if (!Number.isInteger(slot) || slot < 1) throw new RangeError(`slot must be a positive integer, got ${slot}`)
  return checkIdentifier(`${prefix}_${runId}_${pool ? `${pool}_` : ''}${slot}`)
}

/**
 * Per-worker roles (config `roles`): `<clone>_role_<key>`, one per key per clone, so a role says which
 * clone it belongs to (and so which run) by its name alone. Keys are lowercase identifiers short enough
 * that the longest clone name plus `_role_` plus the key still fits in 63 bytes.
 */
export const ROLE_KEY_RE = /^[a-z][a-z0-9_]{0,19}$/
const ROLE_INFIX = '_role_'

export function roleName(clone: string, key: string): string {
  if (!ROLE_KEY_RE.test(key)) throw new RangeError(`role key must match ${ROLE_KEY_RE}, got ${JSON.stringify(key)}`)
  return checkIdentifier(`${clone}${ROLE_INFIX}${key}`, 'role name')
}

/**
 * The clone and key of a per-worker role of this prefix, or null for any other name (a role of another
 * prefix, a person's role that merely starts like ours). The clone part must look like a clone name.
 */
export function parseRoleName(prefix: string, name: string): { clone: string; key: string } | null {
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES || !name.startsWith(`${prefix}_`)) return null
  const m = ROLE_REST.exec(name.slice(prefix.length + 1))
  return m ? { clone: `${prefix}_${m[1]}`, key: m[2]! } : null
}

/** Names that workerdb made look like this; anything else on the server is never considered ours. */
export function isOwnName(prefix: string, name: string): boolean {
  return name.startsWith(`${prefix}_`) && Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES
}

export function checkIdentifier(name: string, what: 'database name' | 'role name' = 'database name'): string {
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new WorkerDbError(
      'E_NAME_TOO_LONG',
      `${what} ${JSON.stringify(name)} is ${bytes} bytes; PostgreSQL keeps only ${MAX_IDENTIFIER_BYTES} and would silently truncate it`,
      what === 'role name' ? 'Use a shorter `prefix` or a shorter key in `roles`.' : 'Use a shorter `prefix` in your workerdb config.',
    )
  }
  return name
}

/** Quotes an identifier for SQL: always quoted, so case and odd characters survive and nothing is injected. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new WorkerDbError('E_CONFIG', 'identifier contains a NUL byte', 'Remove it.')
  return `"${name.replace(/"/g, '""')}"`
}

/** Quotes a string literal (standard_conforming_strings is on by default since PostgreSQL 9.1). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new WorkerDbError('E_CONFIG', 'string contains a NUL byte', 'Remove it.')
  return `'${value.replace(/'/g, "''")}'`
}
