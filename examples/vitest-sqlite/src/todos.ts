import Database from 'better-sqlite3'
import { fileURLToPath } from 'node:url'

/** The app's database: the file DATABASE_URL names (a file: URL), with foreign keys enforced. */
export function open(url = process.env.DATABASE_URL): Database.Database {
  if (!url?.startsWith('file:')) throw new Error(`DATABASE_URL must be a file: URL, got ${url}`)
  const db = new Database(fileURLToPath(url))
  db.pragma('foreign_keys = on')
  return db
}

export interface Todo { id: number; list: string; title: string; done: boolean }

export function addTodo(db: Database.Database, list: string, title: string): number {
  const found = db.prepare('select id from lists where name = ?').get(list) as { id: number } | undefined
  if (!found) throw new Error(`no list named ${list}`)
  return Number(db.prepare('insert into todos (list_id, title) values (?, ?)').run(found.id, title).lastInsertRowid)
}

export function complete(db: Database.Database, id: number): void {
  if (db.prepare('update todos set done = 1 where id = ?').run(id).changes !== 1) throw new Error(`no todo ${id}`)
}

export function openTodos(db: Database.Database, list: string): Todo[] {
  const rows = db.prepare(`select t.id, l.name as list, t.title, t.done from todos t join lists l on l.id = t.list_id
    where l.name = ? and t.done = 0 order by t.id`).all(list) as Array<Omit<Todo, 'done'> & { done: number }>
  return rows.map((r) => ({ ...r, done: r.done === 1 }))
}
