/**
 * Where a MySQL-family database carries workerdb's ownership marker, written and read back. MariaDB ≥ 10.5
 * keeps a database comment (`CREATE DATABASE … COMMENT`, information_schema.SCHEMATA.SCHEMA_COMMENT); MySQL
 * has none, so there the marker is the comment of an empty procedure inside the database, MARKER_ROUTINE,
 * made right after the database (ORMs and schema tools look at tables and views, not procedures). A
 * look-alike database lacks both, and the sweep never drops what has no marker.
 */
import { WorkerDbError } from '../../errors.js'
import type { Marker } from '../marker.js'
import { ident, lit } from './session.js'

/** 'comment': the database comment (MariaDB ≥ 10.5); 'routine': MARKER_ROUTINE's comment (MySQL). */
export type MarkHome = 'comment' | 'routine'

/** The procedure that holds the marker on MySQL; copies leave the template's out and get their own. */
export const MARKER_ROUTINE = 'workerdb_marker'

/** A marker is kept to this many characters (MariaDB's limit for a database comment). */
export const MAX_MARKER_CHARS = 1024

/** Pure: the marker as an SQL string literal. Throws E_CONFIG when it is longer than MAX_MARKER_CHARS. */
export function markerLiteral(marker: Marker): string {
  const text = JSON.stringify(marker)
  const chars = [...text].length
  if (chars > MAX_MARKER_CHARS) {
    throw new WorkerDbError('E_CONFIG', `the workerdb marker is ${chars} characters; a marker keeps at most ${MAX_MARKER_CHARS}`,
      'Use a shorter `project` name in your workerdb config.')
  }
  return lit(text)
}

/**
 * Pure: the statements that make database `name` (`options`: its CHARACTER SET … COLLATE …, or '') with
 * `marker`. `create` makes nothing when it fails; `mark`, when there is one, runs right after it, and the
 * caller drops the database if `mark` fails.
 */
export function createStatements(home: MarkHome, name: string, options: string, marker?: Marker): { create: string; mark?: string } {
  const create = `CREATE DATABASE ${ident(name)}${options ? ` ${options}` : ''}`
  if (!marker) return { create }
  if (home === 'comment') return { create: `${create} COMMENT ${markerLiteral(marker)}` }
  return { create, mark: `CREATE PROCEDURE ${ident(name)}.${ident(MARKER_ROUTINE)}() COMMENT ${markerLiteral(marker)} BEGIN END` }
}

/** Pure: the statement that replaces the marker of `name`, one workerdb made. */
export function markStatement(home: MarkHome, name: string, marker: Marker): string {
  return home === 'comment'
    ? `ALTER DATABASE ${ident(name)} COMMENT ${markerLiteral(marker)}`
    : `ALTER PROCEDURE ${ident(name)}.${ident(MARKER_ROUTINE)} COMMENT ${markerLiteral(marker)}`
}

/**
 * Pure: a SELECT of `name` and `comment` (the marker's text, or NULL/'' where there is none) for every
 * database, narrowed by the caller's `where` on s.SCHEMA_NAME; its values are the caller's.
 */
export function markersQuery(home: MarkHome, where: string): string {
  return home === 'comment'
    ? `SELECT s.SCHEMA_NAME AS name, s.SCHEMA_COMMENT AS comment FROM information_schema.SCHEMATA s WHERE ${where} ORDER BY s.SCHEMA_NAME`
    : `SELECT s.SCHEMA_NAME AS name, r.ROUTINE_COMMENT AS comment FROM information_schema.SCHEMATA s
         LEFT JOIN information_schema.ROUTINES r
           ON r.ROUTINE_SCHEMA = s.SCHEMA_NAME AND r.ROUTINE_NAME = ${lit(MARKER_ROUTINE)} AND r.ROUTINE_TYPE = 'PROCEDURE'
        WHERE ${where} ORDER BY s.SCHEMA_NAME`
}

/** Pure: whether a routine of a template is the marker, which copies do not take (they get their own). */
export function isMarkerRoutine(home: MarkHome, routine: { name: string; type: string }): boolean {
  return home === 'routine' && routine.type === 'PROCEDURE' && routine.name === MARKER_ROUTINE
}
